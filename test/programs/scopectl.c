// A client of sysvisor's control call written without sysvisor's code, as an attacker would:
//   scopectl push SPEC [nnp] [sibling] -- CMD
//                                    pushes a scope with engine SPEC for a child running CMD; the
//                                    child gets no_new_privs only with "nnp"; prints the answer;
//                                    with "sibling", once the scope exists, a second child without
//                                    no_new_privs runs CMD too (a process of the scope that can
//                                    gain privileges)
//   scopectl nest N SPEC             N nested scopes, each pushed by the previous level's command
//                                    (no_new_privs set): prints one line per push, then "peak",
//                                    and waits for EOF on stdin before unwinding
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTROL_MAGIC 0x53565652
enum { OP_PUSH = 2, OP_POP = 3 };

static char resp[65536];

static long control(int op, const char* req) {
  memset(resp, 0, sizeof resp);
  return prctl(CONTROL_MAGIC, op, req, strlen(req), resp, sizeof resp);
}

// Forks a child held on a pipe until release(); it then execs argv. Returns once the child has
// set no_new_privs (when asked), so that a push made next sees it.
static pid_t held_child(char** argv, int* release_fd, int nnp) {
  int p[2], ready[2];
  if (pipe(p) < 0 || pipe(ready) < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[1]);
    close(ready[0]);
    if (nnp) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    close(ready[1]);
    char c;
    if (read(p[0], &c, 1) != 1) _exit(125);
    close(p[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(p[0]);
  close(ready[1]);
  char c;
  while (read(ready[0], &c, 1) < 0 && errno == EINTR) {
  }
  close(ready[0]);
  *release_fd = p[1];
  return pid;
}

static int run_pushed(const char* spec, char** argv, int nnp, int sibling) {
  int rel;
  pid_t pid = held_child(argv, &rel, nnp);
  if (pid < 0) return 1;
  char req[4096];
  snprintf(req, sizeof req, "{\"engines\":[\"%s\"],\"pid\":%d}", spec, (int)pid);
  long r = control(OP_PUSH, req);
  int ok = r > 0 && strstr(resp, "\"ok\":true") != NULL;
  printf("push %s: %s\n", ok ? "ok" : "refused", r > 0 ? resp : strerror(errno));
  fflush(stdout);
  if (!ok) {
    close(rel);
    waitpid(pid, NULL, 0);
    return 2;
  }
  int scope = atoi(strstr(resp, "\"scope\":") + 8);
  (void)!write(rel, "g", 1);
  close(rel);
  int status = 0;
  waitpid(pid, &status, 0);
  if (sibling) {
    pid_t s = fork();
    if (s == 0) {
      execv(argv[0], argv);
      _exit(127);
    }
    waitpid(s, NULL, 0);
  }
  snprintf(req, sizeof req, "{\"scope\":%d}", scope);
  control(OP_POP, req);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char** argv) {
  if (argc >= 5 && strcmp(argv[1], "push") == 0) {
    int nnp = 0, sibling = 0, cmd = 3;
    for (; cmd < argc && strcmp(argv[cmd], "--") != 0; cmd++) {
      if (strcmp(argv[cmd], "nnp") == 0) nnp = 1;
      else if (strcmp(argv[cmd], "sibling") == 0) sibling = 1;
      else return 2;
    }
    if (++cmd >= argc) return 2;
    return run_pushed(argv[2], argv + cmd, nnp, sibling);
  }
  if (argc == 4 && strcmp(argv[1], "nest") == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int n = atoi(argv[2]);
    if (n > 0) {
      char next[16];
      snprintf(next, sizeof next, "%d", n - 1);
      char self[4096];
      ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
      if (len < 0) return 1;
      self[len] = 0;
      char* child[] = {self, "nest", next, argv[3], NULL};
      int r = run_pushed(argv[3], child, 0, 0);
      if (r != 2) return r;
    }
    printf("peak\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {}
    return 0;
  }
  fprintf(stderr, "usage: scopectl push SPEC [nnp] -- CMD... | nest N SPEC\n");
  return 2;
}
