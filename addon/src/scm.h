// One packet with fds (SCM_RIGHTS) over a unix socket, sent or received: shared by the addon (the
// agent's receiver of container states, its fd-holder client) and the two small C programs next
// to it (the launcher, the fd holder). C and C++.
#ifndef SYSVISOR_SCM_H
#define SYSVISOR_SCM_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

// The kernel passes at most SCM_MAX_FD (253) fds in one message.
#define SCM_FDS_MAX 253

/* Room for the control message of SCM_FDS_MAX fds, aligned for struct cmsghdr. */
union scm_control {
  struct cmsghdr c;
  char buf[CMSG_SPACE(SCM_FDS_MAX * sizeof(int))];
};

/* A message header over iov, with room for `fds` fds in control (0: none). */
static inline struct msghdr scm_header(struct iovec *iov, int iovlen, union scm_control *control, int fds) {
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)iovlen;
  if (fds > 0) {
    memset(control, 0, sizeof *control);
    msg.msg_control = control->buf;
    msg.msg_controllen = CMSG_SPACE((size_t)fds * sizeof(int));
  }
  return msg;
}

/* Sends one packet with nfds fds (0: none). Retries EINTR. 0, or -errno. */
static inline int scm_send(int sock, struct iovec *iov, int iovlen, const int *fds, int nfds, int flags) {
  if (nfds < 0 || nfds > SCM_FDS_MAX) return -EINVAL;
  union scm_control cm;
  struct msghdr msg = scm_header(iov, iovlen, &cm, nfds);
  if (nfds > 0) {
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
  }
  ssize_t r;
  do r = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

/*
 * Receives one packet into iov, with up to maxfds fds (close-on-exec) into fds, their number in
 * *nfds: the kernel drops those beyond (MSG_CTRUNC in *msg_flags, as MSG_TRUNC for a packet cut).
 * Retries EINTR. Bytes read (0: the peer is gone), or -errno (-EAGAIN: nothing there, with
 * MSG_DONTWAIT).
 */
static inline ssize_t scm_recv(int sock, struct iovec *iov, int iovlen, int *fds, int maxfds, int *nfds, int flags, int *msg_flags) {
  *nfds = 0;
  if (maxfds < 0 || maxfds > SCM_FDS_MAX) return -EINVAL;
  union scm_control cm;
  struct msghdr msg = scm_header(iov, iovlen, &cm, maxfds);
  ssize_t n;
  do n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
  if (msg_flags) *msg_flags = msg.msg_flags;
  for (struct cmsghdr *c = msg.msg_controllen ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t j = 0; j < k; j++) {
      int got;
      memcpy(&got, CMSG_DATA(c) + j * sizeof(int), sizeof(int));
      if (*nfds < maxfds) fds[(*nfds)++] = got;
      else close(got);  // never kept by anyone: the control buffer is sized to maxfds
    }
  }
  return n;
}

#endif
