// cwdcalls DIR...: chdir's to each DIR in turn (raw syscalls; relative, absolute, through symlinks,
// "..") and after each prints what getcwd says: with room to spare, in a buffer exactly its size,
// one byte short (ERANGE: natively the buffer is left untouched), at an unmapped address and in a
// read-only page (EFAULT).
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(int argc, char **argv) {
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 1; i < argc; i++) {
    long r = syscall(SYS_chdir, argv[i]);
    printf("chdir %s: %s\n", argv[i], err(r));
    char big[4096];
    long n = syscall(SYS_getcwd, big, sizeof big);
    if (n < 0) {
      printf("getcwd: %s\n", err(n));
      continue;
    }
    printf("getcwd: %ld %s\n", n, big);
    char exact[4096];
    memset(exact, 'x', sizeof exact);
    long e = syscall(SYS_getcwd, exact, (size_t)n);
    printf("getcwd exact: %s %s\n", err(e), e == n && memcmp(exact, big, (size_t)n) == 0 ? "same" : "differs");
    char shortb[4096];
    memset(shortb, 'x', sizeof shortb);
    long s = syscall(SYS_getcwd, shortb, (size_t)n - 1);
    size_t touched = 0;
    for (size_t k = 0; k < sizeof shortb; k++) touched += shortb[k] != 'x';
    printf("getcwd short: %s, %zu bytes of the buffer changed\n", err(s), touched);
    printf("getcwd unmapped: %s\n", err(syscall(SYS_getcwd, (char *)8, sizeof big)));
    printf("getcwd read-only: %s\n", err(syscall(SYS_getcwd, ro, (size_t)4096)));
  }
  return 0;
}
