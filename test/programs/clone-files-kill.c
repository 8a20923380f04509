// clone-files-kill PATH ROUNDS: a child sharing this process's fd table (clone CLONE_FILES, a
// process of its own) opens and closes PATH in a loop; it is SIGKILLed at a random moment, ROUNDS
// times. A child killed in the middle of an open leaves what the kernel installed for it in the
// shared table (natively: the open completes before the signal acts; under a supervisor that
// installs the fd: installed, then the answer finds the call gone). After each round the table is
// scanned: every fd beyond those open at the start must be PATH (the child's own, none other, and
// at most one per round), and is closed. Prints one line:
//   rounds R leftover L wrong W
// W counts fds that are not PATH, rounds with more than one leftover, and failed opens.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXFD 1024

static const char *path;

static int child(void *arg) {
  (void)arg;
  for (;;) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) _exit(1);
    close(fd);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3 || atoi(argv[2]) < 1) {
    fprintf(stderr, "usage: clone-files-kill PATH ROUNDS\n");
    return 2;
  }
  path = argv[1];
  int rounds = atoi(argv[2]);
  struct stat want;
  if (stat(path, &want) != 0) {
    perror(path);
    return 2;
  }
  static char open_at_start[MAXFD];
  for (int fd = 0; fd < MAXFD; fd++) open_at_start[fd] = fcntl(fd, F_GETFD) >= 0;
  size_t stack_size = 256 * 1024;
  char *stack = malloc(stack_size);
  if (!stack) return 1;
  srand((unsigned)getpid());
  long leftover = 0, wrong = 0;
  for (int r = 0; r < rounds; r++) {
    pid_t pid = clone(child, stack + stack_size, CLONE_FILES | SIGCHLD, NULL);
    if (pid < 0) {
      perror("clone");
      return 1;
    }
    struct timespec ts = {0, (long)(rand() % 2000) * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!WIFSIGNALED(st)) wrong++;  // its open failed
    int here = 0;
    for (int fd = 0; fd < MAXFD; fd++) {
      if (open_at_start[fd] || fcntl(fd, F_GETFD) < 0) continue;
      struct stat st2;
      if (fstat(fd, &st2) != 0 || st2.st_dev != want.st_dev || st2.st_ino != want.st_ino) wrong++;
      here++;
      close(fd);
    }
    if (here > 1) wrong++;
    leftover += here;
  }
  printf("rounds %d leftover %ld wrong %ld\n", rounds, leftover, wrong);
  return 0;
}
