/* sparse N US [BURST]: N getppid calls in bursts of BURST (default 1) back to back, each burst
 * made US microseconds (at least: nanosleep) after the last one. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) return 2;
  long n = atol(argv[1]), us = atol(argv[2]), burst = argc == 4 ? atol(argv[3]) : 1;
  if (burst < 1) return 2;
  struct timespec d = {us / 1000000, (us % 1000000) * 1000};
  for (long i = 0; i < n; i++) {
    syscall(SYS_getppid);
    if ((i + 1) % burst == 0) nanosleep(&d, NULL);
  }
  return 0;
}
