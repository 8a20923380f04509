// Native plans on the ptrace tracer thread: a call every engine of whose chain has a native plan
// for it (src/chain/plan.ts, NATIVE_CALLS; the same table the unotify pump runs, plan.h) never
// reaches JS. The plans map its path in C++ (ApplyPlans, as the engines' own fast mapping does),
// the path is resolved in the engines' views (ViewPathOf: a symlink naming a view is followed
// there, as the JS executor does), the mapped path is written below the thread's red zone and the
// argument register pointed at it. The kernel then runs the call as the tracee (its credentials,
// its checks; an open gives its own fd), and the register is put back at the syscall-exit stop,
// exactly as the JS executor (src/transports/ptrace/executor.ts) realizes the same mapping.
// Everything else goes to JS as before: a path a plan cannot decide alone (its engine's walk:
// levels, `..`, the prefix's name after it, relative paths), a component an engine watches
// (procfs links), an open whose file an engine records, or no room below the red zone (a thread
// on its alternate signal stack: JS says why and answers ENOMEM).
#pragma once
#include <linux/seccomp.h>
#include <napi.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "unotify/plan.h"
#include "unotify/receiver.h"

namespace sysvisor {
namespace ptrace {

// What the plans made of a stopped call.
struct PlanStep {
  enum Kind { kJs, kRun, kFail } kind = kJs;
  int arg = -1;        // kRun: the argument register set...
  uint64_t value = 0;  // ...to this address (the mapped path below the red zone)
  int err = 0;         // kFail: the call's answer, -err (the walk in the view failed)
};

class Plans {
 public:
  // setFastPath's `native` field (NativeCallsFrom) and `components` (paths holding one go to JS):
  // replaced whole. False (nothing changed) when malformed. Node's thread.
  bool Configure(Napi::Value native, const std::vector<std::string>& components);
  // The tracer thread, at every stop for the chain: remembers the bounds of an alternate signal
  // stack a sigaltstack(ss, ...) sets (bounded, as the JS transport's stackFloor).
  void Note(pid_t tid, const struct seccomp_data& d);
  // The tracer thread: what the plans make of call `d` of thread `tid` stopped with stack pointer
  // `sp`, whose path the fast path read into `r` (and left to JS). kRun: the mapped path is
  // written; the caller sets the register and puts it back at the call's exit.
  PlanStep Run(pid_t tid, const struct seccomp_data& d, const unotify::Received& r, uint64_t sp);
  // Calls run under plans.
  uint64_t count() const { return count_.load(); }

 private:
  struct Table {
    std::vector<std::unique_ptr<unotify::NativeCall>> calls;  // by syscall number
    std::vector<std::string> components;
  };
  std::shared_ptr<const Table> Get();
  uint64_t Floor(uint64_t sp) const;

  std::mutex m_;
  std::shared_ptr<const Table> table_ = std::make_shared<Table>();
  std::deque<std::pair<uint64_t, uint64_t>> alt_stacks_;  // tracer thread only: [lo, hi]
  std::atomic<uint64_t> count_{0};
};

}  // namespace ptrace
}  // namespace sysvisor
