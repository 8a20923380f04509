/* select and pselect6 as the raw syscalls, with results that do not depend on timing: sets given
 * and NULL, ready descriptors in and out, an empty set, a timeout that expires, a zero timeout,
 * no timeout, a bad descriptor (EBADF) and nfds beyond 64 (two words per set). */
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sel(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
  return syscall(SYS_select, n, r, w, e, tv);
}
static long psel(int n, fd_set *r, fd_set *w, fd_set *e, struct timespec *ts) {
  return syscall(SYS_pselect6, n, r, w, e, ts, NULL);
}

int main(void) {
  int p[2];
  if (pipe(p) || write(p[1], "x", 1) != 1) return 1;
  fd_set r, w, e;
  struct timeval tv;
  struct timespec ts;

  /* Both ends: the read end readable, the write end writable. */
  FD_ZERO(&r); FD_ZERO(&w); FD_ZERO(&e);
  FD_SET(p[0], &r); FD_SET(p[1], &r); FD_SET(p[1], &w); FD_SET(p[0], &e);
  tv.tv_sec = 0; tv.tv_usec = 0;
  sel(p[1] + 1, &r, &w, &e, &tv);
  /* No timeout. */
  FD_ZERO(&r); FD_SET(p[0], &r);
  sel(p[0] + 1, &r, NULL, NULL, NULL);
  /* A timeout that expires: nothing readable on the write end's read side. */
  FD_ZERO(&r); FD_SET(p[1], &e);
  FD_ZERO(&w);
  tv.tv_sec = 0; tv.tv_usec = 1000;
  sel(p[1] + 1, NULL, &w, NULL, &tv);
  /* pselect6: ready at once, zero timeout; then out only; then a timeout that expires. */
  FD_ZERO(&r); FD_SET(p[0], &r);
  ts.tv_sec = 0; ts.tv_nsec = 0;
  psel(p[0] + 1, &r, NULL, NULL, &ts);
  FD_ZERO(&w); FD_SET(p[1], &w);
  psel(p[1] + 1, NULL, &w, NULL, NULL);
  FD_ZERO(&r);
  ts.tv_sec = 0; ts.tv_nsec = 2000000;
  psel(1, &r, NULL, NULL, &ts);
  /* A descriptor that is not open: EBADF. */
  FD_ZERO(&r); FD_SET(40, &r);
  psel(41, &r, NULL, NULL, &ts);
  /* nfds beyond 64: the sets are two words. */
  int hi = dup2(p[0], 100);
  FD_ZERO(&r); FD_SET(hi, &r); FD_SET(p[0], &r);
  ts.tv_sec = 0; ts.tv_nsec = 0;
  psel(hi + 1, &r, NULL, NULL, &ts);
  return 0;
}
