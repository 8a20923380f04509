/* A client for what runc would never send: connects, sends DATA with NFDS fds (write ends of fresh
 * pipes) as SCM_RIGHTS in one message, closes, then prints "closed" once the agent has closed
 * every fd it got (each read end at EOF within 10 s), or "open N". No DATA and no fds: it only
 * connects and closes. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>
int main(int argc, char** argv) {
  if (argc != 4) return 2;
  int n = atoi(argv[3]), rd[16], wr[16];
  if (n < 0 || n > 16) return 2;
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
  if (connect(s, (struct sockaddr*)&a, sizeof a) != 0) { perror("connect"); return 1; }
  for (int i = 0; i < n; i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return 1;
    rd[i] = p[0];
    wr[i] = p[1];
  }
  size_t len = strlen(argv[2]);
  if (len > 0 || n > 0) {
    char zero = 0;
    struct iovec iov = {len ? argv[2] : &zero, len ? len : 1};
    union { char buf[CMSG_SPACE(sizeof(int) * 16)]; struct cmsghdr align; } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
      m.msg_control = u.buf;
      m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
      struct cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * n);
      memcpy(CMSG_DATA(c), wr, sizeof(int) * n);
    }
    if (sendmsg(s, &m, 0) < 0) { perror("sendmsg"); return 1; }
  }
  for (int i = 0; i < n; i++) close(wr[i]);
  close(s);
  int open = 0;
  for (int i = 0; i < n; i++) {
    struct pollfd p = {rd[i], POLLIN, 0};
    char c;
    if (poll(&p, 1, 10000) != 1 || read(rd[i], &c, 1) != 0) open++;
  }
  if (open) printf("open %d\n", open); else printf("closed\n");
  return 0;
}
