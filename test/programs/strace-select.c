/* select and pselect6 as the raw syscalls, with results that do not depend on timing: sets given
 * and NULL, ready descriptors in and out, an empty set, a timeout that expires, a zero timeout,
 * no timeout, a bad descriptor (EBADF), nfds beyond 64 (two words per set) and pselect6's signal
 * mask argument. */
#include <signal.h>
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
/* pselect6's sixth argument: the mask during the wait and its size. */
struct sigmask_arg { const unsigned long *ss; unsigned long len; };
static long psel_mask(int n, fd_set *r, struct timespec *ts, struct sigmask_arg *m) {
  return syscall(SYS_pselect6, n, r, NULL, NULL, ts, m);
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
  /* A signal mask for the wait, and a mask argument without a set. */
  unsigned long mask = (1UL << (SIGHUP - 1)) | (1UL << (SIGUSR1 - 1));
  struct sigmask_arg m = { &mask, 8 }, none = { NULL, 8 };
  FD_ZERO(&r); FD_SET(p[0], &r);
  psel_mask(p[0] + 1, &r, &ts, &m);
  psel_mask(p[0] + 1, &r, &ts, &none);
  return 0;
}
