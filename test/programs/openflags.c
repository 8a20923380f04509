// Test tracee for the flag checks of the open family (test/emulate-open-flags.test.ts): opens
// DIR/f (a file), DIR/d (a directory) and DIR/nN (absent) with flag and mode values the kernel
// cleans or refuses (build_open_how / build_open_flags in fs/open.c), by open, openat and creat;
// prints "call flags target -> ok" or "-> errno E" for each.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char* name; long flags; long mode; } kCases[] = {
    {"-1", -1, 0},
    {"-1/0777", -1, 0777},
    {"0x80000000", (long)0x80000000u, 0},
    {"acc3", 3, 0},
    {"creat|dir", O_CREAT | O_DIRECTORY | O_RDWR, 0600},
    {"creat|mode>07777", O_CREAT | O_RDWR, 0170777},
    {"tmpfile|rdonly", O_TMPFILE | O_RDONLY, 0600},
    {"tmpfile|rdwr", O_TMPFILE | O_RDWR, 0600},
    {"__tmpfile-nodir", O_TMPFILE & ~O_DIRECTORY, 0600},
    {"path|rdwr|trunc", O_PATH | O_RDWR | O_TRUNC, 0},
    {"path|creat", O_PATH | O_CREAT, 0600},
    {"dir", O_DIRECTORY, 0},
    {"rdonly|trunc", O_RDONLY | O_TRUNC, 0},
    {"sync-only", 04000000, 0},
    {"unknown-bits", 0x40000000 | O_RDONLY, 0},
};

static void show(const char* call, const char* name, const char* target, long r) {
  if (r >= 0) {
    printf("%s %s %s -> ok\n", call, name, target);
    close((int)r);
  } else {
    printf("%s %s %s -> errno %d\n", call, name, target, errno);
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: openflags DIR\n");
    return 2;
  }
  const char* targets[] = {"f", "d", "n"};
  int n = 0;
  for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; i++) {
    for (int t = 0; t < 3; t++) {
      char p[4096];
      if (t == 2) snprintf(p, sizeof p, "%s/n%d", argv[1], n++);
      else snprintf(p, sizeof p, "%s/%s", argv[1], targets[t]);
      show("open", kCases[i].name, targets[t], syscall(SYS_open, p, kCases[i].flags, kCases[i].mode));
      if (t == 2) snprintf(p, sizeof p, "%s/n%d", argv[1], n++);
      show("openat", kCases[i].name, targets[t], syscall(SYS_openat, AT_FDCWD, p, kCases[i].flags, kCases[i].mode));
    }
  }
  char p[4096];
  snprintf(p, sizeof p, "%s/c", argv[1]);
  show("creat", "0170777", "c", syscall(SYS_creat, p, 0170777));
  show("creat", "again", "c", syscall(SYS_creat, p, 0600));
  return 0;
}
