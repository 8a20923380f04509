// Test tracee for the privilege suite: prints its effective uid and capabilities (as the kernel
// gave them at exec: a setcap or setuid copy of it shows what it gained), then calls getppid N times.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  char line[256];
  FILE* f = fopen("/proc/self/status", "r");
  if (!f) return 1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "CapEff:", 7) == 0) printf("CapEff %s", line + 8);
  }
  fclose(f);
  printf("euid %d\n", (int)geteuid());
  fflush(stdout);
  long n = argc > 1 ? atol(argv[1]) : 0;
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  return 0;
}
