// One thread flips a path buffer between two paths; the main thread opens and reads it.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static char buf[256];
static volatile int stop;
static const char *a, *b;
static void* flip(void* x) {
  (void)x;
  while (!stop) { strcpy(buf, a); strcpy(buf, b); }
  return 0;
}
int main(int argc, char** argv) {
  a = argv[1]; b = argv[2];
  int n = argc > 3 ? atoi(argv[3]) : 20000;
  strcpy(buf, a);
  pthread_t t;
  pthread_create(&t, 0, flip, 0);
  long opened = 0, secret = 0, denied = 0;
  for (int i = 0; i < n; i++) {
    int fd = open(buf, O_RDONLY);
    if (fd < 0) { denied++; continue; }
    char c[512] = {0};
    ssize_t r = read(fd, c, sizeof c - 1);
    close(fd);
    if (r > 0 && strstr(c, "root:")) secret++; else opened++;
  }
  stop = 1;
  pthread_join(t, 0);
  printf("opened=%ld secret=%ld denied=%ld\n", opened, secret, denied);
  return secret ? 1 : 0;
}
