// opensoak PATH REF THREADS MIN: THREADS threads open PATH (read-only) in a loop, each at least MIN
// times and until SIGTERM, and check every answer: the fd must be new (not 0, 1 or 2, which stay
// open), and reading it must give REF's bytes (REF is read first, natively). SIGINT, SIGUSR1 and
// SIGHUP are counted (handlers with SA_RESTART: a plain open never fails with EINTR then).
// Prints "ready" once the threads run, then one line:
//   opens N wrong W errors E errno X leaked L signals S
// wrong: an answer that is not a readable fd of REF's content (e.g. 0 with nothing installed);
// errors: opens that failed (X: the last errno); leaked: fds open at the end that were not at the
// start. Exit status 0 when W, E and L are all 0, else 1.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *path;
static char ref[4096];
static ssize_t ref_len;
static long min_each;
static atomic_long opens, wrong, errors, last_errno, signals;
static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  if (sig == SIGTERM) stop = 1;
  else atomic_fetch_add(&signals, 1);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory's own fd
}

static void *worker(void *arg) {
  (void)arg;
  char buf[sizeof ref];
  for (long i = 0; i < min_each || !stop; i++) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    atomic_fetch_add(&opens, 1);
    if (fd < 0) {
      atomic_fetch_add(&errors, 1);
      atomic_store(&last_errno, errno);
      continue;
    }
    if (fd <= 2) {  // stdin/out/err stay open: a real open never returns them
      atomic_fetch_add(&wrong, 1);
      continue;
    }
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    if (n != ref_len || memcmp(buf, ref, (size_t)n) != 0) atomic_fetch_add(&wrong, 1);
    close(fd);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: opensoak PATH REF THREADS MIN\n");
    return 2;
  }
  path = argv[1];
  int threads = atoi(argv[3]);
  min_each = atol(argv[4]);
  if (threads < 1 || threads > 64) {
    fprintf(stderr, "opensoak: THREADS must be 1..64\n");
    return 2;
  }
  int rfd = open(argv[2], O_RDONLY | O_CLOEXEC);
  if (rfd < 0 || (ref_len = read(rfd, ref, sizeof ref)) < 0) {
    fprintf(stderr, "opensoak: %s: %s\n", argv[2], strerror(errno));
    return 2;
  }
  close(rfd);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGINT, SIGUSR1, SIGUSR2, SIGHUP, SIGTERM};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  int fds_before = count_fds();
  pthread_t t[64];
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, NULL);
  printf("ready\n");
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  int leaked = count_fds() - fds_before;
  printf("opens %ld wrong %ld errors %ld errno %ld leaked %d signals %ld\n", atomic_load(&opens), atomic_load(&wrong),
         atomic_load(&errors), atomic_load(&last_errno), leaked, atomic_load(&signals));
  return atomic_load(&wrong) || atomic_load(&errors) || leaked ? 1 : 0;
}
