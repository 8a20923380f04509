// Every path syscall of the x86_64 table, made raw (no libc translation), on a scratch directory
// given as argv[1]; prints one line per call with the result and what can be compared between a
// native and a virtualized run (no inode numbers, no times other than those set here).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

static char R[4096];
static char buf[8192];

static const char* P(const char* rel) {
  static char out[8][4096];
  static int i;
  i = (i + 1) % 8;
  snprintf(out[i], sizeof out[i], "%s/%s", R, rel);
  return out[i];
}

static void show(const char* what, long r) {
  printf("%-18s %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

static void showstat(const char* what, long r, struct stat* st) {
  if (r < 0) show(what, r);
  else printf("%-18s %ld mode=%o size=%ld nlink=%ld uid=%u gid=%u\n", what, r, st->st_mode, (long)st->st_size,
              (long)st->st_nlink, st->st_uid, st->st_gid);
}

int main(int argc, char** argv) {
  snprintf(R, sizeof R, "%s", argv[1]);
  struct stat st;
  long r;
  umask(022);

  r = syscall(SYS_mkdir, P("d"), 0777); show("mkdir", r);
  r = syscall(SYS_mkdirat, AT_FDCWD, P("d/e"), 0700); show("mkdirat", r);
  r = syscall(SYS_open, P("d/f"), O_CREAT | O_WRONLY | O_TRUNC, 0666); show("open creat", r >= 0 ? 0 : r);
  if (r >= 0) { (void)!write((int)r, "hello\n", 6); close((int)r); }
  r = syscall(SYS_creat, P("d/g"), 0600); show("creat", r >= 0 ? 0 : r); if (r >= 0) close((int)r);
  r = syscall(SYS_openat, AT_FDCWD, P("d/f"), O_RDONLY); show("openat", r >= 0 ? 0 : r);
  if (r >= 0) { ssize_t n = read((int)r, buf, sizeof buf); printf("read %zd %.*s", n, (int)(n > 0 ? n : 0), buf); close((int)r); }
  struct open_how how = {.flags = O_RDONLY, .resolve = 0};
  r = syscall(SYS_openat2, AT_FDCWD, P("d/f"), &how, sizeof how); show("openat2", r >= 0 ? 0 : r); if (r >= 0) close((int)r);
  how.resolve = RESOLVE_NO_SYMLINKS;
  r = syscall(SYS_openat2, AT_FDCWD, P("d/f"), &how, sizeof how); show("openat2 resolve", r >= 0 ? 0 : r); if (r >= 0) close((int)r);
  r = syscall(SYS_open, P("d/missing"), O_RDONLY); show("open missing", r);
  r = syscall(SYS_open, P("d/f/x"), O_RDONLY); show("open notdir", r);

  r = syscall(SYS_stat, P("d/f"), &st); showstat("stat", r, &st);
  r = syscall(SYS_symlink, "f", P("d/l")); show("symlink", r);
  r = syscall(SYS_symlinkat, "/nonexistent-target", AT_FDCWD, P("d/dangling")); show("symlinkat", r);
  r = syscall(SYS_lstat, P("d/l"), &st); printf("lstat islnk=%d size=%ld\n", S_ISLNK(st.st_mode), (long)st.st_size);
  r = syscall(SYS_stat, P("d/l"), &st); showstat("stat via link", r, &st);
  r = syscall(SYS_newfstatat, AT_FDCWD, P("d/l"), &st, AT_SYMLINK_NOFOLLOW); printf("newfstatat nofollow islnk=%d\n", S_ISLNK(st.st_mode));
  r = syscall(SYS_newfstatat, AT_FDCWD, P("d/dangling"), &st, 0); show("newfstatat dangling", r);
  struct statx sx;
  r = syscall(SYS_statx, AT_FDCWD, P("d/f"), 0, STATX_BASIC_STATS, &sx); printf("statx %ld size=%llu mode=%o\n", r, (unsigned long long)sx.stx_size, sx.stx_mode);
  r = syscall(SYS_statx, AT_FDCWD, P("d/l"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx); printf("statx nofollow %ld islnk=%d\n", r, S_ISLNK(sx.stx_mode));

  r = syscall(SYS_access, P("d/f"), R_OK | W_OK); show("access", r);
  r = syscall(SYS_access, P("d/f"), X_OK); show("access x", r);
  r = syscall(SYS_faccessat, AT_FDCWD, P("d/e"), X_OK); show("faccessat", r);
  r = syscall(SYS_faccessat2, AT_FDCWD, P("d/l"), R_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS); show("faccessat2", r);

  memset(buf, 0, sizeof buf);
  r = syscall(SYS_readlink, P("d/l"), buf, sizeof buf); printf("readlink %ld %s\n", r, r > 0 ? buf : strerror(errno));
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_readlinkat, AT_FDCWD, P("d/dangling"), buf, 4); printf("readlinkat %ld %.4s\n", r, buf);
  r = syscall(SYS_readlink, P("d/f"), buf, sizeof buf); show("readlink notlink", r);

  r = syscall(SYS_link, P("d/f"), P("d/hard")); show("link", r);
  r = syscall(SYS_linkat, AT_FDCWD, P("d/l"), AT_FDCWD, P("d/hard2"), AT_SYMLINK_FOLLOW); show("linkat follow", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("nlink %ld\n", (long)st.st_nlink);
  r = syscall(SYS_rename, P("d/hard"), P("d/hard3")); show("rename", r);
  r = syscall(SYS_renameat, AT_FDCWD, P("d/hard3"), AT_FDCWD, P("d/e/hard4")); show("renameat", r);
  r = syscall(SYS_renameat2, AT_FDCWD, P("d/e/hard4"), AT_FDCWD, P("d/g"), RENAME_NOREPLACE); show("renameat2 noreplace", r);
  r = syscall(SYS_renameat2, AT_FDCWD, P("d/e/hard4"), AT_FDCWD, P("d/g"), RENAME_EXCHANGE); show("renameat2 exchange", r);
  r = syscall(SYS_stat, P("d/g"), &st); printf("exchanged size=%ld\n", (long)st.st_size);

  r = syscall(SYS_chmod, P("d/f"), 0640); show("chmod", r);
  r = syscall(SYS_fchmodat, AT_FDCWD, P("d/l"), 0604); show("fchmodat via link", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mode %o\n", st.st_mode & 07777);
  r = syscall(SYS_chown, P("d/f"), -1, -1); show("chown", r);
  r = syscall(SYS_lchown, P("d/l"), -1, -1); show("lchown", r);
  r = syscall(SYS_fchownat, AT_FDCWD, P("d/f"), getuid(), getgid(), 0); show("fchownat", r);

  struct utimbuf ub = {1000000, 2000000};
  r = syscall(SYS_utime, P("d/f"), &ub); show("utime", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mtime %ld atime %ld\n", (long)st.st_mtime, (long)st.st_atime);
  struct timeval tv[2] = {{3000000, 5}, {4000000, 7}};
  r = syscall(SYS_utimes, P("d/f"), tv); show("utimes", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mtime %ld.%09ld\n", (long)st.st_mtime, st.st_mtim.tv_nsec);
  tv[1].tv_sec = 5000000;
  r = syscall(SYS_futimesat, AT_FDCWD, P("d/f"), tv); show("futimesat", r);
  struct timespec ts[2] = {{0, UTIME_OMIT}, {6000000, 9}};
  r = syscall(SYS_utimensat, AT_FDCWD, P("d/f"), ts, 0); show("utimensat", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mtime %ld.%09ld atime %ld\n", (long)st.st_mtime, st.st_mtim.tv_nsec, (long)st.st_atime);
  struct timeval bad[2] = {{1, 2000000}, {1, 0}};
  r = syscall(SYS_utimes, P("d/f"), bad); show("utimes einval", r);

  r = syscall(SYS_truncate, P("d/f"), 3); show("truncate", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("size %ld\n", (long)st.st_size);
  struct statfs sf;
  r = syscall(SYS_statfs, P("d"), &sf); printf("statfs %ld type=%lx\n", r, (long)sf.f_type);

  r = syscall(SYS_mknod, P("d/fifo"), S_IFIFO | 0600, 0); show("mknod fifo", r);
  r = syscall(SYS_mknodat, AT_FDCWD, P("d/fifo2"), S_IFIFO | 0666, 0); show("mknodat fifo", r);
  r = syscall(SYS_stat, P("d/fifo2"), &st); printf("fifo isfifo=%d mode=%o\n", S_ISFIFO(st.st_mode), st.st_mode & 07777);

  r = syscall(SYS_setxattr, P("d/f"), "user.k", "value", 5, 0); show("setxattr", r);
  r = syscall(SYS_lsetxattr, P("d/e"), "user.j", "v2", 2, XATTR_CREATE); show("lsetxattr", r);
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_getxattr, P("d/l"), "user.k", buf, sizeof buf); printf("getxattr %ld %s\n", r, r > 0 ? buf : strerror(errno));
  r = syscall(SYS_getxattr, P("d/f"), "user.k", NULL, 0); show("getxattr size", r);
  r = syscall(SYS_lgetxattr, P("d/l"), "user.k", buf, sizeof buf); show("lgetxattr link", r);
  r = syscall(SYS_getxattr, P("d/f"), "user.k", buf, 2); show("getxattr erange", r);
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_listxattr, P("d/f"), buf, sizeof buf); printf("listxattr %ld %s\n", r, buf);
  r = syscall(SYS_llistxattr, P("d/e"), buf, sizeof buf); printf("llistxattr %ld %s\n", r, buf);
  r = syscall(SYS_removexattr, P("d/f"), "user.k"); show("removexattr", r);
  r = syscall(SYS_lremovexattr, P("d/e"), "user.j"); show("lremovexattr", r);
  r = syscall(SYS_removexattr, P("d/f"), "user.k"); show("removexattr again", r);

  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  r = syscall(SYS_inotify_add_watch, in, P("d"), IN_CREATE); show("inotify_add_watch", r);
  r = syscall(SYS_inotify_add_watch, in, P("d/missing"), IN_CREATE); show("inotify missing", r);
  int t = (int)syscall(SYS_open, P("d/new"), O_CREAT | O_WRONLY, 0644); close(t);
  ssize_t n = read(in, buf, sizeof buf);
  struct inotify_event* ev = (struct inotify_event*)buf;
  printf("inotify event %d %s\n", n > 0 && (ev->mask & IN_CREATE) != 0, n > 0 ? ev->name : "");
  close(in);

  struct { unsigned int handle_bytes; int handle_type; unsigned char h[128]; } fh = {128, 0, {0}};
  int mnt = -1;
  r = syscall(SYS_name_to_handle_at, AT_FDCWD, P("d/f"), &fh, &mnt, 0); printf("name_to_handle_at %ld bytes=%u mnt_ok=%d\n", r, fh.handle_bytes, mnt >= 0);
  fh.handle_bytes = 0;
  r = syscall(SYS_name_to_handle_at, AT_FDCWD, P("d/f"), &fh, &mnt, 0); printf("name_to_handle_at small %ld %s bytes_needed=%u\n", r, strerror(errno), fh.handle_bytes);

  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", P("d/sock"));
  int s1 = socket(AF_UNIX, SOCK_STREAM, 0);
  r = bind(s1, (struct sockaddr*)&sa, sizeof sa); show("bind", r);
  printf("sockaddr after bind %s\n", strcmp(sa.sun_path, P("d/sock")) == 0 ? "intact" : sa.sun_path);
  listen(s1, 1);
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  r = connect(s2, (struct sockaddr*)&sa, sizeof sa); show("connect", r);
  printf("sockaddr after connect %s\n", strcmp(sa.sun_path, P("d/sock")) == 0 ? "intact" : sa.sun_path);
  int s3 = accept(s1, NULL, NULL);
  (void)!write(s2, "ping", 4);
  memset(buf, 0, 8);
  (void)!read(s3, buf, 4);
  printf("socket says %s\n", buf);
  r = syscall(SYS_stat, P("d/sock"), &st); printf("socket file issock=%d\n", S_ISSOCK(st.st_mode));
  close(s1), close(s2), close(s3);

  char path[4096];
  snprintf(path, sizeof path, "%s", P("d"));
  r = syscall(SYS_chdir, path); show("chdir", r);
  printf("chdir arg after %s\n", strcmp(path, P("d")) == 0 ? "intact" : path);
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd %d %s\n", r == (long)strlen(buf) + 1, buf);
  r = syscall(SYS_getcwd, buf, 5); show("getcwd small", r);
  r = syscall(SYS_chdir, "e"); show("chdir rel", r);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd %s\n", buf);
  r = syscall(SYS_stat, "../f", &st); showstat("stat rel", r, &st);
  r = syscall(SYS_chdir, ".."); show("chdir ..", r);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd %s\n", buf);
  r = syscall(SYS_chdir, P("d/missing")); show("chdir missing", r);
  r = syscall(SYS_chdir, P("d/f")); show("chdir notdir", r);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd still %s\n", buf);

  r = syscall(SYS_unlink, P("d/hard2")); show("unlink", r);
  r = syscall(SYS_unlinkat, AT_FDCWD, P("d/e"), 0); show("unlinkat dir", r);
  r = syscall(SYS_unlinkat, AT_FDCWD, P("d/e/hard4"), 0); show("unlinkat", r);
  r = syscall(SYS_rmdir, P("d/e")); show("rmdir", r);
  r = syscall(SYS_rmdir, P("d")); show("rmdir notempty", r);
  return 0;
}
