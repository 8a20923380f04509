// Native plans on the ptrace tracer thread (plans.h).
#include "ptrace/plans.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "memory/tracee_mem.h"
#include "ptrace/view_path.h"

namespace sysvisor {
namespace ptrace {

namespace {

// Bytes below the stack pointer the thread's own code may use (the x86-64 System V red zone).
constexpr uint64_t kRedZone = 128;
// Alternate signal stacks remembered (the oldest forgotten first), as the JS transport keeps them.
constexpr size_t kMaxAltStacks = 1024;
// stack_t: ss_sp (u64) at 0, ss_flags (int) at 8, ss_size (u64) at 16.
struct StackT {
  uint64_t sp;
  int32_t flags;
  int32_t pad;
  uint64_t size;
};

// A component of `path` is one of `names`, except those a plan of `chain` strips (its prefix's
// name: the plan decides those itself).
bool Watched(const std::string& path, const std::vector<std::string>& names, const std::vector<unotify::PathPlan>& chain) {
  return unotify::HasComponentOf(path, names, [&](const std::string& c) {
    for (const auto& p : chain)
      if (p.prefix.compare(1, std::string::npos, c) == 0) return false;
    return true;
  });
}

// Whether the call follows a final symlink of its path, as the JS executor's followsLast derives
// it from the syscall table: never for a NOFOLLOW call (readlink, mkdir; lstat and the l* calls
// also have AT_SYMLINK_NOFOLLOW in their fixed flags), else unless its flags say AT_SYMLINK_NOFOLLOW.
bool Follows(const unotify::NativeCall& c, int flags) {
  if (c.nofollow) return false;
  return (flags & AT_SYMLINK_NOFOLLOW) == 0;
}

}  // namespace

bool Plans::Configure(Napi::Value native, const std::vector<std::string>& components) {
  auto t = std::make_shared<Table>();
  t->calls.resize(unotify::kMaxSyscall);
  if (!unotify::NativeCallsFrom(native, &t->calls)) return false;
  // Opens stay in JS: their engines record the file the kernel opens (and JS realizes the rest).
  for (auto& c : t->calls)
    if (c && c->op == "open") c.reset();
  t->components = components;
  std::lock_guard<std::mutex> l(m_);
  table_ = std::move(t);
  return true;
}

std::shared_ptr<const Plans::Table> Plans::Get() {
  std::lock_guard<std::mutex> l(m_);
  return table_;
}

void Plans::Note(pid_t tid, const struct seccomp_data& d) {
  if (d.nr != SYS_sigaltstack || d.args[0] == 0) return;
  StackT ss;
  struct iovec local = {&ss, sizeof ss};
  struct iovec remote = {reinterpret_cast<void*>(d.args[0]), sizeof ss};
  if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof ss) return;
  if ((ss.flags & SS_DISABLE) != 0 || ss.size == 0 || (int64_t)ss.size < 0) return;
  if (alt_stacks_.size() >= kMaxAltStacks) alt_stacks_.pop_front();
  alt_stacks_.emplace_back(ss.sp, ss.sp + ss.size);
}

// The lowest address below sp that may be written: the bottom of a known alternate signal stack
// holding sp, else 0 (the stack grows down).
uint64_t Plans::Floor(uint64_t sp) const {
  for (const auto& s : alt_stacks_)
    if (sp > s.first && sp <= s.second) return s.first;
  return 0;
}

PlanStep Plans::Run(pid_t tid, const struct seccomp_data& d, const unotify::Received& r, uint64_t sp) {
  PlanStep js;
  if (!r.has_path || d.nr < 0 || d.nr >= unotify::kMaxSyscall) return js;
  std::shared_ptr<const Table> t = Get();
  const unotify::NativeCall* c = t->calls.empty() ? nullptr : t->calls[d.nr].get();
  if (!c || r.path_arg != c->path) return js;
  if (!t->components.empty() && Watched(r.path, t->components, c->chain)) return js;
  // The engines' own mapping: `..` after a prefix is their walk's (the kernel resolves the path
  // here, and the level reached matters to them), as in JS (PathMap.fast).
  std::string mapped;
  if (!unotify::ApplyPlans(c->chain, r.path, &mapped, nullptr, false)) return js;
  int flags = (c->flags >= 0 ? (int)d.args[c->flags] : 0) | c->fixed_flags;
  if ((uint32_t)flags & ~c->plain_flags) return js;
  // A symlink on the way that names a view is followed there (the executor's inView).
  std::vector<std::pair<std::string, int>> view;
  for (const auto& p : c->chain) view.emplace_back(p.prefix, p.levels);
  int dirfd = c->dirfd >= 0 ? (int)(int32_t)d.args[c->dirfd] : AT_FDCWD;
  std::string real;
  int v = ViewPathOf(tid, dirfd, mapped, Follows(*c, flags), view, false, &real);
  if (v < 0) {
    count_++;
    PlanStep fail;
    fail.kind = PlanStep::kFail;
    fail.err = -v;
    return fail;
  }
  if (v > 0) mapped.swap(real);
  // Below the red zone, 16-byte aligned (placeStrings in executor.ts); JS says why when there is
  // no room (the thread runs on its alternate signal stack) or the write fails.
  size_t len = mapped.size() + 1;
  if (sp < kRedZone + len + 16) return js;
  uint64_t at = (sp - kRedZone - len) & ~(uint64_t)15;
  if (at < Floor(sp)) return js;
  if (memory::WriteOutput(tid, at, mapped.c_str(), len) != 0) return js;
  count_++;
  PlanStep run;
  run.kind = PlanStep::kRun;
  run.arg = c->path;
  run.value = at;
  return run;
}

}  // namespace ptrace
}  // namespace sysvisor
