// loop SYSCALL N: makes N raw calls of SYSCALL (getppid or getpid) through syscall(2) in a tight
// loop, then exits 0. The subject of the benchmarks: run natively, under the C floor supervisor,
// under sysvisor or under strace.
//
// On stdout it prints one line with the time the loop itself took (CLOCK_MONOTONIC, read through
// the vDSO, so no syscall of its own):
//   loop getppid 100000 calls 452123456 ns
// The benchmark uses it as a cross-check of the whole-process figure (which includes start-up).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: loop getppid|getpid N\n");
    return 2;
  }
  long nr;
  if (strcmp(argv[1], "getppid") == 0)
    nr = SYS_getppid;
  else if (strcmp(argv[1], "getpid") == 0)
    nr = SYS_getpid;
  else {
    fprintf(stderr, "loop: unknown syscall '%s' (getppid or getpid)\n", argv[1]);
    return 2;
  }
  char *end;
  long long n = strtoll(argv[2], &end, 10);
  if (*argv[2] == '\0' || *end != '\0' || n < 0) {
    fprintf(stderr, "loop: bad count '%s'\n", argv[2]);
    return 2;
  }
  long long t0 = now_ns();
  for (long long i = 0; i < n; i++) syscall(nr);
  long long t1 = now_ns();
  printf("loop %s %lld calls %lld ns\n", argv[1], n, t1 - t0);
  return 0;
}
