// Runs COMMAND beneath a seccomp listener of its own, as a container runtime that hands its
// listener to an agent, or another supervisor, does:
//
//   foreign-listener COMMAND [ARGS...]
//
// Installs a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER (no_new_privs first) that notifies
// uname(2) and allows everything else, serves it on a thread (each notified uname is CONTINUEd:
// the kernel runs it, so the program sees the real result), forks and execs COMMAND beneath it
// (the filter is inherited: COMMAND's tree cannot get a listener of its own, EBUSY), waits for it
// and exits with its status (128+N when killed by signal N). On stderr at the end:
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

static int listener = -1;
static unsigned long notified;

static void *serve(void *arg) {
  (void)arg;
  for (;;) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR || errno == ENOENT) continue;
      return NULL;
    }
    __atomic_add_fetch(&notified, 1, __ATOMIC_RELAXED);
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: foreign-listener COMMAND [ARGS...]\n");
    return 2;
  }
  struct sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof insns / sizeof insns[0], insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return perror("prctl"), 1;
  listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (listener < 0) return perror("seccomp(NEW_LISTENER)"), 1;
  pthread_t t;
  if (pthread_create(&t, NULL, serve, NULL) != 0) return perror("pthread_create"), 1;
  pid_t pid = fork();
  if (pid < 0) return perror("fork"), 1;
  if (pid == 0) {
    close(listener);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "foreign-listener: %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  fprintf(stderr, "foreign-listener: notified=%lu\n", __atomic_load_n(&notified, __ATOMIC_RELAXED));
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
