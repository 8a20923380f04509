/* Three threads open a missing file, then (one at a time) /etc/hostname, then call getppid; exits 3. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *worker(void *arg) {
  char path[64];
  snprintf(path, sizeof path, "/nonexistent/thread-%ld", (long)arg);
  int fd = open(path, O_RDONLY);
  (void)fd;
  /* One at a time, so that the fd numbers do not depend on timing. */
  pthread_mutex_lock(&lock);
  fd = open("/etc/hostname", O_RDONLY);
  char buf[16];
  if (fd >= 0) { (void)!read(fd, buf, sizeof buf); close(fd); }
  pthread_mutex_unlock(&lock);
  getppid();
  return NULL;
}
int main(void) {
  pthread_t t[3];
  for (long i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  (void)!write(1, "done\n", 5);
  return 3;
}
