// Emulated open, permission-checked as the tracee: the supervisor thread takes the tracee's
// fsuid/fsgid/groups (per-thread raw syscalls; root loses its file capabilities with fsuid != 0),
// resolves relative paths against the tracee's cwd or dirfd and absolute ones inside its root, and
// applies the tracee's umask. Returns a supervisor fd, to be injected with ADDFD.
#include "common.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace sysvisor {
namespace {

struct TraceeCreds {
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  std::vector<gid_t> groups;
  mode_t umask = 022;
};

bool ReadCreds(int pid, TraceeCreds* c) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  if (!f) return false;
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ss(line.substr(line.find(':') + 1));
    if (line.rfind("Uid:", 0) == 0) {
      uid_t r, e, s, fs;
      ss >> r >> e >> s >> fs;
      c->fsuid = fs;
    } else if (line.rfind("Gid:", 0) == 0) {
      gid_t r, e, s, fs;
      ss >> r >> e >> s >> fs;
      c->fsgid = fs;
    } else if (line.rfind("Groups:", 0) == 0) {
      gid_t g;
      while (ss >> g) c->groups.push_back(g);
    } else if (line.rfind("Umask:", 0) == 0) {
      std::string u;
      ss >> u;
      c->umask = (mode_t)strtoul(u.c_str(), nullptr, 8);
    }
  }
  return true;
}

// Runs fn with this thread's filesystem identity set to the tracee's, then restores it.
template <typename Fn>
long AsTracee(const TraceeCreds& c, Fn fn) {
  uid_t old_uid = (uid_t)syscall(SYS_setfsuid, -1);
  gid_t old_gid = (gid_t)syscall(SYS_setfsgid, -1);
  int ngroups = getgroups(0, nullptr);
  std::vector<gid_t> old_groups(ngroups > 0 ? ngroups : 0);
  if (ngroups > 0) getgroups(ngroups, old_groups.data());
  mode_t old_mask = umask(c.umask);
  syscall(SYS_setgroups, c.groups.size(), c.groups.data());
  syscall(SYS_setfsgid, c.fsgid);
  syscall(SYS_setfsuid, c.fsuid);
  long r = fn();
  int err = errno;
  syscall(SYS_setfsuid, old_uid);
  syscall(SYS_setfsgid, old_gid);
  syscall(SYS_setgroups, old_groups.size(), old_groups.data());
  umask(old_mask);
  errno = err;
  return r;
}

// openAs(pid, dirfd, path, flags, mode) -> supervisor fd, or -errno
Napi::Value OpenAs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pid") || !ArgNumber(info, 1, "dirfd") || !ArgString(info, 2, "path") ||
      !ArgNumber(info, 3, "flags") || !ArgNumber(info, 4, "mode"))
    return env.Undefined();
  int pid = info[0].As<Napi::Number>().Int32Value();
  int dirfd = info[1].As<Napi::Number>().Int32Value();
  std::string path = info[2].As<Napi::String>().Utf8Value();
  int flags = info[3].As<Napi::Number>().Int32Value();
  mode_t mode = (mode_t)info[4].As<Napi::Number>().Uint32Value();

  TraceeCreds creds;
  if (!ReadCreds(pid, &creds)) return Napi::Number::New(env, -ESRCH);
  std::string proc = "/proc/" + std::to_string(pid);
  bool absolute = !path.empty() && path[0] == '/';
  std::string base = absolute ? proc + "/root" : dirfd == AT_FDCWD ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd);
  int base_fd = open(base.c_str(), O_PATH | O_CLOEXEC);
  if (base_fd < 0) return Napi::Number::New(env, -(errno == ENOENT ? EBADF : errno));

  struct open_how how = {};
  how.flags = (uint64_t)(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode & 07777) : 0;
  how.resolve = absolute ? RESOLVE_IN_ROOT : 0;
  long fd = AsTracee(creds, [&] { return syscall(SYS_openat2, base_fd, path.c_str(), &how, sizeof how); });
  int err = errno;
  close(base_fd);
  return Napi::Number::New(env, fd < 0 ? -err : fd);
}

}  // namespace

void InitEmulate(Napi::Env env, Napi::Object exports) {
  exports.Set("openAs", Napi::Function::New(env, OpenAs, "openAs"));
}

}  // namespace sysvisor
