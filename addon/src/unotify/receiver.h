// The receiving side of the pump: a dedicated native thread blocks on the listener and takes each
// notification (NOTIF_RECV) the moment it arrives, whatever Node's thread is doing. Until it is
// received, a notified call is interrupted by any signal the tracee gets (EINTR without
// SA_RESTART); once received, the filter's SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV lets only a
// fatal signal end the wait. So the window stays as small as a bare C supervisor's, however busy
// the JS engines are. The same thread answers what needs no JS (the fast path: CONTINUE) and hands
// the rest to the loop thread in batches. The price: one more thread hop per call that goes to JS
// (tracee -> this thread -> Node's thread), measured in `npm run bench`.
//
// So, while the calls go to JS and no tracee is being interrupted, the thread parks and Node's
// thread receives itself (uv_poll on the listener, then RECV: one hop less); the thread takes over
// again every kProbe (1024) calls, and stays while its RECVs find calls withdrawn by a signal
// (ENOENT) or while most calls take the fast path or a native plan. Only one of the two receives at
// a time.
//
// Native plans (plan.h) run on the receiving thread itself (Linux 6.11+, where it blocks in RECV):
// no hop to Node's thread, and an open's fd installed inline (ADDFD). A plan may block (ADDFD
// waits for its target to run; a walk or an open may wait on a lease break, a FUSE server, ...),
// and the thread serves everyone: so a stand-in thread watches it while plans run. When one plan
// has run for a whole period (kStandInPeriod), the stand-in takes over receiving (it becomes the
// leader, and a new stand-in starts); the thread that was blocked answers its call when its plan
// ends and leaves. The stand-in sleeps on a condition variable when no plan has run for two
// periods, and the leader wakes it at its next plan: idle, it costs nothing. At most kMaxServing
// threads serve at once (the leader and those replaced while blocked); past that a blocked plan
// waits for one of them to end.
#pragma once
#include <linux/seccomp.h>
#include <napi.h>
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "contract.h"
#include "spin.h"
#include "unotify/replier.h"

namespace sysvisor {
namespace unotify {

constexpr int kMaxSyscall = SV_MAX_SYSCALLS;
constexpr size_t kPathMax = 4096;

// Reads a NUL-terminated string from the tracee, page by page (a string may end just before an
// unmapped page). False if unreadable or longer than max.
bool ReadTraceeString(int pid, uint64_t addr, size_t max, std::string* out);
// Two such strings (at most MAX and MAX2 bytes with their NULs) whose first pages' worth are read
// in one process_vm_readv (the rest, if any, as ReadTraceeString does): false when the first
// cannot be read; *ok2 says whether the second was.
bool ReadTraceeStrings(int pid, uint64_t addr, size_t max, std::string* out, uint64_t addr2, size_t max2, std::string* out2, bool* ok2);

// A notification the fast path left to JS, with the path it read (once) if any.
struct Received {
  struct seccomp_notif n;
  std::string path;
  bool has_path = false;
  int8_t path_arg = -1;  // the argument it was read from
  // A second string argument read with the path, in the same process_vm_readv (an xattr call's
  // name: FastPath::names), when readable and NUL-terminated within its bound.
  std::string name;
  bool has_name = false;
  int8_t name_arg = -1;
  bool planned = false;  // the receiving thread tried its native plan (and left it to JS)
  // The identity cache's generation read before the RECV (emulate::TraceeGeneration): what a
  // native plan may take as proof that the call's thread is the one cached (NativePathRequest).
  uint64_t known = 0;
};

// Runs call `item` under its chain's native plans and answers it (pump.cc): false when JS must take
// it. may_block: on a receiving thread with a stand-in (it may wait as the tracee's call would).
using NativeRunner = std::function<bool(int fd, Received& item, bool may_block)>;

// What the fast path answers without JS, as JS configures it: replaced whole (FastPath), never
// piece by piece, so that a call decided meanwhile (by the receiving thread) sees the old
// configuration or the new one, never a mix (a route already set with the prefixes not yet: a
// mapped call continued). Until the first Configure, every call goes to JS.
struct FastPath {
  // syscalls in the filter for engines loaded later, wanted by none now: continued
  std::vector<int> continued;
  // (nr, path argument) pairs: a path outside every prefix is continued without JS
  std::vector<std::pair<int, int>> routes;
  std::vector<std::string> prefixes;    // the absolute prefixes some engine maps
  bool relative_to_js = false;          // relative paths go to JS (an engine keeps a virtual cwd)
  std::vector<std::string> components;  // a path holding one of these components goes to JS
  // (nr, argument) pairs of a routed call's second string (a native plan's xattr name, at most
  // kNameMax bytes with its NUL): read with the path, one process_vm_readv for both (Received).
  // Set by the pump from its native plans (NativeCall::name), not by JS.
  std::vector<std::pair<int, int>> names;
  static constexpr size_t kNameMax = 256;
};

// The FastPathConfig object of src/native/binding.ts (the pump's and the tracer's setFastPath),
// without its `native` field.
FastPath FastPathFrom(Napi::Object o);

// Whether a component of PATH (between slashes) is one of NAMES for which KEEP(name) holds (the
// Router's watched components; the ptrace plans' ones, but those a plan strips itself).
template <typename Keep>
bool HasComponentOf(const std::string& path, const std::vector<std::string>& names, Keep keep) {
  size_t i = 0, n = path.size();
  while (i < n) {
    while (i < n && path[i] == '/') i++;
    size_t j = i;
    while (j < n && path[j] != '/') j++;
    for (const auto& c : names)
      if (c.size() == j - i && path.compare(i, j - i, c) == 0 && keep(c)) return true;
    i = j;
  }
  return false;
}

class Router {
 public:
  Router() : routes_(kMaxSyscall) {}
  // False (nothing changed) when a syscall number or argument index is out of range.
  bool Configure(const FastPath& config);
  // True when `n` was answered here (CONTINUE); otherwise `out` holds what JS needs.
  bool Decide(int fd, const struct seccomp_notif& n, Received* out);
  // The decision alone, for a call of thread `pid` (the ptrace transport's stops too): true when it
  // needs no JS (run it as it is); otherwise `out` holds the path read, if any.
  bool Continues(const struct seccomp_data& d, pid_t pid, Received* out);

