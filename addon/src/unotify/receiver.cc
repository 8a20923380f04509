// The receiving thread and the fast path (see receiver.h).
//
// thread: RECV (blocking) -> Router::Decide -> CONTINUE here, or a native plan answered here
//         (6.11+, watched by the stand-in), or queue + wake the loop
// loop:   wake-up pipe readable -> Take() -> the pump's JS batch
// parked: the thread waits on an eventfd; the loop polls the listener and makes the RECVs itself
//         (same Decide, same queue, Take() at once), until Tune() hands receiving back.
// The thread blocks in RECV itself, as a bare C supervisor does: waiting in poll() first and then
// making the RECV widened the window in which a signal interrupts the call by ~4 points of EINTR
// under a 20 kHz SIGALRM (bench/eintr.ts). A blocked RECV sees the filter lose its last user only
// since Linux 6.11; before, the thread polls first (poll reports that hang-up and a stop request).
#include "unotify/receiver.h"

#include "common.h"
#include "emulate/emulate.h"
#include "emulate/tracee.h"

#include <asm/unistd.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
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
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <thread>

namespace sysvisor {
namespace unotify {

namespace {

// The bytes of one page's read: appended up to a NUL. True when the string ended there.
bool TakeChunk(const char* buf, size_t n, std::string* out) {
  const void* nul = memchr(buf, 0, n);
  out->append(buf, nul ? static_cast<const char*>(nul) - buf : n);
  return nul != nullptr;
}

// How much of a string at ADDR to read next: to the end of its page, within MAX bytes in all.
size_t ChunkLen(uint64_t addr, size_t have, size_t max) {
  return std::min<size_t>(4096 - (addr & 4095), max - have);
}

// The rest of a string whose first bytes (*out) were read from ADDR onwards: page by page.
bool ReadRest(int pid, uint64_t addr, size_t max, std::string* out) {
  char buf[4096];
  while (out->size() < max) {
    size_t want = ChunkLen(addr, out->size(), max);
    struct iovec local = {buf, want};
    struct iovec remote = {reinterpret_cast<void*>(addr), want};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return false;
    if (TakeChunk(buf, (size_t)n, out)) return true;
    addr += (uint64_t)n;
  }
  return false;
}

}  // namespace

bool ReadTraceeString(int pid, uint64_t addr, size_t max, std::string* out) {
  out->clear();
  return ReadRest(pid, addr, max, out);
}

bool ReadTraceeStrings(int pid, uint64_t addr, size_t max, std::string* out, uint64_t addr2, size_t max2, std::string* out2, bool* ok2) {
  out->clear();
  out2->clear();
  *ok2 = false;
  // Each remote iovec lies within one page: the kernel reads it whole or not at all, and stops at
  // the first it cannot read (process_vm_rw_core). So the count says which were read.
  char buf[4096], buf2[4096];
  size_t want = ChunkLen(addr, 0, max), want2 = ChunkLen(addr2, 0, max2);
  struct iovec local[2] = {{buf, want}, {buf2, want2}};
  struct iovec remote[2] = {{reinterpret_cast<void*>(addr), want}, {reinterpret_cast<void*>(addr2), want2}};
  ssize_t n = process_vm_readv(pid, local, 2, remote, 2, 0);
  if (n != (ssize_t)want && n != (ssize_t)(want + want2)) return ReadTraceeString(pid, addr, max, out);
  bool done = TakeChunk(buf, want, out);
  if (n == (ssize_t)(want + want2)) {
    *ok2 = TakeChunk(buf2, want2, out2) || ReadRest(pid, addr2 + want2, max2, out2);
    if (!*ok2) out2->clear();
  }
  return done || ReadRest(pid, addr + want, max, out);
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
  for (auto [nr, arg] : c.names) {
    if (nr < 0 || nr >= kMaxSyscall || arg < 0 || arg > 5) return false;
    routes[nr].name_arg = (int8_t)arg;
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
  return HasComponentOf(path, components_, [](const std::string&) { return true; });
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
  // A call rewritten in place that the kernel restarts: the engines answered it once already.
  if (emulate::RestartedRewrite(pid, d.nr)) return true;
  std::lock_guard<std::mutex> l(m_);
  if (!configured_) return false;  // JS has not said yet what needs no JS
  // In the filter for engines that may be loaded later, wanted by none now.
  if (routes_[d.nr].always_continue) return true;
  // A path call whose path is outside every engine's prefixes.
  int arg = routes_[d.nr].path_arg;
  if (arg < 0) return false;
  int name = routes_[d.nr].name_arg;
  if (name >= 0 && d.args[name] != 0) {
    if (!ReadTraceeStrings((int)pid, d.args[arg], kPathMax, &out->path, d.args[name], FastPath::kNameMax, &out->name, &out->has_name))
      return false;
    out->name_arg = (int8_t)name;
  } else if (!ReadTraceeString((int)pid, d.args[arg], kPathMax, &out->path)) {
    return false;
  }
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

// A thread that serves the listener (blocking mode): the leader, or one replaced while its plan
// blocked. word counts the plans it started and ended (odd while one runs); kReplaced is set by the
// stand-in that took over during the plan whose count it holds (a compare-and-swap: it succeeds
// only while that plan runs, so the thread sees it when the plan ends, or the stand-in does not
// take over).
struct ServingThread {
  static constexpr uint64_t kReplaced = 1ULL << 63;
  std::atomic<uint64_t> word{0};
  bool free = false;  // its thread has left (under State::m; reused by the next one)
};

constexpr auto kStandInPeriod = std::chrono::milliseconds(2);
constexpr int kMaxServing = 32;

// Shared by the loop side and the threads (each holds a reference: a thread may outlive the
// Receiver, see Stop).
struct Receiver::State : std::enable_shared_from_this<Receiver::State> {
  Router router;
  NativeRunner native;             // plans run on the receiving threads (blocking mode only)
  bool blocking = false;           // RECV blocks (RecvSeesHangup); else poll first
  int stop_fd = -1;                // eventfd: the loop asks a polling or parked thread to leave
  int resume_fd = -1;              // eventfd: the loop hands receiving back to a parked thread
  int wake_rd = -1, wake_wr = -1;  // pipe: the thread wakes the loop
  std::mutex m;
  std::condition_variable left;  // a thread stopped using stop_fd/resume_fd (fd_users)
  std::vector<Received> queue;
  bool signaled = false;  // a byte is on its way through the pipe
  bool hangup = false;
  bool stopping = false;  // the loop stopped receiving: nothing more is queued
  bool park_request = false;  // the loop asks the leader to park after its current RECV
  bool parked = false;        // the leader is parked: only the loop receives
  int fd_users = 0;           // threads that may read stop_fd or resume_fd now (Stop waits for none)
  // The serving threads (under m): never freed before State, reused; at most kMaxServing in use.
  std::deque<ServingThread> servers;
  int serving = 0;
  std::atomic<ServingThread*> leader{nullptr};
  // The stand-in (see receiver.h): asleep until kicked, or watching the leader.
  std::mutex wm;
  std::condition_variable wcv;
  std::atomic<bool> standin_asleep{false};
  std::atomic<bool> standin_missing{false};  // one could not be started: the leader tries again
  bool kicked = false, standin_stop = false;  // under wm
  std::weak_ptr<Listener> listener;
  // Received (by either), answered by the fast path, answered under native plans here, withdrawn
  // (RECV found no call: a signal interrupted it before it was received), stand-in take-overs.
  std::atomic<uint64_t> received{0}, fast{0}, planned{0}, withdrawn{0}, takeovers{0};

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

  void FdUserLeft() {
    std::lock_guard<std::mutex> l(m);
    fd_users--;
    left.notify_all();
  }

  // Parks when the loop asks (it then receives itself) until it hands receiving back (false) or
  // stops the receiver (true: leave).
  bool ParkIfAsked() {
    {
      std::lock_guard<std::mutex> l(m);
      if (!park_request || stopping) return false;
      parked = true;
      fd_users++;
      if (!signaled) {
        signaled = true;
        Wake();  // the loop starts polling the listener
      }
    }
    struct pollfd p[2] = {{stop_fd, POLLIN, 0}, {resume_fd, POLLIN, 0}};
    bool leave;
    for (;;) {
      int r = poll(p, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 || p[0].revents) {
        leave = true;
        break;
      }
      if (p[1].revents) {
        uint64_t v;
        ssize_t n = read(resume_fd, &v, sizeof v);
        (void)n;
        leave = false;
        break;
      }
    }
    // Leaving, it stays a user until its thread lets the listener go (Serve): Stop waits for that.
    if (!leave) FdUserLeft();
    return leave;
  }

  // A ServingThread for a new serving thread (under m).
  ServingThread* NewServer() {
    serving++;
    for (ServingThread& s : servers) {
      if (!s.free) continue;
      s.free = false;
      // Its count goes on (a stand-in comparing with an old look sees a change), not replaced.
      s.word.store((s.word.load() & ~ServingThread::kReplaced) + 2);
      return &s;
    }
    servers.emplace_back();
    return &servers.back();
  }

  void Leave(ServingThread* me) {
    std::lock_guard<std::mutex> l(m);
    me->free = true;
    serving--;
  }

  // The leader starts a plan: wakes the stand-in if it sleeps (it looks at the count first, see
  // Watch: one of the two sees the other's write).
  void PlanStarts(ServingThread* me) {
    if (standin_missing.load(std::memory_order_relaxed) && standin_missing.exchange(false)) StartStandIn();
    me->word.fetch_add(1);
    if (standin_asleep.load()) {
      std::lock_guard<std::mutex> l(wm);
      kicked = true;
      standin_asleep.store(false);
      wcv.notify_one();
    }
  }

  // A new stand-in thread (detached: it leaves when Stop says so). If no thread can be made now,
  // the leader tries again at its next plan.
  void StartStandIn() {
    auto* arg = new std::shared_ptr<State>(shared_from_this());
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    int r = pthread_create(&t, &a, [](void* p) -> void* {
      std::unique_ptr<std::shared_ptr<State>> s(static_cast<std::shared_ptr<State>*>(p));
      Watch(std::move(*s));
      return nullptr;
    }, arg);
    pthread_attr_destroy(&a);
    if (r != 0) {
      delete arg;
      standin_missing.store(true);
    }
  }

  static void BlockSignals(const char* name) {
    // Signals go to Node's thread; only stops and the freezer interrupt these (restarted).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    prctl(PR_SET_NAME, (unsigned long)name, 0, 0, 0);
    ShortSlice();
    // It runs nothing but native plans between calls: a tracee's ids may stay between its calls.
    emulate::KeepIdentityOnThisThread();
  }

  static void Run(std::shared_ptr<State> s, std::shared_ptr<Listener> listener, ServingThread* me) {
    BlockSignals("sysvisor-recv");
    s->Serve(std::move(listener), me);
  }

  // Serves as `me` until replaced or stopped, then lets the listener go (Stop waits for a parked or
  // polling thread to have done so: the listener closes when its last holder lets go).
  void Serve(std::shared_ptr<Listener> listener, ServingThread* me) {
    bool fd_user = Loop(*listener, me);
    listener.reset();
    if (fd_user) FdUserLeft();
    Leave(me);
  }

  // The stand-in: while plans run, looks at the leader's count every period; takes over from a
  // leader whose plan has run a whole period (it then serves as the leader until replaced in turn).
  static void Watch(std::shared_ptr<State> s) {
    BlockSignals("sysvisor-standin");
    ServingThread* cur = nullptr;
    uint64_t seen = 0;
    int quiet = 0;
    std::unique_lock<std::mutex> l(s->wm);
    for (;;) {
      if (s->wcv.wait_for(l, kStandInPeriod, [&] { return s->standin_stop; })) return;
      ServingThread* now = s->leader.load();
      uint64_t w = now ? now->word.load() : 0;
      bool same = now == cur && w == seen;
      cur = now;
      seen = w;
      if (!same || !now) {
        quiet = 0;
        continue;
      }
      if (w & 1) {
        ServingThread* me = nullptr;
        if (std::shared_ptr<Listener> listener = s->TakeOver(now, w, &me)) {
          l.unlock();
          s->Serve(std::move(listener), me);
          return;
        }
        continue;
      }
      if (++quiet < 2) continue;
      // No plan for two periods: sleep until the leader starts one.
      s->standin_asleep.store(true);
      if (now->word.load() != w || s->leader.load() != now) {
        s->standin_asleep.store(false);
        continue;
      }
      s->wcv.wait(l, [&] { return s->kicked || s->standin_stop; });
      if (s->standin_stop) return;
      s->kicked = false;
      quiet = 0;
      cur = nullptr;
    }
  }

  // The stand-in (holding wm) replaces OLD, whose plan of count W still runs: the listener to serve
  // as *me, or null (it stays the stand-in: the plan ended, too many threads serve, or stopping).
  std::shared_ptr<Listener> TakeOver(ServingThread* old, uint64_t w, ServingThread** out) {
    std::lock_guard<std::mutex> g(m);
    if (stopping || serving >= kMaxServing) return nullptr;
    std::shared_ptr<Listener> l = listener.lock();
    if (!l) return nullptr;
    if (!old->word.compare_exchange_strong(w, w | ServingThread::kReplaced)) return nullptr;
    ServingThread* me = NewServer();
    leader.store(me);
    *out = me;
    takeovers++;
    // A new stand-in for the new leader.
    StartStandIn();
    return l;
  }

  // Receives until replaced, stopped or hung up. True when it leaves as a user of stop_fd (stopped
  // while parked, or a polling thread).
  bool Loop(Listener& listener, ServingThread* me) {
    bool r = Receive(listener, me);
    return r || !blocking;
  }

  // Loop's body: true when stopped while parked.
  bool Receive(Listener& listener, ServingThread* me) {
    int fd = listener.fd();
    struct pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    for (;;) {
      if (blocking) {
        if (leader.load() != me) return false;  // replaced (a take-over raced with the end of a plan)
        if (ParkIfAsked()) return true;   // stopped while parked
      } else {
        if (poll(p, 2, -1) < 0) {
          if (errno == EINTR) continue;
          return Hangup(), false;  // cannot wait any more: the pump reports it as the end
        }
        if (p[1].revents) return false;  // stopped by the loop
        if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL) && !(p[0].revents & POLLIN)) return Hangup(), false;
        if (!(p[0].revents & POLLIN)) continue;
      }
      Received item;
      memset(&item.n, 0, sizeof item.n);
      item.known = emulate::TraceeGeneration();
      if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &item.n) < 0) {
        if (errno == EINTR) continue;
        // ENOENT: a call withdrawn before we took it (normal), or no user left (6.11+: every
        // RECV fails so once the filter is orphaned).
        if (errno == ENOENT && !HungUp(fd)) {
          withdrawn++;
          if (Stopping()) return false;
          continue;
        }
        return Hangup(), false;
      }
      received++;
      listener.NoteReceived(item.n.id);  // for the launcher, should this process die now
      // After the loop stopped receiving, a call gets what the listener's close gives.
      if (Stopping()) {
        SendAnswer(fd, item.n.id, 0, -ENOSYS, 0);
        return false;
      }
      if (router.Decide(fd, item.n, &item)) {
        fast++;
        continue;
      }
      bool replaced = false;
      if (blocking && native) {
        PlanStarts(me);
        bool done = native(fd, item, true);
        replaced = me->word.fetch_add(1) & ServingThread::kReplaced;
        item.planned = true;
        if (done) {
          planned++;
          if (replaced) return false;  // the stand-in serves now
          continue;
        }
      }
      uint64_t id = item.n.id;
      if (!Push(std::move(item))) {
        SendAnswer(fd, id, 0, -ENOSYS, 0);
        return false;
      }
      if (replaced) return false;
    }
  }
};

