// floor: a bare C seccomp user-notification supervisor, the floor the benchmark compares the
// JS chain against.
//
//   floor [--epoll|--poll] [--no-sync] [--killable] [--continue | --addfd FILE [--worker]] [--syscall getppid|getpid|NR[@A|+A][:P]]... [--] COMMAND [ARGS...]
//
// Forks; the child installs a filter that notifies one syscall (getppid by default: architecture
// check, number compare, every other syscall allowed, so the kernel's constant-action bitmap
// caches them), or each syscall given by a repeated --syscall (at most 128; NR@A: only when its
// argument A is AT_FDCWD, as unreal's filter notifies a stat or open; NR+A: only when argument A is
// not 0, e.g. an address; with `--continue`, the floor of a whole program under unreal's filter),
// with SECCOMP_FILTER_FLAG_NEW_LISTENER, lets the parent take the listener (pidfd_getfd) before it
// makes any notified call, then execs COMMAND. The parent sets
// SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (unless --no-sync; it says on stderr whether the kernel took
// it) and answers every notification with a value (the child's real parent pid, i.e. ours):
// - default: a blocking RECV loop;
// - --epoll: waits in epoll_wait before each RECV and drains with poll(0), like the addon's pump
//   on libuv (uv_poll).
// - --poll: poll() before each RECV, as the addon's receiving thread does.
// --killable installs the filter with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (as sysvisor does):
// once received, a call is no longer interrupted by non-fatal signals.
// --continue answers CONTINUE instead of a value (the kernel then runs the call: for a notified
// stat or open, whose value the floor cannot make up). NR...:P (with --continue) first reads the
// call's path, argument P, from the caller's memory up to its NUL, page by page (at most 4096
// bytes), as a supervisor that decides by the path must for every call (never trusting an earlier
// read): the floor of a fast path that continues a path outside its prefixes.
// --addfd FILE (blocking mode, openat notified) answers an openat of FILE (the path read from the
// caller's memory; others are continued) as an emulated open is answered: the supervisor opens it itself (O_RDONLY|O_CLOEXEC, no walk), installs it in the caller with a plain ADDFD,
// closes its own fd and answers with the caller's; with --worker a second thread does the install
// and the answer (handed over through a mutex and a condition variable), as sysvisor's replier
// does: the floor of an emulated open, inline and with that hop.
// Exits with COMMAND's status (128+N when killed by signal N). Two lines on stderr:
//   floor: sync_wake_up=on|off|unsupported(errno text) mode=blocking|epoll
//   floor: notifications=COUNT (and ` paths=READ`, the paths read whole, when paths are read)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

// Linux 6.6; the Debian 12 (6.1) headers lack them.
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: floor [--epoll|--poll] [--no-sync] [--killable] [--continue | --addfd FILE [--worker]] [--syscall getppid|getpid|NR[@A|+A][:P]]... [--] COMMAND [ARGS...]\n");
  exit(2);
}

// The parent takes the child's listener with pidfd_getfd (the child writes its number and waits for
// a byte back): it makes only write and read meanwhile, which no filter here notifies (SCM_RIGHTS
// would need sendmsg, which a filter with unreal's calls notifies before anyone can answer).
static int take_listener(int sock, pid_t pid) {
  int num;
  ssize_t n;
  do n = read(sock, &num, sizeof num);
  while (n < 0 && errno == EINTR);
  if (n != (ssize_t)sizeof num) return -1;
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) die("pidfd_open");
  int fd = (int)syscall(SYS_pidfd_getfd, pidfd, num, 0);  // close-on-exec
  if (fd < 0) die("pidfd_getfd");
  close(pidfd);
  char b = 1;
  if (write(sock, &b, 1) != 1) die("write");
  return fd;
}

// A notified syscall: always (arg < 0), or when the low 32 bits of argument `arg` are AT_FDCWD
// (sign- or zero-extended alike), or (nonzero) when argument `arg` is not 0.
struct notified {
  int nr, arg, nonzero;
};
#define MAX_NOTIFIED 128

