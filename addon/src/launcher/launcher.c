/* sysvisor-launcher: the small process between the supervisor and the command.
 *
 *   sysvisor-launcher CTL_FD SUPERVISOR_PID FDS FILE ARGV0 [ARGS...]   (environment: the command's)
 *
 * The supervisor (multi-threaded Node) starts it with posix_spawn; it is single-threaded, so it
 * can fork. It
 *   - keeps exactly the fds listed in FDS ("0,1,2,9" or "-") for the command, closes the others;
 *   - is the child subreaper of the command's tree: orphans come to it and it reaps them, so the
 *     supervisor waits only for what it started (this process);
 *   - forks the command, which waits (no filter yet) until the supervisor says GO, installs the
 *     filter with a new listener, and execs once this process holds a duplicate of the listener;
 *   - reports the command's pid (with a pidfd), the listener, its exit status and the end of the
 *     tree (protocol.h) on the CTL_FD socket;
 *   - keeps its duplicate of the listener: when the supervisor dies, the kernel does not answer
 *     the tree's calls with ENOSYS; it then kills the tree (default) or answers CONTINUE to every
 *     call until the tree is gone (LAUNCHER_OPT_CONTINUE).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../scm.h"
#include "protocol.h"

#define MAX_FILTER_BYTES (BPF_MAXINSNS * sizeof(struct sock_filter))

static int ctl = -1;

static int pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
static int pidfd_getfd(int pidfd, int fd) { return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); }
static int pidfd_kill(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

static void die(const char *what) {
  dprintf(2, "sysvisor-launcher: %s: %s\n", what, strerror(errno));
  _exit(1);
}

/* One message to the supervisor, with an fd or none (fd < 0). A supervisor that is gone is
 * noticed by the main loop (its pidfd), so a failed send is not an error here. */
static void send_fds(int type, int a, int b, const int *fds, int nfds) {
  struct launcher_msg m = {type, a, b, 0};
  struct iovec iov = {&m, sizeof m};
  scm_send(ctl, &iov, 1, fds, nfds, 0);
}

static void send_msg(int type, int a, int b, int fd) { send_fds(type, a, b, &fd, fd >= 0 ? 1 : 0); }

/* ---- fds: keep exactly the listed ones (and the control socket), close the rest ---- */

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static void keep_only(const char *list) {
  int fds[1024];
  int n = 0;
  if (strcmp(list, "-") != 0) {
    for (const char *p = list; *p && n < 1023;) {
      char *end;
      long v = strtol(p, &end, 10);
      if (end == p || v < 0 || v > INT_MAX) {
        errno = EINVAL;
        die("fd list");
      }
      fds[n++] = (int)v;
      p = *end == ',' ? end + 1 : end;
    }
  }
  fds[n++] = ctl;
  qsort(fds, n, sizeof(int), cmp_int);
  unsigned int from = 0;
  for (int i = 0; i < n; i++) {
    if ((unsigned int)fds[i] > from) syscall(SYS_close_range, from, (unsigned int)fds[i] - 1, 0);
    from = (unsigned int)fds[i] + 1;
  }
  syscall(SYS_close_range, from, ~0U, 0);
}

/* ---- the tree: every descendant of this process ---- */

/* ppid of pid from /proc/PID/stat, or -1 when gone. */
static pid_t parent_of(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  int ppid;
  if (!p || sscanf(p + 2, "%*c %d", &ppid) != 1) return -1;
  return ppid;
}

static int contains(const pid_t *set, int n, pid_t pid) {
  for (int i = 0; i < n; i++)
    if (set[i] == pid) return 1;
  return 0;
}

/* SIGKILL every descendant found in /proc. Each kill goes through a pidfd opened while the
 * process's parent was seen in the tree, so a reused pid is never signalled. */
static void kill_descendants(void) {
  size_t cap = 4096, n = 0;
  pid_t *pids = malloc(cap * sizeof(pid_t)), *ppids = malloc(cap * sizeof(pid_t));
  DIR *d = opendir("/proc");
  if (!pids || !ppids || !d) die("scan /proc");
  struct dirent *e;
  while ((e = readdir(d))) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    pid_t pp = parent_of((pid_t)pid);
    if (pp < 0) continue;
    if (n == cap) {
      cap *= 2;
      pids = realloc(pids, cap * sizeof(pid_t));
      ppids = realloc(ppids, cap * sizeof(pid_t));
      if (!pids || !ppids) die("scan /proc");
    }
    pids[n] = (pid_t)pid;
    ppids[n++] = pp;
  }
  closedir(d);
  pid_t *tree = malloc((n + 1) * sizeof(pid_t));
  if (!tree) die("scan /proc");
  int t = 0;
  tree[t++] = getpid();
  for (int grown = 1; grown;) {
    grown = 0;
    for (size_t i = 0; i < n; i++) {
      if (contains(tree, t, ppids[i]) && !contains(tree, t, pids[i])) {
        tree[t++] = pids[i];
        grown = 1;
      }
    }
  }
  for (int i = 1; i < t; i++) {
    int fd = pidfd_open(tree[i]);
    if (fd < 0) continue;
    if (contains(tree, t, parent_of(tree[i]))) pidfd_kill(fd, SIGKILL);
    close(fd);
  }
  free(tree);
  free(pids);
  free(ppids);
}

