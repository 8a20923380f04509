// eintr [--periodic] N [getppid|getpid|stat PATH|open PATH]: N raw calls (getppid by default;
// getpid; newfstatat or openat of PATH, each fd closed) while SIGALRM comes every 50 us on average
// (20 kHz, ITIMER_REAL) to a handler installed without SA_RESTART. Natively these calls never
// fail; under a seccomp user-notification supervisor, a signal that arrives after the call was
// notified and before the supervisor received it interrupts it (EINTR). Prints one line:
//   eintr K calls N signals S wrong W ns T
// W counts results that are neither EINTR nor what the call gives without signals (the first call's
// result, made before the timer starts): under a correct supervisor it is 0. T is the loop's wall
// time. K*T/(N*S) estimates the window itself (EINTR per call times the mean time between signals).
//
// The kernel re-arms a periodic ITIMER_REAL only when its SIGALRM is dequeued, i.e. handled
// (dequeue_signal, kernel/signal.c), and a signal that comes while the call is received waits for
// its answer: each signal then comes 50 us after the end of a call, at the same point of the
// loop's cycle every time, so the rate depends on how long the whole cycle is (the answer
// included), not only on the window before the supervisor receives the call. By default the
// handler therefore re-arms the timer itself with a pseudo-random delay of 25-75 us (mean 50):
// signals land at any point of the cycle and K/N measures the window. --periodic keeps the
// kernel's periodic re-arming (the figures before 2026-11-27 evening).
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
static int periodic;            // --periodic
static volatile sig_atomic_t stopping;
static unsigned long long lcg;  // the delays' generator (64-bit LCG, Knuth's MMIX constants)

static void on_alarm(int sig) {
  (void)sig;
  alarms++;
  if (periodic || stopping) return;
  lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
  struct itimerval next = {{0, 0}, {0, 25 + (long)((lcg >> 33) % 51)}};
  setitimer(ITIMER_REAL, &next, NULL);
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
  if (argc > 1 && strcmp(argv[1], "--periodic") == 0) {
    periodic = 1;
    argv++;
    argc--;
  }
  if (argc == 3 && strcmp(argv[2], "getpid") == 0) kind = 1;
  else if (argc == 4 && strcmp(argv[2], "stat") == 0) kind = 2, path = argv[3];
  else if (argc == 4 && strcmp(argv[2], "open") == 0) kind = 3, path = argv[3];
  else if (argc < 2 || !(argc == 2 || (argc == 3 && strcmp(argv[2], "getppid") == 0))) {
    fprintf(stderr, "usage: eintr [--periodic] N [getppid|getpid|stat PATH|open PATH]\n");
    return 2;
  }
  long n = atol(argv[1]);
  lcg = (unsigned long long)getpid();
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
  stopping = 1;
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  printf("eintr %ld calls %ld signals %ld wrong %ld ns %lld\n", eintr, n, (long)alarms, wrong, ns);
  return 0;
}
