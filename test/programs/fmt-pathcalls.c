// Tracee for the formatter test against strace: the path calls whose arguments the syscall table
// types beyond the path (file types and devices, symlink targets, xattr names and values, lists),
// each made directly so that libc picks no other call. argv[1]: an empty directory to work in.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(int argc, char **argv) {
  char buf[64];
  if (argc != 2 || chdir(argv[1]) != 0) return 2;
  close(open("file", O_WRONLY | O_CREAT, 0600));
  syscall(SYS_mknod, "fifo", S_IFIFO | 0644, 0);
  syscall(SYS_mknodat, AT_FDCWD, "null2", S_IFCHR | 0600, makedev(1, 3));
  syscall(SYS_symlinkat, "file", AT_FDCWD, "lnk");
  syscall(SYS_symlink, "missing", "lnk2");
  syscall(SYS_setxattr, "file", "user.test", "value", 5, 0);
  syscall(SYS_lsetxattr, "file", "user.more", "v2", 2, 0);
  syscall(SYS_getxattr, "file", "user.test", buf, sizeof buf);
  syscall(SYS_lgetxattr, "lnk", "user.none", buf, sizeof buf);
  syscall(SYS_listxattr, "file", buf, sizeof buf);
  syscall(SYS_removexattr, "file", "user.test");
  syscall(SYS_lremovexattr, "file", "user.more");
  syscall(SYS_utime, "file", NULL);
  syscall(SYS_utimes, "file", NULL);
  syscall(SYS_futimesat, AT_FDCWD, "file", NULL);
  syscall(SYS_unlinkat, AT_FDCWD, "null2", 0);
  return 0;
}
