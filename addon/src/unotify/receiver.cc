// The receiving thread and the fast path (see receiver.h).
//
// thread: RECV (blocking) -> Router::Decide -> CONTINUE here, or queue + wake the loop
// loop:   wake-up pipe readable -> Take() -> the pump's JS batch
// parked: the thread waits on an eventfd; the loop polls the listener and makes the RECVs itself
//         (same Decide, same queue, Take() at once), until Tune() hands receiving back.
// The thread blocks in RECV itself, as a bare C supervisor does: waiting in poll() first and then
// making the RECV widened the window in which a signal interrupts the call by ~4 points of EINTR
// under a 20 kHz SIGALRM (bench/eintr.ts). A blocked RECV sees the filter lose its last user only
// since Linux 6.11; before, the thread polls first (poll reports that hang-up and a stop request).
#include "unotify/receiver.h"

#include "common.h"

#include <asm/unistd.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace sysvisor {
namespace unotify {

bool ReadTraceeString(int pid, uint64_t addr, size_t max, std::string* out) {
  out->clear();
  char buf[4096];
  while (out->size() < max) {
    size_t page_left = 4096 - (addr & 4095);
    size_t want = std::min(page_left, max - out->size());
    struct iovec local = {buf, want};
    struct iovec remote = {reinterpret_cast<void*>(addr), want};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return false;
    void* nul = memchr(buf, 0, (size_t)n);
    if (nul) {
      out->append(buf, static_cast<char*>(nul) - buf);
      return true;
    }
    out->append(buf, (size_t)n);
    addr += (uint64_t)n;
  }
  return false;
}

namespace {

// Whole-component prefix match: "/unreal" matches "/unreal" and "/unreal/x", not "/unrealx".
bool UnderPrefix(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix == "/";
}

}  // namespace

FastPath FastPathFrom(Napi::Object o) {
  auto strings = [](Napi::Value v) {
    std::vector<std::string> out;
    if (!v.IsArray()) return out;
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(Latin1Value(arr.Get(i).ToString()));
    return out;
  };
  auto ints = [](Napi::Value v) {
    std::vector<int> out;
    if (!v.IsArray()) return out;
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(arr.Get(i).ToNumber().Int32Value());
    return out;
  };
  FastPath c;
  c.continued = ints(o.Get("continued"));
  std::vector<int> pairs = ints(o.Get("routes"));
  // An odd count leaves a number without its argument index: out of range for Configure.
  for (size_t i = 0; i < pairs.size(); i += 2) c.routes.emplace_back(pairs[i], i + 1 < pairs.size() ? pairs[i + 1] : -1);
  c.prefixes = strings(o.Get("prefixes"));
  c.relative_to_js = o.Get("relativeToJs").ToBoolean();
  c.components = strings(o.Get("components"));
  return c;
}

bool Router::Configure(const FastPath& c) {
  std::vector<Route> routes(kMaxSyscall);
  for (int nr : c.continued) {
    if (nr < 0 || nr >= kMaxSyscall) return false;
    routes[nr].always_continue = true;
  }
  for (auto [nr, arg] : c.routes) {
    if (nr < 0 || nr >= kMaxSyscall || arg < 0 || arg > 5) return false;
    routes[nr].path_arg = (int8_t)arg;
  }
  std::vector<std::string> prefixes = c.prefixes, components = c.components;
  std::lock_guard<std::mutex> l(m_);
  routes_.swap(routes);
  prefixes_.swap(prefixes);
  components_.swap(components);
  prefixes_relative_ = c.relative_to_js;
  configured_ = true;
  return true;
}

// A component of the path (between slashes) is one of components_.
bool Router::HasComponent(const std::string& path) const {
  size_t i = 0, n = path.size();
  while (i < n) {
    while (i < n && path[i] == '/') i++;
    size_t j = i;
    while (j < n && path[j] != '/') j++;
    for (const auto& c : components_) {
      if (c.size() == j - i && path.compare(i, j - i, c) == 0) return true;
    }
    i = j;
  }
  return false;
}

bool Router::Decide(int fd, const struct seccomp_notif& n, Received* out) {
  if (!Continues(n.data, (pid_t)n.pid, out)) return false;
  SendAnswer(fd, n.id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);  // ENOENT: gone, normal
  return true;
}

bool Router::Continues(const struct seccomp_data& d, pid_t pid, Received* out) {
  // Engines know x86_64 numbers only: a foreign ABI's call (i386, x32), which a filter not of
  // ours may notify (a container runtime's), runs as it is.
  if (d.arch != AUDIT_ARCH_X86_64 || (d.nr & __X32_SYSCALL_BIT)) return true;
  if (d.nr < 0 || d.nr >= kMaxSyscall) return false;
  std::lock_guard<std::mutex> l(m_);
  if (!configured_) return false;  // JS has not said yet what needs no JS
  // In the filter for engines that may be loaded later, wanted by none now.
  if (routes_[d.nr].always_continue) return true;
  // A path call whose path is outside every engine's prefixes.
  int arg = routes_[d.nr].path_arg;
  if (arg < 0) return false;
  if (!ReadTraceeString((int)pid, d.args[arg], kPathMax, &out->path)) return false;
  out->has_path = true;
  out->path_arg = (int8_t)arg;
  if (!components_.empty() && HasComponent(out->path)) return false;
  // Relative paths resolve against the real cwd, which engines keep real: they go to JS only when
  // an engine asks for them (relativePaths).
  bool absolute = !out->path.empty() && out->path[0] == '/';
  if (!absolute && prefixes_relative_) return false;
  if (absolute) {
    for (const auto& p : prefixes_) {
      if (UnderPrefix(out->path, p)) return false;
    }
  }
  return true;
}

// Asks the scheduler for the shortest time slice (Linux 6.12+, EEVDF: sched_attr.sched_runtime of
// a SCHED_OTHER thread, clamped to 0.1-100 ms; kernel/sched/syscalls.c __setscheduler_params).
// With the kernel's wake-up preemption of shorter slices, the woken receiver runs before Node's
// thread when both are runnable on the CPU where the tracee queued its call (SYNC_WAKE_UP puts it
// there), instead of waiting for the end of the JS work of the previous call: that wait was the
// larger part of the window in which a signal interrupts a notified call. No privilege needed; an
// older kernel ignores the field (or refuses: then nothing changes).
static void ShortSlice() {
  struct {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
  } attr = {};
  attr.size = sizeof attr;
  attr.sched_policy = 0;  // SCHED_OTHER
  attr.sched_nice = getpriority(PRIO_PROCESS, 0);
  attr.sched_runtime = 100 * 1000;  // ns
  syscall(SYS_sched_setattr, 0, &attr, 0);
}

// Linux 6.11 made a RECV blocked on a filter with no user left return (kernel/seccomp.c,
// recv_wait_event checks filter->users; ENOENT follows): only then may the thread block in RECV
// and still see the end. Before, it polls first (poll reports the hang-up).
static bool RecvSeesHangup() {
  struct utsname u;
  int major = 0, minor = 0;
  if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 6 || (major == 6 && minor >= 11);
}

// The filter has no user left (the listener polls POLLHUP).
static bool HungUp(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

// A call waits to be received.
static bool Pending(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

// Shared by the loop side and the thread (each holds a reference: the thread may outlive the
// Receiver, see Stop).
struct Receiver::State {
  Router router;
  bool blocking = false;           // RECV blocks (RecvSeesHangup); else poll first
  int stop_fd = -1;                // eventfd: the loop asks a polling or parked thread to leave
  int resume_fd = -1;              // eventfd: the loop hands receiving back to a parked thread
  int wake_rd = -1, wake_wr = -1;  // pipe: the thread wakes the loop
  std::mutex m;
  std::vector<Received> queue;
  bool signaled = false;  // a byte is on its way through the pipe
  bool hangup = false;
  bool stopping = false;  // the loop stopped receiving: nothing more is queued
  bool exited = false;    // the thread has left its loop
  bool park_request = false;  // the loop asks the thread to park after its current RECV
  bool parked = false;        // the thread is parked: only the loop receives
  // Received (by either), answered by the fast path, withdrawn (RECV found no call: a signal
  // interrupted it before it was received).
  std::atomic<uint64_t> received{0}, fast{0}, withdrawn{0};

  ~State() { CloseFds(); }
  // The fds of the receiver (never the listener's): closed by Stop, so that a stopped pump holds
  // none of them while it waits for the garbage collector.
  void CloseFds() {
    for (int* fd : {&stop_fd, &resume_fd, &wake_rd, &wake_wr}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }

  void Wake() {
    char b = 1;
    ssize_t r;
    do r = write(wake_wr, &b, 1);
    while (r < 0 && errno == EINTR);  // EAGAIN: the pipe is full, the loop wakes anyway
  }

  // Queues a notification for JS; false once the loop has stopped receiving (nobody will take it).
  bool Push(Received&& item) {
    bool wake;
    {
      std::lock_guard<std::mutex> l(m);
      if (stopping) return false;
      queue.push_back(std::move(item));
      wake = !signaled;
      signaled = true;
      if (wake) Wake();  // under the lock: Stop closes the pipe under it
    }
    return true;
  }

  bool Stopping() {
    std::lock_guard<std::mutex> l(m);
    return stopping;
  }

  void Hangup() {
    std::lock_guard<std::mutex> l(m);
    hangup = true;
    signaled = true;
    if (!stopping) Wake();  // once stopping, the loop no longer listens (and the pipe is closed)
  }

  // Parks when the loop asks (it then receives itself) until it hands receiving back (false) or
  // stops the receiver (true: leave).
  bool ParkIfAsked() {
    {
      std::lock_guard<std::mutex> l(m);
      if (!park_request || stopping) return false;
      parked = true;
      if (!signaled) {
        signaled = true;
        Wake();  // the loop starts polling the listener
      }
    }
    struct pollfd p[2] = {{stop_fd, POLLIN, 0}, {resume_fd, POLLIN, 0}};
    for (;;) {
      int r = poll(p, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || p[0].revents) return true;
      if (p[1].revents) {
        uint64_t v;
        ssize_t n = read(resume_fd, &v, sizeof v);
        (void)n;
        return false;
      }
    }
  }

  static void Run(std::shared_ptr<State> s, std::shared_ptr<Listener> listener) {
    // Signals go to Node's thread; only stops and the freezer interrupt this one (restarted).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    prctl(PR_SET_NAME, (unsigned long)"sysvisor-recv", 0, 0, 0);
    ShortSlice();
    s->Loop(*listener);
    std::lock_guard<std::mutex> l(s->m);
    s->exited = true;
  }

  void Loop(Listener& listener) {
    int fd = listener.fd();
    struct pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    for (;;) {
      if (blocking) {
        if (ParkIfAsked()) return;  // stopped while parked
      } else {
        if (poll(p, 2, -1) < 0) {
          if (errno == EINTR) continue;
          return Hangup();  // cannot wait any more: the pump reports it as the end
        }
        if (p[1].revents) return;  // stopped by the loop
        if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL) && !(p[0].revents & POLLIN)) return Hangup();
        if (!(p[0].revents & POLLIN)) continue;
      }
      Received item;
      memset(&item.n, 0, sizeof item.n);
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &item.n) < 0) {
        if (errno == EINTR) continue;
        // ENOENT: a call withdrawn before we took it (normal), or no user left (6.11+: every
        // RECV fails so once the filter is orphaned).
        if (errno == ENOENT && !HungUp(fd)) {
          withdrawn++;
          if (Stopping()) return;
          continue;
        }
        return Hangup();
      }
      received++;
      listener.NoteReceived(item.n.id);  // for the launcher, should this process die now
      // After the loop stopped receiving, a call gets what the listener's close gives.
      if (Stopping()) {
        SendAnswer(fd, item.n.id, 0, -ENOSYS, 0);
        return;
      }
      if (router.Decide(fd, item.n, &item)) {
        fast++;
        continue;
      }
      uint64_t id = item.n.id;
      if (!Push(std::move(item))) {
        SendAnswer(fd, id, 0, -ENOSYS, 0);
        return;
      }
    }
  }
};