/* ---- state of the run ---- */

static pid_t command = -1;
static int command_pidfd = -1;
static int command_exited = 0;
static int empty_sent = 0;

/* Reaps whatever is ready; returns 1 when no child is left (the tree is gone). */
static int reap(void) {
  for (;;) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0) {
      if (errno == EINTR) continue;
      return errno == ECHILD;
    }
    if (si.si_pid == 0) return 0;
    if (si.si_pid == command && !command_exited) {
      command_exited = 1;
      if (si.si_code == CLD_EXITED) send_msg(LAUNCHER_EXIT, si.si_status, 0, -1);
      else send_msg(LAUNCHER_EXIT, -1, si.si_status, -1);
    }
  }
}

/* Kills the tree and waits until every process of it was reaped. */
static void kill_tree(int sigchld) {
  if (command_pidfd >= 0 && !command_exited) pidfd_kill(command_pidfd, SIGKILL);
  for (;;) {
    kill_descendants();
    if (reap()) return;
    struct pollfd p = {sigchld, POLLIN, 0};
    if (poll(&p, 1, 10) > 0) {
      struct signalfd_siginfo ssi;
      while (read(sigchld, &ssi, sizeof ssi) > 0) {
      }
    }
  }
}

/* Answers CONTINUE to every call in [from, to) that a supervisor received and did not answer
 * (ID_VALID: only a received, unanswered call is valid). */
static void continue_received(int listener, uint64_t from, uint64_t to, struct seccomp_notif_resp *resp, size_t resp_size) {
  for (uint64_t id = from; id != to; id++) {
    uint64_t probe = id;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &probe) != 0) continue;
    memset(resp, 0, resp_size);
    resp->id = id;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
  }
}

/* How far below the last received id a call may still be held unanswered (ids of a listener are
 * consecutive): an engine holding one call while 65536 others pass is not covered. */
#define HELD_WINDOW 65536

/* The supervisor is gone: answer CONTINUE to every call until no process holds the filter. The
 * calls the supervisor had received and not answered are found by their ids, at once up to the
 * last one it stored in the ids page, and again below the first id received here. */
static void continue_all(int listener, int sigchld, const volatile struct launcher_ids *ids) {
  struct seccomp_notif_sizes sizes;
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) die("seccomp notif sizes");
  size_t notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif : sizeof(struct seccomp_notif);
  size_t resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp : sizeof(struct seccomp_notif_resp);
  struct seccomp_notif *req = malloc(notif_size);
  struct seccomp_notif_resp *resp = malloc(resp_size);
  if (!req || !resp) die("continue");
  uint64_t last = ids ? __atomic_load_n(&ids->last, __ATOMIC_ACQUIRE) : 0;
  /* a little past it too: a call received just before the supervisor died, not yet stored */
  if (last) continue_received(listener, last - HELD_WINDOW, last + 64, resp, resp_size);
  int scanned = 0, hangup = 0;
  for (;;) {
    if (hangup && reap()) return;
    struct pollfd p[2] = {{hangup ? -1 : listener, POLLIN, 0}, {sigchld, POLLIN, 0}};
    if (poll(p, 2, -1) < 0 && errno != EINTR) die("poll");
    if (p[1].revents) {
      struct signalfd_siginfo ssi;
      while (read(sigchld, &ssi, sizeof ssi) > 0) {
      }
      reap();
    }
    if (p[0].revents & POLLIN) {
      memset(req, 0, notif_size);
      if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) continue;
      uint64_t first = req->id;
      memset(resp, 0, resp_size);
      resp->id = req->id;
      resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
      ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
      if (!scanned) {
        scanned = 1;
        continue_received(listener, first - HELD_WINDOW, first, resp, resp_size);
      }
    } else if (p[0].revents & (POLLHUP | POLLERR)) {
      hangup = 1;
    }
  }
}

/* ---- the command, between fork and exec ---- */

struct handshake {
  int state; /* 0 pending, 1 listener ready, 2 failed */
  int go;    /* set once this process holds the listener */
  int listener_fd;
  int err;
  unsigned int flags; /* the seccomp flags the filter was installed with */
};

