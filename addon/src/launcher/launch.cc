// Launcher: Node cannot run code between fork and exec, so this part forks the tracee, installs
// the generated seccomp filter with a new listener in the child, hands the listener to the parent
// (pidfd_getfd) and only then lets the child exec. Exit of the child is watched through a pidfd on
// the event loop.
//
// Synchronisation uses a shared anonymous page and spinning rather than pipes: once the filter is
// installed, any syscall of the child may be a notification that nobody is serving yet, so the
// child must make no syscall until the parent holds the listener.
#include "common.h"
#include "contract.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <x86intrin.h>

#include <map>

#include <vector>

namespace sysvisor {
namespace {

struct Handshake {
  volatile int state;  // 0 pending, 1 listener ready, 2 failed
  volatile int go;     // set by the parent once it holds the listener
  int listener_fd;     // in the child
  int err;             // errno of the failed step
  int step;            // 1 seccomp
};

int PidfdOpen(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int PidfdGetfd(int pidfd, int fd) { return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0); }

// Child side, between fork and exec: only async-signal-safe calls.
[[noreturn]] void ChildMain(Handshake* hs, const char* file, char* const* argv, char* const* envp,
                            sock_fprog* prog, unsigned int flags) {
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // stdio is the command's: Node may hold 0-2 close-on-exec; the command must inherit them.
  for (int fd = 0; fd < 3; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }

  long fd = -1;
  if (prog->len == 0) goto filtered;  // no filter: a plain child (nested sysvisor)
  fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
  if (fd < 0 && errno == EACCES) {
    // Unprivileged: the kernel requires no_new_privs to install a filter.
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
  }
  if (fd < 0) {
    hs->err = errno;
    hs->step = 1;
    __atomic_store_n(&hs->state, 2, __ATOMIC_RELEASE);
    _exit(126);
  }
filtered:
  hs->listener_fd = (int)fd;
  __atomic_store_n(&hs->state, 1, __ATOMIC_RELEASE);
  // No syscall until the parent holds the listener and lets us go: spin (bounded by the TSC, so
  // an abandoned child gives up after some seconds instead of spinning forever).
  uint64_t t0 = __rdtsc();
  while (!__atomic_load_n(&hs->go, __ATOMIC_ACQUIRE)) {
    __builtin_ia32_pause();
    if (__rdtsc() - t0 > 60000000000ULL) _exit(125);
  }

  // The listener fd is close-on-exec; execve may itself be a notification, served from now on.
  execve(file, argv, envp);
  int err = errno;
  const char* pre = "sysvisor: ";
  const char* msg = strerror(err);
  (void)!write(2, pre, strlen(pre));
  (void)!write(2, file, strlen(file));
  (void)!write(2, ": ", 2);
  (void)!write(2, msg, strlen(msg));
  (void)!write(2, "\n", 1);
  _exit(err == ENOENT ? 127 : 126);
}

std::vector<std::string> StringArray(Napi::Array arr) {
  std::vector<std::string> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(arr.Get(i).ToString().Utf8Value());
  return out;
}

std::vector<char*> CPtrs(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Children held before exec (spawn with hold), by pid, until release(pid).
std::map<pid_t, Handshake*> held;

// spawn(file, argv, env, filter, flags, hold) -> { pid, pidfd, listener }. With hold, the child
// waits (before exec) until release(pid): engines can attach to it before it runs COMMAND.
Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgString(info, 0, "file") || !ArgArray(info, 1, "argv") || !ArgArray(info, 2, "env") ||
      !ArgBuffer(info, 3, "filter") || !ArgNumber(info, 4, "flags"))
    return env.Undefined();
  std::string file = info[0].As<Napi::String>().Utf8Value();
  std::vector<std::string> argv = StringArray(info[1].As<Napi::Array>());
  std::vector<std::string> envs = StringArray(info[2].As<Napi::Array>());
  Napi::Buffer<uint8_t> filter = info[3].As<Napi::Buffer<uint8_t>>();
  unsigned int flags = info[4].As<Napi::Number>().Uint32Value() | SECCOMP_FILTER_FLAG_NEW_LISTENER;
  if (filter.Length() % sizeof(sock_filter) != 0) {
    ThrowType(env, "parameter 'filter' must hold whole sock_filter instructions (or none)");
    return env.Undefined();
  }
  std::vector<char*> argvp = CPtrs(argv);
  std::vector<char*> envp = CPtrs(envs);
  sock_fprog prog = {(unsigned short)(filter.Length() / sizeof(sock_filter)),
                     reinterpret_cast<sock_filter*>(filter.Data())};

