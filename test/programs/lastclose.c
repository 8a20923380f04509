// lastclose VIEWPATH REALPATH N: N times, opens VIEWPATH (the file through a view, or itself),
// takes an flock on it and closes it, then opens REALPATH (the same file) and tries the lock
// without waiting. Natively the close released the lock (it was the open file's last fd), so the
// second lock is always free. A supervisor that still holds a duplicate of the installed fd when
// the call returns keeps the lock held (and the file busy for exec: ETXTBSY). Prints
// "held K of N" (K must be 0) and exits 0, or 1 on an unexpected error.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: lastclose VIEWPATH REALPATH N\n");
    return 2;
  }
  long n = atol(argv[3]), held = 0;
  for (long i = 0; i < n; i++) {
    int fd = open(argv[1], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
      perror(argv[1]);
      return 1;
    }
    close(fd);
    int again = open(argv[2], O_RDWR | O_CLOEXEC);
    if (again < 0) {
      perror(argv[2]);
      return 1;
    }
    if (flock(again, LOCK_EX | LOCK_NB) < 0) {
      if (errno != EWOULDBLOCK) {
        perror("flock");
        return 1;
      }
      held++;
    }
    close(again);
  }
  printf("held %ld of %ld\n", held, n);
  return 0;
}
