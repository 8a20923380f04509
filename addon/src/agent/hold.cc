// The agent's side of the fd holder (holder.c, hold_protocol.h) and of taking a container over
// from it after a restart.
//
//   holderPath() -> path of the sysvisor-holder executable (next to this addon)
//   holdConnect(path) -> fd        SOCK_SEQPACKET, CLOEXEC, send/receive time-outs of 5 s
//   holdSend(fd, op, key, record, fds)
//   holdRecv(fd, wait) -> { op, key, record, fds } | null (nothing yet, when !wait); op 0 at end
//   holdOps: the op numbers
//   createIdsPage() -> memfd       the received-ids page of one container (launcher/protocol.h)
//   dupFd(fd) -> fd                F_DUPFD_CLOEXEC
//
// Calls the previous agent had received and not answered are in the SENT state: no one can
// receive them again, and while the holder keeps the listener open the kernel does not fail them.
// The new agent makes each restart instead (the thread re-executes the call, and the new agent
// gets it as a fresh notification):
//   interruptTask(tid) -> 0 | -errno   PTRACE_SEIZE + PTRACE_INTERRUPT: a thread waiting
//       interruptibly leaves the wait at once, its call restarted (-ERESTARTSYS); one waiting
//       killably (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) keeps waiting with a signal pending
//   receivedIds(listener, last, below, above) -> ids in [last-below, last+above) still SENT
//       (SECCOMP_IOCTL_NOTIF_ID_VALID; ids of a listener are consecutive)
//   answerRestart(listener, id) -> 0 | -errno   answers -ERESTARTNOINTR: with the interrupt
//       pending, the thread restarts the call on its way out (arch_do_signal_or_restart)
//   releaseTask(tid) -> 1 detached (or gone) | 0 not stopped yet | -errno
//       waitpid(WNOHANG|__WALL), then PTRACE_DETACH, passing on a signal it stopped for
#include "common.h"
#include "agent/hold_protocol.h"
#include "scm.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <string>
#include <vector>

#ifndef ERESTARTNOINTR
#define ERESTARTNOINTR 513
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

namespace sysvisor {
namespace {

constexpr int kIdsBytes = 4096;

std::string HolderPath() {
  Dl_info dl = {};
  if (!dladdr(reinterpret_cast<void*>(&HolderPath), &dl) || !dl.dli_fname) return "sysvisor-holder";
  std::string self = dl.dli_fname;
  size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/sysvisor-holder";
}

bool IntArg(const Napi::CallbackInfo& info, size_t i, const char* name, int* out) {
  if (!ArgNumber(info, i, name)) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < 0 || v > INT32_MAX) {
    Napi::RangeError::New(info.Env(), std::string("parameter '") + name + "' must be a non-negative integer").ThrowAsJavaScriptException();
    return false;
  }
  *out = (int)v;
  return true;
}

bool U64Arg(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t* out) {
  if (info.Length() <= i || !info[i].IsBigInt()) {
    ThrowType(info.Env(), std::string("parameter '") + name + "' must be a bigint");
    return false;
  }
  bool lossless = true;
  *out = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) {
    Napi::RangeError::New(info.Env(), std::string("parameter '") + name + "' must fit 64 bits unsigned").ThrowAsJavaScriptException();
    return false;
  }
  return true;
}

Napi::Value HolderPathFn(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), HolderPath()); }

Napi::Value HoldConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgString(info, 0, "path")) return env.Undefined();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) {
    ThrowSys(env, "connect to the fd holder", "connect", ENAMETOOLONG);
    return env.Undefined();
  }
  memcpy(a.sun_path, path.c_str(), path.size() + 1);
  int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0) {
    ThrowSys(env, "connect to the fd holder", "socket", errno);
    return env.Undefined();
  }
  struct timeval tv = {5, 0};
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int r;
  do r = connect(s, reinterpret_cast<struct sockaddr*>(&a), sizeof a);
  while (r < 0 && errno == EINTR);
  if (r < 0) {
    int err = errno;
    close(s);
    ThrowSys(env, "connect to the fd holder", "connect", err);
    return env.Undefined();
  }
  return Napi::Number::New(env, s);
}

