// eintr N [getppid|getpid|stat PATH|open PATH]: N raw calls (getppid by default; getpid; newfstatat
// or openat of PATH, each fd closed) while SIGALRM comes every 50 us (20 kHz, ITIMER_REAL) to a
// handler installed without SA_RESTART. Natively these calls never
// fail; under a seccomp user-notification supervisor, a signal that arrives after the call was
// notified and before the supervisor received it interrupts it (EINTR). Prints one line:
//   eintr K calls N signals S wrong W ns T
// W counts results that are neither EINTR nor what the call gives without signals (the first call's
// result, made before the timer starts): under a correct supervisor it is 0. T is the loop's wall
// time. K/N depends on how long a supervisor takes to answer, not only on the window before it
// receives a call: the timer re-arms 50 us after each signal is handled, and a signal that comes
// while the call is already received waits for the answer. K*T/(N*S) estimates the window itself
// (EINTR per call times the mean time between signals).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

// One call; returns its result (-errno on failure). An fd is closed (close is not notified).
static long call(int kind, const char *path) {
  struct stat st;
  long r;
  switch (kind) {
    case 1: r = syscall(SYS_getpid); break;
    case 2: r = syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0); break;
    case 3:
      r = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
      if (r >= 0) {
        close((int)r);
        r = 0;  // the number may vary; an fd is the result
      }
      break;
    default: r = syscall(SYS_getppid); break;
  }
  return r < 0 ? -errno : r;
}

int main(int argc, char **argv) {
  int kind = 0;
  const char *path = NULL;
  if (argc == 3 && strcmp(argv[2], "getpid") == 0) kind = 1;
  else if (argc == 4 && strcmp(argv[2], "stat") == 0) kind = 2, path = argv[3];
  else if (argc == 4 && strcmp(argv[2], "open") == 0) kind = 3, path = argv[3];
  else if (!(argc == 2 || (argc == 3 && strcmp(argv[2], "getppid") == 0))) {
    fprintf(stderr, "usage: eintr N [getppid|getpid|stat PATH|open PATH]\n");
    return 2;
  }
  long n = atol(argv[1]);
  long expected = call(kind, path);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;  // no SA_RESTART
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGALRM, &sa, NULL) != 0) return 1;
  struct itimerval it = {{0, 50}, {0, 50}};
  if (setitimer(ITIMER_REAL, &it, NULL) != 0) return 1;
  long eintr = 0, wrong = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    long r = call(kind, path);
    if (r == -EINTR) eintr++;
    else if (r != expected) wrong++;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  printf("eintr %ld calls %ld signals %ld wrong %ld ns %lld\n", eintr, n, (long)alarms, wrong, ns);
  return 0;
}
