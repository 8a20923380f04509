// Starts the launcher process (launcher.c) that runs a command for the supervisor. Node is
// multi-threaded and cannot run code between fork and exec, so this uses posix_spawn (clone with
// CLONE_VM|CLONE_VFORK in glibc, safe in a threaded process) of a small single-threaded program
// that does the rest: the filter, the handshake, the subreaper role, the supervisor-death rule.
//
//   launch(file, argv, env, fds) -> { pid, pidfd, socket }
//     pid/pidfd: the launcher (the supervisor's child: watchExit reaps it); socket: our end of the
//     SOCK_SEQPACKET control socket (protocol.h), close-on-exec. `fds` are handed on to the
//     command at the same numbers, as they are (close-on-exec or not here); no other fd is.
#include "common.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

namespace sysvisor {
namespace {

// The launcher binary, next to this addon (node-gyp builds both into build/Release).
std::string LauncherPath() {
  Dl_info dl = {};
  if (!dladdr(reinterpret_cast<void*>(&LauncherPath), &dl) || !dl.dli_fname) return "sysvisor-launcher";
  std::string self = dl.dli_fname;
  size_t slash = self.rfind('/');
  return (slash == std::string::npos ? std::string(".") : self.substr(0, slash)) + "/sysvisor-launcher";
}

// Each entry's bytes: a Buffer exactly (argv and environment are bytes, not text), a string as UTF-8.
// False (a TypeError thrown) when one holds a NUL, which would cut it short.
bool StringArray(Napi::Env env, Napi::Array arr, const char* name, std::vector<std::string>* out) {
  out->reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    out->push_back(BytesValue(arr.Get(i)));
    if (out->back().find('\0') != std::string::npos) {
      ThrowType(env, std::string("parameter '") + name + "' holds a NUL byte in entry " + std::to_string(i));
      return false;
    }
  }
  return true;
}

std::vector<char*> CPtrs(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Napi::Value Launch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!(info.Length() > 0 && (info[0].IsString() || info[0].IsBuffer()))) {
    ThrowType(env, "parameter 'file' must be a string or a Buffer");
    return env.Undefined();
  }
  if (!ArgArray(info, 1, "argv") || !ArgArray(info, 2, "env") || !ArgArray(info, 3, "fds"))
    return env.Undefined();
  std::vector<std::string> argv, envs;
  if (!StringArray(env, info[1].As<Napi::Array>(), "argv", &argv) || !StringArray(env, info[2].As<Napi::Array>(), "env", &envs))
    return env.Undefined();
  if (argv.empty()) {
    ThrowType(env, "parameter 'argv' must hold at least argv[0]");
    return env.Undefined();
  }
  Napi::Array fdArr = info[3].As<Napi::Array>();
  std::vector<int> fds;
  for (uint32_t i = 0; i < fdArr.Length(); i++) {
    Napi::Value v = fdArr.Get(i);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (d < 0 || d > INT32_MAX || (double)(int)d != d) {
      ThrowType(env, "parameter 'fds' must hold fd numbers");
      return env.Undefined();
    }
    if (fcntl((int)d, F_GETFD) < 0) {
      ThrowSys(env, ("fd " + std::to_string((int)d) + " to hand on").c_str(), "fcntl", errno);
      return env.Undefined();
    }
    fds.push_back((int)d);
  }
  std::sort(fds.begin(), fds.end());
  fds.erase(std::unique(fds.begin(), fds.end()), fds.end());

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
    ThrowSys(env, "launch: control socket", "socketpair", errno);
    return env.Undefined();
  }
  // The launcher's end goes to a number that is not one of the handed fds.
  int ctlfd = std::max(3, fds.empty() ? 3 : fds.back() + 1);
  std::string list;
  for (int fd : fds) list += (list.empty() ? "" : ",") + std::to_string(fd);
  std::vector<std::string> args = {"sysvisor-launcher", std::to_string(ctlfd), std::to_string(getpid()),
                                    list.empty() ? "-" : list, BytesValue(info[0])};
  args.insert(args.end(), argv.begin(), argv.end());
  std::vector<char*> argp = CPtrs(args);
  std::vector<char*> envp = CPtrs(envs);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  // dup2 onto itself clears close-on-exec (glibc >= 2.29, POSIX issue 411): the fds are handed on
  // as they were before Node marked them.
  for (int fd : fds) posix_spawn_file_actions_adddup2(&fa, fd, fd);
  posix_spawn_file_actions_adddup2(&fa, sv[1], ctlfd);
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::string path = LauncherPath();
  pid_t pid;
  int err = posix_spawn(&pid, path.c_str(), &fa, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(sv[1]);
  if (err != 0) {
    close(sv[0]);
    ThrowSys(env, ("launch " + path).c_str(), "posix_spawn", err);
    return env.Undefined();
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    err = errno;
    kill(pid, SIGKILL);  // our unreaped child: the pid cannot have been reused
    waitpid(pid, nullptr, 0);
    close(sv[0]);
    ThrowSys(env, "launch", "pidfd_open", err);
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("pidfd", Napi::Number::New(env, pidfd));
  out.Set("socket", Napi::Number::New(env, sv[0]));
  return out;
}

}  // namespace

void InitLauncher(Napi::Env env, Napi::Object exports) {
  exports.Set("launch", Napi::Function::New(env, Launch, "launch"));
}

}  // namespace sysvisor