// Child: filter, hand over the listener, exec. Never returns.
static void child(int sock, const struct notified *sys, int nsys, unsigned long flags, char **cmd) {
  // arch check, then a block per syscall: nr compare, the dirfd compare if any, then notify.
  struct sock_filter insns[3 + 7 * MAX_NOTIFIED + 1];
  int n = 0;
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  for (int i = 0; i < nsys; i++) {
    insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    unsigned lo = offsetof(struct seccomp_data, args) + 8 * (unsigned)sys[i].arg;
    if (sys[i].arg < 0) {
      insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)sys[i].nr, 0, 1);
    } else if (sys[i].nonzero) {
      // nr, low word != 0 -> notify, high word == 0 -> next block
      insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)sys[i].nr, 0, 5);
      insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo);
      insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2);
      insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo + 4);
      insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
    } else {
      insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)sys[i].nr, 0, 3);
      insns[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo);
      insns[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)AT_FDCWD, 0, 1);
    }
    insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
  }
  insns[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {(unsigned short)n, insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER | flags, &prog);
  if (listener < 0) die("seccomp(NEW_LISTENER)");
  char b;
  if (write(sock, &listener, sizeof listener) != (ssize_t)sizeof listener || read(sock, &b, 1) != 1) die("hand over the listener");
  close(listener);
  close(sock);
  execvp(cmd[0], cmd);
  int e = errno;
  fprintf(stderr, "floor: %s: %s\n", cmd[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

static int answer_continue;  // --continue
static signed char path_arg[1024];  // NR:P: the path argument read before continuing (-1: none)
static unsigned long long paths_read;

// The path of a call (argument path_arg[nr]), read as the receiving thread reads it: up to its NUL,
// each read ending at a page end (a string may end just before an unmapped page).
static void read_path(const struct seccomp_notif *req) {
  int a = req->data.nr >= 0 && req->data.nr < 1024 ? path_arg[req->data.nr] : -1;
  if (a < 0) return;
  char buf[4096];
  uint64_t addr = req->data.args[a];
  size_t got = 0;
  while (got < sizeof buf) {
    size_t want = 4096 - (addr & 4095);
    if (want > sizeof buf - got) want = sizeof buf - got;
    struct iovec local = {buf, want};
    struct iovec remote = {(void *)(uintptr_t)addr, want};
    ssize_t n = process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return;
    if (memchr(buf, 0, (size_t)n)) {
      paths_read++;
      return;
    }
    got += (size_t)n;
    addr += (uint64_t)n;
  }
}
static const char *addfd_path;  // --addfd FILE
static int addfd_worker;        // --worker

// Installs src in the caller of notification id (plain ADDFD), closes src, answers with the
// caller's fd (or the install's errno). 0, or -1 when the answer failed.
static int install_answer(int fd, __u64 id, int src) {
  struct seccomp_notif_addfd a;
  memset(&a, 0, sizeof a);
  a.id = id;
  a.srcfd = (__u32)src;
  a.newfd_flags = O_CLOEXEC;
  int r;
  do r = ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
  while (r < 0 && errno == EINTR);
  int e = errno;
  close(src);
  if (r < 0 && (e == ENOENT || e == ESRCH)) return 0;  // gone
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = id;
  if (r >= 0) resp.val = r;
  else resp.error = -e;
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 || errno == ENOENT) return 0;
  return -1;
}

// --worker: the install and answer on a second thread.
static struct {
  pthread_mutex_t m;
  pthread_cond_t cv;
  __u64 ids[64];
  int srcs[64];
  unsigned head, tail;
  int fd;
} jobs = {.m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *install_worker(void *arg) {
  (void)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  for (;;) {
    pthread_mutex_lock(&jobs.m);
    while (jobs.head == jobs.tail) pthread_cond_wait(&jobs.cv, &jobs.m);
    __u64 id = jobs.ids[jobs.tail % 64];
    int src = jobs.srcs[jobs.tail % 64];
    jobs.tail++;
    pthread_mutex_unlock(&jobs.m);
    if (install_answer(jobs.fd, id, src) != 0) die("SECCOMP_IOCTL_NOTIF_SEND");
  }
  return NULL;
}

// The path argument of an openat is FILE (read from the caller's memory, as a supervisor must).
static int names_file(const struct seccomp_notif *req) {
  char buf[4096];
  size_t want = strlen(addfd_path) + 1;
  struct iovec local = {buf, want};
  struct iovec remote = {(void *)(uintptr_t)req->data.args[1], want};
  return process_vm_readv((pid_t)req->pid, &local, 1, &remote, 1, 0) == (ssize_t)want && memcmp(buf, addfd_path, want) == 0;
}

static int answer(int fd, const struct seccomp_notif *req, long long value) {
  if (addfd_path && !names_file(req)) {
    // Another file (the loader's): the kernel opens it.
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = req->id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    return ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 || errno == ENOENT ? 0 : -1;
  }
  if (addfd_path) {
    int src = open(addfd_path, O_RDONLY | O_CLOEXEC);
    if (src < 0) die(addfd_path);
    if (!addfd_worker) return install_answer(fd, req->id, src);
    pthread_mutex_lock(&jobs.m);
    if (jobs.head - jobs.tail >= 64) die("worker queue full");
    jobs.ids[jobs.head % 64] = req->id;
    jobs.srcs[jobs.head % 64] = src;
    jobs.head++;
    pthread_mutex_unlock(&jobs.m);
    pthread_cond_signal(&jobs.cv);
    return 0;
  }
  if (answer_continue) read_path(req);
  struct seccomp_notif_resp resp;
  memset(&resp, 0, sizeof resp);
  resp.id = req->id;
  if (answer_continue) resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else resp.val = value;
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0) return 0;
  if (errno == ENOENT) return 0;  // the caller was interrupted or died: normal
  return -1;
}

// One RECV and its answer, for the modes that wait for readiness first: 1 when a call was
// answered, 0 when it was withdrawn or the RECV interrupted.
static int recv_answer(int fd, long long value) {
  struct seccomp_notif req;
  memset(&req, 0, sizeof req);
  if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    if (errno != ENOENT && errno != EINTR) die("SECCOMP_IOCTL_NOTIF_RECV");
    return 0;
  }
  if (answer(fd, &req, value) != 0) die("SECCOMP_IOCTL_NOTIF_SEND");
  return 1;
}

// Blocking mode: RECV blocks, and does not return when the last user of the filter is gone, so
// a watcher thread reaps the child and interrupts RECV with a signal until the loop notices.
static atomic_int child_done;
static atomic_int loop_left;
static int child_status;
static pid_t child_pid;
static pthread_t main_thread;

static void on_wake(int sig) { (void)sig; }

static void *watcher(void *arg) {
  (void)arg;
  int st;
  while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR) {
  }
  child_status = st;
  atomic_store(&child_done, 1);
  while (!atomic_load(&loop_left)) {
    pthread_kill(main_thread, SIGUSR1);
    usleep(1000);
  }
  return NULL;
}

