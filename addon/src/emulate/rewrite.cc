// Rewrite in place + CONTINUE, restored at syscall exit. For calls the supervisor cannot run
// itself (execve, chdir, connect, and fallbacks such as paths through procfs), the changed
// arguments are written over the tracee's own buffers and the kernel runs the call as the tracee.
// The tracee must not see its buffers changed afterwards (a shell reads the chdir path again right
// after the call), so the original bytes are put back when the call returns, before the thread
// runs any user code:
//
//   1. the notification is pending and the filter has SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, so
//      only a fatal signal can end the wait; write the new bytes;
//   2. PTRACE_SEIZE + PTRACE_INTERRUPT: the interrupt does not end a killable wait, it makes the
//      thread stop when it next returns to user space, i.e. right after the call;
//   3. the caller sends CONTINUE; the kernel runs the call;
//   4. an agent thread (the tracer) sees the stop, reads the return value, puts the original bytes
//      back (unless a successful execve replaced the memory), and detaches.
//
// When the thread cannot be seized (another tracer, e.g. strace or gdb inside), the agent instead
// polls /proc/TID/syscall and restores when the thread has left the call: a short window remains.
//
// A call that sleeps (an open of a FIFO waiting for its other end, a blocking connect) is woken by
// the pending interrupt itself: it ends with a restart code (-ERESTARTSYS...) at the stop, and the
// kernel would restart it as soon as the thread resumed. Restored then, the restarted call would be
// notified and rewritten again, over and over until the sleep's cause went away (a supervisor CPU
// busy for as long as the FIFO has no writer). Instead the agent keeps the bytes written and lets
// the restart run under PTRACE_SYSCALL: the pump continues the restarted call unseen by the engines
// (RestartedRewrite: natively there is no restart, the call just sleeps), the call sleeps with no
// interrupt pending, and the agent restores at its syscall-exit stop, or at any other stop (a
// signal to deliver: its handler must see the tracee's own bytes; the call then restarts with them
// and is notified anew, once per signal, as a restarted call natively is).
//
// redoSyscall({ tid, nr, args: [a0, a1, a2], killableWait }) arms the same stop for a call the
// caller then answers with an error: at the stop the agent points the thread back at its `syscall`
// instruction with the given number and first three arguments (rip - 2, rax = orig_rax = nr), so
// the thread makes that call next, as if it had made it itself (a `#!` script whose interpreter
// only the engines can map: the interpreter is exec'd instead, with the argv binfmt_script would
// build). 1 when armed, -errno when the thread cannot be stopped (another tracer, no killable
// wait; nothing is armed then).
//
// rewriteContinue({ tid, regions: [addr, newBytes, oldBytes][], exec, killableWait, addressBack? })
// -> 1 (ptrace), 2 (polling),
// or -errno when the bytes could not be written (nothing changed then): -EFAULT when a region is
// unmapped or inside a shared mapping (a file's page cache, memory shared with another process),
// where a write would outlive the call or be seen by others.
//
// addressBack: { addr, size, lenAddr, pairs: [realPath, viewAddress][] }: the call returns a peer's
// socket address (accept, recvfrom, recvmsg) at `addr` (the caller's buffer of `size` bytes) and its
// length at `lenAddr`. At the stop, when the call succeeded and the address is AF_UNIX with a path
// that is some pair's realPath (a socket bound through a view: the kernel knows it by its real
// path), the address becomes viewAddress as the kernel's move_addr_to_user would have returned it:
// at most `size` bytes of it in the buffer, its whole length at lenAddr. Only with the ptrace stop
// (the thread must not run user code before), never by polling. Arm it only for a call that will
// not sleep: the pending interrupt ends an interruptible wait (-ERESTARTSYS, the call restarts).
//
// linkBack: { addr, size, from, to }: the call is a readlink of a procfs link the kernel answers
// (another process's cwd or program, which only the kernel may say the caller can read) into the
// caller's buffer at `addr` of `size` bytes. At the stop, when it succeeded with exactly the
// beginning of `from` that fits (its whole length, or `size` bytes of it), the answer becomes `to`
// (the path in the view) as readlink gives it: at most `size` bytes, the return value its length.
//
// execFn: for an execve: the name the new program must find as AT_EXECFN (the path the program
// gave, where the kernel was given another: a path rewritten in place, or an interpreter exec'd
// instead of a `#!` script, see PutExecFn).
//
// socketWaits({ tgid, fd, dontwait }) -> 1 when a receive or accept on the process's socket `fd` would
// sleep now (a blocking socket with nothing queued, and no MSG_DONTWAIT), 0 when it returns at once,
// -errno (EBADF: not its fd; the call then fails by itself).
#include "common.h"
#include "emulate/emulate.h"
#include "emulate/request.h"
#include "emulate/task.h"
#include "memory/tracee_mem.h"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sysvisor {
namespace emulate {
namespace {

struct Region {
  uint64_t addr;
  std::string now, old;  // bytes written, bytes to put back
};

// A peer's socket address the call returns, put into the view at its exit (see addressBack above).
struct AddressBack {
  bool on = false;
  uint64_t addr = 0, len_addr = 0;
  uint32_t size = 0;  // the caller's buffer, as *len_addr said on entry
  std::vector<std::pair<std::string, std::string>> pairs;  // the kernel's sun_path -> the view's address
};

// A readlink answer put into the view at the call's exit (see linkBack above).
struct LinkBack {
  bool on = false;
  uint64_t addr = 0, size = 0;
  std::string from, to;
};

struct Job {
  pid_t tid = 0, tgid = 0, vfork_parent = 0;
  bool exec = false;
  bool ptraced = false;
  bool may_ptrace = true;  // false without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  bool retried_tgid = false;
  bool redo = false;  // at the stop, make the thread run syscall redo_nr(redo_args) instead
  uint64_t redo_nr = 0, redo_args[3] = {0, 0, 0};
  std::string syscall_line;  // /proc/TID/syscall while the call was pending (polling mode)
  std::vector<Region> regions;
  AddressBack back;
  LinkBack link;
  std::string exec_fn;  // AT_EXECFN of the new program, when not the path the kernel got
  std::chrono::steady_clock::time_point since;
  int polls = 0;
  long nr = -1;             // the call's number, as the stop showed it (orig_rax)
  bool restarting = false;  // the call restarts under PTRACE_SYSCALL with the bytes kept (see above)
};

// The threads whose rewritten call restarts (Job.restarting), with its number: RestartedRewrite.
std::mutex restarting_m;
std::vector<std::pair<pid_t, int>> restarting_calls;
std::atomic<int> restarting_count{0};

void SetRestarting(pid_t tid, int nr, bool on) {
  std::lock_guard<std::mutex> l(restarting_m);
  auto it = std::find(restarting_calls.begin(), restarting_calls.end(), std::make_pair(tid, nr));
  if (on && it == restarting_calls.end()) restarting_calls.emplace_back(tid, nr);
  if (!on && it != restarting_calls.end()) restarting_calls.erase(it);
  restarting_count.store((int)restarting_calls.size(), std::memory_order_release);
}

}  // namespace

bool RestartedRewrite(pid_t tid, int nr) {
  if (restarting_count.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard<std::mutex> l(restarting_m);
  return std::find(restarting_calls.begin(), restarting_calls.end(), std::make_pair(tid, nr)) != restarting_calls.end();
}

namespace {

bool IsRestartCode(long ret) {
  // -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND (include/linux/errno.h); not
  // -ERESTART_RESTARTBLOCK, whose restart is another call (restart_syscall).
  return ret == -512 || ret == -513 || ret == -514;
}

struct Arm {
  Job job;
  std::promise<bool> seized;
};

std::string ReadText(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string();
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 ? std::string(buf, (size_t)n) : std::string();
}

// Writes each region's NEW bytes (forward) or OLD bytes (back, only where the NEW ones are still
// there: the tracee may have changed its buffer since). Never inside a shared mapping (see
// memory/tracee_mem.h): forward, that is -EFAULT; back, the region is skipped. 0 or -errno.
int WriteRegions(pid_t pid, std::vector<Region>& regions, bool back) {
  memory::InPlace mem;
  int err = mem.Open(pid);
  if (err < 0) return err;
  size_t done = 0;
  for (auto& r : regions) {
    const std::string& bytes = back ? r.old : r.now;
    if (back) {
      std::string cur(r.now.size(), '\0');
      if (mem.Read(r.addr, cur.data(), cur.size()) < 0 || cur != r.now) continue;
    }
    if ((err = mem.Write(r.addr, bytes.data(), bytes.size())) < 0) break;
    done++;
  }
  if (err < 0 && !back) {
    // Undo what was written before the failure.
    for (size_t i = 0; i < done; i++) mem.Write(regions[i].addr, regions[i].old.data(), regions[i].old.size());
  }
  return back ? 0 : err;
}

int ReadOut(pid_t tid, uint64_t addr, void* buf, size_t len) {
  struct iovec local = {buf, len}, remote = {reinterpret_cast<void*>(addr), len};
  return process_vm_readv(tid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -EFAULT;
}

// At the exit stop of a call that succeeded: the returned AF_UNIX address, if it names a socket
// bound through the view, as the view shows it (written as the kernel writes it: process_vm_writev
// honours the page protections, and the kernel has just written there).
void PutAddressBack(pid_t tid, const AddressBack& b) {
  const size_t at = offsetof(struct sockaddr_un, sun_path);
  uint32_t klen = 0;  // the kernel's whole length: family + path + NUL
  if (ReadOut(tid, b.len_addr, &klen, sizeof klen) < 0) return;
  if (klen <= at || klen > sizeof(struct sockaddr_un) || b.size <= at) return;  // unnamed, or no path shown
  size_t n = std::min<size_t>(klen, b.size);  // what the kernel copied
  char buf[sizeof(struct sockaddr_un)];
  if (ReadOut(tid, b.addr, buf, n) < 0) return;
  sa_family_t family;
  memcpy(&family, buf, sizeof family);
  if (family != AF_UNIX || buf[at] == 0) return;  // another family, or an abstract name
  size_t end = at;
  while (end < n && buf[end] != 0) end++;
  std::string shown(buf + at, end - at);
  // The path whole, or (a buffer smaller than the address) its beginning and the whole length.
  bool whole = klen <= b.size;
  for (const auto& p : b.pairs) {
    if (whole ? p.first != shown : p.first.size() + at + 1 != klen || p.first.compare(0, shown.size(), shown) != 0) continue;
    uint32_t len = (uint32_t)p.second.size();
    memory::WriteOutput(tid, b.addr, p.second.data(), std::min<size_t>(b.size, len));
    memory::WriteOutput(tid, b.len_addr, &len, sizeof len);
    return;
  }
}

// At the exit stop of a readlink that succeeded: the kernel's answer, if it is `from` (whole, or
// the beginning of it that fits the buffer), becomes `to` as readlink returns it.
void PutLinkBack(pid_t tid, const LinkBack& b, struct user_regs_struct& regs) {
  long ret = (long)regs.rax;
  if (ret < 0 || (uint64_t)ret != std::min<uint64_t>(b.from.size(), b.size)) return;
  std::string got((size_t)ret, '\0');
  if (ret > 0 && ReadOut(tid, b.addr, got.data(), got.size()) < 0) return;
  if (b.from.compare(0, got.size(), got) != 0) return;
  size_t n = (size_t)std::min<uint64_t>(b.to.size(), b.size);
  if (memory::WriteOutput(tid, b.addr, b.to.data(), n) < 0) return;
  regs.rax = n;
  ptrace(PTRACE_SETREGS, tid, 0, &regs);
}

}  // namespace

// At the stop that ends a successful execve (the new program's first instruction, nothing of it
// run yet): AT_EXECFN names `name`. The kernel copied the path it was given to the top of the new
// stack, above the strings of envp and argv, and the auxv entry AT_EXECFN points there
// (bprm->exec, create_elf_tables in fs/binfmt_elf.c). The strings stay where they are
// (/proc/PID/cmdline and environ read them from there); the words from the stack pointer to the
// end of auxv (argc, argv[], envp[], auxv[]) move down by the name's size rounded up to 16 (the
// stack pointer's alignment at entry), the name goes into the room this makes just above the
// moved auxv, AT_EXECFN points at it and rsp moves down with the words. The stack was made 128 KiB
// larger than its contents at exec (setup_arg_pages), so the room is mapped. Nothing is changed
// when the stack does not look as the kernel builds it.
void PutExecFn(pid_t tid, struct user_regs_struct& regs, const std::string& name) {
  constexpr uint64_t kAtNull = 0, kAtExecFn = 31;
  constexpr size_t kMaxWords = 1 << 20;  // 8 MiB of pointers: more than a default stack's argv+envp
  memory::InPlace mem;
  if (mem.Open(tid) < 0 || name.size() > 4096) return;
  const uint64_t sp = regs.rsp;
  std::vector<uint64_t> words;
  auto word = [&](size_t i, uint64_t* v) {
    while (words.size() <= i) {
      if (words.size() >= kMaxWords) return false;
      uint64_t chunk[512];
      if (mem.Read(sp + words.size() * 8, chunk, sizeof chunk) < 0) {
        // The last page of the stack: word by word.
        if (mem.Read(sp + words.size() * 8, chunk, 8) < 0) return false;
        words.push_back(chunk[0]);
        continue;
      }
      words.insert(words.end(), chunk, chunk + 512);
    }
    *v = words[i];
    return true;
  };
  uint64_t v = 0;
  if (!word(0, &v)) return;
  size_t i = 1 + (size_t)v + 1;  // past argc, argv[], its NULL
  if (v > kMaxWords || !word(i - 1, &v) || v != 0) return;
  for (;; i++) {  // envp[] and its NULL
    if (!word(i, &v)) return;
    if (v == 0) break;
  }
  size_t execfn = 0;
  for (i++;; i += 2) {  // auxv pairs, up to AT_NULL
    uint64_t type = 0;
    if (!word(i, &type) || !word(i + 1, &v)) return;
    if (type == kAtExecFn) execfn = i + 1;
    if (type == kAtNull) break;
  }
  if (execfn == 0) return;
  const size_t block = (i + 2) * 8;
  const uint64_t room = (name.size() + 1 + 15) & ~uint64_t(15);
  const uint64_t nsp = sp - room;
  std::vector<uint64_t> moved(words.begin(), words.begin() + (long)(i + 2));
  moved[execfn] = nsp + block;
  if (mem.Write(nsp, moved.data(), block) < 0) return;
  std::string s = name;
  s.push_back('\0');
  if (mem.Write(nsp + block, s.data(), s.size()) < 0) {
    mem.Write(sp, words.data(), block);  // as it was
    return;
  }
  regs.rsp = nsp;
  if (ptrace(PTRACE_SETREGS, tid, 0, &regs) < 0) mem.Write(sp, words.data(), block);
}

namespace {

class Agent {
 public:
  static Agent& Get() {
    static Agent* a = new Agent();  // never destroyed: the thread outlives module teardown
    return *a;
  }

  // Seizes and interrupts job.tid from the agent thread (the tracer must be the thread that waits
  // and detaches). Returns whether the thread was seized; the job is tracked either way.
  bool Submit(Job job) {
    auto arm = std::make_shared<Arm>();
    arm->job = std::move(job);
    std::future<bool> f = arm->seized.get_future();
    {
      std::lock_guard<std::mutex> l(m_);
      arms_.push_back(arm);
    }
    cv_.notify_one();
    return f.get();
  }

 private:
  Agent() { std::thread([this] { Loop(); }).detach(); }

  void Loop() {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    prctl(PR_SET_NAME, (unsigned long)"sysvisor-rw", 0, 0, 0);
    for (;;) {
      std::vector<std::shared_ptr<Arm>> arms;
      {
        std::unique_lock<std::mutex> l(m_);
        if (jobs_.empty()) cv_.wait(l, [this] { return !arms_.empty(); });
        arms.assign(arms_.begin(), arms_.end());
        arms_.clear();
      }
      for (auto& a : arms) {
        Job& j = a->job;
        j.since = std::chrono::steady_clock::now();
        j.ptraced = j.may_ptrace && ptrace(PTRACE_SEIZE, j.tid, 0, 0) == 0;
        if (j.ptraced && ptrace(PTRACE_INTERRUPT, j.tid, 0, 0) != 0) {
          // Should not happen; the thread stops at some point anyway or is gone.
        }
        jobs_.push_back(j);
        a->seized.set_value(j.ptraced);
      }
      bool progress = false;
      for (size_t i = 0; i < jobs_.size();) {
        if (Poll(jobs_[i])) {
          if (jobs_[i].restarting) SetRestarting(jobs_[i].tid, (int)jobs_[i].nr, false);  // gone meanwhile
          jobs_.erase(jobs_.begin() + (long)i);
          progress = true;
        } else {
          i++;
        }
      }
      if (jobs_.empty() || progress) continue;
      // Back off: the stop comes microseconds after CONTINUE for most calls, later for execve.
      // The youngest job decides: one sleeping for long (a restarted call) does not slow the others.
      int youngest = INT32_MAX;
      for (auto& j : jobs_) youngest = std::min(youngest, j.polls++);
      auto wait = std::chrono::microseconds(youngest < 50 ? 5 : youngest < 250 ? 50 : 1000);
      std::unique_lock<std::mutex> l(m_);
      cv_.wait_for(l, wait, [this] { return !arms_.empty(); });
    }
  }

  // One look at a job. True when it is finished.
  bool Poll(Job& j) {
    if (!j.ptraced) return PollUntraced(j);
    siginfo_t si = {};
    // Peek first (WNOWAIT): an exit may have to be left to the supervisor's own waiting.
    int r = waitid(P_PID, (id_t)j.tid, &si, WSTOPPED | WEXITED | __WALL | WNOHANG | WNOWAIT);
    if (r < 0) {
      if (errno == EINTR) return false;
      // After a successful execve by a non-leader thread, the thread has its process's id.
      if (errno == ECHILD && j.exec && !j.retried_tgid && j.tgid != j.tid) {
        j.retried_tgid = true;
        j.tid = j.tgid;
        return false;
      }
      return true;
    }
    if (si.si_pid == 0) return false;
    if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) {
      // The exit of a process whose parent is the supervisor (its command, an orphan it adopted)
      // is the supervisor's to collect. Anything else traced here must be waited for now, or its
      // parent (or, for a thread, its process's parent) would never hear of it.
      TaskStatus st;
      bool ours = ReadStatus(j.tid, &st) == 0 && st.tgid == j.tid && st.ppid == getpid();
      if (!ours) {
        siginfo_t done = {};
        waitid(P_PID, (id_t)j.tid, &done, WEXITED | __WALL | WNOHANG);
      }
      if (j.exec && j.vfork_parent) WriteRegions(j.vfork_parent, j.regions, true);
      return true;
    }
    struct user_regs_struct regs = {};
    bool have = ptrace(PTRACE_GETREGS, j.tid, 0, &regs) == 0;
    bool event_stop = (si.si_status >> 8) == PTRACE_EVENT_STOP;
    if (j.restarting) {
      // A syscall-entry stop of the restarted call: on to its notification, the pump continues it.
      struct __ptrace_syscall_info info = {};
      if (si.si_status == (SIGTRAP | 0x80) &&
          ptrace(PTRACE_GET_SYSCALL_INFO, j.tid, sizeof info, &info) > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
        ptrace(PTRACE_SYSCALL, j.tid, 0, 0);
        return false;
      }
      // Its exit, or any other stop: the tracee's bytes back before it runs its own code.
      SetRestarting(j.tid, (int)j.nr, false);
      WriteRegions(j.tid, j.regions, true);
      int sig = si.si_status == (SIGTRAP | 0x80) || event_stop ? 0 : (si.si_status & 0x7f);
      ptrace(PTRACE_DETACH, j.tid, 0, sig);
      return true;
    }
    if (event_stop && have && !j.redo && !j.exec && !j.back.on && !j.link.on && IsRestartCode((long)regs.rax) &&
        ptrace(PTRACE_SETOPTIONS, j.tid, 0, PTRACE_O_TRACESYSGOOD) == 0) {
      // The interrupt ended the call's sleep (see the head comment): restart it with the bytes kept.
      j.nr = (long)regs.orig_rax;
      SetRestarting(j.tid, (int)j.nr, true);
      j.restarting = true;
      j.polls = 0;
      if (ptrace(PTRACE_SYSCALL, j.tid, 0, 0) == 0) return false;
      SetRestarting(j.tid, (int)j.nr, false);
      j.restarting = false;
    }
    if (j.redo) {
      if (have) {
        regs.orig_rax = regs.rax = j.redo_nr;
        regs.rdi = j.redo_args[0];
        regs.rsi = j.redo_args[1];
        regs.rdx = j.redo_args[2];
        regs.rip -= 2;  // back onto the 2-byte `syscall` instruction the call came from
        ptrace(PTRACE_SETREGS, j.tid, 0, &regs);
      }
      int rsig = (si.si_status >> 8) == PTRACE_EVENT_STOP ? 0 : (si.si_status & 0x7f);
      ptrace(PTRACE_DETACH, j.tid, 0, rsig);
      return true;
    }
    long ret = have ? (long)regs.rax : -1;
    if (j.back.on && have && ret >= 0) PutAddressBack(j.tid, j.back);
    if (j.link.on && have) PutLinkBack(j.tid, j.link, regs);
    bool exec_done = j.exec && have && ret == 0;
    if (exec_done && !j.exec_fn.empty()) PutExecFn(j.tid, regs, j.exec_fn);
    if (!exec_done) WriteRegions(j.tid, j.regions, true);
    else if (j.vfork_parent) WriteRegions(j.vfork_parent, j.regions, true);
    // A signal-delivery stop hands its signal back; our interrupt (PTRACE_EVENT_STOP) has none.
    int sig = (si.si_status >> 8) == PTRACE_EVENT_STOP ? 0 : (si.si_status & 0x7f);
    ptrace(PTRACE_DETACH, j.tid, 0, sig);
    return true;
  }

  // Without ptrace: restore once /proc/TID/syscall shows the thread out of the call.
  bool PollUntraced(Job& j) {
    std::string line = ReadText("/proc/" + std::to_string(j.tid) + "/syscall");
    if (line.empty()) return true;  // gone
    bool same = line == j.syscall_line;
    bool running = line.rfind("running", 0) == 0;
    auto age = std::chrono::steady_clock::now() - j.since;
    if (same || (running && age < std::chrono::milliseconds(20))) {
      if (age < std::chrono::seconds(10)) return false;
    }
    WriteRegions(j.tid, j.regions, true);
    return true;
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Arm>> arms_;
  std::vector<Job> jobs_;  // agent thread only
};

Napi::Value RewriteContinue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "rewriteContinue")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "rewriteContinue");
  Job j;
  j.tid = (pid_t)q.Num("tid");
  j.exec = q.Bool("exec");
  // An interrupt would end a wait that is not killable (and the call would come back forever).
  j.may_ptrace = q.Bool("killableWait");
  Napi::Value list = q.Get("regions");
  if (q.ok() && !list.IsArray()) q.Fail("regions", "an array");
  if (!q.ok()) return env.Undefined();
  Napi::Array regions = list.As<Napi::Array>();
  for (uint32_t i = 0; i < regions.Length(); i++) {
    Napi::Value v = regions.Get(i);
    if (!v.IsArray()) return (ThrowType(env, "regions must be [addr, newBytes, oldBytes] arrays"), env.Undefined());
    Napi::Array r = v.As<Napi::Array>();
    Napi::Value a = r.Get(0u), n = r.Get(1u), o = r.Get(2u);
    if (!a.IsNumber() || !n.IsBuffer() || !o.IsBuffer())
      return (ThrowType(env, "regions must be [addr, newBytes, oldBytes] arrays"), env.Undefined());
    auto nb = n.As<Napi::Buffer<char>>();
    auto ob = o.As<Napi::Buffer<char>>();
    Region reg;
    reg.addr = (uint64_t)a.As<Napi::Number>().Int64Value();
    reg.now.assign(nb.Data(), nb.Length());
    reg.old.assign(ob.Data(), ob.Length());
    if (reg.old.size() != reg.now.size())
      return (ThrowType(env, "a region's old and new bytes must have the same length"), env.Undefined());
    j.regions.push_back(std::move(reg));
  }
  Napi::Value back = q.Get("addressBack");
  if (q.ok() && !back.IsUndefined()) {
    if (!back.IsObject()) return (ThrowType(env, "rewriteContinue: field 'addressBack' must be an object"), env.Undefined());
    Request b(env, back.As<Napi::Object>(), "rewriteContinue addressBack");
    j.back.addr = (uint64_t)b.Num("addr");
    j.back.size = (uint32_t)b.Num("size");
    j.back.len_addr = (uint64_t)b.Num("lenAddr");
    Napi::Value pairs = b.Get("pairs");
    if (b.ok() && !pairs.IsArray()) b.Fail("pairs", "an array of [realPath, viewAddress]");
    if (!b.ok()) return env.Undefined();
    Napi::Array pa = pairs.As<Napi::Array>();
    for (uint32_t i = 0; i < pa.Length(); i++) {
      Napi::Value v = pa.Get(i);
      if (!v.IsArray() || !v.As<Napi::Array>().Get(0u).IsBuffer() || !v.As<Napi::Array>().Get(1u).IsBuffer())
        return (ThrowType(env, "rewriteContinue: addressBack pairs must be [Buffer, Buffer] arrays"), env.Undefined());
      Napi::Array e = v.As<Napi::Array>();
      auto rp = e.Get(0u).As<Napi::Buffer<char>>();
      auto va = e.Get(1u).As<Napi::Buffer<char>>();
      j.back.pairs.emplace_back(std::string(rp.Data(), rp.Length()), std::string(va.Data(), va.Length()));
    }
    // Never by polling: the thread would run user code with the kernel's address first.
    j.back.on = j.may_ptrace && !j.back.pairs.empty();
  }
  Napi::Value link = q.Get("linkBack");
  if (q.ok() && !link.IsUndefined()) {
    if (!link.IsObject()) return (ThrowType(env, "rewriteContinue: field 'linkBack' must be an object"), env.Undefined());
    Request b(env, link.As<Napi::Object>(), "rewriteContinue linkBack");
    j.link.addr = (uint64_t)b.Num("addr");
    j.link.size = (uint64_t)b.Num("size");
    Napi::Value from = b.Get("from"), to = b.Get("to");
    if (b.ok() && (!from.IsBuffer() || !to.IsBuffer())) b.Fail("from", "a Buffer (and 'to' too)");
    if (!b.ok()) return env.Undefined();
    j.link.from.assign(from.As<Napi::Buffer<char>>().Data(), from.As<Napi::Buffer<char>>().Length());
    j.link.to.assign(to.As<Napi::Buffer<char>>().Data(), to.As<Napi::Buffer<char>>().Length());
    // Never by polling: the thread would run user code with the kernel's answer first.
    j.link.on = j.may_ptrace;
  }
  Napi::Value fn = q.Get("execFn");
  if (q.ok() && !fn.IsUndefined()) {
    if (!fn.IsBuffer()) return (ThrowType(env, "rewriteContinue: field 'execFn' must be a Buffer"), env.Undefined());
    if (j.may_ptrace && j.exec) j.exec_fn.assign(fn.As<Napi::Buffer<char>>().Data(), fn.As<Napi::Buffer<char>>().Length());
  }
  std::string proc = "/proc/" + std::to_string(j.tid);
  TaskStatus st;
  if (int r = ReadStatus(j.tid, &st); r < 0) return Napi::Number::New(env, r == -EIO ? -ESRCH : r);
  j.tgid = st.tgid;
  int ppid = st.ppid;
  // A vfork child shares its parent's memory: after a successful execve, restore it there.
  if (j.exec && ppid > 0 && syscall(SYS_kcmp, j.tgid, ppid, KCMP_VM, 0, 0) == 0) j.vfork_parent = ppid;
  j.syscall_line = ReadText(proc + "/syscall");
  int w = WriteRegions(j.tid, j.regions, false);
  if (w < 0) return Napi::Number::New(env, w);
  bool seized = Agent::Get().Submit(std::move(j));
  return Napi::Number::New(env, seized ? 1 : 2);
}

Napi::Value RedoSyscall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "redoSyscall")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "redoSyscall");
  Job j;
  j.tid = (pid_t)q.Num("tid");
  j.redo = true;
  j.redo_nr = (uint64_t)q.Num("nr");
  // Only with a killable wait: an interrupt would end a wait that is not (see rewriteContinue).
  bool killable = q.Bool("killableWait");
  Napi::Value list = q.Get("args");
  if (q.ok() && (!list.IsArray() || list.As<Napi::Array>().Length() != 3)) q.Fail("args", "an array of the first three arguments");
  if (!q.ok()) return env.Undefined();
  Napi::Array args = list.As<Napi::Array>();
  for (uint32_t i = 0; i < 3; i++) {
    Napi::Value v = args.Get(i);
    if (!v.IsNumber()) return (ThrowType(env, "redoSyscall: field 'args' must be an array of numbers"), env.Undefined());
    j.redo_args[i] = (uint64_t)v.As<Napi::Number>().Int64Value();
  }
  if (!killable) return Napi::Number::New(env, -EPERM);
  TaskStatus st;
  if (int r = ReadStatus(j.tid, &st); r < 0) return Napi::Number::New(env, r == -EIO ? -ESRCH : r);
  j.tgid = st.tgid;
  // The agent tracks the job either way; unseized, it finds nothing to restore and drops it.
  return Napi::Number::New(env, Agent::Get().Submit(std::move(j)) ? 1 : -EBUSY);
}

