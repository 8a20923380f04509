// stall PATH REF: two processes under one supervisor. A starts a thread that spins (it uses up
// whatever CPU A is given), then opens PATH once and checks it reads REF's bytes. B makes getppid
// calls until A is done and counts them. Prints "A ok" (or "A wrong"/"A errno N") and
// "B calls N". PROBE_OUT: write stdout to this file.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
  volatile int a_done;
  volatile long b_calls;
};

static void *spin(void *arg) {
  volatile unsigned long *n = arg;
  for (;;) (*n)++;
  return NULL;
}

static int run_a(const char *path, const char *refpath) {
  static unsigned long spins;
  pthread_t t;
  pthread_create(&t, NULL, spin, (void *)&spins);
  char ref[4096], got[4096];
  int rfd = open(refpath, O_RDONLY | O_CLOEXEC);
  ssize_t rn = rfd < 0 ? -1 : read(rfd, ref, sizeof ref);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("A errno %d\n", errno);
    return 1;
  }
  ssize_t n = pread(fd, got, sizeof got, 0);
  int ok = fd > 2 && rn >= 0 && n == rn && memcmp(ref, got, (size_t)n) == 0;
  printf(ok ? "A ok\n" : "A wrong\n");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *out = getenv("PROBE_OUT");
  if (out && !freopen(out, "w", stdout)) return 3;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc != 3) {
    fprintf(stderr, "usage: stall PATH REF\n");
    return 2;
  }
  struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) return 3;
  pid_t b = fork();
  if (b == 0) {
    while (!sh->a_done) {
      syscall(SYS_getppid);
      sh->b_calls++;
    }
    _exit(0);
  }
  // B is running before A opens.
  while (sh->b_calls == 0) usleep(100);
  pid_t a = fork();
  if (a == 0) _exit(run_a(argv[1], argv[2]));
  int st_a, st_b;
  waitpid(a, &st_a, 0);
  sh->a_done = 1;
  waitpid(b, &st_b, 0);
  printf("B calls %ld\n", sh->b_calls);
  return WIFEXITED(st_a) && WEXITSTATUS(st_a) == 0 ? 0 : 1;
}
