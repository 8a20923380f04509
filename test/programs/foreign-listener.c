// Runs COMMAND beneath a seccomp listener of its own, as a container runtime that hands its
// listener to an agent, or another supervisor, does:
//
//   foreign-listener [--notify NR[,NR...]|all] [--deny NR[,NR...]] COMMAND [ARGS...]
//
// Installs a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER (no_new_privs first) that notifies the
// x86_64 syscalls given (default: uname(2); `all`: every one), answers EPERM to those of --deny
// (as a container profile that denies ptrace(2) does), and allows everything else. A thread started
// before the filter (so that its own calls are not filtered) serves the listener: each notified
// call is CONTINUEd (the kernel runs it, so the program sees the real result). COMMAND is forked
// and exec'd beneath the filter (inherited: COMMAND's tree cannot get a listener of its own, EBUSY);
// the exit status is COMMAND's (128+N when killed by signal N). On stderr at the end:
//   foreign-listener: notified=COUNT
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NRS 64

static int listener = -1;
static unsigned long notified;

static void *serve(void *arg) {
  (void)arg;
  int fd;
  while ((fd = __atomic_load_n(&listener, __ATOMIC_ACQUIRE)) < 0) usleep(1000);
  for (;;) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return NULL;
    }
    __atomic_add_fetch(&notified, 1, __ATOMIC_RELAXED);
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

// "1,2,3" -> nrs; false when malformed or too many.
static int parse_nrs(const char *s, unsigned *nrs, int *n) {
  char *end;
  for (*n = 0; *s; s = end + (*end == ',')) {
    unsigned long v = strtoul(s, &end, 10);
    if (end == s || (*end && *end != ',') || v >= 0x40000000 || *n == MAX_NRS) return 0;
    nrs[(*n)++] = (unsigned)v;
  }
  return *n > 0;
}

int main(int argc, char **argv) {
  unsigned notify[MAX_NRS] = {SYS_uname}, deny[MAX_NRS];
  int n_notify = 1, n_deny = 0, all = 0, i = 1;
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    if (strcmp(argv[i], "--notify") == 0 && strcmp(argv[i + 1], "all") == 0) all = 1;
    else if (strcmp(argv[i], "--notify") == 0 && parse_nrs(argv[i + 1], notify, &n_notify)) continue;
    else if (strcmp(argv[i], "--deny") == 0 && parse_nrs(argv[i + 1], deny, &n_deny)) continue;
    else break;
  }
  if (i >= argc || strncmp(argv[i], "--", 2) == 0) {
    fprintf(stderr, "usage: foreign-listener [--notify NR[,NR...]|all] [--deny NR[,NR...]] COMMAND [ARGS...]\n");
    return 2;
  }
  // arch check, load nr, the denied (EPERM), the notified (or all), else allow.
  struct sock_filter insns[8 + 2 * MAX_NRS];
  int k = 0;
  insns[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  insns[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  insns[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  insns[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (int d = 0; d < n_deny; d++) {
    insns[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, deny[d], 0, 1);
    insns[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  }
  if (all) {
    insns[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 1, 0);
    insns[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  } else {
    for (int d = 0; d < n_notify; d++) {
      insns[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, notify[d], 0, 1);
      insns[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
    }
  }
  insns[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {(unsigned short)k, insns};
  pthread_t t;
  if (pthread_create(&t, NULL, serve, NULL) != 0) return perror("pthread_create"), 1;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return perror("prctl"), 1;
  int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) return perror("seccomp(NEW_LISTENER)"), 1;
  __atomic_store_n(&listener, fd, __ATOMIC_RELEASE);
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 1;
  if (pid == 0) {
    close(fd);
    execvp(argv[i], argv + i);
    fprintf(stderr, "foreign-listener: %s: %s\n", argv[i], strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  fprintf(stderr, "foreign-listener: notified=%lu\n", __atomic_load_n(&notified, __ATOMIC_RELAXED));
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