Receiver::Receiver(uv_loop_t* loop, std::shared_ptr<Listener> listener, std::function<void()> on_ready)
    : state_(std::make_shared<State>()), listener_(listener), loop_(loop), on_ready_(std::move(on_ready)) {
  int pipefd[2];
  state_->blocking = RecvSeesHangup();
  state_->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  state_->resume_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state_->stop_fd < 0 || state_->resume_fd < 0 || pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) {
    error_ = errno;
    return;
  }
  state_->wake_rd = pipefd[0];
  state_->wake_wr = pipefd[1];
  wake_ = new uv_poll_t;
  wake_->data = this;
  int r = uv_poll_init(loop, wake_, state_->wake_rd);
  if (r == 0) r = uv_poll_start(wake_, UV_READABLE, [](uv_poll_t* h, int status, int events) {
    if (status == 0) static_cast<Receiver*>(h->data)->on_ready_();
  });
  if (r != 0) {
    delete wake_;
    wake_ = nullptr;
    error_ = -r;
    return;
  }
  thread_ = std::thread(State::Run, state_, std::move(listener));
  ok_ = true;
}

Receiver::~Receiver() {
  std::vector<Received> leftover;
  Stop(&leftover);
}

bool Receiver::Take(std::vector<Received>* out) {
  bool hangup;
  {
    // The pipe holds a byte only while signaled (every write is made under the lock, with it).
    std::lock_guard<std::mutex> l(state_->m);
    if (state_->signaled) {
      char buf[64];
      while (read(state_->wake_rd, buf, sizeof buf) > 0) {
      }
      state_->signaled = false;
    }
    out->swap(state_->queue);
    hangup = state_->hangup;
  }
  if (!hangup && wake_) Tune();
  return hangup;
}

