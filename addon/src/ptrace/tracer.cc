// The ptrace transport's stop loop: a dedicated native thread is the tracer (the kernel accepts
// ptrace requests only from the thread that attached), seizes the command before it installs its
// SECCOMP_RET_TRACE filter, and waits for its tree's stops (waitpid with __WALL | __WNOTHREAD:
// only this thread's tracees, never Node's own children). A seccomp stop (PTRACE_EVENT_SECCOMP) is
// read with PTRACE_GET_SYSCALL_INFO and handed to JS in batches, as the unotify pump does (the same
// batch layout, contract.h); the thread stays stopped until JS answers:
// - continue: PTRACE_CONT, the kernel runs the call;
// - value / errno: the call is skipped (orig_rax = -1: kernel/seccomp.c skips a call whose number
//   the tracer made negative) with rax = the value or -errno;
// - changed arguments (setArgs, then continue): the argument registers are set, the call runs, and
//   at its syscall-exit stop (PTRACE_SYSCALL) the registers are put back as the tracee had them
//   (the x86-64 syscall ABI preserves them), except after a successful execve (new registers).
// Everything else is made transparent: signal-delivery stops re-inject the signal, group-stops are
// held with PTRACE_LISTEN (the tracee stays stopped until SIGCONT, as strace does), event stops
// resume. The thread hands each batch of stops to JS and waits until JS has run it, then executes
// the answers JS gave at once; an answer given later (an engine held the call) reaches it through
// a queue and wakes it, blocked in waitpid, by a stop of its own: a tiny child process (the waker)
// it also traces gets a signal. The hand-over costs wake-ups the C floor does not pay (tracee ->
// this thread -> Node's thread -> this thread -> tracee): so this thread spins a while for the
// batch's answers before it sleeps, and Node's thread, once it answered, spins a while for the next
// batch, which this thread then offers it without an async wake-up (Spinner, BatchGate: bounded,
// armed only while a call is out, backing off when spins do not pay).
//
// Entry mode (under a foreign seccomp listener): the kernel keeps the action of highest precedence
// of all filters (seccomp_run_filters: the lowest ACTION_ONLY value), and USER_NOTIF (0x7fc00000)
// beats TRACE (0x7ff00000), so a call the foreign filter notifies never makes a seccomp stop. The
// ptrace syscall-entry stop comes before seccomp (syscall_trace_enter in kernel/entry/common.c:
// "Do seccomp after ptrace"), so in entry mode every tracee is resumed with PTRACE_SYSCALL and the
// thread runs the command's own filter program (the planner's, given to the constructor) on each
// entry stop: a call it would TRACE goes to JS from there, exactly as from a seccomp stop; the
// seccomp stop that may follow (when the foreign filter allowed the call) is only resumed. A
// skipped call (orig_rax = -1) still passes seccomp with nr -1, whose filters may set rax (ours
// answers ENOSYS to a foreign ABI in --complete), so its value is set at its syscall-exit stop.
#include "common.h"
#include "contract.h"
#include "emulate/emulate.h"
#include "ptrace/plans.h"
#include "spin.h"
#include "unotify/receiver.h"

