// The calls of `ls -la` on each PATH given (stat, lstat, statx without following, getxattr and
// lgetxattr of user.sv), and getxattr/lgetxattr with their operands where the pump reads them from:
// the name (user.sv) in the middle of a page, across a page boundary, ending on the last byte of
// a page before an unreadable one, running into an unreadable page (EFAULT), in an unreadable page
// (EFAULT), NULL (EFAULT); names of 255 bytes (ENODATA) and 256 (ERANGE); a buffer too small
// (ERANGE) and none (the size); the path itself across a page boundary, with the name across
// another. Then what setxattr and removexattr refuse before the lookup: unknown flags (EINVAL), a
// value over 64 KiB (E2BIG), an unreadable value (EFAULT), a NULL name (EFAULT); and removexattr
// of an absent name (ENODATA). Nothing is changed. One line per call and path (32), without the
// path, so that a native and a virtualized run compare exactly:
//   CALL: OK dev=D ino=I mode=M nlink=N size=S     (stat family)
//   CALL: OK VALUE | CALL: OK SIZE | CALL: ERRNO-NAME
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

static void fail(const char* call) { printf("%s: %s\n", call, strerrorname_np(errno)); }

static void stat_line(const char* call, long r, const struct stat* st) {
  if (r < 0) return fail(call);
  printf("%s: OK dev=%lu ino=%lu mode=%o nlink=%lu size=%ld\n", call, (unsigned long)st->st_dev, (unsigned long)st->st_ino,
         st->st_mode, (unsigned long)st->st_nlink, (long)st->st_size);
}

// getxattr (or lgetxattr when NOFOLLOW) of NAME with a buffer of SIZE bytes (none when 0).
static void xattr_line(const char* call, const char* p, const char* name, size_t size, int nofollow) {
  char buf[512];
  long r = syscall(nofollow ? SYS_lgetxattr : SYS_getxattr, p, name, size ? buf : NULL, size);
  if (r < 0) return fail(call);
  if (size == 0) return (void)printf("%s: OK %ld\n", call, r);
  buf[r] = 0;
  printf("%s: OK %s\n", call, buf);
}

// Two pages, the second unreadable when NONE: a string placed to end AT bytes into the pair.
static char* pages(int none) {
  long pg = sysconf(_SC_PAGESIZE);
  char* m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) exit(1);
  if (none && mprotect(m + pg, pg, PROT_NONE) != 0) exit(1);
  return m;
}

// S (LEN bytes, no NUL added) copied to start OFF bytes before the second page.
static char* place(char* m, const char* s, size_t len, long off) {
  char* at = m + sysconf(_SC_PAGESIZE) - off;
  memcpy(at, s, len);
  return at;
}

int main(int argc, char** argv) {
  long pg = sysconf(_SC_PAGESIZE);
  char* across = pages(0);         // user.| sv\0
  char* end = pages(1);            // user.sv\0| (unreadable)
  char* into = pages(1);           // user.sv| (unreadable, no NUL)
  char* none = pages(1) + pg;      // the unreadable page
  char* path_across = pages(0);    // the path across a page boundary
  const char* name_across = place(across, "user.sv", 8, 5);
  const char* name_end = place(end, "user.sv", 8, 8);
  const char* name_into = place(into, "user.sv", 7, 7);
  char n255[256], n256[257];
  memset(n255, 'a', sizeof n255);
  memcpy(n255, "user.", 5);
  n255[255] = 0;
  memset(n256, 'a', sizeof n256);
  memcpy(n256, "user.", 5);
  n256[256] = 0;
  for (int i = 1; i < argc; i++) {
    const char* p = argv[i];
    size_t len = strlen(p) + 1;
    const char* p_across = place(path_across, p, len, (long)(len / 2));
    struct stat st;
    struct statx sx;
    memset(&st, 0, sizeof st);
    stat_line("stat", syscall(SYS_stat, p, &st), &st);
    stat_line("lstat", syscall(SYS_lstat, p, &st), &st);
    memset(&sx, 0, sizeof sx);
    long r = syscall(SYS_statx, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx);
    if (r < 0) fail("statx");
    else
      printf("statx: OK ino=%llu mode=%o nlink=%u size=%llu\n", (unsigned long long)sx.stx_ino, sx.stx_mode, sx.stx_nlink,
             (unsigned long long)sx.stx_size);
    for (int nofollow = 0; nofollow < 2; nofollow++) {
      xattr_line("plain", p, "user.sv", 64, nofollow);
      xattr_line("across", p, name_across, 64, nofollow);
      xattr_line("end", p, name_end, 64, nofollow);
      xattr_line("into", p, name_into, 64, nofollow);
      xattr_line("none", p, none, 64, nofollow);
      xattr_line("null", p, NULL, 64, nofollow);
      xattr_line("n255", p, n255, 64, nofollow);
      xattr_line("n256", p, n256, 64, nofollow);
      xattr_line("small", p, "user.sv", 2, nofollow);
      xattr_line("size", p, "user.sv", 0, nofollow);
      xattr_line("path-across", p_across, name_across, 64, nofollow);
      xattr_line("absent", p, "user.none", 64, nofollow);
    }
    r = syscall(SYS_setxattr, p, "user.sv", "value", 5, 4);
    r < 0 ? fail("setxattr-flags") : (void)printf("setxattr-flags: OK\n");
    r = syscall(SYS_setxattr, p, "user.sv", "value", 65537, XATTR_REPLACE);
    r < 0 ? fail("setxattr-big") : (void)printf("setxattr-big: OK\n");
    r = syscall(SYS_lsetxattr, p, "user.sv", NULL, 5, XATTR_REPLACE);
    r < 0 ? fail("lsetxattr-value") : (void)printf("lsetxattr-value: OK\n");
    r = syscall(SYS_removexattr, p, NULL);
    r < 0 ? fail("removexattr-null") : (void)printf("removexattr-null: OK\n");
    r = syscall(SYS_lremovexattr, p, "user.none");
    r < 0 ? fail("lremovexattr") : (void)printf("lremovexattr: OK\n");
  }
  return 0;
}
