/* Waits for the gate, then makes exactly argv[1] getppid syscalls (never cached by libc). */
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(int argc, char **argv) {
  char c;
  if (argc < 2 || read(0, &c, 1) != 1) return 2;
  long n = atol(argv[1]);
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  return 0;
}
