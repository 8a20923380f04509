// Notification pump: owns a seccomp listener fd. A dedicated thread receives each notification as
// soon as it arrives and answers what needs no JS (calls whose path is outside every mapped prefix:
// CONTINUE; calls under native plans: run as the tracee), see receiver.h; the rest reach JS on
// Node's thread in one batch per wake-up, written into a shared Float64Array (no allocation per
// notification). JS answers by slot. Answers from Node's thread that wait on the tracee (installing
// an fd) run on worker threads, see replier.h.
//
// recv (thread) -> (fast path | native plan) -> JS -> respond; ENOENT from RECV/SEND/ADDFD is normal (the tracee
// was interrupted or died) and never an error. EINTR is retried on every ioctl: SEND, ID_VALID and
// ADDFD take the listener's mutex interruptibly and give EINTR, not restarted, when the supervisor
// has a signal pending (kernel/seccomp.c); nothing was done then.
#include "common.h"
#include "contract.h"
#include "emulate/emulate.h"
#include "emulate/tracee.h"
#include "memory/tracee_mem.h"
#include "unotify/opened.h"
#include "unotify/plan.h"
#include "unotify/receiver.h"
#include "unotify/replier.h"

#include <linux/seccomp.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <uv.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace sysvisor {
namespace {

using unotify::FdReply;
using unotify::kMaxSyscall;
using unotify::kPathMax;
using unotify::ReadTraceeString;
using unotify::Received;
using unotify::InstallFd;
using unotify::InstallFdAndReply;
using unotify::ListenerIoctl;
using unotify::SendAnswer;
using unotify::NativeCall;

constexpr int kFields = SV_NOTIF_FIELDS;  // slot, pid, nr, a0..a5 (contract.h)
constexpr int kBatch = 128;     // notifications per JS call
// Kinds of synchronous answers JS leaves in `replies` (contract.h).
constexpr int kReplyNone = SV_REPLY_NONE, kReplyContinue = SV_REPLY_CONTINUE, kReplyValue = SV_REPLY_VALUE;

struct Slot {
  uint64_t id = 0;
  uint32_t pid = 0;
  bool used = false;
  uint64_t args[6] = {};  // the arguments exactly (the batch holds them as doubles)
  std::string path;  // path read by the fast path, handed to JS (read once)
  bool has_path = false;
  int8_t path_arg = -1;  // the argument it was read from (its route)
};

// The native plans of a pump (plan.h) and what running them keeps, shared by the receiving
// threads (receiver.h), which run them, and Node's thread, which runs them when it receives itself,
// configures them and takes the records: the table is replaced whole, records under the lock.
struct Natives {
  using Table = std::vector<std::unique_ptr<NativeCall>>;  // by syscall number

  std::mutex m;
  std::shared_ptr<const Table> table = std::make_shared<Table>();
  unotify::OpenedRecords opened;  // under m
  std::atomic<uint64_t> count{0}, lost_fds{0};

  std::shared_ptr<const Table> Get() {
    std::lock_guard<std::mutex> l(m);
    return table;
  }
  void Set(std::shared_ptr<const Table> t) {
    std::lock_guard<std::mutex> l(m);
    table = std::move(t);
  }

  // Room for one open's record (OpenedRecords::Reserve), ended by Add or its destructor.
  struct Reservation {
    Natives* n;
    bool ok = false;
    Reservation(Natives* natives, bool want) : n(natives) {
      if (!want) return;
      std::lock_guard<std::mutex> l(n->m);
      ok = n->opened.Reserve();
    }
    void Add(int nr, const emulate::OpenedFile& f, uint32_t mask, const std::vector<int>& levels) {
      std::lock_guard<std::mutex> l(n->m);
      n->opened.Add(nr, f.tgid, f.dev, f.ino, mask, levels, true);
      ok = false;
    }
    ~Reservation() {
      if (!ok) return;
      std::lock_guard<std::mutex> l(n->m);
      n->opened.Unreserve();
    }
  };