// Calls received, answered by the fast path and withdrawn since the last decision decide who
// receives. The loop receives (the thread parked) after a window of kWindow calls that went mostly
// to JS with none withdrawn; the thread takes over again after kProbe calls received by the loop
// (a probe: does it find calls withdrawn?) or as soon as the loop sees one withdrawn.
void Receiver::Tune() {
  constexpr uint64_t kWindow = 64, kProbe = 1024;
  State& s = *state_;
  if (!s.blocking) return;  // before Linux 6.11 the thread polls first: it always receives
  uint64_t received = s.received, fast = s.fast, withdrawn = s.withdrawn;
  bool asked, parked;
  {
    std::lock_guard<std::mutex> l(s.m);
    asked = s.park_request;
    parked = s.parked;
  }
  if (asked) {
    bool probe = received - loop_since_ >= kProbe || withdrawn != seen_withdrawn_;
    if (!probe) {
      if (parked && !listening_) Listen();
      return;
    }
    HandBack();
  } else if (received - seen_received_ >= kWindow) {
    uint64_t n = received - seen_received_;
    if (withdrawn == seen_withdrawn_ && 2 * (fast - seen_fast_) < n) {
      std::lock_guard<std::mutex> l(s.m);
      if (!s.stopping) s.park_request = true;
      loop_since_ = received;
    }
  } else {
    return;
  }
  seen_received_ = received;
  seen_fast_ = fast;
  seen_withdrawn_ = withdrawn;
}

