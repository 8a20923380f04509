// Installs its own seccomp filter with a user-notification listener, as a container runtime or
// another supervisor does, N times (argument, default 1): prints "listener OK" or the errno's name
// for each. The filter allows every call, so the program goes on as before. It sets no_new_privs
// first, unless the second argument is "nonnp" (then the kernel needs CAP_SYS_ADMIN, else EACCES).
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1;
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {.len = 1, .filter = allow};
  int nnp = !(argc > 2 && !strcmp(argv[2], "nonnp"));
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return perror("prctl"), 1;
  for (int i = 0; i < n; i++) {
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd >= 0) {
      printf("listener OK\n");
      close((int)fd);
    } else {
      printf("listener %s\n", strerrorname_np(errno));
    }
    fflush(stdout);
  }
  return 0;
}
