/* Four threads each open, read and close /etc/hostname and call getppid, three times. */
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
static void *work(void *arg) {
  char buf[64];
  for (int i = 0; i < 3; i++) {
    int fd = open("/etc/hostname", O_RDONLY);
    read(fd, buf, sizeof buf);
    close(fd);
    getppid();
  }
  return arg;
}
int main(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, work, NULL);
  work(NULL);
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  return 0;
}
