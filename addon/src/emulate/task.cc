// The one parser of /proc/TID/status and /proc/PID/stat (see task.h), and taskInfo() for JS.
#include "emulate/task.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common.h"
#include "emulate/emulate.h"
#include "emulate/tracee.h"

namespace sysvisor {
namespace emulate {
namespace {

// Reads a small /proc file into buf (NUL-terminated). Returns its length or -errno.
ssize_t ReadSmall(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t n = 0;
  while (n + 1 < size) {
    ssize_t r = read(fd, buf + n, size - 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = 0;
  return (ssize_t)n;
}

// The value after "Key:" on its line, or nullptr.
const char* Field(const char* text, const char* key) {
  size_t kl = strlen(key);
  for (const char* p = text; p && *p;) {
    if (strncmp(p, key, kl) == 0 && p[kl] == ':') return p + kl + 1;
    p = strchr(p, '\n');
    if (p) p++;
  }
  return nullptr;
}

}  // namespace

int ReadStatus(pid_t tid, TaskStatus* s) {
  char buf[4096];
  std::string path = "/proc/" + std::to_string(tid) + "/status";
  ssize_t n = ReadSmall(path.c_str(), buf, sizeof buf);
  if (n < 0) return n == -ENOENT ? -ESRCH : (int)n;
  if (n == 0) return -ESRCH;
  const char* f;
  if ((f = Field(buf, "Tgid"))) s->tgid = (pid_t)strtol(f, nullptr, 10);
  if ((f = Field(buf, "PPid"))) s->ppid = (pid_t)strtol(f, nullptr, 10);
  if (!(f = Field(buf, "Uid")) || sscanf(f, "%u %u %u %u", &s->ruid, &s->euid, &s->suid, &s->fsuid) != 4)
    return -EIO;
  if (!(f = Field(buf, "Gid")) || sscanf(f, "%u %u %u %u", &s->rgid, &s->egid, &s->sgid, &s->fsgid) != 4)
    return -EIO;
  s->groups.clear();
  if ((f = Field(buf, "Groups"))) {
    char* end;
    for (;;) {
      while (*f == ' ' || *f == '\t') f++;
      if (*f < '0' || *f > '9') break;
      s->groups.push_back((gid_t)strtoul(f, &end, 10));
      f = end;
    }
  }
  if ((f = Field(buf, "Umask"))) s->umask = (mode_t)strtoul(f, nullptr, 8);
  if ((f = Field(buf, "CapEff"))) s->cap_eff = strtoull(f, nullptr, 16);
  if ((f = Field(buf, "CapPrm"))) s->cap_prm = strtoull(f, nullptr, 16);
  return 0;
}

int ReadStartTime(pid_t pid, uint64_t* start) {
  char buf[1024];
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  ssize_t n = ReadSmall(path.c_str(), buf, sizeof buf);
  if (n < 0) return n == -ENOENT ? -ESRCH : (int)n;
  // "pid (comm) state ppid ...": comm may hold spaces and ')'; fields count from after the last ')'.
  const char* p = strrchr(buf, ')');
  if (!p || p[1] != ' ') return -EIO;
  p += 2;  // field 3, state
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return -EIO;
    p++;
  }
  *start = strtoull(p, nullptr, 10);
  return 0;
}

namespace {

// taskInfo(tid, identity?) -> { tgid, ppid, euid, start, cwdDev, cwdIno } or null when the thread
// is gone. start is its process's start time (a thread has its own); cwd fields are -1 when
// unreadable. identity: the pending call's of thread tid (see IdentityValue), read once for all
// its steps: its status is not read again.
Napi::Value TaskInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "tid")) return env.Undefined();
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  bool ok = true;
  const Tracee* given = info.Length() >= 2 ? IdentityOf(env, info[1], "taskInfo", &ok) : nullptr;
  if (!ok) return env.Undefined();
  TaskStatus s;
  if (given && given->tid == tid) s.tgid = given->tgid, s.ppid = given->ppid, s.euid = given->euid;
  else if (ReadStatus(tid, &s) < 0) return env.Null();
  uint64_t start = 0;
  if (ReadStartTime(s.tgid, &start) < 0) return env.Null();
  struct stat st = {};
  bool cwd_ok = ::stat(("/proc/" + std::to_string(tid) + "/cwd").c_str(), &st) == 0;
  Napi::Object out = Napi::Object::New(env);
  out.Set("tgid", Napi::Number::New(env, s.tgid));
  out.Set("ppid", Napi::Number::New(env, s.ppid));
  out.Set("euid", Napi::Number::New(env, s.euid));
  out.Set("start", Napi::Number::New(env, (double)start));
  out.Set("cwdDev", Napi::Number::New(env, cwd_ok ? (double)st.st_dev : -1));
  out.Set("cwdIno", Napi::Number::New(env, cwd_ok ? (double)st.st_ino : -1));
  return out;
}

// cwdIs(tid, path, dev, ino) -> whether thread TID's cwd is already the directory PATH names, so
// that a chdir to it would change nothing: PATH is the cwd's own canonical path as the supervisor
// reads it (readlink of /proc/TID/cwd: only when the thread's root is ours does that compare), the
// directory the chdir's check found as the thread (DEV, INO) is the cwd's, and PATH, resolved from
// the thread's root in its mount namespace, is on the cwd's very mount (a directory bind-mounted
// elsewhere, or on itself, is the same dev/ino on another mount: a chdir there is no no-op).
Napi::Value CwdIs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "tid") || !ArgString(info, 1, "path") || !ArgNumber(info, 2, "dev") || !ArgNumber(info, 3, "ino"))
    return env.Undefined();
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  std::string path = Latin1Value(info[1]);
  double dev = info[2].As<Napi::Number>().DoubleValue(), ino = info[3].As<Napi::Number>().DoubleValue();
  std::string proc = "/proc/" + std::to_string(tid);
  if (path.empty() || path[0] != '/') return Napi::Boolean::New(env, false);
  char buf[4096];
  ssize_t n = readlink((proc + "/cwd").c_str(), buf, sizeof buf);
  if (n <= 0 || (size_t)n >= sizeof buf || std::string(buf, (size_t)n) != path) return Napi::Boolean::New(env, false);
  struct statx cwd = {}, target = {};
  unsigned mask = STATX_TYPE | STATX_INO | STATX_MNT_ID;
  if (statx(AT_FDCWD, (proc + "/cwd").c_str(), 0, mask, &cwd) != 0 ||
      statx(AT_FDCWD, (proc + "/root" + path).c_str(), AT_SYMLINK_NOFOLLOW, mask, &target) != 0)
    return Napi::Boolean::New(env, false);
  if (!(cwd.stx_mask & STATX_MNT_ID) || !(target.stx_mask & STATX_MNT_ID)) return Napi::Boolean::New(env, false);
  auto same_file = [](const struct statx& a, const struct statx& b) {
    return a.stx_ino == b.stx_ino && a.stx_dev_major == b.stx_dev_major && a.stx_dev_minor == b.stx_dev_minor && a.stx_mnt_id == b.stx_mnt_id;
  };
  bool checked = (double)makedev(cwd.stx_dev_major, cwd.stx_dev_minor) == dev && (double)cwd.stx_ino == ino;
  return Napi::Boolean::New(env, S_ISDIR(cwd.stx_mode) && checked && same_file(cwd, target));
}

}  // namespace

void InitTask(Napi::Env env, Napi::Object exports) {
  exports.Set("taskInfo", Napi::Function::New(env, TaskInfo, "taskInfo"));
  exports.Set("cwdIs", Napi::Function::New(env, CwdIs, "cwdIs"));
}

}  // namespace emulate
}  // namespace sysvisor
