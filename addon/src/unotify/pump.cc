// Notification pump: owns a seccomp listener fd, waits on it with uv_poll on the Node loop, and on
// each wake-up drains every pending notification. Decisions that need no JS (calls whose path is
// outside every mapped prefix) are answered here with CONTINUE; the rest go to JS in one batch per
// wake-up, written into a shared Float64Array (no allocation per notification). JS answers by slot.
//
// recv -> (fast path) -> JS -> respond; ENOENT from RECV/SEND/ADDFD is normal (the tracee was
// interrupted or died) and never an error. EINTR is retried on every ioctl: SEND, ID_VALID and
// ADDFD take the listener's mutex interruptibly and give EINTR, not restarted, when the supervisor
// has a signal pending (kernel/seccomp.c); nothing was done then.
#include "common.h"
#include "contract.h"
#include "unotify/replier.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <asm/unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <uv.h>

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
using unotify::InstallFd;
using unotify::InstallFdAndReply;
using unotify::ListenerIoctl;
using unotify::SendAnswer;

constexpr int kFields = SV_NOTIF_FIELDS;  // slot, pid, nr, a0..a5 (contract.h)
constexpr int kBatch = 128;     // notifications per JS call
constexpr int kMaxSyscall = SV_MAX_SYSCALLS;
constexpr size_t kPathMax = 4096;
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

// Per-syscall fast-path route: the index of a path argument, or -1 (always JS).
struct Route {
  int8_t path_arg = -1;
  bool always_continue = false;  // no engine of any scope wants this syscall now
};

// Whole-component prefix match: "/unreal" matches "/unreal" and "/unreal/x", not "/unrealx".
bool UnderPrefix(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix == "/";
}

