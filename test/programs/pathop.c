// Path calls made raw, one per pair of arguments: OP PATH [PATH2]. Prints "OP PATH: OK ..." or
// "OP PATH: ERRNO" (the errno's name), so that a native and a virtualized run compare exactly.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
    } else {
      fprintf(stderr, "pathop: unknown op %s\n", op);
      return 2;
    }
  }
  return 0;
}
