// exec-signalled PROGRAM ARGS...: execs PROGRAM while a second thread sends the exec'ing thread
// SIGUSR1 30 ms later; the handler exits 7. Under a supervisor that holds the notified execve
// longer than that, the signal is pending when the call returns: the thread dies between an exec
// the engines turned into another (a #! script's interpreter) and that next exec. Exit 1 when the
// exec fails.
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pid_t main_tid;

static void on_usr1(int sig) {
  (void)sig;
  _exit(7);
}

static void *signaller(void *arg) {
  (void)arg;
  struct timespec ts = {0, 30 * 1000 * 1000};
  nanosleep(&ts, NULL);
  syscall(SYS_tgkill, getpid(), main_tid, SIGUSR1);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct sigaction sa = {0};
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, NULL);
  main_tid = (pid_t)syscall(SYS_gettid);
  pthread_t t;
  pthread_create(&t, NULL, signaller, NULL);
  execv(argv[1], argv + 1);
  perror("execv");
  return 1;
}
