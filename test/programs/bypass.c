// Test tracee for the completeness option: syscalls that a seccomp filter written for x86_64
// numbers does not see as such. Prints one line per attempt:
//   int80 R          getpid through the i386 entry (int 0x80, number 20): R is its result, or
//   int80 signal N   where the kernel has no i386 entry (tried in a child: it dies of SIGSEGV)
//   x32 R            getpid with the x32 bit set in the number: R is the raw result
//   io_uring_setup R a new io_uring (its fd, or -errno)
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long int80_getpid(void) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "r8", "r9", "r10", "r11", "memory");
  return ret;
}

static long x32_getpid(void) {
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(0x40000000L | 39L) : "rcx", "r11", "memory");
  return ret;
}

int main(void) {
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    printf("int80 %ld\n", int80_getpid());
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) printf("int80 signal %d\n", WTERMSIG(status));
  printf("x32 %ld\n", x32_getpid());
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  long fd = syscall(SYS_io_uring_setup, 4, &p);
  printf("io_uring_setup %ld\n", fd < 0 ? -(long)errno : fd);
  return 0;
}