// The loop stops receiving and the thread takes over (at once if parked).
void Receiver::HandBack() {
  Unlisten();
  std::lock_guard<std::mutex> l(state_->m);
  state_->park_request = false;
  if (state_->parked) {
    state_->parked = false;
    uint64_t one = 1;
    ssize_t r = write(state_->resume_fd, &one, sizeof one);
    (void)r;
  }
}

// The thread is parked: the loop polls the listener. If it cannot, the thread takes over again.
void Receiver::Listen() {
  if (!listen_) {
    listen_ = new uv_poll_t;
    listen_->data = this;
    if (uv_poll_init(loop_, listen_, listener_->fd()) != 0) {
      delete listen_;
      listen_ = nullptr;
      return HandBack();
    }
  }
  int r = uv_poll_start(listen_, UV_READABLE | UV_DISCONNECT, [](uv_poll_t* h, int status, int events) {
    auto* self = static_cast<Receiver*>(h->data);
    if (status == 0) self->OnListenerReadable(events);
    else self->HandBack();  // the loop cannot poll it: the thread receives
  });
  listening_ = r == 0;
  if (!listening_) HandBack();
}

void Receiver::Unlisten() {
  if (listening_) uv_poll_stop(listen_);
  listening_ = false;
}

// Loop thread, the thread parked: RECV here, as the thread would, then hand the batch to the pump
// at once. After the first RECV, more only when the last wake-up found several (a lone tracee
// thread has one call pending at a time; the level-triggered poll wakes us again anyway).
void Receiver::OnListenerReadable(int events) {
  (void)events;
  if (!listening_) return;
  State& s = *state_;
  int fd = listener_->fd();
  bool hangup = false;
  int drained = 0;
  for (bool first = true; first || (multi_ && Pending(fd)); first = false) {
    Received item;
    memset(&item.n, 0, sizeof item.n);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &item.n) < 0) {
      // EINTR (a signal to this thread): the poll reports the call again.
      if (errno == ENOENT) {
        if (HungUp(fd)) hangup = true;
        else s.withdrawn++;
      } else if (errno != EINTR) {
        hangup = true;  // cannot receive any more: the pump reports it as the end
      }
      break;
    }
    s.received++;
    received_here_++;
    drained++;
    listener_->NoteReceived(item.n.id);
    if (s.router.Decide(fd, item.n, &item)) {
      s.fast++;
      continue;
    }
    std::lock_guard<std::mutex> l(s.m);
    s.queue.push_back(std::move(item));
  }
  multi_ = drained > 1;
  if (hangup) {
    Unlisten();
    std::lock_guard<std::mutex> l(s.m);
    s.hangup = true;
  }
  on_ready_();
}

