// Path calls made raw, one per pair of arguments: OP PATH [PATH2]. Prints "OP PATH: OK ..." or
// "OP PATH: ERRNO" (the errno's name), so that a native and a virtualized run compare exactly.
// The ops ending in "at" pass a real directory fd (the cwd, opened) as their dirfd, so that an
// absolute PATH tests that the kernel's rule (an absolute path ignores the dirfd) holds.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char* type(mode_t m) {
  return S_ISDIR(m) ? "dir" : S_ISREG(m) ? "file" : S_ISLNK(m) ? "link" : "other";
}

static void result(const char* op, const char* p, long r, const char* extra) {
  if (r < 0) printf("%s %s: %s\n", op, p, strerrorname_np(errno));
  else printf("%s %s: OK%s%s\n", op, p, extra ? " " : "", extra ? extra : "");
}

int main(int argc, char** argv) {
  struct stat st;
  char buf[4096];
  int D = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); // a real dirfd for the *at ops
  if (D < 0) { perror("pathop: open ."); return 1; }
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* op = argv[i];
    const char* p = argv[i + 1];
    long r;
    if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
      r = syscall(SYS_newfstatat, AT_FDCWD, p, &st, op[0] == 'l' ? AT_SYMLINK_NOFOLLOW : 0);
      result(op, p, r, r == 0 ? type(st.st_mode) : NULL);
    } else if (!strcmp(op, "open") || !strcmp(op, "creat") || !strcmp(op, "opath") || !strcmp(op, "opathdir")) {
      int flags = !strcmp(op, "open") ? O_RDONLY : !strcmp(op, "creat") ? O_CREAT | O_WRONLY : !strcmp(op, "opath") ? O_PATH : O_PATH | O_DIRECTORY;
      r = syscall(SYS_openat, AT_FDCWD, p, flags, 0644);
      if (r >= 0) {
        int fd = (int)r;
        int fl = fcntl(fd, F_GETFL);
        fstat(fd, &st);
        snprintf(buf, sizeof buf, "%s%s", type(st.st_mode), (fl & O_PATH) ? " O_PATH" : "");
        close(fd);
        result(op, p, 0, buf);
      } else result(op, p, r, NULL);
    } else if (!strcmp(op, "opathat") && i + 2 < argc) {
      // An O_PATH directory fd used as a dirfd: NAME read through it.
      int dir = (int)syscall(SYS_openat, AT_FDCWD, p, O_PATH | O_DIRECTORY);
      if (dir < 0) { result(op, p, -1, NULL); i++; continue; }
      int fd = openat(dir, argv[i + 2], O_RDONLY);
      ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
      if (n >= 0) buf[n] = 0;
      char* nl = n > 0 ? strchr(buf, '\n') : NULL;
      if (nl) *nl = 0;
      result(op, argv[i + 2], n, n >= 0 ? buf : NULL);
      if (fd >= 0) close(fd);
      close(dir);
      i++;
    } else if (!strcmp(op, "mkdir")) {
      result(op, p, syscall(SYS_mkdir, p, 0755), NULL);
    } else if (!strcmp(op, "rmdir")) {
      result(op, p, syscall(SYS_rmdir, p), NULL);
    } else if (!strcmp(op, "unlink")) {
      result(op, p, syscall(SYS_unlink, p), NULL);
    } else if (!strcmp(op, "readlink")) {
      r = syscall(SYS_readlink, p, buf, sizeof buf - 1);
      if (r >= 0) buf[r] = 0;
      result(op, p, r, r >= 0 ? buf : NULL);
    } else if (!strcmp(op, "chdir")) {
      r = syscall(SYS_chdir, p);
      result(op, p, r, r == 0 && getcwd(buf, sizeof buf) ? buf : NULL);
    } else if (!strcmp(op, "access")) {
      result(op, p, syscall(SYS_access, p, F_OK), NULL);
    } else if (!strcmp(op, "rename") && i + 2 < argc) {
      result(op, p, syscall(SYS_rename, p, argv[i + 2]), argv[i + 2]);
      i++;
    } else if (!strcmp(op, "symlink") && i + 2 < argc) {
      result(op, argv[i + 2], syscall(SYS_symlink, p, argv[i + 2]), p);
      i++;
    } else if ((!strcmp(op, "renameat") || !strcmp(op, "linkat") || !strcmp(op, "symlinkat")) && i + 2 < argc) {
      const char* q = argv[i + 2];
      r = op[0] == 'r' ? syscall(SYS_renameat2, D, p, D, q, 0) : op[0] == 'l' ? syscall(SYS_linkat, D, p, D, q, 0) : syscall(SYS_symlinkat, p, D, q);
      result(op, op[0] == 's' ? q : p, r, op[0] == 's' ? p : q);
      i++;
    } else if (!strcmp(op, "unlinkat") || !strcmp(op, "rmdirat")) {
      result(op, p, syscall(SYS_unlinkat, D, p, op[0] == 'r' ? AT_REMOVEDIR : 0), NULL);
    } else if (!strcmp(op, "mkdirat")) {
      result(op, p, syscall(SYS_mkdirat, D, p, 0755), NULL);
    } else if (!strcmp(op, "mknodat")) {
      result(op, p, syscall(SYS_mknodat, D, p, S_IFIFO | 0644, 0), NULL);
    } else if (!strcmp(op, "readlinkat")) {
      r = syscall(SYS_readlinkat, D, p, buf, sizeof buf - 1);
      if (r >= 0) buf[r] = 0;
      result(op, p, r, r >= 0 ? buf : NULL);
    } else if (!strcmp(op, "faccessat")) {
      result(op, p, syscall(SYS_faccessat, D, p, R_OK), NULL);
    } else if (!strcmp(op, "faccessat2")) {
      result(op, p, syscall(SYS_faccessat2, D, p, R_OK, AT_EACCESS), NULL);
    } else if (!strcmp(op, "fchmodat")) {
      result(op, p, syscall(SYS_fchmodat, D, p, 0600), NULL);
    } else if (!strcmp(op, "fchownat")) {
      result(op, p, syscall(SYS_fchownat, D, p, getuid(), 0, AT_SYMLINK_NOFOLLOW), NULL);
    } else if (!strcmp(op, "utimensat")) {
      struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
      r = syscall(SYS_utimensat, D, p, ts, AT_SYMLINK_NOFOLLOW);
      if (r == 0 && fstatat(D, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime != 1000000000) r = -1, errno = EINVAL;
      result(op, p, r, NULL);
    } else if (!strcmp(op, "futimens")) {
      // utimensat(fd, NULL, ...): acts on the fd itself.
      int fd = (int)syscall(SYS_openat, AT_FDCWD, p, O_WRONLY);
      struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
      r = fd < 0 ? -1 : syscall(SYS_utimensat, fd, NULL, ts, 0);
      if (r == 0 && fstat(fd, &st) == 0 && st.st_mtime != 1000000000) r = -1, errno = EINVAL;
      if (fd >= 0) close(fd);
      result(op, p, r, NULL);
    } else if (!strcmp(op, "exec")) {
      // execve(PATH, [PATH, "x"], environ): on success the program's output follows.
      fflush(stdout);
      char* args[] = {(char*)p, "x", NULL};
      extern char** environ;
      result(op, p, syscall(SYS_execve, p, args, environ), NULL);
    } else if (!strcmp(op, "creatat")) {
      r = syscall(SYS_openat, D, p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
      if (r >= 0) close((int)r);
      result(op, p, r, NULL);
    } else if (!strcmp(op, "opathat1")) {
      r = syscall(SYS_openat, D, p, O_PATH | O_NOFOLLOW);
      if (r >= 0) fstat((int)r, &st), close((int)r);
      result(op, p, r, r >= 0 ? type(st.st_mode) : NULL);
    } else if (!strcmp(op, "xattrerr")) {
      // The checks the kernel makes before the lookup (setxattr_copy: flags, the name as
      // import_xattr_name takes it, the size, the value), then the lookup's own answer: one line
      // each, "xattrerr-CASE PATH: ...". No call changes anything (XATTR_REPLACE of a name no
      // file has).
      static char big[65537];
      char n255[256], n256[257];
      memcpy(n255, "user.", 5), memset(n255 + 5, 'x', 250), n255[255] = 0;
      memcpy(n256, "user.", 5), memset(n256 + 5, 'x', 251), n256[256] = 0;
      result("xattrerr-setxattr-flags", p, syscall(SYS_setxattr, p, "user.a", "v", 1, 0x10), NULL);
      result("xattrerr-setxattr-empty", p, syscall(SYS_setxattr, p, "", "v", 1, XATTR_REPLACE), NULL);
      result("xattrerr-lsetxattr-256", p, syscall(SYS_lsetxattr, p, n256, "v", 1, XATTR_REPLACE), NULL);
      result("xattrerr-setxattr-255", p, syscall(SYS_setxattr, p, n255, "v", 1, XATTR_REPLACE), NULL);
      result("xattrerr-setxattr-e2big", p, syscall(SYS_setxattr, p, "user.a", big, sizeof big, XATTR_REPLACE), NULL);
      result("xattrerr-setxattr-value", p, syscall(SYS_setxattr, p, "user.a", (void*)8, 1, XATTR_REPLACE), NULL);
      result("xattrerr-setxattr-name", p, syscall(SYS_setxattr, p, (void*)8, "v", 1, XATTR_REPLACE), NULL);
      result("xattrerr-getxattr-256", p, syscall(SYS_getxattr, p, n256, buf, 16), NULL);
      result("xattrerr-lgetxattr-empty", p, syscall(SYS_lgetxattr, p, "", buf, 16), NULL);
      result("xattrerr-removexattr-256", p, syscall(SYS_removexattr, p, n256), NULL);
      result("xattrerr-lremovexattr-empty", p, syscall(SYS_lremovexattr, p, ""), NULL);
    } else {
      fprintf(stderr, "pathop: unknown op %s\n", op);
      return 2;
    }
  }
  return 0;
}
