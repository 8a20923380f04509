/* Hands its own seccomp listener to an OCI seccomp agent, as a runtime does, while THREADS of its
 * threads already wait in a notified open of PATH:
 *
 *   pending-opens SOCKET ID BUNDLE THREADS PATH
 *
 * Installs a filter (no_new_privs first) that notifies openat, with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER; starts THREADS threads that each open PATH and read its first
 * bytes (each blocks in its notified openat: nobody serves the listener yet); waits until every
 * thread has started; then sends the container process state JSON (container ID, its pid,
 * BUNDLE, whose config.json the agent reads) with the listener as SCM_RIGHTS to the agent at SOCKET, and closes
 * its copy. So the agent's first RECVs on this listener find THREADS calls waiting. Prints one
 * line per distinct outcome, "COUNT: FIRST-LINE-READ" or "COUNT: error ERRNO-NAME", sorted by
 * first appearance; exits 0 once every thread is done. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_THREADS 256

static const char* path;
static char results[MAX_THREADS][80];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int started;

static void* opener(void* arg) {
  char* out = arg;
  pthread_mutex_lock(&m);
  started++;
  pthread_cond_signal(&c);
  pthread_mutex_unlock(&m);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    snprintf(out, 80, "error %s", strerrorname_np(errno));
    return NULL;
  }
  char b[64];
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  b[n > 0 ? n : 0] = 0;
  b[strcspn(b, "\n")] = 0;
  snprintf(out, 80, "%s", b);
  return NULL;
}

static int send_listener(const char* socket_path, const char* id, const char* bundle, int listener) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, socket_path, sizeof a.sun_path - 1);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) return perror("connect"), -1;
  char json[1024];
  int pid = getpid();
  int len = snprintf(json, sizeof json,
                     "{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":\"\",\"state\":"
                     "{\"ociVersion\":\"1.0.2\",\"id\":\"%s\",\"status\":\"creating\",\"pid\":%d,\"bundle\":\"%s\"}}",
                     pid, id, pid, bundle);
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {json, (size_t)len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &listener, sizeof(int));
  if (sendmsg(s, &msg, 0) != len) return perror("sendmsg"), close(s), -1;
  close(s);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 6) return 2;
  int n = atoi(argv[4]);
  if (n < 1 || n > MAX_THREADS) return 2;
  path = argv[5];
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof f / sizeof f[0], .filter = f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return perror("prctl"), 1;
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) return perror("seccomp"), 1;
  pthread_t t[MAX_THREADS];
  for (int i = 0; i < n; i++) {
    if (pthread_create(&t[i], NULL, opener, results[i]) != 0) return perror("pthread_create"), 1;
  }
  pthread_mutex_lock(&m);
  while (started < n) pthread_cond_wait(&c, &m);
  pthread_mutex_unlock(&m);
  usleep(20 * 1000);  // each thread on its way into its openat
  if (send_listener(argv[1], argv[2], argv[3], listener) != 0) return 1;
  close(listener);
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  int done[MAX_THREADS] = {0};
  for (int i = 0; i < n; i++) {
    if (done[i]) continue;
    int count = 0;
    for (int j = i; j < n; j++) {
      if (!done[j] && strcmp(results[i], results[j]) == 0) {
        done[j] = 1;
        count++;
      }
    }
    printf("%d: %s\n", count, results[i]);
  }
  return 0;
}