void Receiver::Stop(std::vector<Received>* leftover) {
  if (!wake_) return;
  bool exited, parked;
  {
    std::lock_guard<std::mutex> l(state_->m);
    state_->stopping = true;
    exited = state_->exited;
    parked = state_->parked;
    for (auto& it : state_->queue) leftover->push_back(std::move(it));
    state_->queue.clear();
  }
  if (listen_) {
    Unlisten();  // the poll is stopped (out of epoll) now; the handle is freed once closed
    uv_close(reinterpret_cast<uv_handle_t*>(listen_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    listen_ = nullptr;
  }
  // The listener closes when its last holder lets it go (the pump, a replier in flight, a thread
  // still blocked in RECV): never held here until the garbage collector frees the receiver.
  listener_.reset();
  if (state_->blocking && !exited && !parked) {
    // Blocked in RECV, which nothing but a notification or the end of the filter's last user
    // wakes (no signal reaches it: all are blocked there). It leaves then, answering that call
    // ENOSYS, as the listener's close would; its references keep the listener and State alive
    // until then. (The loop stops receiving while users remain only on an early close.)
    thread_.detach();
  } else {
    uint64_t one = 1;
    ssize_t r = write(state_->stop_fd, &one, sizeof one);
    (void)r;
    // A polling or parked thread leaves at its next poll (RECV only after POLLIN: it never blocks
    // there).
    if (thread_.joinable()) thread_.join();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(wake_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  wake_ = nullptr;
  // Nothing uses them any more: the loop stopped watching, a thread still blocked in RECV writes
  // nothing once stopping (Push, Hangup), and only a polling thread (joined) reads stop_fd.
  std::lock_guard<std::mutex> l(state_->m);
  state_->CloseFds();
}

Router& Receiver::router() { return state_->router; }
uint64_t Receiver::received() const { return state_->received; }
uint64_t Receiver::fast() const { return state_->fast; }

}  // namespace unotify
}  // namespace sysvisor