#include <linux/filter.h>
#include <linux/futex.h>
#include <sched.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sysvisor {
namespace {

long Pt(long req, pid_t pid, uintptr_t addr, uintptr_t data) { return syscall(SYS_ptrace, req, pid, addr, data); }

constexpr int kFields = SV_NOTIF_FIELDS;
constexpr int kBatch = 128;
constexpr long kSeizeOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
                               PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;

// A seccomp stop waiting for JS.
struct Stop {
  pid_t tid;
  int nr;
  uint64_t args[6];
  uint64_t sp;
};

// What JS decided for a stopped call.
struct Answer {
  pid_t tid;
  int kind;  // SV_REPLY_CONTINUE / VALUE / ERRNO
  int64_t value;
  bool await_exit;  // continue: stop again at the call's syscall-exit stop, for JS
};

// A call JS holds: its arguments exactly, the stack pointer, and the argument changes to apply.
struct Pending {
  int nr = -1;
  uint64_t args[6];
  uint64_t sp;
  uint64_t set[6];
  uint8_t set_mask = 0;
  bool at_exit = false;  // held at its syscall-exit stop (an answer sets rax only)
  int redo_nr = -1;      // >= 0: the thread makes this syscall instead (redo), whatever the answer
  std::string exec_fn;   // an execve let run: the new program's AT_EXECFN, when not the path run
};

// A call let run with PTRACE_SYSCALL: what its syscall-exit stop does.
struct Run {
  bool restore = false;  // put the argument registers back
  uint8_t restore_mask = 0;  // which ones (those the answer changed)
  std::array<uint64_t, 6> saved{};
  bool await_exit = false;  // hand the exit stop to JS
  // Entry mode, a call skipped at its entry stop: the value to set (set_rax), or the syscall to
  // make instead (redo_nr >= 0, with these argument registers), once seccomp has seen nr -1.
  bool set_rax = false;
  int64_t rax = 0;
  int redo_nr = -1;
  uint64_t set[6] = {};
  uint8_t set_mask = 0;
  std::string exec_fn;  // an execve: AT_EXECFN names this at its exec stop, if it succeeds
};

// PTRACE_SET_SYSCALL_INFO (Linux 6.16, kernel/ptrace.c ptrace_set_syscall_info): at a seccomp or
// syscall-entry stop it sets the call's number and its six argument registers in one request (the
// op given must be the stop's own; flags and reserved 0).
#ifndef PTRACE_SET_SYSCALL_INFO
#define PTRACE_SET_SYSCALL_INFO 0x4212
#endif

uint64_t* ArgReg(struct user_regs_struct* r, int i) {
  switch (i) {
    case 0: return (uint64_t*)&r->rdi;
    case 1: return (uint64_t*)&r->rsi;
    case 2: return (uint64_t*)&r->rdx;
    case 3: return (uint64_t*)&r->r10;
    case 4: return (uint64_t*)&r->r8;
    default: return (uint64_t*)&r->r9;
  }
}

// The offset of argument register i in struct user_regs_struct (PTRACE_POKEUSR), from ArgReg.
size_t ArgOffset(int i) {
  struct user_regs_struct r;
  return (size_t)((char*)ArgReg(&r, i) - (char*)&r);
}

// How long a thread spins for the other one before it sleeps: the tracer thread for the answers of
// a batch it handed over (its tracees stay stopped meanwhile: only its own CPU is spent, while Node's
// thread runs the chain on another one), Node's thread for the next batch after it answered one
// (the tracee runs meanwhile; its next stop comes after about one round trip of the C floor). Each
// spin saves the spinner a sleep and its waker a wake-up (a futex wake, an eventfd write and an
// epoll wake-up). Bounded, and armed only while a call is out: an idle tracer burns nothing. A
// spin that ran out backs off (Spinner, spin.h).
constexpr uint64_t kSpinNs = 50 * 1000;

// One batch out at a time, from the tracer thread to Node's thread: the tracer arms it, hands the
// batch over and waits (spinning first, then on a futex); Node's thread marks it done when it has
// run the batch, and makes a futex wake only when the tracer went to sleep.
class BatchGate {
 public:
  void Arm() { state_.store(kOut); }
  // The tracer thread: until Done(), or closing.
  void Wait(const std::atomic<bool>& closing) {
    if (spinner_.Until(kSpinNs, [&] { return state_.load() == kDone || closing.load(); }, CpuRelax)) return;
    uint32_t out = kOut;
    if (!state_.compare_exchange_strong(out, kAsleep)) return;  // done meanwhile
    while (state_.load() == kAsleep) syscall(SYS_futex, &state_, FUTEX_WAIT_PRIVATE, kAsleep, nullptr, nullptr, 0);
  }
  void Done() {
    if (state_.exchange(kDone) == kAsleep) syscall(SYS_futex, &state_, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }

 private:
  static constexpr uint32_t kDone = 0, kOut = 1, kAsleep = 2;
  std::atomic<uint32_t> state_{kDone};  // a futex word
  Spinner spinner_;                     // the tracer thread's
};

bool IsStopSignal(int sig) { return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU; }

class Tracer : public Napi::ObjectWrap<Tracer> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Tracer", {
      InstanceMethod<&Tracer::Continue>("continue"),
      InstanceMethod<&Tracer::Reply>("reply"),
      InstanceMethod<&Tracer::SetArgs>("setArgs"),
      InstanceMethod<&Tracer::RedoAs>("redoAs"),
      InstanceMethod<&Tracer::ExecName>("execName"),
      InstanceMethod<&Tracer::Valid>("valid"),
      InstanceMethod<&Tracer::Arg64>("arg64"),
      InstanceMethod<&Tracer::StackPointer>("stackPointer"),
      InstanceMethod<&Tracer::ReadString>("readString"),
      InstanceMethod<&Tracer::ReadBytes>("readBytes"),
      InstanceMethod<&Tracer::Stats>("stats"),
      InstanceMethod<&Tracer::SetFastPath>("setFastPath"),
      InstanceMethod<&Tracer::Close>("close"),
      InstanceAccessor<&Tracer::GetBatch>("batch"),
      InstanceAccessor<&Tracer::GetReplies>("replies"),
    });
  }

  // new Tracer(pid, onBatch(count) -> boolean[, entryFilter]): seizes pid (throws when ptrace is
  // refused) from a new thread that then serves its tree's stops. onBatch returns true when it left
  // promises. entryFilter (struct sock_filter[], the filter pid installs): entry mode (see above).
  Tracer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Tracer>(info) {
    Napi::Env env = info.Env();
    if (!ArgNumber(info, 0, "pid") || !ArgFunction(info, 1, "onBatch")) return;
    pid_t pid = info[0].As<Napi::Number>().Int32Value();
    if (pid <= 0) {
      ThrowType(env, "parameter 'pid' must be a positive pid");
      return;
    }
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsBuffer()) {
        ThrowType(env, "parameter 'entryFilter' must be a Buffer (struct sock_filter[])");
        return;
      }
      Napi::Buffer<uint8_t> b = info[2].As<Napi::Buffer<uint8_t>>();
      size_t n = b.Length() / sizeof(struct sock_filter);
      if (b.Length() % sizeof(struct sock_filter) != 0 || n == 0 || n > BPF_MAXINSNS) {
        ThrowType(env, "parameter 'entryFilter' must hold 1..4096 struct sock_filter");
        return;
      }
      prog_.resize(n);
      memcpy(prog_.data(), b.Data(), b.Length());
      for (const struct sock_filter& f : prog_) {
        if (!KnownInsn(f)) {
          ThrowType(env, "parameter 'entryFilter': an instruction the tracer cannot run (the planner's subset: ld abs, ja, jeq, jge, jset, ret)");
          return;
        }
      }
      entry_mode_ = true;
    }
    on_batch_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_flush_ = Napi::Persistent(Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return i.Env().Undefined(); }));
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, sizeof(double) * kFields * kBatch);
    data_ = static_cast<double*>(ab.Data());
    batch_ = Napi::Persistent(Napi::Float64Array::New(env, kFields * kBatch, ab, 0));
    Napi::ArrayBuffer rb = Napi::ArrayBuffer::New(env, sizeof(double) * SV_REPLY_FIELDS * kBatch);
    replies_data_ = static_cast<double*>(rb.Data());
    replies_ = Napi::Persistent(Napi::Float64Array::New(env, SV_REPLY_FIELDS * kBatch, rb, 0));

    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    async_ = new uv_async_t;
    async_->data = this;
    uv_async_init(loop, async_, [](uv_async_t* a) { static_cast<Tracer*>(a->data)->OnStops(); });

    std::unique_lock<std::mutex> lock(m_);
    thread_ = std::thread([this, pid] { Main(pid); });
    started_cv_.wait(lock, [this] { return started_; });
    if (start_error_ != 0) {
      lock.unlock();
      thread_.join();
      CloseAsync();
      ThrowSys(env, start_op_, "ptrace", start_error_);
      return;
    }
    running_ = true;
    Ref();  // alive while tracing
  }

  ~Tracer() { Shutdown(); }

 private:
  // ---- the tracer thread ----

  void Started(const char* op, int err) {
    std::lock_guard<std::mutex> lock(m_);
    start_op_ = op;
    start_error_ = err;
    started_ = true;
    started_cv_.notify_all();
  }

  void Main(pid_t root) {
    // The waker: a child of this thread that only waits; a signal to it is a stop of a tracee of
    // this thread, which ends this thread's waitpid. Raw clone: nothing of Node runs in it.
    long w = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (w < 0) return Started("start the waker", errno);
    if (w == 0) {
      syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      for (;;) syscall(SYS_pause);
    }
    waker_ = (pid_t)w;
    if (Pt(PTRACE_SEIZE, waker_, 0, PTRACE_O_EXITKILL) != 0) {
      int e = errno;
      kill(waker_, SIGKILL);
      waitpid(waker_, nullptr, __WALL);
      return Started("ptrace the waker", e);
    }
    if (Pt(PTRACE_SEIZE, root, 0, kSeizeOptions) != 0) {
      int e = errno;
      kill(waker_, SIGKILL);
      waitpid(waker_, nullptr, __WALL);
      return Started("ptrace the command (PTRACE_SEIZE)", e);
    }
    if (entry_mode_) {
      // Entry stops from now on: the command is stopped once (it waits to be let go, before its
      // filter) to be resumed with PTRACE_SYSCALL. Its calls count once its filter is installed.
      inactive_ = root;
      Pt(PTRACE_INTERRUPT, root, 0, 0);
    }
    Started("", 0);
    Loop();
  }

  void Loop() {
    for (;;) {
      int st;
      // With stops queued for JS, take every stop that is ready first (one batch), then hand over;
      // with one tracee known (stopped for JS), none can be ready: a waitpid less per call.
      if (queued_ && tracees_.size() <= 1) {
        HandOver();
        continue;
      }
      pid_t pid = waitpid(-1, &st, __WALL | __WNOTHREAD | (queued_ ? WNOHANG : 0));
      if (pid == 0) {
        HandOver();
        continue;
      }
      if (pid < 0) {
        if (errno == EINTR) continue;
        if (queued_) {
          HandOver();
          continue;
        }
        break;  // ECHILD: the waker is gone too (close)
      }
      if (pid == waker_) {
        if (!WIFSTOPPED(st)) break;  // killed by close()
        Drain();
        Pt(PTRACE_CONT, waker_, 0, 0);
        if (closing_.load()) {
          kill(waker_, SIGKILL);
        }
        continue;
      }
      if (WIFEXITED(st) || WIFSIGNALED(st)) {
        Forget(pid);
        continue;
      }
      if (!WIFSTOPPED(st)) continue;
      tracees_.insert(pid);
      int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
      if (event == PTRACE_EVENT_SECCOMP) {
        if (entry_mode_) Pt(PTRACE_SYSCALL, pid, 0, 0);  // handled at its entry stop
        else OnSeccomp(pid);
        continue;
      }
      long inject = 0, resume = Resume();
      if (sig == (SIGTRAP | 0x80)) {
        if (entry_mode_ ? OnSyscallStop(pid) : OnSyscallExit(pid)) continue;  // resumed or held for JS
      } else if (event == PTRACE_EVENT_STOP) {
        if (IsStopSignal(sig)) resume = PTRACE_LISTEN;  // group-stop: stays stopped until SIGCONT
      } else if (event == PTRACE_EVENT_EXEC) {
        // New registers: nothing to restore (the exec'ing thread may have had another tid).
        // A thread other than the leader that execs takes the leader's pid (the event message
        // holds its former tid). The call's exit stop still comes when JS waits for it.
        unsigned long former = 0;
        Pt(PTRACE_GETEVENTMSG, pid, 0, (uintptr_t)&former);
        if ((pid_t)former != pid) tracees_.erase((pid_t)former);  // that tid is the leader's now
        auto it = runs_.find((pid_t)former);
        if (it == runs_.end()) it = runs_.find(pid);
        if (it != runs_.end()) {
          Run r = it->second;
          runs_.erase(it);
          r.restore = false;
          if (!r.exec_fn.empty()) {
            struct user_regs_struct regs;
            if (Pt(PTRACE_GETREGS, pid, 0, (uintptr_t)&regs) == 0) emulate::PutExecFn(pid, regs, r.exec_fn);
            r.exec_fn.clear();
          }
          if (r.await_exit) {
            runs_[pid] = r;
            resume = PTRACE_SYSCALL;
          }
        }
      } else if (event != 0) {
        // clone/fork/vfork/vfork-done/exit events: resume.
      } else {
        inject = sig;  // signal-delivery stop: deliver it
      }
      Pt(resume, pid, 0, (uintptr_t)inject);
    }
    std::lock_guard<std::mutex> lock(m_);
    thread_done_ = true;
  }

  // How a tracee is resumed: in entry mode its next syscall entry stops too.
  long Resume() const { return entry_mode_ ? PTRACE_SYSCALL : PTRACE_CONT; }

  // The seccomp_data of a stop (its seccomp or syscall-entry half of PTRACE_GET_SYSCALL_INFO), as
  // the filter and the fast path read it.
  static struct seccomp_data DataOf(const struct ptrace_syscall_info& si, __u64 nr, const __u64* args) {
    struct seccomp_data d;
    memset(&d, 0, sizeof d);
    d.nr = (int)nr;
    d.arch = si.arch;
    d.instruction_pointer = si.instruction_pointer;
    for (int i = 0; i < 6; i++) d.args[i] = args[i];
    return d;
  }

  void OnSeccomp(pid_t tid) {
    struct ptrace_syscall_info si;
    memset(&si, 0, sizeof si);
    long n = Pt(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, (uintptr_t)&si);
    if (n <= 0 || si.op != PTRACE_SYSCALL_INFO_SECCOMP) {
      Pt(Resume(), tid, 0, 0);
      return;
    }
    struct seccomp_data d = DataOf(si, si.seccomp.nr, si.seccomp.args);
    stops_++;
    if (NoJs(tid, d, si.stack_pointer)) return;
    Enqueue(tid, d.nr, si.seccomp.args, si.stack_pointer);
  }

  // A call no engine needs to see now, as the pump's receiving thread decides it (unotify::Router,
  // configured by setFastPath): one the filter stops for engines that may be loaded later, or a
  // path call whose path is outside every engine's prefixes. It runs as it is, without a hop to
  // Node's thread. Or one its chain's native plans run (plans.h). True when the thread was
  // resumed here.
  bool NoJs(pid_t tid, const struct seccomp_data& d, uint64_t sp) {
    unotify::Received r;
    plans_.Note(tid, d);
    if (router_.Continues(d, tid, &r)) {
      fast_++;
      Pt(Resume(), tid, 0, 0);
      return true;
    }
    ptrace::PlanStep s = plans_.Run(tid, d, r, sp);
    if (s.kind == ptrace::PlanStep::kJs) return false;
    Pending p;
    p.nr = d.nr;
    memcpy(p.args, d.args, sizeof p.args);
    p.sp = sp;
    if (s.kind == ptrace::PlanStep::kFail) {
      Answer a{tid, SV_REPLY_ERRNO, s.err, false};
      if (entry_mode_) return SkipAtEntry(a, p), true;
      Pt(PTRACE_POKEUSR, tid, offsetof(struct user_regs_struct, orig_rax), (uintptr_t)-1);  // skip the call
      Pt(PTRACE_POKEUSR, tid, offsetof(struct user_regs_struct, rax), (uintptr_t)-(int64_t)s.err);
      Pt(Resume(), tid, 0, 0);
      return true;
    }
    // The mapped path's register, put back at the call's exit (as an answer of JS that set it).
    p.set[s.arg] = s.value;
    p.set_mask = (uint8_t)(1u << s.arg);
    Run run;
    for (int i = 0; i < 6; i++) run.saved[i] = p.args[i];
    run.restore = true;
    run.restore_mask = p.set_mask;
    if (!SetArgRegs(tid, p)) return true;  // gone
    runs_[tid] = run;
    if (Pt(PTRACE_SYSCALL, tid, 0, 0) != 0) runs_.erase(tid);
    return true;
  }

  // Entry mode: a syscall-entry or -exit stop; true when the thread is held for JS (else the loop
  // resumes it).
  bool OnSyscallStop(pid_t tid) {
    struct ptrace_syscall_info si;
    memset(&si, 0, sizeof si);
    long n = Pt(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, (uintptr_t)&si);
    if (n <= 0) return false;
    if (si.op == PTRACE_SYSCALL_INFO_EXIT) {
      if (tid == activating_) {
        activating_ = -1;
        if (si.exit.rval >= 0) inactive_ = -1;  // the command's filter is in: its calls count
      }
      return OnSyscallExit(tid);
    }
    if (si.op != PTRACE_SYSCALL_INFO_ENTRY) return false;
    if (tid == inactive_) {
      if (si.entry.nr == SYS_seccomp && si.entry.args[0] == SECCOMP_SET_MODE_FILTER) activating_ = tid;
      return false;
    }
    struct seccomp_data d = DataOf(si, si.entry.nr, si.entry.args);
    if ((RunFilter(d) & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_TRACE) return false;
    stops_++;
    if (NoJs(tid, d, si.stack_pointer)) return true;
    Enqueue(tid, d.nr, si.entry.args, si.stack_pointer);
    return true;
  }

  // The planner's instructions (src/filter/cbpf.ts), the only ones the tracer runs.
  static bool KnownInsn(const struct sock_filter& f) {
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        return f.k % 4 == 0 && f.k + 4 <= sizeof(struct seccomp_data);
      case BPF_JMP | BPF_JA:
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_K:
      case BPF_RET | BPF_K:
        return true;
      default:
        return false;
    }
  }

  // The command's filter on one call, as the kernel runs it (only KnownInsn instructions).
  uint32_t RunFilter(const struct seccomp_data& d) const {
    uint32_t acc = 0;
    for (size_t pc = 0; pc < prog_.size(); pc++) {
      const struct sock_filter& f = prog_[pc];
      switch (f.code) {
        case BPF_LD | BPF_W | BPF_ABS: memcpy(&acc, reinterpret_cast<const char*>(&d) + f.k, 4); break;
        case BPF_JMP | BPF_JA: pc += f.k; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += acc == f.k ? f.jt : f.jf; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += acc >= f.k ? f.jt : f.jf; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += (acc & f.k) != 0 ? f.jt : f.jf; break;
        case BPF_RET | BPF_K: return f.k;
      }
    }
    return SECCOMP_RET_KILL_PROCESS;  // fell off the end (the kernel refuses such a program)
  }

  // A stopped call for JS.
  void Enqueue(pid_t tid, int nr, const __u64* args, uint64_t sp) {
    Stop s;
    s.tid = tid;
    s.nr = nr;
    for (int i = 0; i < 6; i++) s.args[i] = args[i];
    s.sp = sp;
    {
      std::lock_guard<std::mutex> lock(m_);
      Pending& p = pending_[tid];
      p = Pending{};
      p.nr = nr;
      memcpy(p.args, s.args, sizeof p.args);
      p.sp = s.sp;
      queue_.push_back(s);
    }
    queued_++;
  }

  // Hands the queued stops to JS and waits until it has run them through the chain: the answers it
  // gave at once are executed here, without a wake-up (the waker is for answers given later).
  // Node's thread takes it without an async wake-up while it spins for it after the previous batch.
  void HandOver() {
    queued_ = 0;
    gate_.Arm();
    int spinning = kNodeSpinning;
    if (!node_spin_.compare_exchange_strong(spinning, kNodeOffered)) uv_async_send(async_);
    gate_.Wait(closing_);
    Drain();
  }

  // Executes JS's answers (after a hand-over, or woken by the waker's stop).
  void Drain() {
    std::deque<Answer> todo;
    {
      std::lock_guard<std::mutex> lock(m_);
      todo.swap(answers_);
    }
    for (const Answer& a : todo) Execute(a);
  }

  void Execute(const Answer& a) {
    Pending p;
    {
      std::lock_guard<std::mutex> lock(m_);
      auto it = pending_.find(a.tid);
      if (it == pending_.end()) return;  // gone (killed while held)
      p = it->second;
      pending_.erase(it);
    }
    answered_++;
    if (entry_mode_ && !p.at_exit && (p.redo_nr >= 0 || a.kind == SV_REPLY_VALUE || a.kind == SV_REPLY_ERRNO)) return SkipAtEntry(a, p);
    if (p.redo_nr >= 0 && !p.at_exit) return Redo(a.tid, p);
    if (a.kind == SV_REPLY_VALUE || a.kind == SV_REPLY_ERRNO) {
      int64_t v = a.kind == SV_REPLY_VALUE ? a.value : -a.value;
      if (!p.at_exit) Pt(PTRACE_POKEUSR, a.tid, offsetof(struct user_regs_struct, orig_rax), (uintptr_t)-1);  // skip the call
      Pt(PTRACE_POKEUSR, a.tid, offsetof(struct user_regs_struct, rax), (uintptr_t)v);
      Pt(Resume(), a.tid, 0, 0);
      return;
    }
    if (p.at_exit || (p.set_mask == 0 && !a.await_exit && p.exec_fn.empty())) {
      Pt(Resume(), a.tid, 0, 0);
      return;
    }
    Run run;
    run.await_exit = a.await_exit;
    run.exec_fn = p.exec_fn;
    if (p.set_mask != 0) {
      // The registers as the tracee had them are the arguments read at this stop (the thread has
      // not run since).
      for (int i = 0; i < 6; i++) run.saved[i] = p.args[i];
      if (!SetArgRegs(a.tid, p)) return Gone(a.tid, a.await_exit);
      run.restore = true;
      run.restore_mask = p.set_mask;
    }
    runs_[a.tid] = run;
    // The next stop of this thread is this call's syscall-exit stop (or an exec event first).
    if (Pt(PTRACE_SYSCALL, a.tid, 0, 0) != 0) {
      runs_.erase(a.tid);
      Gone(a.tid, a.await_exit);
    }
  }

  // Sets the argument registers the answer changed, at the call's seccomp (or entry) stop, in as
  // few requests as the kernel allows: one register with PTRACE_POKEUSR, several with
  // PTRACE_SET_SYSCALL_INFO (number and arguments at once), else PTRACE_GETREGS + PTRACE_SETREGS
  // (a kernel without it: EIO, remembered). False when the thread is gone.
  bool SetArgRegs(pid_t tid, const Pending& p) {
    if (__builtin_popcount(p.set_mask) == 1) {
      int i = __builtin_ctz(p.set_mask);
      return Pt(PTRACE_POKEUSR, tid, ArgOffset(i), p.set[i]) == 0;
    }
    if (set_syscall_info_) {
      struct ptrace_syscall_info si;
      memset(&si, 0, sizeof si);
      si.op = entry_mode_ ? PTRACE_SYSCALL_INFO_ENTRY : PTRACE_SYSCALL_INFO_SECCOMP;
      si.entry.nr = (__u64)(int64_t)p.nr;
      for (int i = 0; i < 6; i++) si.entry.args[i] = p.set_mask & (1u << i) ? p.set[i] : p.args[i];
      if (Pt(PTRACE_SET_SYSCALL_INFO, tid, sizeof si, (uintptr_t)&si) == 0) return true;
      if (errno != EIO) return false;
      set_syscall_info_ = false;
    }
    struct user_regs_struct r;
    if (Pt(PTRACE_GETREGS, tid, 0, (uintptr_t)&r) != 0) return false;
    for (int i = 0; i < 6; i++)
      if (p.set_mask & (1u << i)) *ArgReg(&r, i) = p.set[i];
    return Pt(PTRACE_SETREGS, tid, 0, (uintptr_t)&r) == 0;
  }

  // Entry mode: the call is skipped (orig_rax = -1) and seccomp sees nr -1; at its syscall-exit
  // stop, rax gets the value, or the thread is set to make another syscall (as Redo does).
  void SkipAtEntry(const Answer& a, const Pending& p) {
    Run run;
    if (p.redo_nr >= 0) {
      run.redo_nr = p.redo_nr;
      memcpy(run.set, p.set, sizeof run.set);
      run.set_mask = p.set_mask;
    } else {
      run.set_rax = true;
      run.rax = a.kind == SV_REPLY_VALUE ? a.value : -a.value;
    }
    if (Pt(PTRACE_POKEUSR, a.tid, offsetof(struct user_regs_struct, orig_rax), (uintptr_t)-1) != 0) return;
    runs_[a.tid] = run;
    if (Pt(PTRACE_SYSCALL, a.tid, 0, 0) != 0) runs_.erase(a.tid);
  }

  // The thread makes another syscall instead of this one: this one is skipped with rax = the new
  // number and the instruction pointer back on its `syscall` instruction (2 bytes), so the thread
  // executes it again with the new arguments, through the filter (and the engines) again.
  void Redo(pid_t tid, const Pending& p) {
    struct user_regs_struct r;
    if (Pt(PTRACE_GETREGS, tid, 0, (uintptr_t)&r) != 0) return;
    r.orig_rax = (unsigned long long)-1;
    r.rax = (unsigned long long)p.redo_nr;
    r.rip -= 2;
    for (int i = 0; i < 6; i++)
      if (p.set_mask & (1u << i)) *ArgReg(&r, i) = p.set[i];
    if (Pt(PTRACE_SETREGS, tid, 0, (uintptr_t)&r) != 0) return;
    Pt(Resume(), tid, 0, 0);
  }

  // The syscall-exit stop of a call let run with PTRACE_SYSCALL: the argument registers go back
  // as the tracee had them; true when the stop is handed to JS (the thread stays stopped).
  bool OnSyscallExit(pid_t tid) {
    auto it = runs_.find(tid);
    if (it == runs_.end()) return false;
    Run run = it->second;
    runs_.erase(it);
    if (!run.await_exit && !run.set_rax && run.redo_nr < 0 && __builtin_popcount(run.restore_mask) <= 1) {
      // Only put back the changed register, if any: one PTRACE_POKEUSR, not GETREGS + SETREGS.
      if (run.restore && run.restore_mask != 0) {
        int i = __builtin_ctz(run.restore_mask);
        if (Pt(PTRACE_POKEUSR, tid, ArgOffset(i), run.saved[i]) != 0) return true;  // gone
      }
      return false;
    }
    struct user_regs_struct r;
    if (Pt(PTRACE_GETREGS, tid, 0, (uintptr_t)&r) != 0) {
      Gone(tid, run.await_exit);
      return true;
    }
    if (run.restore) {
      for (int i = 0; i < 6; i++) *ArgReg(&r, i) = run.saved[i];
      Pt(PTRACE_SETREGS, tid, 0, (uintptr_t)&r);
    }
    if (run.set_rax) {
      r.rax = (uint64_t)run.rax;
      Pt(PTRACE_SETREGS, tid, 0, (uintptr_t)&r);
    } else if (run.redo_nr >= 0) {
      r.rax = (uint64_t)run.redo_nr;
      r.rip -= 2;
      for (int i = 0; i < 6; i++)
        if (run.set_mask & (1u << i)) *ArgReg(&r, i) = run.set[i];
      Pt(PTRACE_SETREGS, tid, 0, (uintptr_t)&r);
    }
    if (!run.await_exit) return false;
    Stop s{};
    s.tid = tid;
    s.nr = SV_PTRACE_EXIT_NR;
    s.args[0] = r.rax;
    {
      std::lock_guard<std::mutex> lock(m_);
      Pending& p = pending_[tid];
      p = Pending{};
      p.sp = r.rsp;
      p.at_exit = true;
      queue_.push_back(s);
    }
    queued_++;
    return true;
  }

  // A thread JS waits for is gone (killed while it ran): JS learns it from an exit entry.
  void Gone(pid_t tid, bool await_exit) {
    if (!await_exit) return;
    Stop s{};
    s.tid = tid;
    s.nr = SV_PTRACE_EXIT_NR;
    s.args[1] = 1;
    {
      std::lock_guard<std::mutex> lock(m_);
      queue_.push_back(s);
    }
    queued_++;
  }

  void Forget(pid_t tid) {
    tracees_.erase(tid);
    auto it = runs_.find(tid);
    if (it != runs_.end()) {
      bool await_exit = it->second.await_exit;
      runs_.erase(it);
      Gone(tid, await_exit);
    }
    std::lock_guard<std::mutex> lock(m_);
    pending_.erase(tid);
  }

  // ---- the loop thread ----

  // The async wake-up: runs the batch, then the batches the tracer thread hands over while this
  // thread spins for them.
  void OnStops() {
    while (running_ && RunBatch() && SpinForBatch()) {
    }
  }

  // After a batch (node_spin_ set before its answers went out): true when the tracer thread offered
  // the next one within the spin, false when it is left to the async wake-up.
  bool SpinForBatch() {
    if (node_spinner_.Until(kSpinNs, [this] { return node_spin_.load() == kNodeOffered || closing_.load(); }, CpuRelax)) {
      node_spin_.store(kNodeIdle);
      return true;
    }
    int spinning = kNodeSpinning;
    if (node_spin_.compare_exchange_strong(spinning, kNodeIdle)) return false;
    node_spin_.store(kNodeIdle);  // offered at the last moment
    return true;
  }

  // Runs the queued stops through JS; true when this thread may spin for the next batch.
  bool RunBatch() {
    in_batch_ = true;  // answers given meanwhile need no wake-up: the thread drains after the batch
    std::deque<Stop> got;
    {
      std::lock_guard<std::mutex> lock(m_);
      got.swap(queue_);
    }
    Napi::Env env = Env();
    int count = 0;
    for (const Stop& s : got) {
      double* d = data_ + count * kFields;
      d[SV_NOTIF_SLOT] = s.tid;
      d[SV_NOTIF_PID] = s.tid;
      d[SV_NOTIF_NR] = s.nr;
      for (int i = 0; i < 6; i++) d[SV_NOTIF_ARG0 + i] = (double)(int64_t)s.args[i];
      if (++count == kBatch) {
        CallJs(env, count);
        count = 0;
      }
    }
    if (count > 0) CallJs(env, count);
    in_batch_ = false;
    // Spinning from before the tracer thread can hand over the next batch: it offers it to this
    // thread instead of sending an async wake-up that the spin would not see.
    bool spin = running_ && !got.empty();
    if (spin) node_spin_.store(kNodeSpinning);
    gate_.Done();
    return spin;
  }

  void CallJs(Napi::Env env, int count) {
    Napi::HandleScope scope(env);
    for (int i = 0; i < count; i++) replies_data_[SV_REPLY_FIELDS * i] = SV_REPLY_NONE;
    Napi::Value r = on_batch_.Call(Value(), {Napi::Number::New(env, count)});
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
      return;
    }
    {
      std::lock_guard<std::mutex> lock(m_);
      for (int i = 0; i < count; i++) {
        int kind = (int)replies_data_[SV_REPLY_FIELDS * i];
        if (kind == SV_REPLY_NONE) continue;
        answers_.push_back(Answer{(pid_t)data_[i * kFields + SV_NOTIF_SLOT], kind, (int64_t)replies_data_[SV_REPLY_FIELDS * i + 1], false});
      }
    }
    // The answers are executed by the tracer thread once the batch is done (HandOver).
    if (r.IsBoolean() && r.As<Napi::Boolean>().Value()) on_flush_.MakeCallback(Value(), {});
  }

  void Wake() {
    if (waker_ > 0 && running_) kill(waker_, SIGUSR1);
  }

  // Looks up a held call from JS; throws RangeError for a thread that holds none.
  bool GetTid(const Napi::CallbackInfo& info, pid_t* tid) {
    if (!ArgNumber(info, 0, "tid")) return false;
    *tid = info[0].As<Napi::Number>().Int32Value();
    return true;
  }

  Napi::Value Queue(const Napi::CallbackInfo& info, int kind, int64_t value, bool await_exit = false) {
    pid_t tid;
    if (!GetTid(info, &tid)) return info.Env().Undefined();
    bool held;
    {
      std::lock_guard<std::mutex> lock(m_);
      held = pending_.count(tid) > 0;
      if (held) answers_.push_back(Answer{tid, kind, value, await_exit});
    }
    if (held && !in_batch_) Wake();
    return Napi::Boolean::New(info.Env(), held);
  }

  // continue(tid[, awaitExit]): run the call (with the arguments setArgs changed, if any); with
  // awaitExit, its syscall-exit stop comes to JS as an entry with nr PTRACE.EXIT_NR.
  Napi::Value Continue(const Napi::CallbackInfo& info) {
    return Queue(info, SV_REPLY_CONTINUE, 0, info.Length() > 1 && info[1].ToBoolean());
  }

  // reply(tid, value, errno): skip the call; it returns value, or -errno when errno > 0.
  Napi::Value Reply(const Napi::CallbackInfo& info) {
    if (!ArgNumber(info, 1, "value") || !ArgNumber(info, 2, "errno")) return info.Env().Undefined();
    int32_t err = info[2].As<Napi::Number>().Int32Value();
    if (err > 0) return Queue(info, SV_REPLY_ERRNO, err);
    return Queue(info, SV_REPLY_VALUE, info[1].As<Napi::Number>().Int64Value());
  }

  // setArgs(tid, index, value[, index, value]...): argument registers the answer sets (values are
  // signed 64-bit numbers, or BigInts for the whole range); put back at the call's exit.
  Napi::Value SetArgs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pid_t tid;
    if (!GetTid(info, &tid)) return env.Undefined();
    if (info.Length() % 2 != 1) return (ThrowType(env, "setArgs(tid, index, value, ...)"), env.Undefined());
    std::lock_guard<std::mutex> lock(m_);
    auto it = pending_.find(tid);
    if (it == pending_.end()) return Napi::Boolean::New(env, false);
    for (size_t k = 1; k + 1 < info.Length(); k += 2) {
      if (!info[k].IsNumber()) return (ThrowType(env, "argument index must be a number"), env.Undefined());
      int i = info[k].As<Napi::Number>().Int32Value();
      if (i < 0 || i > 5) return (ThrowType(env, "argument index must be 0..5"), env.Undefined());
      uint64_t v;
      if (info[k + 1].IsBigInt()) {
        bool lossless;
        v = info[k + 1].As<Napi::BigInt>().Uint64Value(&lossless);
      } else if (info[k + 1].IsNumber()) {
        v = (uint64_t)info[k + 1].As<Napi::Number>().Int64Value();
      } else {
        return (ThrowType(env, "argument value must be a number or a BigInt"), env.Undefined());
      }
      it->second.set[i] = v;
      it->second.set_mask |= (uint8_t)(1u << i);
    }
    return Napi::Boolean::New(env, true);
  }

  // redoAs(tid, nr): whatever the answer, the thread makes syscall nr instead (with the arguments
  // setArgs set), re-executing its syscall instruction. False when the thread holds no call.
  Napi::Value RedoAs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pid_t tid;
    if (!GetTid(info, &tid) || !ArgNumber(info, 1, "nr")) return env.Undefined();
    int nr = info[1].As<Napi::Number>().Int32Value();
    if (nr < 0 || nr >= SV_MAX_SYSCALLS) return (ThrowType(env, "nr must be a syscall number"), env.Undefined());
    std::lock_guard<std::mutex> lock(m_);
    auto it = pending_.find(tid);
    if (it == pending_.end() || it->second.at_exit) return Napi::Boolean::New(env, false);
    it->second.redo_nr = nr;
    return Napi::Boolean::New(env, true);
  }

  // execName(tid, name): the held call is an execve; if it succeeds, the new program's AT_EXECFN
  // names `name` (a byte string) instead of the path the kernel ran. False when it holds none.
  Napi::Value ExecName(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pid_t tid;
    if (!GetTid(info, &tid)) return env.Undefined();
    if (info.Length() < 2 || !info[1].IsString()) return (ThrowType(env, "parameter 'name' must be a string"), env.Undefined());
    std::string name = Latin1Value(info[1]);
    if (name.empty() || name.size() > 4096 || name.find('\0') != std::string::npos) return (ThrowType(env, "parameter 'name' must be a path of 1..4096 bytes without NUL"), env.Undefined());
    std::lock_guard<std::mutex> lock(m_);
    auto it = pending_.find(tid);
    if (it == pending_.end() || it->second.at_exit) return Napi::Boolean::New(env, false);
    it->second.exec_fn = std::move(name);
    return Napi::Boolean::New(env, true);
  }

  Napi::Value Valid(const Napi::CallbackInfo& info) {
    pid_t tid;
    if (!GetTid(info, &tid)) return info.Env().Undefined();
    std::lock_guard<std::mutex> lock(m_);
    return Napi::Boolean::New(info.Env(), pending_.count(tid) > 0);
  }

  // A held call's fact, or undefined when the thread holds none.
  template <typename F>
  Napi::Value WithPending(const Napi::CallbackInfo& info, F f) {
    pid_t tid;
    if (!GetTid(info, &tid)) return info.Env().Undefined();
    std::lock_guard<std::mutex> lock(m_);
    auto it = pending_.find(tid);
    if (it == pending_.end()) return info.Env().Undefined();
    return f(it->second);
  }

  Napi::Value Arg64(const Napi::CallbackInfo& info) {
    if (!ArgNumber(info, 1, "index")) return info.Env().Undefined();
    int i = info[1].As<Napi::Number>().Int32Value();
    if (i < 0 || i > 5) return (ThrowType(info.Env(), "index must be 0..5"), info.Env().Undefined());
    return WithPending(info, [&](const Pending& p) -> Napi::Value { return Napi::BigInt::New(info.Env(), p.args[i]); });
  }

  Napi::Value StackPointer(const Napi::CallbackInfo& info) {
    return WithPending(info, [&](const Pending& p) -> Napi::Value { return Napi::Number::New(info.Env(), (double)p.sp); });
  }

  // readString(tid, addr[, max]): a C string of the stopped thread as a byte string, or null.
  Napi::Value ReadString(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pid_t tid;
    if (!GetTid(info, &tid) || !ArgNumber(info, 1, "addr")) return env.Undefined();
    uint64_t addr = (uint64_t)info[1].As<Napi::Number>().Int64Value();
    size_t max = info.Length() > 2 && info[2].IsNumber() ? (size_t)info[2].As<Napi::Number>().Int64Value() : unotify::kPathMax;
    std::string s;
    if (!unotify::ReadTraceeString(tid, addr, max, &s)) return env.Null();
    return NewLatin1(env, s);
  }

  Napi::Value ReadBytes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    pid_t tid;
    if (!GetTid(info, &tid) || !ArgNumber(info, 1, "addr") || !ArgNumber(info, 2, "length")) return env.Undefined();
    uint64_t addr = (uint64_t)info[1].As<Napi::Number>().Int64Value();
    int64_t len = info[2].As<Napi::Number>().Int64Value();
    if (len < 0 || len > (1 << 24)) return (ThrowType(env, "length must be 0..16 MiB"), env.Undefined());
    Napi::Buffer<char> buf = Napi::Buffer<char>::New(env, (size_t)len);
    struct iovec local = {buf.Data(), (size_t)len};
    struct iovec remote = {reinterpret_cast<void*>(addr), (size_t)len};
    if (len > 0 && process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)len) return env.Null();
    return buf;
  }

  // setFastPath(config): what the tracer thread resumes without JS (FastPathConfig of
  // src/native/binding.ts; its `native` field: the calls run under native plans, plans.h),
  // replacing the previous configuration at once. Until the first call every stop goes to JS.
  Napi::Value SetFastPath(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) return (ThrowType(env, "setFastPath: the configuration must be an object"), env.Undefined());
    unotify::FastPath config = unotify::FastPathFrom(info[0].As<Napi::Object>());
    if (!plans_.Configure(info[0].As<Napi::Object>().Get("native"), config.components) || !router_.Configure(config))
      Napi::RangeError::New(env, "setFastPath: a syscall number or argument index out of range").ThrowAsJavaScriptException();
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("stops", Napi::Number::New(info.Env(), (double)stops_.load()));
    o.Set("fastPath", Napi::Number::New(info.Env(), (double)fast_.load()));
    o.Set("answered", Napi::Number::New(info.Env(), (double)answered_.load()));
    o.Set("native", Napi::Number::New(info.Env(), (double)plans_.count()));
    std::lock_guard<std::mutex> lock(m_);
    o.Set("pending", Napi::Number::New(info.Env(), (double)pending_.size()));
    return o;
  }

  // close(): the thread leaves (a tracee still there is killed: PTRACE_O_EXITKILL). Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    if (!running_) return;
    running_ = false;
    closing_.store(true);
    gate_.Done();
    // The thread kills the waker at its next stop; it exits its loop when the waker is reaped.
    kill(waker_, SIGUSR1);
    if (thread_.joinable()) thread_.join();
    CloseAsync();
    Unref();
  }

  void CloseAsync() {
    if (!async_) return;
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    async_ = nullptr;
  }

  Napi::Value GetBatch(const Napi::CallbackInfo&) { return batch_.Value(); }
  Napi::Value GetReplies(const Napi::CallbackInfo&) { return replies_.Value(); }

  Napi::FunctionReference on_batch_, on_flush_;
  Napi::Reference<Napi::Float64Array> batch_, replies_;
  double* data_ = nullptr;
  double* replies_data_ = nullptr;
  uv_async_t* async_ = nullptr;
  std::thread thread_;
  bool running_ = false;
  bool in_batch_ = false;  // loop thread: inside OnStops (the tracer thread waits for its end)
  std::atomic<bool> closing_{false};
  pid_t waker_ = -1;
  // Entry mode (thread only after the constructor): the command's filter; the command until its
  // filter is installed (its calls do not count), and that thread while in seccomp(2).
  bool entry_mode_ = false;
  bool set_syscall_info_ = true;  // thread only: PTRACE_SET_SYSCALL_INFO not refused (EIO) yet
  std::vector<struct sock_filter> prog_;
  pid_t inactive_ = -1;
  pid_t activating_ = -1;

  std::mutex m_;
  std::condition_variable started_cv_;
  BatchGate gate_;  // the batch out to Node's thread
  // Node's thread spinning for the next batch (kNodeSpinning), given one that way (kNodeOffered).
  static constexpr int kNodeIdle = 0, kNodeSpinning = 1, kNodeOffered = 2;
  std::atomic<int> node_spin_{kNodeIdle};
  Spinner node_spinner_;  // Node's thread's
  int queued_ = 0;  // thread only: stops queued since the last hand-over
  bool started_ = false;
  const char* start_op_ = "";
  int start_error_ = 0;
  bool thread_done_ = false;
  std::deque<Stop> queue_;
  std::deque<Answer> answers_;
  std::unordered_map<pid_t, Pending> pending_;
  // Thread only: the tracees seen stopped and not gone yet (one that never stopped yet is missing,
  // one that vanished unseen stays: either only changes how stops are batched).
  std::unordered_set<pid_t> tracees_;
  // Thread only: the calls let run until their syscall-exit stop.
  std::unordered_map<pid_t, Run> runs_;
  std::atomic<uint64_t> stops_{0}, answered_{0}, fast_{0};
  unotify::Router router_;  // what needs no JS (setFastPath); read by the thread
  ptrace::Plans plans_;     // the calls run under native plans (setFastPath's `native`)
};