  void* page = mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    ThrowSys(env, "spawn: shared page", "mmap", errno);
    return env.Undefined();
  }
  Handshake* hs = new (page) Handshake();

  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    munmap(page, sizeof(Handshake));
    ThrowSys(env, "spawn", "fork", err);
    return env.Undefined();
  }
  if (pid == 0) ChildMain(hs, file.c_str(), argvp.data(), envp.data(), &prog, flags);

  auto fail = [&](const char* op, const char* sc, int err) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    munmap(page, sizeof(Handshake));
    ThrowSys(env, op, sc, err);
    return env.Undefined();
  };

  int pidfd = PidfdOpen(pid);
  if (pidfd < 0) return fail("spawn", "pidfd_open", errno);
  // Wait for the child to install its filter (microseconds), watching for its death.
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (__atomic_load_n(&hs->state, __ATOMIC_ACQUIRE) == 0) {
    siginfo_t si = {};
    if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) break;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 10) {
      close(pidfd);
      return fail("spawn: child did not install its filter", "seccomp", ETIMEDOUT);
    }
    sched_yield();
  }
  int state = __atomic_load_n(&hs->state, __ATOMIC_ACQUIRE);
  if (state != 1) {
    int err = state == 2 ? hs->err : ECHILD;
    close(pidfd);
    return fail("install seccomp filter with a new listener", "seccomp", err);
  }
  int listener = hs->listener_fd < 0 ? -1 : PidfdGetfd(pidfd, hs->listener_fd);
  if (listener < 0 && hs->listener_fd >= 0) {
    int err = errno;
    close(pidfd);
    return fail("take the listener from the child", "pidfd_getfd", err);
  }
  bool hold = info.Length() > 5 && info[5].ToBoolean();
  if (hold) {
    held[pid] = hs;
  } else {
    __atomic_store_n(&hs->go, 1, __ATOMIC_RELEASE);
    munmap(page, sizeof(Handshake));  // the child keeps its own mapping until exec
  }

  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("pidfd", Napi::Number::New(env, pidfd));
  out.Set("listener", Napi::Number::New(env, listener));
  return out;
}

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

// pidfdSignal(pidfd, sig): signal the child without pid reuse races.
Napi::Value PidfdSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pidfd") || !ArgNumber(info, 1, "signal")) return env.Undefined();
  int r = (int)syscall(SYS_pidfd_send_signal, info[0].As<Napi::Number>().Int32Value(),
                       info[1].As<Napi::Number>().Int32Value(), nullptr, 0);
  if (r < 0 && errno != ESRCH) ThrowSys(env, "signal child", "pidfd_send_signal", errno);
  return Napi::Boolean::New(env, r == 0);
}

// release(pid): lets a held child exec. False if it was not held.
Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pid")) return env.Undefined();
  auto it = held.find(info[0].As<Napi::Number>().Int32Value());
  if (it == held.end()) return Napi::Boolean::New(env, false);
  __atomic_store_n(&it->second->go, 1, __ATOMIC_RELEASE);
  munmap(it->second, sizeof(Handshake));
  held.erase(it);
  return Napi::Boolean::New(env, true);
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

// control(op, request, responseCapacity) -> { ret, response }: the control call of a nested
// sysvisor, a prctl with an option no kernel knows, which the supervisor above answers. Without
// a sysvisor above, the kernel answers EINVAL (ret = -EINVAL).
constexpr unsigned long kControlMagic = SV_CONTROL_MAGIC;  // contract.h
Napi::Value Control(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "op") || !ArgBuffer(info, 1, "request") || !ArgNumber(info, 2, "responseCapacity"))
    return env.Undefined();
  Napi::Buffer<uint8_t> req = info[1].As<Napi::Buffer<uint8_t>>();
  size_t cap = info[2].As<Napi::Number>().Uint32Value();
  std::vector<uint8_t> resp(cap ? cap : 1);
  long r = syscall(SYS_prctl, kControlMagic, (unsigned long)info[0].As<Napi::Number>().Uint32Value(),
                   (unsigned long)req.Data(), (unsigned long)req.Length(), (unsigned long)resp.data(), (unsigned long)cap);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ret", Napi::Number::New(env, r < 0 ? -errno : (double)r));
  size_t n = r > 0 ? std::min((size_t)r, cap) : 0;
  out.Set("response", Napi::Buffer<uint8_t>::Copy(env, resp.data(), n));
  return out;
}

// setSubreaper(): orphans of this process's subtree are reparented to it (a nested sysvisor
// keeps its scope's processes), then reapAll waits for them.
Napi::Value SetSubreaper(const Napi::CallbackInfo& info) {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) ThrowSys(info.Env(), "become subreaper", "prctl", errno);
  return info.Env().Undefined();
}

// reapChildren(cb): in a worker thread, reap every child until none is left (ECHILD), then cb().
// Start it only after the command itself was reaped (watchExit), or it could take its status.
struct ReapWork {
  uv_work_t req;
  Napi::FunctionReference cb;
  Napi::Env env;
  ReapWork(Napi::Env e) : env(e) {}
};
Napi::Value ReapChildren(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgFunction(info, 0, "callback")) return env.Undefined();
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  ReapWork* w = new ReapWork(env);
  w->cb = Napi::Persistent(info[0].As<Napi::Function>());
  w->req.data = w;
  uv_queue_work(
      loop, &w->req,
      [](uv_work_t*) {
        siginfo_t si;
        while (waitid(P_ALL, 0, &si, WEXITED) == 0 || errno == EINTR) {
        }
      },
      [](uv_work_t* req, int) {
        ReapWork* w = static_cast<ReapWork*>(req->data);
        Napi::HandleScope scope(w->env);
        w->cb.MakeCallback(w->env.Global(), {});
        delete w;
      });
  return env.Undefined();
}

// closeFd(fd): for descriptors the addon handed out.
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "fd")) return env.Undefined();
  if (close(info[0].As<Napi::Number>().Int32Value()) < 0) ThrowSys(env, "close", "close", errno);
  return env.Undefined();
}

}  // namespace

void InitLauncher(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit, "watchExit"));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal, "pidfdSignal"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("release", Napi::Function::New(env, Release, "release"));
  exports.Set("reapChildren", Napi::Function::New(env, ReapChildren, "reapChildren"));
  exports.Set("grabFd", Napi::Function::New(env, GrabFd, "grabFd"));
  exports.Set("control", Napi::Function::New(env, Control, "control"));
  exports.Set("setSubreaper", Napi::Function::New(env, SetSubreaper, "setSubreaper"));
}

}  // namespace sysvisor
