// The calls the pump runs under native plans (src/chain/emulate/native.ts), made raw on each PATH
// given: stat, lstat, newfstatat (no follow), statx, access, faccessat, faccessat2 (AT_EACCESS),
// readlink, readlinkat (a 5-byte buffer: a truncated target), getxattr of user.sv (its value),
// lgetxattr of it (its size, no buffer), open (O_RDONLY), openat
// (O_NOFOLLOW|O_CLOEXEC), creat (of PATH-c, mode 0666 under umask 027; then unlinked; its inode
// number shown as 0), listxattr (the names), llistxattr (the size, no buffer), setxattr of user.sv
// (XATTR_REPLACE, its own value), lsetxattr of it (XATTR_CREATE|XATTR_REPLACE), removexattr and
// lremovexattr of user.none, chown and lchown to -1 -1 (no change), mkdir of PATH-d (0777) and
// mkdirat of PATH-e (0700), each lstat'd (its mode and owner; PATH-d's times first set by
// utimensat, its mtime shown) and removed, fchownat of PATH-d to the caller's ids. One line per
// call and path, without the path, so that a native and a virtualized run compare exactly:
//   CALL: OK dev=D ino=I mode=M nlink=N uid=U gid=G size=S mtime=T    (stat family)
//   CALL: OK TARGET                                                   (readlink family, getxattr)
//   lgetxattr: OK SIZE
//   CALL: OK fd=N fl=FLAGS cloexec=C ino=I mode=M uid=U size=S head=H  (open family: the fd's
//         number, F_GETFL, F_GETFD, fstat, its first bytes)
//   CALL: OK | CALL: ERRNO-NAME
// %XX in a PATH is the byte XX (paths that are not UTF-8).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static void fail(const char* call) { printf("%s: %s\n", call, strerrorname_np(errno)); }

static void stat_line(const char* call, long r, const struct stat* st) {
  if (r < 0) return fail(call);
  printf("%s: OK dev=%lu ino=%lu mode=%o nlink=%lu uid=%u gid=%u size=%ld mtime=%ld\n", call, (unsigned long)st->st_dev,
         (unsigned long)st->st_ino, st->st_mode, (unsigned long)st->st_nlink, st->st_uid, st->st_gid, (long)st->st_size,
         (long)st->st_mtime);
}

static void link_line(const char* call, long r, char* buf) {
  if (r < 0) return fail(call);
  buf[r] = 0;
  printf("%s: OK %s\n", call, buf);
}

// created: a new file each run, whose inode number is not compared.
static void fd_line(const char* call, long r, int created) {
  if (r < 0) return fail(call);
  int fd = (int)r;
  struct stat st;
  char head[8] = {0};
  int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
  if (fstat(fd, &st) < 0) return fail(call);
  ssize_t n = S_ISREG(st.st_mode) && (fl & O_ACCMODE) != O_WRONLY ? pread(fd, head, sizeof head - 1, 0) : 0;
  if (n < 0) n = 0;
  head[n] = 0;
  for (ssize_t k = 0; k < n; k++) if (head[k] < ' ') head[k] = '.';
  printf("%s: OK fd=%d fl=%o cloexec=%d ino=%lu mode=%o uid=%u size=%ld head=%s\n", call, fd, fl, fdfl & FD_CLOEXEC,
         created ? 0UL : (unsigned long)st.st_ino, st.st_mode, st.st_uid, (long)st.st_size, head);
  close(fd);
}

// %XX -> the byte XX, in place.
static void unescape(char* s) {
  char* o = s;
  for (; *s; s++) {
    unsigned v;
    if (s[0] == '%' && s[1] && s[2] && sscanf(s + 1, "%2x", &v) == 1) {
      *o++ = (char)v;
      s += 2;
    } else {
      *o++ = *s;
    }
  }
  *o = 0;
}