static unsigned long long serve_blocking(int fd, long long value) {
  unsigned long long count = 0;
  struct seccomp_notif req;
  for (;;) {
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      // EINTR: the watcher's signal. ENOENT: a withdrawn notification, or (seen on 6.18) every
      // RECV once the filter has no user left.
      if (errno == EINTR || errno == ENOENT) {
        if (atomic_load(&child_done)) break;
        continue;
      }
      die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    count++;
    if (answer(fd, &req, value) != 0) die("SECCOMP_IOCTL_NOTIF_SEND");
  }
  atomic_store(&loop_left, 1);
  return count;
}

// poll mode: poll() before each RECV, as the addon's receiving thread does (a plain poll keeps the
// kernel's current-CPU wake-up of SYNC_WAKE_UP; epoll's callback turns it into WF_SYNC). Ends on
// hang-up (no user left).
static unsigned long long serve_poll(int fd, long long value) {
  unsigned long long count = 0;
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (p.revents & POLLIN) {
      count += recv_answer(fd, value);
    } else if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
      break;
    }
  }
  int st;
  while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR) {
  }
  child_status = st;
  return count;
}

// epoll mode: wait for readiness, then drain everything pending (poll with timeout 0 between
// RECVs), as the addon's pump does on each uv_poll wake-up. Ends on hang-up (no user left).
static unsigned long long serve_epoll(int fd, long long value) {
  unsigned long long count = 0;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
  for (;;) {
    struct epoll_event got;
    int n = epoll_wait(ep, &got, 1, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    if (n == 0) continue;
    if (got.events & EPOLLIN) {
      for (;;) {
        count += recv_answer(fd, value);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN)) break;
      }
    } else if (got.events & (EPOLLHUP | EPOLLERR)) {
      break;
    }
  }
  close(ep);
  int st;
  while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR) {
  }
  child_status = st;
  return count;
}