// Read a NUL-terminated string from the tracee, page by page (a string may end just before an
// unmapped page). Returns false if unreadable or longer than max.
bool ReadTraceeString(pid_t pid, uint64_t addr, size_t max, std::string* out) {
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
      InstanceMethod<&Pump::SetPathRoute>("setPathRoute"),
      InstanceMethod<&Pump::SetContinue>("setContinue"),
      InstanceMethod<&Pump::SetPrefixes>("setPrefixes"),
      InstanceMethod<&Pump::SetPathComponents>("setPathComponents"),
      InstanceMethod<&Pump::Stats>("stats"),
      InstanceMethod<&Pump::ShareReceivedIds>("shareReceivedIds"),
      InstanceMethod<&Pump::Close>("close"),
      InstanceAccessor<&Pump::GetBatch>("batch"),
      InstanceAccessor<&Pump::GetReplies>("replies"),
      InstanceAccessor<&Pump::GetSyncWakeUp>("syncWakeUp"),
      InstanceAccessor<&Pump::GetFd>("fd"),
    });
  }

  // new Pump(listenerFd, onBatch(count) -> boolean, onHangup()[, onError(message)]): takes
  // ownership of listenerFd. onBatch returns true when it left asynchronous work (promises) to run.
  // onError gets the failures of answers completed off the loop thread (replyFd).
  Pump(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pump>(info), routes_(kMaxSyscall) {
    Napi::Env env = info.Env();
    if (!ArgNumber(info, 0, "listenerFd") || !ArgFunction(info, 1, "onBatch") ||
        !ArgFunction(info, 2, "onHangup"))
      return;
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
    replier_ = std::make_unique<unotify::Replier>(loop, listener_, [this](const std::string& line) {
      if (on_error_.IsEmpty()) return;
      Napi::HandleScope scope(Env());
      on_error_.MakeCallback(Value(), {Napi::String::New(Env(), line)});
    });
    poll_ = new uv_poll_t;
    poll_->data = this;
    int r = uv_poll_init(loop, poll_, fd_);
    if (r == 0) r = uv_poll_start(poll_, UV_READABLE | UV_DISCONNECT, OnReadable);
    if (r != 0) {
      delete poll_;
      poll_ = nullptr;
      ThrowSys(env, "poll seccomp listener", "uv_poll_start", -r);
      return;
    }
    Ref();  // alive while polling
  }

  ~Pump() { Shutdown(); }

 private:
  static void OnReadable(uv_poll_t* handle, int status, int events) {
    static_cast<Pump*>(handle->data)->Drain(status, events);
  }

  bool Pending() {
    struct pollfd p = {fd_, POLLIN, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
  }

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

  // Answers with CONTINUE from C++ (the decision needed no JS). ENOENT: the call is gone, normal.
  bool ContinueHere(uint64_t id) {
    SendAnswer(fd_, id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    fast_++;
    return true;
  }

  // Fast path: decisions that need no JS. True when the notification was answered here.
  bool FastPath(const seccomp_notif& n, int slot) {
    // Engines know x86_64 numbers only: a foreign ABI's call (i386, x32), which a filter not of
    // ours may notify (a container runtime's), runs as it is.
    if (n.data.arch != AUDIT_ARCH_X86_64 || (n.data.nr & __X32_SYSCALL_BIT)) return ContinueHere(n.id);
    if (n.data.nr < 0 || n.data.nr >= kMaxSyscall) return false;
    // In the filter for engines that may be loaded later, wanted by none now.
    if (routes_[n.data.nr].always_continue) return ContinueHere(n.id);
    // A path call whose path is outside every engine's prefixes.
    int arg = routes_[n.data.nr].path_arg;
    if (arg < 0) return false;
    Slot& s = slots_[slot];
    if (!ReadTraceeString((pid_t)n.pid, n.data.args[arg], kPathMax, &s.path)) return false;
    s.has_path = true;
    s.path_arg = (int8_t)arg;
    if (!components_.empty() && HasComponent(s.path)) return false;
    // Relative paths resolve against the real cwd, which engines keep real: they go to JS only when
    // an engine asks for them (relativePaths).
    bool absolute = !s.path.empty() && s.path[0] == '/';
    if (!absolute && prefixes_relative_) return false;
    if (absolute) {
      for (const auto& p : prefixes_) {
        if (UnderPrefix(s.path, p)) return false;
      }
    }
    return ContinueHere(n.id);
  }

  void Drain(int status, int events) {
    Napi::Env env = Env();
    if (status < 0) return;
    int count = 0;
    bool hangup = (events & UV_DISCONNECT) != 0;
    if (events & UV_READABLE) {
      // After the first RECV, look for more only when the last wake-up found several: a lone
      // tracee thread has one pending at a time, and poll() would cost a syscall per call. If
      // more are pending anyway, the level-triggered poll wakes us again at once.
      bool first = true;
      int drained = 0;
      bool look = multi_ || in_use_ > 0 || (++wakeups_ & 63) == 0;
      while (first || (look && Pending())) {
        first = false;
        struct seccomp_notif n;
        memset(&n, 0, sizeof n);
        if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
          if (errno == ENOENT || errno == EINTR) continue;  // withdrawn: normal
          break;
        }
        received_++;
        listener_->NoteReceived(n.id);
        drained++;
        int slot = AllocSlot();
        slots_[slot].id = n.id;
        slots_[slot].pid = n.pid;
        slots_[slot].used = true;
        if (FastPath(n, slot)) {
          FreeSlot(slot);
          continue;
        }
        double* d = data_ + count * kFields;
        d[0] = slot;
        d[1] = n.pid;
        d[2] = n.data.nr;
        for (int i = 0; i < 6; i++) {
          d[3 + i] = (double)(int64_t)n.data.args[i];
          slots_[slot].args[i] = n.data.args[i];
        }
        if (++count == kBatch) {
          CallJs(env, count);
          count = 0;
          if (fd_ < 0) return;  // closed from JS
        }
      }
      multi_ = drained > 1;
    }
    if (count > 0) CallJs(env, count);
    if (hangup && fd_ >= 0 && !Pending()) {
      Napi::HandleScope scope(env);
      StopPolling();
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
  // completes later; a failure of the answer itself goes to onError. The caller keeps srcFd (a
  // duplicate travels). The slot is freed now.
  Napi::Value ReplyFd(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    FdArgs a;
    if (!GetFdArgs(info, &a)) return env.Undefined();
    uint64_t id = a.slot->id;
    FreeSlot(a.idx);
    if (fd_ < 0) return env.Undefined();
    int dup = fcntl(a.srcfd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) {
      ThrowAnswerError(env, SendAnswer(fd_, id, 0, -errno, 0));  // EBADF, or the supervisor's EMFILE
      return env.Undefined();
    }
    replier_->InstallAndReply(id, dup, a.cloexec);
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

  // setPathRoute(nr, argIndex): for syscall nr, read argument argIndex as a path in C++ and
  // continue without JS when it is outside every prefix. argIndex -1 removes the route.
  Napi::Value SetPathRoute(const Napi::CallbackInfo& info) {
    if (!ArgNumber(info, 0, "nr") || !ArgNumber(info, 1, "argIndex")) return info.Env().Undefined();
    int nr = info[0].As<Napi::Number>().Int32Value();
    int arg = info[1].As<Napi::Number>().Int32Value();
    if (nr < 0 || nr >= kMaxSyscall || arg < -1 || arg > 5) {
      Napi::RangeError::New(info.Env(), "setPathRoute: nr or argIndex out of range").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    routes_[nr].path_arg = (int8_t)arg;
    return info.Env().Undefined();
  }

  // A component of the path (between slashes) is one of components_.
  bool HasComponent(const std::string& path) const {
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

  // setPathComponents(names[]): a path holding one of these components (absolute or relative,
  // anywhere) goes to JS even outside every prefix (e.g. "../unreal/x" after "cd /unreal").
  Napi::Value SetPathComponents(const Napi::CallbackInfo& info) {
    if (!ArgArray(info, 0, "names")) return info.Env().Undefined();
    Napi::Array arr = info[0].As<Napi::Array>();
    components_.clear();
    for (uint32_t i = 0; i < arr.Length(); i++) components_.push_back(arr.Get(i).ToString().Utf8Value());
    return info.Env().Undefined();
  }

  // setContinue(nr, on): answer syscall nr with CONTINUE in C++ (it is in the filter for engines
  // that may be loaded later, but no engine wants it now).
  Napi::Value SetContinue(const Napi::CallbackInfo& info) {
    if (!ArgNumber(info, 0, "nr")) return info.Env().Undefined();
    int nr = info[0].As<Napi::Number>().Int32Value();
    if (nr < 0 || nr >= kMaxSyscall) {
      Napi::RangeError::New(info.Env(), "setContinue: nr out of range").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    routes_[nr].always_continue = info.Length() > 1 && info[1].ToBoolean();
    return info.Env().Undefined();
  }

  // setPrefixes(prefixes[], relativeToJs): the absolute prefixes some engine maps; when
  // relativeToJs is true, relative paths always go to JS (an engine keeps a virtual cwd).
  Napi::Value SetPrefixes(const Napi::CallbackInfo& info) {
    if (!ArgArray(info, 0, "prefixes")) return info.Env().Undefined();
    Napi::Array arr = info[0].As<Napi::Array>();
    prefixes_.clear();
    for (uint32_t i = 0; i < arr.Length(); i++) prefixes_.push_back(arr.Get(i).ToString().Utf8Value());
    prefixes_relative_ = info.Length() > 1 && info[1].ToBoolean();
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("received", Napi::Number::New(env, (double)received_));
    o.Set("fastPath", Napi::Number::New(env, (double)fast_));
    o.Set("lostFds", Napi::Number::New(env, (double)(lost_fds_ + replier_->lost_fds())));
    o.Set("replying", Napi::Number::New(env, (double)replier_->inflight()));
    size_t pending = 0;
    for (auto& s : slots_) pending += s.used;
    o.Set("pending", Napi::Number::New(env, (double)pending));
    return o;
  }

  void StopPolling() {
    if (poll_) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
      Unref();
    }
  }

  void Shutdown() {
    StopPolling();
    if (replier_) replier_->Close();
    // The listener closes once the answers in flight are sent; then pending and future notified
    // calls of the tree fail with ENOSYS.
    listener_.reset();
    fd_ = -1;
  }

  // shareReceivedIds(memfd): the launcher's received-ids page; the pump owns (and closes) memfd.
  Napi::Value ShareReceivedIds(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgNumber(info, 0, "memfd")) return env.Undefined();
    int memfd = info[0].As<Napi::Number>().Int32Value();
    if (!listener_) {
      close(memfd);
      return env.Undefined();
    }
    if (!listener_->ShareReceivedIds(memfd)) ThrowSys(env, "share the received-ids page", "mmap", errno);
    return env.Undefined();
  }

  // close(): stop polling and close the listener. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value GetBatch(const Napi::CallbackInfo& info) { return batch_.Value(); }
  Napi::Value GetReplies(const Napi::CallbackInfo& info) { return replies_.Value(); }
  Napi::Value GetSyncWakeUp(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), sync_wake_up_); }
  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  int fd_ = -1;
  uv_poll_t* poll_ = nullptr;
  bool sync_wake_up_ = false;
  Napi::FunctionReference on_batch_, on_hangup_, on_flush_, on_error_;
  std::shared_ptr<unotify::Listener> listener_;
  std::unique_ptr<unotify::Replier> replier_;
  Napi::Reference<Napi::Float64Array> batch_, replies_;
  double* replies_data_ = nullptr;
  double* data_ = nullptr;
  std::vector<Slot> slots_;
  std::vector<int> free_;
  std::vector<Route> routes_;
  std::vector<std::string> prefixes_;
  std::vector<std::string> components_;
  bool prefixes_relative_ = false;
  bool multi_ = false;  // the last drain found more than one pending
  int in_use_ = 0;      // slots awaiting an answer (threads stopped by an engine)
  uint64_t wakeups_ = 0;
  uint64_t received_ = 0, fast_ = 0;
  uint64_t lost_fds_ = 0;  // installed, but the call was gone before its answer
};

}  // namespace

void InitPump(Napi::Env env, Napi::Object exports) {
  exports.Set("Pump", Pump::Define(env));
}

}  // namespace sysvisor
