// execs PATH...: execve's each PATH in turn (argv [PATH], the environment kept); one that fails
// prints "PATH: ERRNO-NAME" and the next is tried. The argument "-" drops the process to nobody
// first (groups, gid, uid 65534: the same process, so the same thread, changes its ids between two
// execs). With no argument (as it is exec'd by another execs) or "--ids", it prints its real and
// effective uid and gid (for a setuid copy of it).
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc == 1 || (argc == 2 && strcmp(argv[1], "--ids") == 0)) {
    printf("uid=%d euid=%d gid=%d egid=%d\n", (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
        printf("drop: %s\n", strerrorname_np(errno));
        return 1;
      }
      continue;
    }
    char *av[] = {argv[i], NULL};
    fflush(stdout);
    execve(argv[i], av, environ);
    printf("%s: %s\n", argv[i], strerrorname_np(errno));
  }
  return 3;
}