int main(int argc, char **argv) {
  int use_epoll = 0, sync_wake = 1, nsys = 0, reads = 0;
  memset(path_arg, -1, sizeof path_arg);
  struct notified sys[MAX_NOTIFIED];
  unsigned long filter_flags = 0;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (strcmp(a, "--epoll") == 0) {
      use_epoll = 1;
    } else if (strcmp(a, "--no-sync") == 0) {
      sync_wake = 0;
    } else if (strcmp(a, "--poll") == 0) {
      use_epoll = 2;
    } else if (strcmp(a, "--continue") == 0) {
      answer_continue = 1;
    } else if (strcmp(a, "--addfd") == 0 && i + 1 < argc) {
      addfd_path = argv[++i];
    } else if (strcmp(a, "--worker") == 0) {
      addfd_worker = 1;
    } else if (strcmp(a, "--killable") == 0) {
      filter_flags |= SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    } else if (strcmp(a, "--syscall") == 0 && i + 1 < argc) {
      const char *s = argv[++i];
      char *end;
      if (nsys == MAX_NOTIFIED) usage();
      struct notified *t = &sys[nsys++];
      t->arg = -1;
      t->nonzero = 0;
      if (strcmp(s, "getppid") == 0) t->nr = SYS_getppid;
      else if (strcmp(s, "getpid") == 0) t->nr = SYS_getpid;
      else {
        long v = strtol(s, &end, 10);
        if (*s == '\0' || (*end != '\0' && *end != '@' && *end != '+' && *end != ':') || v < 0 || v > 1023) usage();
        t->nr = (int)v;
        t->nonzero = *end == '+';
        if (*end == '@' || *end == '+') {
          const char *a = end + 1;
          long k = strtol(a, &end, 10);
          if (*a == '\0' || (*end != '\0' && *end != ':') || k < 0 || k > 5) usage();
          t->arg = (int)k;
        }
        if (*end == ':') {
          const char *a = end + 1;
          long k = strtol(a, &end, 10);
          if (*a == '\0' || *end != '\0' || k < 0 || k > 5) usage();
          path_arg[v] = (signed char)k;
          reads = 1;
        }
      }
    } else if (a[0] == '-') {
      usage();
    } else {
      break;
    }
  }
  if (i >= argc || (addfd_path && (answer_continue || use_epoll)) || (addfd_worker && !addfd_path) || (reads && !answer_continue)) usage();
  char **cmd = argv + i;
  if (nsys == 0) sys[nsys++] = (struct notified){SYS_getppid, -1, 0};

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  fflush(stderr);
  child_pid = fork();
  if (child_pid < 0) die("fork");
  if (child_pid == 0) {
    close(sv[0]);
    child(sv[1], sys, nsys, filter_flags, cmd);
  }
  close(sv[1]);
  int fd = take_listener(sv[0], child_pid);
  close(sv[0]);
  if (fd < 0) {
    // The child failed before handing over the listener (it said why).
    int st;
    while (waitpid(child_pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  const char *sync_state = "off";
  char sync_buf[96];
  if (sync_wake) {
    // The flag is passed by value, not by pointer.
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0) {
      sync_state = "on";
    } else {
      snprintf(sync_buf, sizeof sync_buf, "unsupported(%s)", strerror(errno));
      sync_state = sync_buf;
    }
  }
  fprintf(stderr, "floor: sync_wake_up=%s mode=%s\n", sync_state, use_epoll == 2 ? "poll" : use_epoll ? "epoll" : "blocking");

  long long value = getpid();  // what getppid really returns in the child
  unsigned long long count;
  if (addfd_worker) {
    pthread_t w;
    jobs.fd = fd;
    if (pthread_create(&w, NULL, install_worker, NULL) != 0) die("pthread_create");
    pthread_detach(w);
  }
  if (use_epoll == 2) {
    count = serve_poll(fd, value);
  } else if (use_epoll) {
    count = serve_epoll(fd, value);
  } else {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake;  // no SA_RESTART: RECV returns EINTR
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) die("sigaction");
    main_thread = pthread_self();
    pthread_t t;
    if (pthread_create(&t, NULL, watcher, NULL) != 0) die("pthread_create");
    count = serve_blocking(fd, value);
    pthread_join(t, NULL);
  }
  close(fd);
  if (reads) fprintf(stderr, "floor: notifications=%llu paths=%llu\n", count, paths_read);
  else fprintf(stderr, "floor: notifications=%llu\n", count);
  if (WIFEXITED(child_status)) return WEXITSTATUS(child_status);
  return 128 + WTERMSIG(child_status);
}