int main(int argc, char** argv) {
  // nativecalls --setxattr PATH: sets user.sv to "value" on PATH (for the test's tree).
  if (argc == 3 && strcmp(argv[1], "--setxattr") == 0) return setxattr(argv[2], "user.sv", "value", 5, 0) == 0 ? 0 : (perror("setxattr"), 1);
  umask(027);
  for (int i = 1; i < argc; i++) {
    unescape(argv[i]);
    const char* p = argv[i];
    struct stat st;
    struct statx sx;
    char buf[4096];
    long r;
    memset(&st, 0, sizeof st);
    r = syscall(SYS_stat, p, &st);
    stat_line("stat", r, &st);
    r = syscall(SYS_lstat, p, &st);
    stat_line("lstat", r, &st);
    r = syscall(SYS_newfstatat, AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW);
    stat_line("newfstatat", r, &st);
    memset(&sx, 0, sizeof sx);
    r = syscall(SYS_statx, AT_FDCWD, p, 0, STATX_BASIC_STATS, &sx);
    if (r < 0) fail("statx");
    else
      printf("statx: OK mask=%x ino=%llu mode=%o nlink=%u uid=%u size=%llu mtime=%lld\n", sx.stx_mask & STATX_BASIC_STATS,
             (unsigned long long)sx.stx_ino, sx.stx_mode, sx.stx_nlink, sx.stx_uid, (unsigned long long)sx.stx_size,
             (long long)sx.stx_mtime.tv_sec);
    r = syscall(SYS_access, p, R_OK);
    r < 0 ? fail("access") : (void)printf("access: OK\n");
    r = syscall(SYS_faccessat, AT_FDCWD, p, X_OK);
    r < 0 ? fail("faccessat") : (void)printf("faccessat: OK\n");
    r = syscall(SYS_faccessat2, AT_FDCWD, p, W_OK, AT_EACCESS);
    r < 0 ? fail("faccessat2") : (void)printf("faccessat2: OK\n");
    r = syscall(SYS_readlink, p, buf, sizeof buf - 1);
    link_line("readlink", r, buf);
    r = syscall(SYS_readlinkat, AT_FDCWD, p, buf, 5);
    link_line("readlinkat", r, buf);
    r = syscall(SYS_getxattr, p, "user.sv", buf, sizeof buf - 1);
    link_line("getxattr", r, buf);
    r = syscall(SYS_lgetxattr, p, "user.sv", NULL, 0);
    r < 0 ? fail("lgetxattr") : (void)printf("lgetxattr: OK %ld\n", r);
    r = syscall(SYS_open, p, O_RDONLY);
    fd_line("open", r, 0);
    r = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    fd_line("openat", r, 0);
    snprintf(buf, sizeof buf, "%s-c", p);
    r = syscall(SYS_creat, buf, 0666);
    fd_line("creat", r, 1);
    if (r >= 0) unlink(buf);
    r = syscall(SYS_listxattr, p, buf, sizeof buf - 1);
    if (r < 0) fail("listxattr");
    else {
      for (long k = 0; k < r; k++) if (buf[k] == 0) buf[k] = ',';
      buf[r] = 0;
      printf("listxattr: OK %s\n", buf);
    }
    r = syscall(SYS_llistxattr, p, NULL, 0);
    r < 0 ? fail("llistxattr") : (void)printf("llistxattr: OK %ld\n", r);
    // setxattr replaces user.sv by the same value (nothing changes; ENODATA where it is not);
    // lsetxattr asks for both XATTR_CREATE and XATTR_REPLACE (never a change: EEXIST where it is,
    // ENODATA where not, EPERM on a symlink, whose user.* attributes cannot be written).
    r = syscall(SYS_setxattr, p, "user.sv", "value", 5, XATTR_REPLACE);
    r < 0 ? fail("setxattr") : (void)printf("setxattr: OK\n");
    r = syscall(SYS_lsetxattr, p, "user.sv", "value", 5, XATTR_CREATE | XATTR_REPLACE);
    r < 0 ? fail("lsetxattr") : (void)printf("lsetxattr: OK\n");
    r = syscall(SYS_removexattr, p, "user.none");
    r < 0 ? fail("removexattr") : (void)printf("removexattr: OK\n");
    r = syscall(SYS_lremovexattr, p, "user.none");
    r < 0 ? fail("lremovexattr") : (void)printf("lremovexattr: OK\n");
    r = syscall(SYS_chown, p, -1, -1);
    r < 0 ? fail("chown") : (void)printf("chown: OK\n");
    r = syscall(SYS_lchown, p, -1, -1);
    r < 0 ? fail("lchown") : (void)printf("lchown: OK\n");
    char dir2[4200];
    snprintf(buf, sizeof buf, "%s-d", p);
    snprintf(dir2, sizeof dir2, "%s-e", p);
    const char* made[2] = {buf, dir2};
    for (int k = 0; k < 2; k++) {
      const char* call = k == 0 ? "mkdir" : "mkdirat";
      r = k == 0 ? syscall(SYS_mkdir, buf, 0777) : syscall(SYS_mkdirat, AT_FDCWD, dir2, 0700);
      if (r < 0) fail(call);
      if (k == 0) {
        struct timespec ts[2] = {{1000000000, 5}, {1000000007, 0}};
        r = syscall(SYS_utimensat, AT_FDCWD, buf, ts, AT_SYMLINK_NOFOLLOW);
        r < 0 ? fail("utimensat") : (void)printf("utimensat: OK\n");
      }
      r = syscall(SYS_lstat, made[k], &st);
      if (r < 0) fail("lstat");
      else printf("%s: OK mode=%o uid=%u mtime=%ld\n", call, st.st_mode, st.st_uid, k == 0 ? (long)st.st_mtime : 0L);
    }
    r = syscall(SYS_fchownat, AT_FDCWD, buf, getuid(), getgid(), AT_SYMLINK_NOFOLLOW);
    r < 0 ? fail("fchownat") : (void)printf("fchownat: OK\n");
    rmdir(buf);
    rmdir(dir2);
  }
  return 0;
}
