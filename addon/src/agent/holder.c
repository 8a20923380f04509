/* sysvisor-holder: keeps the seccomp listeners of the containers `sysvisor agent --hold PATH`
 * serves, so that an agent that dies (or restarts) does not take them with it: while a listener
 * is open somewhere the kernel does not answer the container's notified calls with ENOSYS; they
 * wait, and the next agent gets every listener back from here (hold_protocol.h).
 *
 *   sysvisor-holder PATH [--stay]
 *
 * Single-threaded, one poll loop. It never reads a notification: it only holds the fds. It drops
 * a container when its listener hangs up (no process uses the filter any more) or when the agent
 * says so, and exits once it holds nothing and no agent is connected (never with --stay: a holder
 * run on its own, e.g. as a container of its own next to the agent's) or on SIGTERM/SIGINT, which
 * closes every listener: the containers' notified calls then fail with ENOSYS.
 * Exit status: 0, 1 on an error (one line on stderr), 3 when PATH is in use by a live holder. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../scm.h"
#include "hold_protocol.h"

/* An agent must connect this soon after the holder starts, or it leaves. */
#define FIRST_AGENT_SECONDS 30

struct entry {
  uint64_t key;
  int fds[HOLD_FDS];
  uint32_t len;
  char *record;
};

static struct entry entries[HOLD_MAX_ENTRIES];
static int nentries;
static int agent = -1;
static volatile sig_atomic_t stopping;

static void fail(const char *what) {
  dprintf(2, "sysvisor-holder: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void close_fds(const int *fds, int n) {
  for (int i = 0; i < n; i++)
    if (fds[i] >= 0) close(fds[i]);
}

/* One packet; fds may be NULL. Blocking (the agent reads), bounded by SO_SNDTIMEO. */
static int send_msg(int fd, uint32_t op, uint64_t key, const void *data, uint32_t len, const int *fds, int nfds) {
  struct hold_msg h = {op, len, key};
  struct iovec iov[2] = {{&h, sizeof h}, {(void *)data, len}};
  return scm_send(fd, iov, len ? 2 : 1, fds, nfds, 0) < 0 ? -1 : 0;
}

static void refuse(uint64_t key, const char *why) { send_msg(agent, HOLD_NO, key, why, (uint32_t)strlen(why), NULL, 0); }

/* What /proc/self/fd/N links to starts with `prefix`. */
static int fd_is(int fd, const char *prefix) {
  char path[64], link[128];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(path, link, sizeof link - 1);
  if (n < 0) return 0;
  link[n] = 0;
  return strncmp(link, prefix, strlen(prefix)) == 0;
}

static void drop(int i) {
  close_fds(entries[i].fds, HOLD_FDS);
  free(entries[i].record);
  entries[i] = entries[--nentries];
}

static int find(uint64_t key) {
  for (int i = 0; i < nentries; i++)
    if (entries[i].key == key) return i;
  return -1;
}

static void agent_gone(void) {
  close(agent);
  agent = -1;
}

/* A packet from the agent: HOLD_PUT or HOLD_DROP. */
static void from_agent(void) {
  static char buf[sizeof(struct hold_msg) + HOLD_MAX_RECORD];
  struct iovec iov = {buf, sizeof buf};
  int fds[4], nfds = 0, flags = 0;
  ssize_t n = scm_recv(agent, &iov, 1, fds, 4, &nfds, MSG_DONTWAIT, &flags);
  if (n == -EAGAIN) return;
  if (n <= 0) {
    close_fds(fds, nfds);
    agent_gone();
    return;
  }
  struct hold_msg h;
  if ((size_t)n < sizeof h || (flags & (MSG_TRUNC | MSG_CTRUNC))) {
    close_fds(fds, nfds);
    refuse(0, "malformed packet");
    return;
  }
  memcpy(&h, buf, sizeof h);
  if (h.len != (size_t)n - sizeof h) {
    close_fds(fds, nfds);
    refuse(h.key, "length does not match the packet");
    return;
  }
  if (h.op == HOLD_DROP && nfds == 0) {
    int i = find(h.key);
    if (i >= 0) drop(i);
    return;
  }
  if (h.op != HOLD_PUT) {
    close_fds(fds, nfds);
    refuse(h.key, "unknown operation");
    return;
  }
  const char *why = NULL;
  if (nfds != HOLD_FDS)
    why = "expected 2 fds (listener, received-ids page)";
  else if (!fd_is(fds[0], "anon_inode:seccomp notify"))
    why = "the first fd is not a seccomp listener";
  else if (!fd_is(fds[1], "/memfd:"))
    why = "the second fd is not a memfd";
  else if (find(h.key) >= 0)
    why = "key already held";
  else if (nentries == HOLD_MAX_ENTRIES)
    why = "holding as many containers as it may";
  char *record = NULL;
  if (!why && h.len && !(record = malloc(h.len))) why = "out of memory";
  if (why) {
    close_fds(fds, nfds);
    refuse(h.key, why);
    return;
  }
  memcpy(record, buf + sizeof h, h.len);
  struct entry *e = &entries[nentries++];
  e->key = h.key;
  e->fds[0] = fds[0];
  e->fds[1] = fds[1];
  e->len = h.len;
  e->record = record;
  send_msg(agent, HOLD_OK, h.key, NULL, 0, NULL, 0);
}

/* A new connection: the agent if it is our user's and no other is connected. */
static void accepted(int c) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || (cred.uid != geteuid() && cred.uid != 0)) {
    close(c);
    return;
  }
  struct timeval tv = {5, 0};
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (agent >= 0) {
    send_msg(c, HOLD_BUSY, 0, NULL, 0, NULL, 0);
    close(c);
    return;
  }
  agent = c;
  for (int i = 0; i < nentries; i++) {
    if (send_msg(agent, HOLD_ENTRY, entries[i].key, entries[i].record, entries[i].len, entries[i].fds, HOLD_FDS) < 0) {
      agent_gone();
      return;
    }
  }
  if (send_msg(agent, HOLD_END, 0, NULL, 0, NULL, 0) < 0) agent_gone();
}

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