Napi::Value SocketWaits(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "socketWaits")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "socketWaits");
  int tgid = (int)q.Num("tgid");
  int fd = (int)q.Num("fd");
  bool dontwait = q.Bool("dontwait");
  if (!q.ok()) return env.Undefined();
  if (fd < 0) return Napi::Number::New(env, -EBADF);
  int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
  if (pidfd < 0) return Napi::Number::New(env, -errno);
  int dup = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  int err = errno;
  close(pidfd);
  if (dup < 0) return Napi::Number::New(env, -err);
  int waits = 0;
  int fl = fcntl(dup, F_GETFL);
  if (!dontwait && fl >= 0 && (fl & O_NONBLOCK) == 0) {
    struct pollfd p = {dup, POLLIN, 0};
    waits = poll(&p, 1, 0) == 0 ? 1 : 0;  // any event (data, a connection, an error, a hang-up) returns at once
  }
  close(dup);
  return Napi::Number::New(env, waits);
}

}  // namespace

void InitRewrite(Napi::Env env, Napi::Object exports) {
  exports.Set("socketWaits", Napi::Function::New(env, SocketWaits, "socketWaits"));
  exports.Set("rewriteContinue", Napi::Function::New(env, RewriteContinue, "rewriteContinue"));
  exports.Set("redoSyscall", Napi::Function::New(env, RedoSyscall, "redoSyscall"));
}

}  // namespace emulate
}  // namespace sysvisor