static void child(struct handshake *hs, int gate, const char *file, char **argv, struct sock_fprog *prog,
                  unsigned int flags, int opts) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  char go;
  ssize_t r;
  while ((r = read(gate, &go, 1)) < 0 && errno == EINTR) {
  }
  if (r != 1) _exit(125); /* the launcher is gone, or was told to kill */

  long fd = -1;
  if (prog->len) {
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
    if (fd < 0 && errno == EINVAL && (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)) {
      flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; /* kernel < 5.19 */
      fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
    }
    if (fd < 0 && errno == EACCES) {
      /* Unprivileged: the kernel requires no_new_privs to install a filter. */
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
    }
    if (fd < 0) {
      hs->err = errno;
      __atomic_store_n(&hs->state, 2, __ATOMIC_RELEASE);
      _exit(126);
    }
    hs->listener_fd = (int)fd;
    hs->flags = flags;
    __atomic_store_n(&hs->state, 1, __ATOMIC_RELEASE);
    /* Any syscall may now be a notification nobody serves yet: no syscall until the launcher holds
     * the listener (microseconds; bounded so that an abandoned child does not spin forever). */
    for (unsigned long spins = 0; !__atomic_load_n(&hs->go, __ATOMIC_ACQUIRE); spins++) {
      __builtin_ia32_pause();
      if (spins > 20000000000UL) _exit(125);
    }
  } else {
    /* No filter (a nested run): nothing to hand over; tell the launcher at once, or it would wait
     * (polling) until the command exits and could not watch its supervisor meanwhile. */
    hs->flags = 0;
    __atomic_store_n(&hs->state, 1, __ATOMIC_RELEASE);
  }
  /* The listener, gate and control socket are close-on-exec; execve may itself be notified. */
  execve(file, argv, environ);
  int err = errno;
  const char *msg = strerror(err);
  struct iovec v[5] = {{"sysvisor: ", 10}, {(void *)file, strlen(file)}, {": ", 2}, {(void *)msg, strlen(msg)}, {"\n", 1}};
  (void)!writev(2, v, 5);
  _exit(err == ENOENT ? 127 : 126);
}

/* Waits for the command to install its filter (it makes no syscall meanwhile, so this polls a
 * shared word): 1 ready, 2 failed, 0 it died. */
static int wait_installed(struct handshake *hs) {
  for (unsigned long i = 0;; i++) {
    int s = __atomic_load_n(&hs->state, __ATOMIC_ACQUIRE);
    if (s) return s;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_PID, command, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == command) return 0;
    if (i < 1000) sched_yield();
    else nanosleep(&(struct timespec){0, 50000}, NULL);
  }
}