 private:
  struct Route {
    int8_t path_arg = -1;
    int8_t name_arg = -1;  // FastPath::names
    bool always_continue = false;
  };
  bool HasComponent(const std::string& path) const;

  std::mutex m_;
  bool configured_ = false;
  std::vector<Route> routes_;
  std::vector<std::string> prefixes_, components_;
  bool prefixes_relative_ = false;
};

class Receiver {
 public:
  // Starts the thread. on_ready runs on the loop thread when notifications are waiting in Take()
  // or the filter has no user left (hangup). Throws nothing; ok() says whether it runs.
  Receiver(uv_loop_t* loop, std::shared_ptr<Listener> listener, std::function<void()> on_ready, NativeRunner native = nullptr);
  ~Receiver();  // Stop(), answering nothing: the owner stops it first
  bool ok() const { return ok_; }
  int error() const { return error_; }
  // Loop thread: moves the waiting notifications to `out`; returns true once the filter has no
  // user left and everything before that was taken.
  bool Take(std::vector<Received>* out);
  // Loop thread: stop receiving: the thread leaves (joined) and the fds of the receiver close.
  // What it had received and nobody took is appended to `leftover` (the caller answers it).
  // Idempotent.
  void Stop(std::vector<Received>* leftover);
  Router& router();
  uint64_t received() const;
  uint64_t fast() const;
  // Calls answered under native plans on the receiving threads.
  uint64_t planned() const;
  // Times a stand-in took over receiving from a thread blocked in a plan.
  uint64_t takeovers() const;
  // Notifications received on Node's thread (while the thread was parked).
  uint64_t received_here() const { return received_here_; }
  // Loop thread: after the calls it received itself, Node's thread polls the listener for up to
  // `ns` more before it returns to the loop (0: never), with sched_yield between polls when
  // `yield` (else a pause instruction). Armed by a call, never while idle; a poll that ran out
  // makes the next ones back off (Spinner, spin.h); a turn that keeps finding calls returns to the
  // loop after kTurnNs.
  void SetSpin(uint64_t ns, bool yield) {
    spin_ns_ = ns;
    spin_yield_ = yield;
  }
  // Calls the loop found while polling after a call (SetSpin), its polls that found none, the
  // spins it skipped while backing off, and its turns ended by kTurnNs.
  uint64_t spin_hits() const { return spin_hits_; }
  uint64_t spin_misses() const { return spin_misses_; }
  uint64_t spin_skips() const { return spinner_.skipped(); }
  uint64_t spin_cuts() const { return spin_cuts_; }
  // How long one turn of the loop on this listener (its calls received, run and answered, its
  // polls) may go on before it returns to libuv: Node's one thread also serves the other
  // containers of an agent, its connections, timers and JS calls.
  static constexpr uint64_t kTurnNs = 1000 * 1000;

  struct State;

 private:
  // Loop thread: decides who receives (see the top of this file).
  void Tune();
  void Listen();
  void Unlisten();
  void HandBack();
  void OnListenerReadable(int events);
  void ReceiveHere();

  std::shared_ptr<State> state_;
  std::shared_ptr<Listener> listener_;
  std::thread thread_;
  uv_loop_t* loop_ = nullptr;
  uv_poll_t* wake_ = nullptr;    // the loop side of the wake-up pipe
  uv_poll_t* listen_ = nullptr;  // the listener, polled while the thread is parked
  bool listening_ = false;
  bool multi_ = false;  // the last wake-up on the listener found several notifications
  uint64_t received_here_ = 0;
  uint64_t spin_ns_ = 0, spin_hits_ = 0, spin_misses_ = 0, spin_cuts_ = 0;
  bool spin_yield_ = true;
  Spinner spinner_;
  // Counts at the last decision of Tune.
  uint64_t seen_received_ = 0, seen_fast_ = 0, seen_withdrawn_ = 0, loop_since_ = 0;
  std::function<void()> on_ready_;
  bool ok_ = false;
  int error_ = 0;
};

}  // namespace unotify
}  // namespace sysvisor