Receiver::Receiver(uv_loop_t* loop, std::shared_ptr<Listener> listener, std::function<void()> on_ready, NativeRunner native)
    : state_(std::make_shared<State>()), listener_(listener), loop_(loop), on_ready_(std::move(on_ready)) {
  int pipefd[2];
  state_->blocking = RecvSeesHangup();
  state_->native = std::move(native);
  state_->listener = listener;
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
  ServingThread* first;
  {
    std::lock_guard<std::mutex> l(state_->m);
    first = state_->NewServer();
    // A polling thread reads stop_fd all along.
    if (!state_->blocking) state_->fd_users++;
  }
  state_->leader.store(first);
  if (state_->blocking && state_->native) state_->StartStandIn();
  thread_ = std::thread(State::Run, state_, std::move(listener), first);
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
// to JS (neither the fast path nor a plan answered them on the thread) with none withdrawn; the thread takes over again after kProbe calls received by the loop
// (a probe: does it find calls withdrawn?) or as soon as the loop sees one withdrawn.
void Receiver::Tune() {
  constexpr uint64_t kWindow = 64, kProbe = 1024;
  State& s = *state_;
  if (!s.blocking) return;  // before Linux 6.11 the thread polls first: it always receives
  uint64_t received = s.received, fast = s.fast + s.planned, withdrawn = s.withdrawn;
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
//
// With a spin (SetSpin), the loop then polls the listener for a while before it returns to libuv's
// epoll_wait: the tracee's next call, made once the answer woke it, is received without a wake-up
// of this thread. Each call found arms it again, so an idle agent does not spin; a poll that ran
// out makes the next ones back off (Spinner), so a container whose calls are far apart, or a
// loaded machine, costs about one poll in 64. The turn (from the first RECV: the calls received,
// their JS run and answered, the polls) ends after kTurnNs even while calls keep coming: the
// listener stays readable, so libuv comes back to it after the other containers, connections and
// timers had theirs.
void Receiver::OnListenerReadable(int events) {
  (void)events;
  if (!listening_) return;
  uint64_t start = spin_ns_ != 0 ? SpinClockNs() : 0;
  ReceiveHere();
  if (spin_ns_ == 0) return;
  // Stop (from JS or a hang-up) and Tune's hand-back both end the loop's listening.
  while (listening_ && listener_) {
    if (SpinClockNs() - start >= kTurnNs) {
      spin_cuts_++;
      return;
    }
    int fd = listener_->fd();
    auto ready = [fd] {  // a call, or the hang-up (ReceiveHere reports it)
      struct pollfd p = {fd, POLLIN, 0};
      return poll(&p, 1, 0) == 1;
    };
    auto relax = [this] {
      spin_misses_++;
      if (spin_yield_) sched_yield();
      else CpuRelax();
    };
    if (!spinner_.Until(spin_ns_, ready, relax, 1)) return;
    spin_hits_++;
    ReceiveHere();
  }
}

void Receiver::ReceiveHere() {
  State& s = *state_;
  int fd = listener_->fd();
  bool hangup = false;
  int drained = 0;
  for (bool first = true; first || (multi_ && Pending(fd)); first = false) {
    Received item;
    memset(&item.n, 0, sizeof item.n);
    item.known = emulate::TraceeGeneration();
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
  {
    std::lock_guard<std::mutex> l(state_->m);
    state_->stopping = true;
    for (auto& it : state_->queue) leftover->push_back(std::move(it));
    state_->queue.clear();
  }
  if (listen_) {
    Unlisten();  // the poll is stopped (out of epoll) now; the handle is freed once closed
    uv_close(reinterpret_cast<uv_handle_t*>(listen_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    listen_ = nullptr;
  }
  // The listener closes when its last holder lets it go (the pump, a replier in flight, a thread
  // still blocked in RECV or in a plan): never held here until the garbage collector frees the
  // receiver.
  listener_.reset();
  {
    std::lock_guard<std::mutex> l(state_->wm);
    state_->standin_stop = true;  // the stand-in leaves (it holds no listener while it waits)
    state_->wcv.notify_all();
  }
  uint64_t one = 1;
  ssize_t r = write(state_->stop_fd, &one, sizeof one);
  (void)r;
  // A polling or parked thread leaves at its next poll (RECV only after POLLIN: it never blocks
  // there) and lets the listener go: waited for, since its fds close below. A thread blocked in
  // RECV, which nothing but a notification or the end of the filter's last user wakes (no signal
  // reaches it: all are blocked there), leaves then, answering that call ENOSYS, as the listener's
  // close would; one in a plan answers its call and leaves. Their references keep the listener and
  // State alive until then. (The loop stops receiving while users remain only on an early close.)
  {
    std::unique_lock<std::mutex> l(state_->m);
    state_->left.wait(l, [&] { return state_->fd_users == 0; });
  }
  if (thread_.joinable()) thread_.detach();
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
uint64_t Receiver::planned() const { return state_->planned; }
uint64_t Receiver::takeovers() const { return state_->takeovers; }

}  // namespace unotify
}  // namespace sysvisor
