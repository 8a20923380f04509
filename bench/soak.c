// soak THREADS CALLS REALDIR VIEWDIR: THREADS threads make CALLS intercepted calls each, alternating
// openat and newfstatat of VIEWDIR/fI (thread I's own file, seen through an engine), and check
// every result against what REALDIR/fI natively is: the opened fd must be that file (fstat: same
// device and inode; read: its content), the stat must give its inode and size. A call answered
// with another thread's result, a stray value, a lost fd or an error counts as wrong. The files
// fI (I < THREADS) must exist with content of I+1 bytes (made by the caller).
// Whoever runs it samples the supervisor's RSS: a line "warm" is printed once every thread has made
// 5% of its calls, then at the end one line
//   soak threads T calls N wrong W ns NS
// after which it waits for the end of its stdin (the caller reads the supervisor's RSS meanwhile).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64

static long calls;
static int nthreads;
static const char *realdir, *viewdir;
static atomic_long wrong;
static pthread_barrier_t warm_barrier;

static void *worker(void *arg) {
  long i = (long)arg;
  char real[4096], view[4096];
  snprintf(real, sizeof real, "%s/f%ld", realdir, i);
  snprintf(view, sizeof view, "%s/f%ld", viewdir, i);
  struct stat want;
  if (stat(real, &want) != 0 || want.st_size != i + 1) {
    fprintf(stderr, "soak: %s: missing or not %ld bytes\n", real, i + 1);
    exit(2);
  }
  long bad = 0, warm_at = calls / 20;
  for (long k = 0; k < calls; k++) {
    if (k == warm_at) {
      // Every thread warmed up: one of them says so.
      if (pthread_barrier_wait(&warm_barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
        printf("warm\n");
        fflush(stdout);
      }
    }
    if (k % 2 == 0) {
      long fd = syscall(SYS_openat, AT_FDCWD, view, O_RDONLY | O_CLOEXEC);
      struct stat st;
      char buf[MAX_THREADS + 2];
      if (fd < 0 || fstat((int)fd, &st) != 0 || st.st_ino != want.st_ino || st.st_dev != want.st_dev ||
          pread((int)fd, buf, sizeof buf, 0) != i + 1) {
        bad++;
      }
      if (fd >= 0) close((int)fd);
    } else {
      struct stat st;
      long r = syscall(SYS_newfstatat, AT_FDCWD, view, &st, 0);
      if (r != 0 || st.st_ino != want.st_ino || st.st_size != want.st_size) bad++;
    }
  }
  atomic_fetch_add(&wrong, bad);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5 || atoi(argv[1]) < 1 || atoi(argv[1]) > MAX_THREADS || atol(argv[2]) < 1) {
    fprintf(stderr, "usage: soak THREADS(1-%d) CALLS REALDIR VIEWDIR\n", MAX_THREADS);
    return 2;
  }
  nthreads = atoi(argv[1]);
  calls = atol(argv[2]);
  realdir = argv[3];
  viewdir = argv[4];
  pthread_barrier_init(&warm_barrier, NULL, (unsigned)nthreads);
  pthread_t t[MAX_THREADS];
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < nthreads; i++) {
    if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
      perror("soak: pthread_create");
      return 1;
    }
  }
  for (int i = 0; i < nthreads; i++) pthread_join(t[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  printf("soak threads %d calls %ld wrong %ld ns %lld\n", nthreads, calls * nthreads, (long)atomic_load(&wrong), ns);
  fflush(stdout);
  char c;
  for (;;) {
    ssize_t r = read(0, &c, 1);
    if (r > 0 || (r < 0 && errno == EINTR)) continue;
    break;
  }
  return 0;
}
