// loop SYSCALL N, loop lstat|open PATH N: makes N raw calls through syscall(2) in a tight loop,
// then exits 0: getppid or getpid; lstat (newfstatat(AT_FDCWD, PATH, &st, AT_SYMLINK_NOFOLLOW), as
// glibc's lstat makes it); open (openat(AT_FDCWD, PATH, O_RDONLY|O_CLOEXEC), then close of the fd).
// The subject of the benchmarks: run natively, under the C floor supervisor, under sysvisor or
// under strace. A call that fails is an error (exit 1): a benchmark of failures measures nothing.
// sendmsg and recvmsg (loop sendmsg|recvmsg N) make N datagrams on a connected AF_UNIX socketpair,
// each sent and received, with sendmsg (no address) and recv, or with send and recvmsg (asking for
// the sender's address): two calls per datagram, one of them the one named.
//
// On stdout it prints one line with the time the loop itself took (CLOCK_MONOTONIC, read through
// the vDSO, so no syscall of its own):
//   loop getppid 100000 calls 452123456 ns
// The benchmark uses it as a cross-check of the whole-process figure (which includes start-up).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void) {
  fprintf(stderr, "usage: loop getppid|getpid|sendmsg|recvmsg N | loop lstat|open PATH N\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) usage();
  const char *what = argv[1];
  const char *path = argc == 4 ? argv[2] : NULL;
  const char *count = argv[argc - 1];
  long nr;
  if (strcmp(what, "getppid") == 0 && !path)
    nr = SYS_getppid;
  else if (strcmp(what, "getpid") == 0 && !path)
    nr = SYS_getpid;
  else if (strcmp(what, "lstat") == 0 && path)
    nr = SYS_newfstatat;
  else if (strcmp(what, "open") == 0 && path)
    nr = SYS_openat;
  else if (strcmp(what, "sendmsg") == 0 && !path)
    nr = SYS_sendmsg;
  else if (strcmp(what, "recvmsg") == 0 && !path)
    nr = SYS_recvmsg;
  else {
    fprintf(stderr, "loop: unknown call '%s'\n", what);
    usage();
  }
  char *end;
  long long n = strtoll(count, &end, 10);
  if (*count == '\0' || *end != '\0' || n < 0) {
    fprintf(stderr, "loop: bad count '%s'\n", count);
    return 2;
  }
  struct stat st;
  int sv[2] = {-1, -1};
  if ((nr == SYS_sendmsg || nr == SYS_recvmsg) && socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
    perror("loop: socketpair");
    return 1;
  }
  char byte = 'x';
  struct iovec iov = {&byte, 1};
  struct sockaddr_storage from;
  struct msghdr mh = {0};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  long long t0 = now_ns();
  for (long long i = 0; i < n; i++) {
    long r;
    if (nr == SYS_newfstatat) {
      r = syscall(nr, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW);
    } else if (nr == SYS_sendmsg) {
      r = sendmsg(sv[0], &mh, 0) == 1 && recv(sv[1], &byte, 1, 0) == 1 ? 0 : -1;
    } else if (nr == SYS_recvmsg) {
      mh.msg_name = &from;
      mh.msg_namelen = sizeof from;
      r = send(sv[0], &byte, 1, 0) == 1 && recvmsg(sv[1], &mh, 0) == 1 ? 0 : -1;
    } else if (nr == SYS_openat) {
      r = syscall(nr, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
      if (r >= 0) close((int)r);
    } else {
      r = syscall(nr);
    }
    if (r < 0) {
      fprintf(stderr, "loop: %s%s%s: %s\n", what, path ? " " : "", path ? path : "", strerror(errno));
      return 1;
    }
  }
  long long t1 = now_ns();
  printf("loop %s %lld calls %lld ns\n", what, n, t1 - t0);
  return 0;
}
