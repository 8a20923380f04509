// eintr N [SYSCALL]: N raw calls (getppid by default, or getpid) while SIGALRM comes every 50 us
// (20 kHz, ITIMER_REAL) to a handler installed without SA_RESTART. Natively these calls never
// fail; under a seccomp user-notification supervisor, a signal that arrives after the call was
// notified and before the supervisor received it interrupts it (EINTR). Prints one line:
//   eintr K calls N signals S
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: eintr N [getppid|getpid]\n");
    return 2;
  }
  long n = atol(argv[1]);
  long nr = argc == 3 && strcmp(argv[2], "getpid") == 0 ? SYS_getpid : SYS_getppid;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;  // no SA_RESTART
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGALRM, &sa, NULL) != 0) return 1;
  struct itimerval it = {{0, 50}, {0, 50}};
  if (setitimer(ITIMER_REAL, &it, NULL) != 0) return 1;
  long eintr = 0;
  for (long i = 0; i < n; i++)
    if (syscall(nr) < 0 && errno == EINTR) eintr++;
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("eintr %ld calls %ld signals %ld\n", eintr, n, (long)alarms);
  return 0;
}