// probeListener(): 0 when a process started now could get a seccomp listener, else the errno a
// child got for seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): EBUSY when a listener above holds the
// only slot of the filter chain (has_duplicate_listener in kernel/seccomp.c). The child installs an
// allow-all filter and exits with the errno. It shares this process's memory and runs on a stack of
// its own while this thread waits (CLONE_VM | CLONE_VFORK, as posix_spawn does): a plain fork would
// copy the page tables of the whole Node process and leave its pages copy-on-write afterwards
// (~2-4 ms of start-up). Every signal is blocked meanwhile, so no handler of Node's runs in the
// child; it makes raw syscalls only and touches nothing of this process but its own stack and the
// word it writes its result to.
struct ProbeChild {
  long result;
};

int ProbeChildMain(void* arg) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  static_cast<ProbeChild*>(arg)->result = fd < 0 ? errno : 0;
  syscall(SYS_exit_group, 0);
  return 0;
}

Napi::Value ProbeListener(const Napi::CallbackInfo& info) {
  constexpr size_t kStack = 64 * 1024;
  std::vector<char> stack(kStack);
  ProbeChild probe{EINVAL};
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int pid = clone(ProbeChildMain, stack.data() + kStack, CLONE_VM | CLONE_VFORK | SIGCHLD, &probe);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return Napi::Number::New(info.Env(), err);
  int st = 0;
  while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
  }
  return Napi::Number::New(info.Env(), WIFEXITED(st) && WEXITSTATUS(st) == 0 ? probe.result : EINVAL);
}

}  // namespace

void InitViewPath(Napi::Env env, Napi::Object exports);  // view_path.cc

void InitTracer(Napi::Env env, Napi::Object exports) {
  exports.Set("Tracer", Tracer::Define(env));
  InitViewPath(env, exports);
  exports.Set("probeListener", Napi::Function::New(env, ProbeListener, "probeListener"));
}

}  // namespace sysvisor
