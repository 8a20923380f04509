// Test tracee for writes into tracee memory (test/memory-protect.test.ts).
//
// protect outputs DIR: calls whose output goes to memory the program cannot write (its own code,
// a PROT_READ page) on DIR/f (a file with the xattr user.sv) and DIR/l (a symlink); prints one line
// per call ("name r=R errno=E"), then "done": the kernel answers EFAULT and the program goes on.
// protect exec-shared FILE: FILE holds a NUL-terminated path; maps it MAP_SHARED and execs that
// path from the mapping; prints "execve errno=E" if the exec returns.
// protect control-null MAGIC: the control call of a nested sysvisor (prctl MAGIC, hello) with a
// NULL response buffer; prints "control r=R errno=E".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static void show(const char* name, long r) {
  printf("%s r=%ld errno=%d\n", name, r, r < 0 ? errno : 0);
  fflush(stdout);
  errno = 0;
}

int main(int argc, char** argv);

static int outputs(const char* dir) {
  char f[4096], l[4096];
  snprintf(f, sizeof f, "%s/f", dir);
  snprintf(l, sizeof l, "%s/l", dir);
  if (setxattr(f, "user.sv", "hello", 5, 0) != 0) show("setxattr", -1);
  void* code = (void*)&main;
  char* ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ro == MAP_FAILED) return 3;
  show("stat-code", syscall(SYS_stat, f, code));
  show("stat-ro", syscall(SYS_stat, f, ro));
  show("lstat-ro", syscall(SYS_lstat, l, ro));
  show("newfstatat-ro", syscall(SYS_newfstatat, AT_FDCWD, f, ro, 0));
  show("statx-ro", syscall(SYS_statx, AT_FDCWD, f, 0, 0x7ff, ro));
  show("readlink-ro", syscall(SYS_readlink, l, ro, 64));
  show("readlink-code", syscall(SYS_readlink, l, code, 64));
  show("getxattr-ro", syscall(SYS_getxattr, f, "user.sv", ro, 64));
  show("listxattr-ro", syscall(SYS_listxattr, f, ro, 64));
  // The page is still intact: nothing was written into it.
  int zero = 1;
  for (int i = 0; i < 4096; i++) zero &= ro[i] == 0;
  printf("ro untouched=%d\n", zero);
  printf("done\n");
  return 0;
}

static int exec_shared(const char* file) {
  int fd = open(file, O_RDWR);
  if (fd < 0) return 3;
  char* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return 3;
  char* argv[] = {"true", NULL};
  char* envp[] = {NULL};
  syscall(SYS_execve, p, argv, envp);
  printf("execve errno=%d\n", errno);
  return 0;
}

static int control_null(const char* magic) {
  const char req[] = "{}";
  long r = syscall(SYS_prctl, strtol(magic, NULL, 0), 1L, req, (long)sizeof req - 1, 0L, 4096L);
  printf("control r=%ld errno=%d\n", r, r < 0 ? errno : 0);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && !strcmp(argv[1], "control-null")) return control_null(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "outputs")) return outputs(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "exec-shared")) return exec_shared(argv[2]);
  fprintf(stderr, "usage: protect outputs DIR | exec-shared FILE | control-null MAGIC\n");
  return 2;
}
