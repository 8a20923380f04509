/* A parent kills its child with SIGTERM and reaps it after its SIGCHLD handler ran; prints the
 * child's wait status. Its system calls and signals do not depend on timing (the corpus test
 * compares runs): the child blocks SIGTERM, says it is ready over a pipe and only then waits for
 * it (rt_sigsuspend delivers the pending signal whenever it came); the parent blocks SIGCHLD
 * until its own rt_sigsuspend likewise. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile sig_atomic_t got;
static void on_chld(int sig) { got = sig; }
int main(void) {
  sigset_t block, none;
  sigemptyset(&none);
  sigemptyset(&block);
  sigaddset(&block, SIGCHLD);
  sigaddset(&block, SIGTERM);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sigaction(SIGCHLD, &sa, NULL);
  sigprocmask(SIG_BLOCK, &block, NULL);
  int p[2];
  if (pipe(p) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    (void)!write(p[1], "r", 1);
    sigsuspend(&none); /* SIGTERM (default action) ends it here */
    _exit(9);
  }
  char c;
  (void)!read(p[0], &c, 1);
  kill(child, SIGTERM);
  while (!got) sigsuspend(&none);
  int status = 0;
  waitpid(child, &status, 0);
  char out[64];
  int n = snprintf(out, sizeof out, "%s %d\n", WIFSIGNALED(status) ? "killed by" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
  (void)!write(1, out, n);
  return 0;
}
