// Handles on processes the supervisor started or serves: exit watch of its own child (the
// launcher) through a pidfd, signals through pidfds, duplicates of another process's fd, close.
#include "common.h"

#include <algorithm>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

namespace sysvisor {
namespace {

int PidfdOpen(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int PidfdGetfd(int pidfd, int fd) { return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); }

// ---- exit watch: uv_poll on a pidfd, then waitid(P_PIDFD) ----

struct ExitWatch {
  uv_poll_t poll;
  int pidfd;
  Napi::FunctionReference cb;
  Napi::Env env;
  ExitWatch(Napi::Env e) : env(e) {}
};

void OnExitReadable(uv_poll_t* handle, int status, int events) {
  ExitWatch* w = static_cast<ExitWatch*>(handle->data);
  siginfo_t si = {};
  int r = waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
  if (r == 0 && si.si_pid == 0) return;  // spurious
  uv_poll_stop(&w->poll);
  int code = -1, sig = 0;
  if (r == 0) {
    if (si.si_code == CLD_EXITED) code = si.si_status;
    else sig = si.si_status;
  }
  Napi::HandleScope scope(w->env);
  Napi::FunctionReference cb = std::move(w->cb);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->poll),
           [](uv_handle_t* h) { delete static_cast<ExitWatch*>(h->data); });
  cb.MakeCallback(w->env.Global(), {Napi::Number::New(cb.Env(), code), Napi::Number::New(cb.Env(), sig)});
}

// watchExit(pidfd, cb(code, signal)): reaps the child when it exits. The pidfd stays the caller's.
Napi::Value WatchExit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pidfd") || !ArgFunction(info, 1, "callback")) return env.Undefined();
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  ExitWatch* w = new ExitWatch(env);
  w->pidfd = info[0].As<Napi::Number>().Int32Value();
  w->cb = Napi::Persistent(info[1].As<Napi::Function>());
  w->poll.data = w;
  int r = uv_poll_init(loop, &w->poll, w->pidfd);
  if (r == 0) r = uv_poll_start(&w->poll, UV_READABLE, OnExitReadable);
  if (r != 0) {
    delete w;
    ThrowSys(env, "watch child exit", "uv_poll_start", -r);
  }
  return env.Undefined();
}

// pidfdSignal(pidfd, sig): signal a process without pid reuse races.
Napi::Value PidfdSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pidfd") || !ArgNumber(info, 1, "signal")) return env.Undefined();
  int r = (int)syscall(SYS_pidfd_send_signal, info[0].As<Napi::Number>().Int32Value(),
                       info[1].As<Napi::Number>().Int32Value(), nullptr, 0);
  if (r < 0 && errno != ESRCH) ThrowSys(env, "signal child", "pidfd_send_signal", errno);
  return Napi::Boolean::New(env, r == 0);
}

// grabFd(pid, fd): a duplicate of another process's fd (pidfd_getfd), e.g. the stderr of a nested
// sysvisor, so that output goes where that caller could write. Throws on failure.
Napi::Value GrabFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pid") || !ArgNumber(info, 1, "fd")) return env.Undefined();
  int pidfd = PidfdOpen(info[0].As<Napi::Number>().Int32Value());
  if (pidfd < 0) {
    ThrowSys(env, "grab fd: open process", "pidfd_open", errno);
    return env.Undefined();
  }
  int fd = PidfdGetfd(pidfd, info[1].As<Napi::Number>().Int32Value());
  int err = errno;
  close(pidfd);
  if (fd < 0) {
    ThrowSys(env, "grab fd", "pidfd_getfd", err);
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// socketName(pid, fd, peer) -> the address of socket `fd` of process `pid` as getsockname (or
// getpeername with `peer`) gives it to that process (a Buffer, its full length), or -errno: EBADF,
// ENOTSOCK, ENOTCONN as the tracee's own call would get, ESRCH when the process is gone.
Napi::Value SocketName(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pid") || !ArgNumber(info, 1, "fd")) return env.Undefined();
  int fdArg = info[1].As<Napi::Number>().Int32Value();
  if (fdArg < 0) return Napi::Number::New(env, -EBADF);
  int pidfd = PidfdOpen(info[0].As<Napi::Number>().Int32Value());
  if (pidfd < 0) return Napi::Number::New(env, -errno);
  int fd = PidfdGetfd(pidfd, fdArg);
  int err = errno;
  close(pidfd);
  if (fd < 0) return Napi::Number::New(env, -err);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int r = info.Length() > 2 && info[2].ToBoolean() ? getpeername(fd, (struct sockaddr*)&ss, &len) : getsockname(fd, (struct sockaddr*)&ss, &len);
  err = errno;
  close(fd);
  if (r < 0) return Napi::Number::New(env, -err);
  return Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(&ss), std::min<size_t>(len, sizeof ss));
}

// pidfdOpen(pid) -> a pidfd of any process (the caller closes it with closeFd), or -errno.
Napi::Value PidfdOpenJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pid")) return env.Undefined();
  int fd = PidfdOpen(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(env, fd < 0 ? -errno : fd);
}

// closeFd(fd): for descriptors the addon handed out.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "fd")) return env.Undefined();
  if (close(info[0].As<Napi::Number>().Int32Value()) < 0) ThrowSys(env, "close", "close", errno);
  return env.Undefined();
}

}  // namespace

void InitProcess(Napi::Env env, Napi::Object exports) {
  exports.Set("watchExit", Napi::Function::New(env, WatchExit, "watchExit"));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal, "pidfdSignal"));
  exports.Set("grabFd", Napi::Function::New(env, GrabFd, "grabFd"));
  exports.Set("socketName", Napi::Function::New(env, SocketName, "socketName"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpenJs, "pidfdOpen"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
}

}  // namespace sysvisor