/* Binds PATH (mode 0600 from the start), replacing a stale socket; exits 3 if a holder lives. */
static int listen_on(const char *path, ino_t *ino) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof a.sun_path) {
    errno = ENAMETOOLONG;
    fail(path);
  }
  strcpy(a.sun_path, path);
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) fail("socket");
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      dprintf(2, "sysvisor-holder: %s exists and is not a socket\n", path);
      exit(1);
    }
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
      dprintf(2, "sysvisor-holder: %s is in use: a holder listens on it\n", path);
      exit(3);
    }
    if (errno != ECONNREFUSED) fail(path);
    close(s);
    unlink(path);
    if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) < 0) fail("socket");
  }
  mode_t old = umask(0177);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) fail(path);
  umask(old);
  if (listen(s, 16) < 0) fail("listen");
  if (lstat(path, &st) < 0) fail(path);
  *ino = st.st_ino;
  return s;
}

int main(int argc, char **argv) {
  int stay = argc == 3 && strcmp(argv[2], "--stay") == 0;
  if (argc != 2 && !stay) {
    dprintf(2, "usage: sysvisor-holder PATH [--stay]\n");
    return 2;
  }
  const char *path = argv[1];
  struct sigaction sa = {.sa_handler = on_stop};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  ino_t ino;
  int s = listen_on(path, &ino);
  time_t started = time(NULL);
  int had_agent = 0;
  struct pollfd p[2 + HOLD_MAX_ENTRIES];
  while (!stopping) {
    if (!stay && agent < 0 && nentries == 0 && (had_agent || time(NULL) - started >= FIRST_AGENT_SECONDS)) break;
    p[0] = (struct pollfd){s, POLLIN, 0};
    p[1] = (struct pollfd){agent, POLLIN, 0};
    /* events 0: only POLLHUP, when the last process using the filter is gone (a listener is
     * readable whenever a call waits: the agent's business, not ours) */
    for (int i = 0; i < nentries; i++) p[2 + i] = (struct pollfd){entries[i].fds[0], 0, 0};
    int n = nentries;
    if (poll(p, 2 + n, agent < 0 && !had_agent && !stay ? 1000 : -1) < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    for (int i = n - 1; i >= 0; i--)
      if (p[2 + i].revents & (POLLHUP | POLLERR | POLLNVAL)) drop(i);
    if (p[1].revents) from_agent();
    if (p[0].revents & POLLIN) {
      int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0) {
        accepted(c);
        had_agent = 1;
      }
    }
  }
  struct stat st;
  if (lstat(path, &st) == 0 && st.st_ino == ino) unlink(path);
  return 0;
}
