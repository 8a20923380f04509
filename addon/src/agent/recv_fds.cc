// OCI seccomp agent (sysvisor agent): what Node's net module cannot do for it.
//
// A container runtime (runc, crun) connects to the agent's AF_UNIX stream socket and sends the
// container process state JSON with the seccomp listener fd (and maybe more fds) as SCM_RIGHTS.
// Node reads sockets with read(), which drops ancillary data (and with it the fds), so the agent
// accepts connections with net.Server (paused: Node never reads them) and receives here:
//   recvWithFds(socketFd, maxBytes, maxFds) -> { data, fds, truncated } | null
//     one non-blocking recvmsg with MSG_CMSG_CLOEXEC; null when nothing is there yet (EAGAIN);
//     data of length 0 (and no fds) is end of stream; `truncated`: the sender passed more fds than
//     maxFds (the kernel closed the rest) or control data that did not fit.
//   new FdPoll(fd, onEvent(readable, hangup)); poll.close()
//     a uv_poll on Node's loop that calls onEvent while fd is readable or hung up (it never
//     reads; it does not own fd). Stop it before the fd is closed.
#include "common.h"
#include "scm.h"

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cmath>
#include <vector>

namespace sysvisor {
namespace {

constexpr double kMaxBytes = 16 << 20;  // one recvmsg never reads more
constexpr int kMaxFds = SCM_FDS_MAX;     // the kernel never passes more per message

// An integer argument in [min, max]; throws a TypeError/RangeError naming the parameter.
bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max, double* out) {
  if (!ArgNumber(info, i, name)) return false;
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v) || std::floor(v) != v || v < min || v > max) {
    Napi::RangeError::New(info.Env(), std::string("parameter '") + name + "' must be an integer in " +
                                          std::to_string((long long)min) + ".." + std::to_string((long long)max))
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = v;
  return true;
}

Napi::Value RecvWithFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd_arg, max_bytes, max_fds;
  if (!ArgInt(info, 0, "socketFd", 0, INT32_MAX, &fd_arg) || !ArgInt(info, 1, "maxBytes", 1, kMaxBytes, &max_bytes) ||
      !ArgInt(info, 2, "maxFds", 0, kMaxFds, &max_fds))
    return env.Undefined();
  int fd = (int)fd_arg;
  size_t nfds = (size_t)max_fds;

  std::vector<char> data((size_t)max_bytes);
  std::vector<int> got(nfds ? nfds : 1);
  struct iovec iov = {data.data(), data.size()};
  int count = 0, flags = 0;
  ssize_t n = scm_recv(fd, &iov, 1, got.data(), (int)nfds, &count, MSG_DONTWAIT, &flags);
  if (n < 0) {
    if (n == -EAGAIN) return env.Null();
    ThrowSys(env, "receive the container state", "recvmsg", (int)-n);
    return env.Undefined();
  }
  Napi::Array fds = Napi::Array::New(env);
  for (int j = 0; j < count; j++) fds.Set((uint32_t)j, Napi::Number::New(env, got[j]));
  Napi::Object out = Napi::Object::New(env);
  out.Set("data", Napi::Buffer<char>::Copy(env, data.data(), (size_t)n));
  out.Set("fds", fds);
  out.Set("truncated", Napi::Boolean::New(env, (flags & MSG_CTRUNC) != 0));
  return out;
}

class FdPoll : public Napi::ObjectWrap<FdPoll> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FdPoll", {InstanceMethod<&FdPoll::Close>("close")});
  }

  // new FdPoll(fd, onEvent(readable, hangup)).
  FdPoll(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdPoll>(info) {
    Napi::Env env = info.Env();
    double fd;
    if (!ArgInt(info, 0, "fd", 0, INT32_MAX, &fd) || !ArgFunction(info, 1, "onEvent")) return;
    on_event_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    poll_->data = this;
    int r = uv_poll_init(loop, poll_, (int)fd);
    bool initialized = r == 0;
    if (r == 0) r = uv_poll_start(poll_, UV_READABLE | UV_DISCONNECT, OnEvent);
    if (r != 0) {
      // A handle the loop knows (init succeeded) is freed by uv_close; otherwise at once.
      if (initialized)
        uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      else
        delete poll_;
      poll_ = nullptr;
      ThrowSys(env, "poll the agent connection", "uv_poll_start", -r);
      return;
    }
    Ref();  // alive while polling
  }

  ~FdPoll() { Stop(); }

 private:
  static void OnEvent(uv_poll_t* handle, int status, int events) {
    FdPoll* self = static_cast<FdPoll*>(handle->data);
    Napi::Env env = self->Env();
    Napi::HandleScope scope(env);
    // An error (status < 0) is reported as readable: the next recvmsg names it.
    bool readable = status < 0 || (events & UV_READABLE) != 0;
    bool hangup = status >= 0 && (events & UV_DISCONNECT) != 0;
    self->on_event_.MakeCallback(self->Value(), {Napi::Boolean::New(env, readable), Napi::Boolean::New(env, hangup)});
  }

  void Stop() {
    if (!poll_) return;
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    Unref();
  }

  // close(): stop polling (idempotent). The fd stays open.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Stop();
    return info.Env().Undefined();
  }

  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference on_event_;
};

}  // namespace

void InitHold(Napi::Env env, Napi::Object exports);  // hold.cc

void InitAgent(Napi::Env env, Napi::Object exports) {
  exports.Set("recvWithFds", Napi::Function::New(env, RecvWithFds, "recvWithFds"));
  exports.Set("FdPoll", FdPoll::Define(env));
  InitHold(env, exports);
}

}  // namespace sysvisor