  // A call every engine of whose chain has a native plan for it (plan.h): mapped, run as the tracee
  // and answered here (on a receiving thread, or on Node's thread when it receives itself), as the
  // executor's emulator would (src/chain/emulate/paths.ts, open.ts), without entering JS; an open's
  // fd is installed (ADDFD) inline on a receiving thread, else by a worker, and the file recorded
  // for the plans that record opens (opened.h). False: JS takes it (no plan, a path a plan
  // cannot decide alone, an operand the emulators treat apart, an emulation that must fall back to
  // the kernel, or no room left for the record).
  bool Run(int fd, const Received& it, bool may_block, unotify::Replier* replier) {
    // Per thread: what each plan of the call's chain stripped, the call's outputs and input.
    thread_local std::vector<int> levels;
    thread_local std::vector<uint8_t> outbuf, inbuf;
    std::shared_ptr<const Table> table = Get();
    const Table& native = *table;
    int nr = it.n.data.nr;
    if (!it.has_path || nr < 0 || nr >= (int)native.size() || !native[nr]) return false;
    const NativeCall& c = *native[nr];
    if (it.path_arg != c.path) return false;
    bool open = c.op == "open";
    // `..` is resolved by the emulation's walk as the tracee (emulate::Walk), except for an open:
    // the level of the file it opens is its engine's record (the engine's walk says it).
    std::string mapped;
    if (!unotify::ApplyPlans(c.chain, it.path, &mapped, &levels, !open)) return false;
    const __u64* a = it.n.data.args;
    int flags = (c.flags >= 0 ? (int)a[c.flags] : 0) | c.fixed_flags;
    if ((uint32_t)flags & ~c.plain_flags) return false;
    bool record = open && c.record_opens != 0;
    if (record && c.chain.size() > unotify::OpenedRecords::kMaxChain) return false;
    // EINVAL (build_open_flags) is the emulator's to say.
    if (open && (flags & O_CREAT) && (flags & O_DIRECTORY)) return false;
    size_t len = 0;
    bool xattr = c.op == "getxattr" || c.op == "listxattr";
    bool sized = c.op == "readlink" || xattr;  // the result is the length written
    std::string name;
    if (c.op == "stat") len = sizeof(struct stat);
    else if (c.op == "statx") len = 256;
    else if (c.op == "readlink") {
      int64_t size = (int64_t)a[c.size];
      if (size <= 0 || size > INT_MAX) return false;  // EINVAL and odd sizes: the emulator's
      len = std::min<int64_t>(size, 65536);
    } else if (xattr) {
      len = (size_t)std::clamp<int64_t>((int64_t)a[c.size], 0, 65536);  // XATTR_SIZE_MAX
    }
    // The name as the emulator reads it (1 to 255 bytes; else it says EFAULT or ERANGE, before the
    // lookup as the kernel does).
    if (c.name >= 0 && it.has_name && it.name_arg == c.name) name = it.name;  // read with the path
    else if (c.name >= 0 && !ReadTraceeString((int)it.n.pid, a[c.name], unotify::FastPath::kNameMax, &name)) return false;
    if (c.name >= 0 && name.empty()) return false;
    // An input from the tracee: utimens's times (struct timespec[2]; NULL: now), setxattr's value
    // (`size` bytes). What the emulator refuses before the lookup (setxattr's unknown flags, a size
    // over XATTR_SIZE_MAX) or cannot read is its to say (EINVAL, E2BIG, EFAULT).
    bool setxattr = c.op == "setxattr";
    size_t in_len = 0;
    if (setxattr) {
      int64_t size = (int64_t)a[c.size];
      if (((uint32_t)a[c.xflags] & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE)) || size < 0 || size > 65536) return false;
      in_len = (size_t)size;
    } else if (c.input >= 0 && a[c.input] != 0) {
      in_len = 32;
    }
    if (in_len > 0) {
      if (inbuf.size() < in_len) inbuf.resize(in_len);
      struct iovec local = {inbuf.data(), in_len};
      struct iovec remote = {reinterpret_cast<void*>(a[c.input]), in_len};
      if (process_vm_readv((pid_t)it.n.pid, &local, 1, &remote, 1, 0) != (ssize_t)in_len) return false;
    }
    uint64_t id = it.n.id;
    // Room for the open's record, taken before the open (it must not run twice: once here, once
    // in JS); released on every way out but the record.
    Reservation room(this, record);
    if (record && !room.ok) return false;
    emulate::NativePathRequest q;
    q.op = c.op.c_str();
    q.tid = (pid_t)it.n.pid;
    q.dirfd = c.dirfd >= 0 ? (int)(int32_t)a[c.dirfd] : AT_FDCWD;
    q.path = std::move(mapped);
    q.flags = flags;
    q.mode = c.mode >= 0 ? (uint32_t)a[c.mode] : 0;
    // open's mode counts only when it creates, as the kernel cleans it (build_open_how).
    if (open) q.mode = flags & O_CREAT ? q.mode & 07777 : 0;
    q.mask = c.mask >= 0 ? (uint32_t)a[c.mask] : 0;
    q.in = in_len > 0 ? inbuf.data() : nullptr;
    q.in_len = in_len;
    q.xflags = setxattr ? (int)(uint32_t)a[c.xflags] : 0;
    q.uid = c.uid >= 0 ? (uint32_t)a[c.uid] : 0;
    q.gid = c.gid >= 0 ? (uint32_t)a[c.gid] : 0;
    if (outbuf.size() < len) outbuf.resize(len);
    std::fill(outbuf.begin(), outbuf.begin() + len, 0);
    q.out = len > 0 ? outbuf.data() : nullptr;
    q.out_len = len;
    q.name = std::move(name);
    q.cached = c.cached;
    q.may_block = may_block;
    for (const auto& p : c.chain) q.view.emplace_back(p.prefix, p.levels);
    // The path was read before: the notification must still be pending, or the read may have been
    // of a recycled thread (as Syscall.latin1 checks). Asked once the identity is known, unless the
    // identity cache proved the thread the same since before the call was received (a syscall
    // less per call: NativePathRequest.known).
    q.pending = [fd, id] {
      uint64_t i = id;
      return ListenerIoctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &i) == 0;
    };
    q.known = it.known;
    emulate::OpenedFile file;
    long r = open ? emulate::OpenAsNative(q, &file) : emulate::PathAsNative(q);
    if (r == emulate::kFallback) return false;
    if (r == emulate::kGone) return true;  // nothing to answer
    count++;
    if (r < 0) {
      SendAnswer(fd, id, 0, (int32_t)r, 0);
      return true;
    }
    if (open) {
      // Recorded before the answer (the tracee's next call sees it); a file fstat could not tell
      // is not (the JS chain records none either).
      if (record && file.ino != 0) room.Add(nr, file, c.record_opens, levels);
      // The install waits for the tracee: inline on a receiving thread (its stand-in receives if
      // it waits long), else by a worker (replier.h). The fd is closed once installed, before the
      // answer (replier.cc).
      bool cloexec = (flags & O_CLOEXEC) != 0;
      if (!replier) lost_fds += unotify::InstallFdAndReply(fd, id, (int)r, cloexec, true).lost;
      else replier->InstallAndReply(id, (int)r, cloexec);
      return true;
    }
    size_t out = sized ? std::min((size_t)r, len) : len;
    int w = out > 0 ? memory::WriteOutput(q.tid, a[c.out], outbuf.data(), out) : 0;
    if (w < 0) SendAnswer(fd, id, 0, w, 0);
    else SendAnswer(fd, id, sized ? r : 0, 0, 0);
    return true;
  }
};

