// A signal handler on an alternate signal stack makes a path call with its stack pointer near the
// bottom of that stack; below the alternate stack lies a page of the program's own data.
//
//   altstack PATH ROOM [stat]
//
// Maps nine pages: the lowest holds a pattern (the program's data), the eight above are the
// alternate signal stack (sigaltstack). A SIGUSR1 handler (SA_ONSTACK) makes openat(PATH) (with
// `stat`: newfstatat(PATH, AT_SYMLINK_NOFOLLOW), its struct stat in the program's data) with
// its stack pointer set to ROOM bytes above the bottom of the alternate stack (the call itself
// uses no stack of the program), then main checks the pattern. Prints one line and exits 0:
//   open=OK|ERRNO-NAME data=intact|overwritten      (stat=... with `stat`)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096

static unsigned char *base;
static const char *path;
static long room;
static long result;
static int use_stat;
static struct stat st;

static void handler(int sig) {
  (void)sig;
  unsigned char *sp = base + PAGE + room;
  long r;
  if (use_stat) {
    register long r10 __asm__("r10") = AT_SYMLINK_NOFOLLOW;
    __asm__ volatile(
        "mov %%rsp, %%rbx\n\t"
        "mov %[sp], %%rsp\n\t"
        "syscall\n\t"
        "mov %%rbx, %%rsp"
        : "=a"(r)
        : "a"((long)SYS_newfstatat), "D"((long)AT_FDCWD), "S"(path), "d"(&st), "r"(r10), [sp] "r"(sp)
        : "rbx", "rcx", "r11", "memory");
    result = r;
    return;
  }
  __asm__ volatile(
      "mov %%rsp, %%rbx\n\t"
      "mov %[sp], %%rsp\n\t"
      "syscall\n\t"
      "mov %%rbx, %%rsp"
      : "=a"(r)
      : "a"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path), "d"((long)(O_RDONLY | O_CLOEXEC)), [sp] "r"(sp)
      : "rbx", "rcx", "r11", "memory");
  result = r;
}

int main(int argc, char **argv) {
  if (argc != 3 && !(argc == 4 && strcmp(argv[3], "stat") == 0)) {
    fprintf(stderr, "usage: altstack PATH ROOM [stat]\n");
    return 2;
  }
  use_stat = argc == 4;
  path = argv[1];
  room = atol(argv[2]);
  if (room < 0 || room > 8 * PAGE) return fprintf(stderr, "altstack: ROOM must be 0..%d\n", 8 * PAGE), 2;
  base = mmap(NULL, 9 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return perror("mmap"), 1;
  memset(base, 0xa5, PAGE);
  stack_t ss = {.ss_sp = base + PAGE, .ss_flags = 0, .ss_size = 8 * PAGE};
  if (sigaltstack(&ss, NULL) != 0) return perror("sigaltstack"), 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_ONSTACK;
  if (sigaction(SIGUSR1, &sa, NULL) != 0) return perror("sigaction"), 1;
  raise(SIGUSR1);
  int intact = 1;
  for (int i = 0; i < PAGE; i++) intact &= base[i] == 0xa5;
  if (result >= 0 && !use_stat) close((int)result);
  printf("%s=%s", use_stat ? "stat" : "open", result >= 0 ? "OK" : strerrorname_np((int)-result));
  printf(" data=%s\n", intact ? "intact" : "overwritten");
  return 0;
}
