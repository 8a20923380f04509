/* Three threads, one at a time, open a missing file and /etc/hostname, then call getppid; exits 3.
 * Its system calls do not depend on timing (the corpus test compares runs): the threads take
 * turns through a spin lock, not a mutex (a contended mutex makes futex calls, an uncontended one
 * none), and main joins a thread only once it is gone (pthread_join waits on a futex only if the
 * thread still runs; pthread_tryjoin_np makes no system call while it does). The failing open is
 * inside the lock too: the kernel takes the lowest free fd number before the lookup fails
 * (do_sys_openat2: get_unused_fd_flags, then do_filp_open), so another thread's open of
 * /etc/hostname at that moment got 4 instead of 3 (seen under load with trace, which does not stop threads). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
static pthread_spinlock_t lock;
static void *worker(void *arg) {
  char path[64];
  snprintf(path, sizeof path, "/nonexistent/thread-%ld", (long)arg);
  /* One at a time, so that the fd numbers do not depend on timing. */
  pthread_spin_lock(&lock);
  int fd = open(path, O_RDONLY);
  (void)fd;
  fd = open("/etc/hostname", O_RDONLY);
  char buf[16];
  if (fd >= 0) { (void)!read(fd, buf, sizeof buf); close(fd); }
  pthread_spin_unlock(&lock);
  getppid();
  return NULL;
}
int main(void) {
  pthread_t t[3];
  pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
  for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < 3; i++)
    while (pthread_tryjoin_np(t[i], NULL) == EBUSY) __builtin_ia32_pause();
  (void)!write(1, "done\n", 5);
  return 3;
}