class Pump : public Napi::ObjectWrap<Pump> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Pump", {
      InstanceMethod<&Pump::Continue>("continue"),
      InstanceMethod<&Pump::Reply>("reply"),
      InstanceMethod<&Pump::AddFd>("addfd"),
      InstanceMethod<&Pump::ReplyFd>("replyFd"),
      InstanceMethod<&Pump::IdValid>("idValid"),
      InstanceMethod<&Pump::SlotPath>("slotPath"),
      InstanceMethod<&Pump::Arg64>("arg64"),
      InstanceMethod<&Pump::ReadString>("readString"),
      InstanceMethod<&Pump::ReadBytes>("readBytes"),
      InstanceMethod<&Pump::SetFastPath>("setFastPath"),
      InstanceMethod<&Pump::TakeOpened>("takeOpened"),
      InstanceMethod<&Pump::Stats>("stats"),
      InstanceMethod<&Pump::SetSpin>("setSpin"),
      InstanceMethod<&Pump::Close>("close"),
      InstanceAccessor<&Pump::GetBatch>("batch"),
      InstanceAccessor<&Pump::GetReplies>("replies"),
      InstanceAccessor<&Pump::GetSyncWakeUp>("syncWakeUp"),
      InstanceAccessor<&Pump::GetFd>("fd"),
    });
  }

  // new Pump(listenerFd, onBatch(count) -> boolean, onHangup()[, onError(message)[, receivedIds]]):
  // takes ownership of listenerFd and of the receivedIds memfd. onBatch returns true when it left
  // asynchronous work (promises) to run. onError gets the failures of answers completed off the
  // loop thread (replyFd).
  Pump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pump>(info) {
    Napi::Env env = info.Env();
    int memfd = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().Int32Value() : -1;
    if (!ArgNumber(info, 0, "listenerFd") || !ArgFunction(info, 1, "onBatch") ||
        !ArgFunction(info, 2, "onHangup")) {
      if (memfd >= 0) close(memfd);
      return;
    }
    fd_ = info[0].As<Napi::Number>().Int32Value();
    on_batch_ = Napi::Persistent(info[1].As<Napi::Function>());
    on_hangup_ = Napi::Persistent(info[2].As<Napi::Function>());
    if (info.Length() > 3 && info[3].IsFunction()) on_error_ = Napi::Persistent(info[3].As<Napi::Function>());
    on_flush_ = Napi::Persistent(Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return i.Env().Undefined(); }));
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, sizeof(double) * kFields * kBatch);
    data_ = static_cast<double*>(ab.Data());
    batch_ = Napi::Persistent(Napi::Float64Array::New(env, kFields * kBatch, ab, 0));
    Napi::ArrayBuffer rb = Napi::ArrayBuffer::New(env, sizeof(double) * 2 * kBatch);
    replies_data_ = static_cast<double*>(rb.Data());
    replies_ = Napi::Persistent(Napi::Float64Array::New(env, 2 * kBatch, rb, 0));
    // Probe: with SYNC_WAKE_UP the kernel switches straight to the supervisor (6-7x faster here).
    uint64_t flags = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;
    sync_wake_up_ = ioctl(fd_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) == 0;

    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    listener_ = std::make_shared<unotify::Listener>(fd_);
    // The received-ids page (launcher/protocol.h), shared before the first RECV: every call this
    // pump receives is stored there, so whoever keeps the listener after this process dies (the
    // launcher, the agent's fd holder) finds each call received and never answered.
    if (memfd >= 0) {
      if (!listener_->ShareReceivedIds(memfd)) {
        ThrowSys(env, "share the received-ids page", "mmap", errno);
        return;
      }
    }
    replier_ = std::make_unique<unotify::Replier>(loop, listener_, [this](const std::string& line) {
      if (on_error_.IsEmpty()) return;
      Napi::HandleScope scope(Env());
      on_error_.MakeCallback(Value(), {Napi::String::New(Env(), line)});
    });
    receiver_ = std::make_unique<unotify::Receiver>(loop, listener_, [this] { OnReceived(); },
                                                    [n = natives_](int fd, Received& it, bool may_block) { return n->Run(fd, it, may_block, nullptr); });
    if (!receiver_->ok()) {
      ThrowSys(env, "receive from the seccomp listener", "pipe", receiver_->error());
      return;
    }
    receiving_ = true;
    Ref();  // alive while receiving
  }

  ~Pump() { Shutdown(); }

 private:
  int AllocSlot() {
    if (!free_.empty()) {
      int s = free_.back();
      free_.pop_back();
      in_use_++;
      return s;
    }
    in_use_++;
    slots_.emplace_back();
    return (int)slots_.size() - 1;
  }
  void FreeSlot(int s) {
    in_use_--;
    slots_[s].used = false;
    slots_[s].has_path = false;
    free_.push_back(s);
  }

  // Loop thread: the receiver has notifications for JS, or the filter lost its last user.
  void OnReceived() {
    Napi::Env env = Env();
    if (!receiving_) return;
    taken_.clear();
    taken_next_ = 0;
    bool hangup = receiver_->Take(&taken_);
    int count = 0;
    // taken_next_ is the first item not yet handed to JS: if JS closes the pump mid-batch,
    // Shutdown answers the rest (no received call is left unanswered).
    while (taken_next_ < taken_.size()) {
      if (fd_ < 0) return;  // closed from JS
      Received& it = taken_[taken_next_++];
      // Once only: a receiving thread that left it to JS has tried (a plan that may block ran
      // there, never here).
      if (!it.planned && natives_->Run(fd_, it, false, replier_.get())) continue;
      int slot = AllocSlot();
      Slot& s = slots_[slot];
      s.id = it.n.id;
      s.pid = it.n.pid;
      s.used = true;
      s.has_path = it.has_path;
      s.path_arg = it.path_arg;
      if (it.has_path) s.path.swap(it.path);
      double* d = data_ + count * kFields;
      d[0] = slot;
      d[1] = it.n.pid;
      d[2] = it.n.data.nr;
      for (int i = 0; i < 6; i++) {
        d[3 + i] = (double)(int64_t)it.n.data.args[i];
        s.args[i] = it.n.data.args[i];
      }
      if (++count == kBatch) {
        CallJs(env, count);
        count = 0;
      }
    }
    if (count > 0 && fd_ >= 0) CallJs(env, count);
    if (hangup && receiving_) {
      Napi::HandleScope scope(env);
      StopReceiving();
      on_hangup_.MakeCallback(Value(), {});
    }
  }

  // A plain call is much cheaper than MakeCallback (no async context, no tick processing). When
  // the batch left promises behind (an engine stopped a thread), JS returns true and a
  // MakeCallback of the flush function runs the microtask and nextTick queues.
  // Synchronous answers come back in `replies` (kind, value per notification) and are sent here,
  // saving a JS -> C++ call per notification.
  void CallJs(Napi::Env env, int count) {
    Napi::HandleScope scope(env);
    for (int i = 0; i < count; i++) replies_data_[2 * i] = kReplyNone;
    Napi::Value r = on_batch_.Call(Value(), {Napi::Number::New(env, count)});
    if (env.IsExceptionPending()) {
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env, e.Value());
      return;
    }
    for (int i = 0; i < count && fd_ >= 0; i++) {
      int kind = (int)replies_data_[2 * i];
      if (kind == kReplyNone) continue;
      int slot = (int)data_[i * kFields];
      if (slot < 0 || slot >= (int)slots_.size() || !slots_[slot].used) continue;
      uint64_t id = slots_[slot].id;
      double v = replies_data_[2 * i + 1];
      if (kind == kReplyContinue) SendAnswer(fd_, id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
      else if (kind == kReplyValue) SendAnswer(fd_, id, (int64_t)v, 0, 0);
      else SendAnswer(fd_, id, 0, -(int32_t)v, 0);  // ENOENT: the call is gone, normal
      FreeSlot(slot);
    }
    if (r.IsBoolean() && r.As<Napi::Boolean>().Value()) on_flush_.MakeCallback(Value(), {});
  }

  // Look up a live slot from JS; throws RangeError for a bad one.
  Slot* GetSlot(const Napi::CallbackInfo& info, int* idx) {
    if (!ArgNumber(info, 0, "slot")) return nullptr;
    int s = info[0].As<Napi::Number>().Int32Value();
    if (s < 0 || s >= (int)slots_.size() || !slots_[s].used) {
      Napi::RangeError::New(info.Env(), "slot " + std::to_string(s) + " is not pending")
          .ThrowAsJavaScriptException();
      return nullptr;
    }
    *idx = s;
    return &slots_[s];
  }

  // The arguments addfd and replyFd share: (slot, srcFd, cloexec). False with a JS exception
  // pending when one is bad.
  struct FdArgs {
    Slot* slot;
    int idx;
    int srcfd;
    bool cloexec;
  };
  bool GetFdArgs(const Napi::CallbackInfo& info, FdArgs* a) {
    a->slot = GetSlot(info, &a->idx);
    if (!a->slot || !ArgNumber(info, 1, "srcFd")) return false;
    a->srcfd = info[1].As<Napi::Number>().Int32Value();
    a->cloexec = info.Length() > 2 && info[2].ToBoolean();
    return true;
  }

  // A failed answer (r < 0) is thrown, unless the call is gone (ENOENT: normal).
  static void ThrowAnswerError(Napi::Env env, int r) {
    if (r < 0 && r != -ENOENT) ThrowSys(env, "reply to notification", "ioctl", -r);
  }

  // Send a response and free the slot. Returns false when the notification is gone (ENOENT).
  Napi::Value Send(const Napi::CallbackInfo& info, int64_t val, int32_t err, uint32_t flags) {
    int idx;
    Slot* s = GetSlot(info, &idx);
    if (!s) return info.Env().Undefined();
    int r = fd_ >= 0 ? SendAnswer(fd_, s->id, val, err, flags) : -EBADF;
    FreeSlot(idx);
    if (fd_ >= 0) ThrowAnswerError(info.Env(), r);
    return Napi::Boolean::New(info.Env(), r == 0);
  }

  // continue(slot): let the kernel run the call as the tracee made it.
  Napi::Value Continue(const Napi::CallbackInfo& info) {
    return Send(info, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
  }

  // reply(slot, value, errno): answer without running the call; errno > 0 means failure.
  Napi::Value Reply(const Napi::CallbackInfo& info) {
    if (!ArgNumber(info, 1, "value") || !ArgNumber(info, 2, "errno")) return info.Env().Undefined();
    int32_t err = info[2].As<Napi::Number>().Int32Value();
    return Send(info, info[1].As<Napi::Number>().Int64Value(), err > 0 ? -err : 0, 0);
  }

  // addfd(slot, srcFd, cloexec, send): install srcFd in the tracee; returns its fd there, or
  // -errno (-ENOENT: the call is gone). With send, the call is also answered, with the fd or with
  // the errno of a failed install, and the slot is freed (see InstallFdAndReply); throws when the
  // answer itself failed.
  Napi::Value AddFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    FdArgs a;
    if (!GetFdArgs(info, &a)) return env.Undefined();
    bool send = info.Length() > 3 && info[3].ToBoolean();
    if (fd_ < 0) return Napi::Number::New(env, -EBADF);
    if (!send) {
      int r = InstallFd(fd_, a.slot->id, a.srcfd, a.cloexec);
      if (r == -ESRCH) r = -ENOENT;
      if (r == -ENOENT) FreeSlot(a.idx);
      return Napi::Number::New(env, r);
    }
    FdReply r = InstallFdAndReply(fd_, a.slot->id, a.srcfd, a.cloexec);
    FreeSlot(a.idx);
    lost_fds_ += r.lost;
    if (r.send_err == -ENOENT) return Napi::Number::New(env, -ENOENT);
    if (r.send_err < 0) return (ThrowAnswerError(env, r.send_err), env.Undefined());
    return Napi::Number::New(env, r.answer);
  }

  // replyFd(slot, srcFd, cloexec): answer the call with srcFd installed in the tracee. The install
  // waits for the tracee to take the fd, so it runs on a worker thread (replier.h) and the answer
  // completes later; a failure of the answer itself goes to onError. srcFd is the pump's from the
  // call on, in every case (a bad slot too): closed once installed and before the answer, so that
  // the tracee's close of it is the file's last, as natively (replier.cc). The slot is freed now.
  Napi::Value ReplyFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgNumber(info, 1, "srcFd")) return env.Undefined();
    int srcfd = info[1].As<Napi::Number>().Int32Value();
    FdArgs a;
    if (!GetFdArgs(info, &a)) {
      if (srcfd >= 0) close(srcfd);
      return env.Undefined();
    }
    uint64_t id = a.slot->id;
    FreeSlot(a.idx);
    if (fd_ < 0) {
      close(srcfd);
      return env.Undefined();
    }
    replier_->InstallAndReply(id, srcfd, a.cloexec);
    return env.Undefined();
  }

  bool Valid(const Slot& s) {
    uint64_t id = s.id;
    return fd_ >= 0 && ListenerIoctl(fd_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
  }

  Napi::Value IdValid(const Napi::CallbackInfo& info) {
    int idx;
    Slot* s = GetSlot(info, &idx);
    if (!s) return info.Env().Undefined();
    return Napi::Boolean::New(info.Env(), Valid(*s));
  }

  // slotPath(slot, argIndex): the path the fast path read (once) from argument argIndex of this
  // notification, or undefined.
  Napi::Value SlotPath(const Napi::CallbackInfo& info) {
    int idx;
    Slot* s = GetSlot(info, &idx);
    if (!s || !ArgNumber(info, 1, "argIndex")) return info.Env().Undefined();
    if (!s->has_path || s->path_arg != info[1].As<Napi::Number>().Int32Value()) return info.Env().Undefined();
    return NewLatin1(info.Env(), s->path);
  }

  // arg64(slot, index): argument `index` exactly as the tracee passed it, as an unsigned BigInt
  // (allocated only for the engines that ask).
  Napi::Value Arg64(const Napi::CallbackInfo& info) {
    int idx;
    Slot* s = GetSlot(info, &idx);
    if (!s || !ArgNumber(info, 1, "index")) return info.Env().Undefined();
    uint32_t i = info[1].As<Napi::Number>().Uint32Value();
    if (i >= 6) {
      Napi::RangeError::New(info.Env(), "argument index must be 0..5").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    return Napi::BigInt::New(info.Env(), s->args[i]);
  }

  // readString(slot, addr, max): a C string from the tracee (a byte string: one char per byte), checked with ID_VALID after the read;
  // null when unreadable or when the notification is no longer valid.
  Napi::Value ReadString(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int idx;
    Slot* s = GetSlot(info, &idx);
    if (!s || !ArgNumber(info, 1, "addr")) return env.Undefined();
    uint64_t addr = (uint64_t)info[1].As<Napi::Number>().Int64Value();
    size_t max = info.Length() > 2 && info[2].IsNumber() ? info[2].As<Napi::Number>().Uint32Value() : kPathMax;
    std::string str;
    if (addr == 0 || !ReadTraceeString((pid_t)s->pid, addr, max, &str) || !Valid(*s)) return env.Null();
    return NewLatin1(env, str);
  }

  // readBytes(slot, addr, len): bytes from the tracee, checked with ID_VALID; null on failure.
  Napi::Value ReadBytes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int idx;
    Slot* s = GetSlot(info, &idx);
    if (!s || !ArgNumber(info, 1, "addr") || !ArgNumber(info, 2, "length")) return env.Undefined();
    uint64_t addr = (uint64_t)info[1].As<Napi::Number>().Int64Value();
    size_t len = info[2].As<Napi::Number>().Uint32Value();
    Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::New(env, len);
    struct iovec local = {buf.Data(), len};
    struct iovec remote = {reinterpret_cast<void*>(addr), len};
    ssize_t n = process_vm_readv((pid_t)s->pid, &local, 1, &remote, 1, 0);
    if (n != (ssize_t)len || !Valid(*s)) return env.Null();
    return buf;
  }

  // setFastPath({ continued, routes, prefixes, relativeToJs, components, native }): what the receiving
  // thread answers without JS, replacing the whole previous configuration at once (receiver.h,
  // FastPath): `continued` syscall numbers are continued (in the filter for engines that may be
  // loaded later, wanted by none now); `routes` holds (nr, argIndex) pairs: that argument is read
  // as a path in C++ and the call continued when it is outside every one of `prefixes` (relative
  // paths go to JS when relativeToJs) and holds none of `components`. Prefixes and components are
  // byte strings (one char per byte).
  Napi::Value SetFastPath(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "setFastPath: the configuration must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    unotify::FastPath c = unotify::FastPathFrom(o);
    std::vector<std::unique_ptr<NativeCall>> native(kMaxSyscall);
    bool ok = unotify::NativeCallsFrom(o.Get("native"), &native);
    // A planned call's xattr name is read with its path (one process_vm_readv for both).
    for (int nr = 0; ok && nr < kMaxSyscall; nr++)
      if (native[nr] && native[nr]->name >= 0) c.names.emplace_back(nr, native[nr]->name);
    if (!ok || !receiver_->router().Configure(c)) {
      Napi::RangeError::New(env, "setFastPath: a syscall number or argument index out of range").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    natives_->Set(std::make_shared<const Natives::Table>(std::move(native)));
    return env.Undefined();
  }

  // takeOpened(): the files opened under plans that record them since the last take, of the
  // processes still alive, flat: [nr, chain position, tgid, start time, level, dev, ino]... (see
  // opened.h). JS takes them before a call that reads what the engines recorded.
  Napi::Value TakeOpened(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<double> v;
    {
      std::lock_guard<std::mutex> l(natives_->m);
      v = natives_->opened.Take();
    }
    Napi::Array out = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); i++) out.Set((uint32_t)i, Napi::Number::New(env, v[i]));
    return out;
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, (double)receiver_->received()));
    o.Set("fastPath", Napi::Number::New(env, (double)receiver_->fast()));
    o.Set("receivedOnLoop", Napi::Number::New(env, (double)receiver_->received_here()));
    o.Set("native", Napi::Number::New(env, (double)natives_->count));
    o.Set("nativeOnThread", Napi::Number::New(env, (double)receiver_->planned()));
    o.Set("standInTakeovers", Napi::Number::New(env, (double)receiver_->takeovers()));
    o.Set("spinHits", Napi::Number::New(env, (double)receiver_->spin_hits()));
    o.Set("spinMisses", Napi::Number::New(env, (double)receiver_->spin_misses()));
    o.Set("spinSkips", Napi::Number::New(env, (double)receiver_->spin_skips()));
    o.Set("spinCuts", Napi::Number::New(env, (double)receiver_->spin_cuts()));
    o.Set("lostFds", Napi::Number::New(env, (double)(lost_fds_ + natives_->lost_fds + replier_->lost_fds())));
    o.Set("replying", Napi::Number::New(env, (double)replier_->inflight()));
    {
      std::lock_guard<std::mutex> l(natives_->m);
      o.Set("openRecords", Napi::Number::New(env, (double)natives_->opened.size()));
    }
    size_t pending = 0;
    for (auto& s : slots_) pending += s.used;
    o.Set("pending", Napi::Number::New(env, (double)pending));
    return o;
  }

  // setSpin(us, yield): after the calls Node's thread received itself, it polls the listener for up
  // to `us` µs (at most 1000; 0: off) before it returns to the loop (Receiver::SetSpin).
  Napi::Value SetSpin(const Napi::CallbackInfo& info) {
    if (!ArgNumber(info, 0, "us")) return info.Env().Undefined();
    double us = info[0].As<Napi::Number>().DoubleValue();
    if (!(us >= 0 && us <= 1000)) {
      Napi::RangeError::New(info.Env(), "spin: 0 to 1000 µs").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    receiver_->SetSpin((uint64_t)(us * 1000), info.Length() < 2 || info[1].ToBoolean());
    return info.Env().Undefined();
  }

  // Stops the thread; what it had received and JS had not taken yet is answered in Shutdown.
  void StopReceiving() {
    if (receiving_) {
      receiving_ = false;
      receiver_->Stop(&taken_);
      Unref();
    }
  }

  void Shutdown() {
    StopReceiving();
    // Every call received and not answered gets what the kernel gives every pending call when the
    // listener closes (ENOSYS): a duplicate of the listener held elsewhere (the launcher's) would
    // otherwise leave these threads waiting for an answer nobody will send.
    if (fd_ >= 0) {
      for (size_t i = taken_next_; i < taken_.size(); i++) SendAnswer(fd_, taken_[i].n.id, 0, -ENOSYS, 0);
      for (size_t i = 0; i < slots_.size(); i++) {
        if (!slots_[i].used) continue;
        SendAnswer(fd_, slots_[i].id, 0, -ENOSYS, 0);
        FreeSlot((int)i);
      }
    }
    taken_.clear();
    taken_next_ = 0;
    {
      std::lock_guard<std::mutex> l(natives_->m);
      natives_->opened.Clear();
    }
    if (replier_) replier_->Close();
    // The listener closes once the answers in flight are sent; then pending and future notified
    // calls of the tree fail with ENOSYS.
    listener_.reset();
    fd_ = -1;
  }

  // close(): stop receiving and close the listener. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value GetBatch(const Napi::CallbackInfo& info) { return batch_.Value(); }
  Napi::Value GetReplies(const Napi::CallbackInfo& info) { return replies_.Value(); }
  Napi::Value GetSyncWakeUp(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), sync_wake_up_); }
  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  int fd_ = -1;
  bool receiving_ = false;
  bool sync_wake_up_ = false;
  Napi::FunctionReference on_batch_, on_hangup_, on_flush_, on_error_;
  std::shared_ptr<unotify::Listener> listener_;
  std::unique_ptr<unotify::Replier> replier_;
  std::unique_ptr<unotify::Receiver> receiver_;
  std::vector<Received> taken_;  // taken from the receiver, handed to JS up to taken_next_
  size_t taken_next_ = 0;
  Napi::Reference<Napi::Float64Array> batch_, replies_;
  double* replies_data_ = nullptr;
  double* data_ = nullptr;
  std::vector<Slot> slots_;
  std::vector<int> free_;
  int in_use_ = 0;  // slots awaiting an answer (threads stopped by an engine)
  uint64_t lost_fds_ = 0;  // installed, but the call was gone before its answer
  // Syscalls run under native plans, shared with the receiving threads.
  std::shared_ptr<Natives> natives_ = std::make_shared<Natives>();
};

// planPath(plan, path, walked): the C++ interpreter of a path plan (plan.h), for the test that holds it to
// src/chain/plan.ts: { path, changed } (byte strings), or null when the engine must see the path.
Napi::Value PlanPathJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsString()) {
    Napi::TypeError::New(env, "planPath(plan, path): a plan { prefix, levels } and a byte string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  unotify::PathPlan plan{Latin1Value(o.Get("prefix").ToString()), o.Get("levels").ToNumber().Int32Value()};
  std::string path = Latin1Value(info[1]), out;
  int r = unotify::PlanPath(plan, path, &out, info.Length() > 2 && info[2].ToBoolean().Value());
  if (r < 0) return env.Null();
  Napi::Object res = Napi::Object::New(env);
  res.Set("path", NewLatin1(env, r == 1 ? out : path));
  res.Set("changed", Napi::Boolean::New(env, r == 1));
  return res;
}

}  // namespace

void InitPump(Napi::Env env, Napi::Object exports) {
  exports.Set("Pump", Pump::Define(env));
  exports.Set("planPath", Napi::Function::New(env, PlanPathJs, "planPath"));
}

}  // namespace sysvisor