Napi::Value HoldSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd, op;
  uint64_t key;
  if (!IntArg(info, 0, "fd", &fd) || !IntArg(info, 1, "op", &op) || !U64Arg(info, 2, "key", &key) || !ArgBuffer(info, 3, "record") ||
      !ArgArray(info, 4, "fds"))
    return env.Undefined();
  Napi::Buffer<char> record = info[3].As<Napi::Buffer<char>>();
  Napi::Array arr = info[4].As<Napi::Array>();
  if (record.Length() > HOLD_MAX_RECORD || arr.Length() > HOLD_FDS) {
    Napi::RangeError::New(env, "record or fds too large for the fd holder").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<int> fds;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsNumber()) {
      ThrowType(env, "parameter 'fds' must hold fd numbers");
      return env.Undefined();
    }
    fds.push_back(v.As<Napi::Number>().Int32Value());
  }
  struct hold_msg h = {(uint32_t)op, (uint32_t)record.Length(), key};
  struct iovec iov[2] = {{&h, sizeof h}, {record.Data(), record.Length()}};
  int r = scm_send(fd, iov, record.Length() ? 2 : 1, fds.data(), (int)fds.size(), 0);
  if (r < 0) ThrowSys(env, "send to the fd holder", "sendmsg", -r);
  return env.Undefined();
}

Napi::Value HoldRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!IntArg(info, 0, "fd", &fd)) return env.Undefined();
  bool wait = info.Length() > 1 && info[1].ToBoolean().Value();
  std::vector<char> buf(sizeof(struct hold_msg) + HOLD_MAX_RECORD);
  struct iovec iov = {buf.data(), buf.size()};
  int got[4], nfds = 0, flags = 0;
  ssize_t n = scm_recv(fd, &iov, 1, got, 4, &nfds, wait ? 0 : MSG_DONTWAIT, &flags);
  if (n < 0) {
    if (!wait && n == -EAGAIN) return env.Null();
    ThrowSys(env, "receive from the fd holder", "recvmsg", n == -EAGAIN ? ETIMEDOUT : (int)-n);
    return env.Undefined();
  }
  Napi::Array fds = Napi::Array::New(env);
  for (int j = 0; j < nfds; j++) fds.Set((uint32_t)j, Napi::Number::New(env, got[j]));
  Napi::Object out = Napi::Object::New(env);
  struct hold_msg h = {};
  bool whole = (size_t)n >= sizeof h;
  if (whole) memcpy(&h, buf.data(), sizeof h);
  whole = whole && h.len == (size_t)n - sizeof h && !(flags & (MSG_TRUNC | MSG_CTRUNC));
  // op 0: end of stream (n == 0) or a packet that is not one of the protocol's
  out.Set("op", Napi::Number::New(env, whole ? h.op : 0));
  out.Set("key", Napi::BigInt::New(env, h.key));
  out.Set("record", Napi::Buffer<char>::Copy(env, buf.data() + sizeof h, whole ? h.len : 0));
  out.Set("fds", fds);
  return out;
}

Napi::Value CreateIdsPage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = memfd_create("sysvisor-received-ids", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, kIdsBytes) < 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    ThrowSys(env, "create the received-ids page", fd < 0 ? "memfd_create" : "ftruncate", err);
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value DupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!IntArg(info, 0, "fd", &fd)) return env.Undefined();
  int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (r < 0) ThrowSys(env, "duplicate an fd", "fcntl", errno);
  return Napi::Number::New(env, r);
}

Napi::Value InterruptTask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int tid;
  if (!IntArg(info, 0, "tid", &tid)) return env.Undefined();
  if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) return Napi::Number::New(env, -errno);
  if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
    int err = errno;
    ptrace(PTRACE_DETACH, tid, 0, 0);
    return Napi::Number::New(env, -err);
  }
  return Napi::Number::New(env, 0);
}