int main(int argc, char **argv) {
  if (argc < 6) {
    dprintf(2, "usage: sysvisor-launcher CTL_FD SUPERVISOR_PID FDS FILE ARGV0 [ARGS...]\n");
    return 2;
  }
  ctl = atoi(argv[1]);
  pid_t supervisor = (pid_t)atoi(argv[2]);
  if (fcntl(ctl, F_SETFD, FD_CLOEXEC) < 0) die("control socket");
  keep_only(argv[3]);

  /* Signals for the tree (a terminal's, a group kill) do not end the launcher: the supervisor
   * must learn the command's status from it. The command gets default dispositions back. */
  static const int ignored[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE, SIGUSR1, SIGUSR2, SIGALRM};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) signal(ignored[i], SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sigchld = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigchld < 0) die("signalfd");
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) die("become subreaper");

  /* The supervisor is alive (its pid not reused) if its end of the socket is still open after the
   * pidfd was taken: a process's files are closed at exit, before its pid is freed. */
  int sup_pidfd = pidfd_open(supervisor);
  struct pollfd alive = {ctl, POLLIN, 0};
  if (sup_pidfd < 0 || poll(&alive, 1, 0) < 0 || (alive.revents & POLLHUP)) return 1;

  /* SETUP: flags, options and the filter. */
  size_t cap = sizeof(struct launcher_msg) + MAX_FILTER_BYTES;
  char *setup = malloc(cap);
  if (!setup) die("setup");
  ssize_t n;
  while ((n = recv(ctl, setup, cap, 0)) < 0 && errno == EINTR) {
  }
  struct launcher_msg *m = (struct launcher_msg *)setup;
  size_t filter_len = n >= (ssize_t)sizeof *m ? (size_t)n - sizeof *m : 0;
  if (n < (ssize_t)sizeof *m || m->type != LAUNCHER_SETUP || filter_len % sizeof(struct sock_filter)) {
    send_msg(LAUNCHER_FAILED, LAUNCHER_STEP_SETUP, EINVAL, -1);
    return 1;
  }
  int opts = m->b;
  int no_listener = (opts & LAUNCHER_OPT_NO_LISTENER) != 0;
  unsigned int flags = (unsigned int)m->a | (no_listener ? 0 : SECCOMP_FILTER_FLAG_NEW_LISTENER);
  struct sock_fprog prog = {(unsigned short)(filter_len / sizeof(struct sock_filter)),
                            (struct sock_filter *)(setup + sizeof *m)};

  struct handshake *hs = mmap(NULL, sizeof *hs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (hs == MAP_FAILED) die("shared page");
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) die("pipe");

  /* Set here, so that the command has it from fork on: the supervisor a nested run pushes a scope
   * to checks it as soon as it learns the pid, which may be before the child runs at all. (This
   * process never execs, so it loses nothing.) */
  if (opts & LAUNCHER_OPT_NO_NEW_PRIVS) prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  command = fork();
  if (command < 0) {
    send_msg(LAUNCHER_FAILED, LAUNCHER_STEP_FORK, errno, -1);
    return 1;
  }
  if (command == 0) {
    close(gate[1]);
    child(hs, gate[0], argv[4], argv + 5, &prog, flags, opts);
  }
  close(gate[0]);
  command_pidfd = pidfd_open(command);
  if (command_pidfd < 0) die("pidfd_open");
  send_msg(LAUNCHER_PID, command, 0, command_pidfd);

  int listener = -1, started = 0, bye = 0;
  struct launcher_ids *ids = NULL;
  for (;;) {
    if (command_exited && reap()) {
      if (!empty_sent) send_msg(LAUNCHER_EMPTY, 0, 0, -1);
      empty_sent = 1;
      if (bye) return 0;
    }
    struct pollfd p[3] = {{ctl, POLLIN, 0}, {sup_pidfd, POLLIN, 0}, {sigchld, POLLIN, 0}};
    if (poll(p, 3, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p[2].revents) {
      struct signalfd_siginfo ssi;
      while (read(sigchld, &ssi, sizeof ssi) > 0) {
      }
      reap();
    }
    int gone = (p[1].revents & POLLIN) != 0;
    if (!gone && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      struct launcher_msg in;
      while ((n = recv(ctl, &in, sizeof in, MSG_DONTWAIT)) < 0 && errno == EINTR) {
      }
      if (n == 0) gone = 1; /* the supervisor closed its end without BYE */
      else if (n == (ssize_t)sizeof in && in.type == LAUNCHER_GO && !started) {
        started = 1;
        if (write(gate[1], "g", 1) != 1) die("release the command");
        close(gate[1]);
        int s = wait_installed(hs);
        if (s == 1 && prog.len && !no_listener) {
          listener = pidfd_getfd(command_pidfd, hs->listener_fd);
          if (listener < 0) {
            send_msg(LAUNCHER_FAILED, LAUNCHER_STEP_GETFD, errno, -1);
            pidfd_kill(command_pidfd, SIGKILL);
          }
        }
        if (s == 2) send_msg(LAUNCHER_FAILED, LAUNCHER_STEP_SECCOMP, hs->err, -1);
        __atomic_store_n(&hs->go, 1, __ATOMIC_RELEASE);
        if (s == 1 && listener >= 0) {
          int page = memfd_create("sysvisor-received-ids", MFD_CLOEXEC);
          if (page < 0 || ftruncate(page, LAUNCHER_IDS_BYTES) < 0) die("received-ids page");
          ids = mmap(NULL, LAUNCHER_IDS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, page, 0);
          if (ids == MAP_FAILED) die("received-ids page");
          int fds[2] = {listener, page};
          send_fds(LAUNCHER_LISTENER, 0, (int)hs->flags, fds, 2);
          close(page);
        } else if (s == 1 && (!prog.len || no_listener)) {
          send_msg(LAUNCHER_LISTENER, 0, (int)hs->flags, -1);
        }
        munmap(hs, sizeof *hs);
      } else if (n == (ssize_t)sizeof in && in.type == LAUNCHER_KILL) {
        /* SIGKILL first, then the gate: a command let go before would exit 125 of its own (its
         * status then depended on which came first). */
        int was_started = started;
        started = 1;
        kill_tree(sigchld);
        if (!was_started) close(gate[1]);
      } else if (n == (ssize_t)sizeof in && in.type == LAUNCHER_BYE) {
        bye = 1;
      }
    }
    if (gone) {
      /* The supervisor died (or dropped us): its tree must not run on without it, unless it said
       * BYE (done with it) or asked for the tree to continue. */
      if (!started) close(gate[1]); /* the command never ran: it exits (125) */
      if ((opts & LAUNCHER_OPT_CONTINUE) && listener >= 0 && !bye) continue_all(listener, sigchld, ids);
      else if (!(opts & LAUNCHER_OPT_CONTINUE) && !bye) kill_tree(sigchld);
      while (!reap()) {
        struct pollfd c = {sigchld, POLLIN, 0};
        poll(&c, 1, 100);
        struct signalfd_siginfo ssi;
        while (read(sigchld, &ssi, sizeof ssi) > 0) {
        }
      }
      return 0;
    }
  }
}