Napi::Value ReleaseTask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int tid;
  if (!IntArg(info, 0, "tid", &tid)) return env.Undefined();
  for (;;) {
    int status = 0;
    pid_t r = waitpid(tid, &status, WNOHANG | __WALL);
    if (r < 0) return Napi::Number::New(env, errno == ECHILD ? 1 : -errno);  // gone, or not ours
    if (r == 0) return Napi::Number::New(env, 0);
    if (WIFEXITED(status) || WIFSIGNALED(status)) return Napi::Number::New(env, 1);
    if (!WIFSTOPPED(status)) continue;
    // the interrupt's stop (or a group stop): nothing to pass on; a signal-delivery stop: pass it on
    int sig = (status >> 16) == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(status);
    if (ptrace(PTRACE_DETACH, tid, 0, (void*)(long)sig) < 0 && errno != ESRCH) return Napi::Number::New(env, -errno);
    return Napi::Number::New(env, 1);
  }
}

Napi::Value ReceivedIds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd, below, above;
  uint64_t last;
  if (!IntArg(info, 0, "listener", &fd) || !U64Arg(info, 1, "last", &last) || !IntArg(info, 2, "below", &below) ||
      !IntArg(info, 3, "above", &above))
    return env.Undefined();
  Napi::Array out = Napi::Array::New(env);
  uint32_t count = 0;
  for (uint64_t id = last - (uint64_t)below; id != last + (uint64_t)above; id++) {
    uint64_t probe = id;
    int r;
    do r = ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &probe);
    while (r < 0 && errno == EINTR);
    if (r == 0) out.Set(count++, Napi::BigInt::New(env, id));
  }
  return out;
}

Napi::Value AnswerRestart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  uint64_t id;
  if (!IntArg(info, 0, "listener", &fd) || !U64Arg(info, 1, "id", &id)) return env.Undefined();
  struct seccomp_notif_resp resp = {};
  resp.id = id;
  resp.error = -ERESTARTNOINTR;
  int r;
  do r = ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  while (r < 0 && errno == EINTR);
  return Napi::Number::New(env, r < 0 ? -errno : 0);
}

}  // namespace

void InitHold(Napi::Env env, Napi::Object exports) {
  exports.Set("holderPath", Napi::Function::New(env, HolderPathFn, "holderPath"));
  exports.Set("holdConnect", Napi::Function::New(env, HoldConnect, "holdConnect"));
  exports.Set("holdSend", Napi::Function::New(env, HoldSend, "holdSend"));
  exports.Set("holdRecv", Napi::Function::New(env, HoldRecv, "holdRecv"));
  Napi::Object ops = Napi::Object::New(env);
  ops.Set("PUT", Napi::Number::New(env, HOLD_PUT));
  ops.Set("DROP", Napi::Number::New(env, HOLD_DROP));
  ops.Set("OK", Napi::Number::New(env, HOLD_OK));
  ops.Set("NO", Napi::Number::New(env, HOLD_NO));
  ops.Set("ENTRY", Napi::Number::New(env, HOLD_ENTRY));
  ops.Set("END", Napi::Number::New(env, HOLD_END));
  ops.Set("BUSY", Napi::Number::New(env, HOLD_BUSY));
  ops.Set("MAX_RECORD", Napi::Number::New(env, HOLD_MAX_RECORD));
  exports.Set("holdOps", ops);
  exports.Set("createIdsPage", Napi::Function::New(env, CreateIdsPage, "createIdsPage"));
  exports.Set("dupFd", Napi::Function::New(env, DupFd, "dupFd"));
  exports.Set("interruptTask", Napi::Function::New(env, InterruptTask, "interruptTask"));
  exports.Set("releaseTask", Napi::Function::New(env, ReleaseTask, "releaseTask"));
  exports.Set("receivedIds", Napi::Function::New(env, ReceivedIds, "receivedIds"));
  exports.Set("answerRestart", Napi::Function::New(env, AnswerRestart, "answerRestart"));
}

}  // namespace sysvisor
