// Path calls other than open, run by the supervisor as the tracee: the path is walked as the
// tracee (tracee.h), then the call acts on (directory fd, last name) without following a final
// symlink (the walker already did when the call follows), so a racing tracee can never make the
// supervisor act elsewhere than on the path it checked. Outputs (struct stat, link targets, xattr
// values...) go to a Buffer the caller writes to the tracee.
//
// pathAs(tid, op, dirfd, path, nums[], str, inBuf, outBuf[, dirfd2, path2, cached]) -> result,
// -errno or FALLBACK (the caller then lets the kernel run the call as the tracee). cached: the
// identity cache may be used (see GetTracee).
#include "common.h"
#include "emulate/emulate.h"
#include "emulate/tracee.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

namespace sysvisor {
namespace emulate {
namespace {

enum Op {
  kStat = 1, kStatx, kAccess, kReadlink, kMkdir, kMknod, kUnlink, kChmod, kChown, kUtimens,
  kTruncate, kStatfs, kSetxattr, kGetxattr, kListxattr, kRemovexattr, kInotify, kNameToHandle,
  kSymlink, kRename, kLink, kChdirCheck,
};

const struct { const char* name; Op op; } kOps[] = {
    {"stat", kStat}, {"statx", kStatx}, {"access", kAccess}, {"readlink", kReadlink},
    {"mkdir", kMkdir}, {"mknod", kMknod}, {"unlink", kUnlink}, {"chmod", kChmod},
    {"chown", kChown}, {"utimens", kUtimens}, {"truncate", kTruncate}, {"statfs", kStatfs},
    {"setxattr", kSetxattr}, {"getxattr", kGetxattr}, {"listxattr", kListxattr},
    {"removexattr", kRemovexattr}, {"inotify", kInotify}, {"nameToHandle", kNameToHandle},
    {"symlink", kSymlink}, {"rename", kRename}, {"link", kLink}, {"chdirCheck", kChdirCheck},
};

struct Args {
  pid_t tid;
  Op op;
  std::string path, path2, str;
  int dirfd = AT_FDCWD, dirfd2 = AT_FDCWD;
  std::vector<int64_t> n;
  const uint8_t* in = nullptr;
  size_t in_len = 0;
  bool has_in = false;
  uint8_t* out = nullptr;
  size_t out_len = 0;
  int64_t num(size_t i) const { return i < n.size() ? n[i] : 0; }
};

long R(long r) { return r < 0 ? -errno : r; }

constexpr long kSysSetxattrat = 463, kSysGetxattrat = 464, kSysListxattrat = 465, kSysRemovexattrat = 466;
struct XattrArgs {
  uint64_t value;
  uint32_t size, flags;
};
bool xattrat_ok = true;
bool XattrAt() { return xattrat_ok; }
// True when the *xattrat call is not there (not tried, or ENOSYS): use the old way.
bool XattrAtMissing(long r) {
  if (!xattrat_ok) return true;
  if (r < 0 && errno == ENOSYS) {
    xattrat_ok = false;
    return true;
  }
  return false;
}

// An O_PATH fd on the resolved object itself (never a symlink followed by the kernel).
long OpenObject(const Resolved& r, int extra = 0) {
  return R(openat(r.dir.get(), r.last.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC | extra));
}

LastMode FollowIf(bool follow) { return follow ? kFollow : kNoFollow; }

long Run(const Tracee& t, const Args& a, const Bases& b, const Bases& b2, int tracee_fd) {
  int flags = (int)a.num(0);
  bool real_ids = a.op == kAccess && !(a.num(1) & AT_EACCESS);
  AsTracee as(t, real_ids, a.op == kMkdir || a.op == kMknod);
  if (!as.ok()) return -EPERM;
  Resolved r;
  auto walk = [&](LastMode m) { return Walk(b, a.path, m, &r); };
  long w;
  switch (a.op) {
    case kStat: {
      // Following: stat without following first; a symlink found is walked through and redone.
      bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
      if (a.out_len < sizeof(struct stat)) return -EFAULT;
      auto* st = reinterpret_cast<struct stat*>(a.out);
      for (LastMode m : {follow ? kFollowLazy : kNoFollow, kFollow}) {
        if ((w = walk(m)) < 0) return w;
        long rc = R(fstatat(r.dir.get(), r.last.c_str(), st, AT_SYMLINK_NOFOLLOW | (flags & AT_NO_AUTOMOUNT)));
        if (rc < 0 || !follow || !S_ISLNK(st->st_mode)) return rc;
        r = Resolved();
      }
      return -ELOOP;
    }
    case kStatx: {
      bool follow = !(flags & AT_SYMLINK_NOFOLLOW);
      if (a.out_len < 256) return -EFAULT;
      int f = (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) | AT_SYMLINK_NOFOLLOW;
      for (LastMode m : {follow ? kFollowLazy : kNoFollow, kFollow}) {
        if ((w = walk(m)) < 0) return w;
        long rc = R(syscall(SYS_statx, r.dir.get(), r.last.c_str(), f, (unsigned)a.num(1), a.out));
        uint16_t mode;
        memcpy(&mode, a.out + 0x1c, sizeof mode);  // struct statx: stx_mode
        if (rc < 0 || !follow || !S_ISLNK(mode)) return rc;
        r = Resolved();
      }
      return -ELOOP;
    }
    case kAccess: {
      int aflags = (int)a.num(1);
      if ((w = walk(FollowIf(!(aflags & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      return R(syscall(SYS_faccessat2, r.dir.get(), r.last.c_str(), (int)a.num(0), AT_EACCESS | AT_SYMLINK_NOFOLLOW));
    }
    case kReadlink: {
      if ((w = walk(kNoFollow)) < 0) return w;
      if (a.out_len == 0) return -EINVAL;
      return R(readlinkat(r.dir.get(), r.last.c_str(), reinterpret_cast<char*>(a.out), a.out_len));
    }
    case kMkdir:
      if ((w = walk(kParent)) < 0) return w;
      return R(mkdirat(r.dir.get(), r.last.c_str(), (mode_t)a.num(0)));
    case kMknod:
      if ((w = walk(kParent)) < 0) return w;
      return R(mknodat(r.dir.get(), r.last.c_str(), (mode_t)a.num(0), (dev_t)a.num(1)));
    case kUnlink:
      if ((w = walk(kParent)) < 0) return w;
      return R(unlinkat(r.dir.get(), r.last.c_str(), flags & AT_REMOVEDIR));
    case kChmod: {
      if ((w = walk(FollowIf(!(a.num(1) & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      long c = syscall(SYS_fchmodat2, r.dir.get(), r.last.c_str(), (mode_t)a.num(0), AT_SYMLINK_NOFOLLOW);
      if (c < 0 && errno == ENOSYS) c = fchmodat(r.dir.get(), r.last.c_str(), (mode_t)a.num(0), 0);
      return R(c);
    }
    case kChown: {
      int cflags = (int)a.num(2);
      if ((w = walk(FollowIf(!(cflags & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      return R(fchownat(r.dir.get(), r.last.c_str(), (uid_t)a.num(0), (gid_t)a.num(1), AT_SYMLINK_NOFOLLOW));
    }
    case kUtimens: {
      if ((w = walk(FollowIf(!(flags & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      struct timespec ts[2];
      if (a.has_in) {
        if (a.in_len < sizeof ts) return -EFAULT;
        memcpy(ts, a.in, sizeof ts);
      }
      return R(utimensat(r.dir.get(), r.last.c_str(), a.has_in ? ts : nullptr, AT_SYMLINK_NOFOLLOW));
    }
    case kTruncate: {
      if ((w = walk(kFollow)) < 0) return w;
      long fd = OpenObject(r);
      if (fd < 0) return fd;
      Fd obj((int)fd);
      std::string p = "/proc/self/fd/" + std::to_string(obj.get());
      return R(truncate(p.c_str(), (off_t)a.num(0)));
    }
    case kStatfs: {
      if ((w = walk(kFollow)) < 0) return w;
      if (a.out_len < sizeof(struct statfs)) return -EFAULT;
      long fd = OpenObject(r);
      if (fd < 0) return fd;
      Fd obj((int)fd);
      return R(fstatfs(obj.get(), reinterpret_cast<struct statfs*>(a.out)));
    }
    // The *xattrat calls (6.13) act on (dir, name) directly; before, l*xattr on /proc/self/fd/DIR/NAME.
    case kSetxattr: {
      if ((w = walk(FollowIf(flags != 0))) < 0) return w;
      XattrArgs xa = {reinterpret_cast<uint64_t>(a.in), (uint32_t)a.in_len, (uint32_t)a.num(1)};
      long x = XattrAt() ? syscall(kSysSetxattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.str.c_str(), &xa, sizeof xa) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(lsetxattr(ProcPath(r).c_str(), a.str.c_str(), a.in, a.in_len, (int)a.num(1)));
    }
    case kGetxattr: {
      if ((w = walk(FollowIf(flags != 0))) < 0) return w;
      XattrArgs xa = {reinterpret_cast<uint64_t>(a.out), (uint32_t)a.out_len, 0};
      long x = XattrAt() ? syscall(kSysGetxattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.str.c_str(), &xa, sizeof xa) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(lgetxattr(ProcPath(r).c_str(), a.str.c_str(), a.out, a.out_len));
    }
    case kListxattr: {
      if ((w = walk(FollowIf(flags != 0))) < 0) return w;
      long x = XattrAt() ? syscall(kSysListxattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.out, a.out_len) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(llistxattr(ProcPath(r).c_str(), reinterpret_cast<char*>(a.out), a.out_len));
    }
    case kRemovexattr: {
      if ((w = walk(FollowIf(flags != 0))) < 0) return w;
      long x = XattrAt() ? syscall(kSysRemovexattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.str.c_str()) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(lremovexattr(ProcPath(r).c_str(), a.str.c_str()));
    }
    case kInotify: {
      uint32_t mask = (uint32_t)a.num(1);
      if ((w = walk(FollowIf(!(mask & IN_DONT_FOLLOW)))) < 0) return w;
      return R(inotify_add_watch(tracee_fd, ProcPath(r).c_str(), mask | IN_DONT_FOLLOW));
    }
    case kNameToHandle: {
      if ((w = walk(FollowIf(flags & AT_SYMLINK_FOLLOW))) < 0) return w;
      if (a.out_len < 16) return -EFAULT;
      uint8_t* mnt = a.out + a.out_len - 8;
      memset(mnt, 0, 8);
      int f = flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH);
      return R(syscall(SYS_name_to_handle_at, r.dir.get(), r.last.c_str(), a.out, mnt, f));
    }
    case kSymlink:
      if ((w = walk(kParent)) < 0) return w;
      return R(symlinkat(a.str.c_str(), r.dir.get(), r.last.c_str()));
    case kRename: {
      if ((w = walk(kParent)) < 0) return w;
      Resolved r2;
      if ((w = Walk(b2, a.path2, kParent, &r2)) < 0) return w;
      return R(syscall(SYS_renameat2, r.dir.get(), r.last.c_str(), r2.dir.get(), r2.last.c_str(), (unsigned)flags));
    }
    case kLink: {
      if ((w = walk(FollowIf(flags & AT_SYMLINK_FOLLOW))) < 0) return w;
      Resolved r2;
      if ((w = Walk(b2, a.path2, kParent, &r2)) < 0) return w;
      return R(linkat(r.dir.get(), r.last.c_str(), r2.dir.get(), r2.last.c_str(), 0));
    }
    case kChdirCheck: {
      if ((w = walk(kFollow)) < 0) return w;
      long fd = OpenObject(r, O_DIRECTORY);
      if (fd < 0) return fd;
      Fd obj((int)fd);
      long ok = R(syscall(SYS_faccessat2, obj.get(), "", X_OK, AT_EACCESS | AT_EMPTY_PATH));
      // The directory it will be (dev, ino...), for the caller to recognize the cwd later.
      if (ok == 0 && a.out_len >= sizeof(struct stat)) fstat(obj.get(), reinterpret_cast<struct stat*>(a.out));
      return ok;
    }
  }
  return -ENOSYS;
}

// A dup of the tracee's fd N (for calls on its inotify instance). -errno on failure.
int TraceeFd(pid_t tgid, int fd) {
  int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
  if (pidfd < 0) return -errno;
  int r = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
  int e = errno;
  close(pidfd);
  return r < 0 ? -e : r;
}

Napi::Value PathAs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "tid") || !ArgNumber(info, 1, "op") || !ArgNumber(info, 2, "dirfd") ||
      !ArgString(info, 3, "path") || !ArgArray(info, 4, "nums"))
    return env.Undefined();
  Args a;
  a.tid = info[0].As<Napi::Number>().Int32Value();
  a.op = (Op)info[1].As<Napi::Number>().Int32Value();
  a.dirfd = info[2].As<Napi::Number>().Int32Value();
  a.path = info[3].As<Napi::String>().Utf8Value();
  Napi::Array nums = info[4].As<Napi::Array>();
  for (uint32_t i = 0; i < nums.Length(); i++) a.n.push_back(nums.Get(i).As<Napi::Number>().Int64Value());
  if (info.Length() > 5 && info[5].IsString()) a.str = info[5].As<Napi::String>().Utf8Value();
  if (info.Length() > 6 && info[6].IsBuffer()) {
    auto in = info[6].As<Napi::Buffer<uint8_t>>();
    a.in = in.Data(), a.in_len = in.Length(), a.has_in = true;
  }
  if (info.Length() > 7 && info[7].IsBuffer()) {
    auto out = info[7].As<Napi::Buffer<uint8_t>>();
    a.out = out.Data(), a.out_len = out.Length();
  }
  bool two = a.op == kRename || a.op == kLink;
  if (two) {
    if (!ArgNumber(info, 8, "dirfd2") || !ArgString(info, 9, "path2")) return env.Undefined();
    a.dirfd2 = info[8].As<Napi::Number>().Int32Value();
    a.path2 = info[9].As<Napi::String>().Utf8Value();
  }
  auto result = [&](long v) { return Napi::Number::New(env, (double)v); };
  if (a.path.empty() || (two && a.path2.empty())) return result(-ENOENT);

  Tracee t;
  bool cached = info.Length() > 10 && info[10].ToBoolean();
  int r = GetTracee(a.tid, &t, a.op == kMkdir || a.op == kMknod, cached);
  if (r < 0) return result(r);
  if (t.foreign_userns) return result(kFallback);
  Bases b, b2;
  if ((r = OpenBases(t, a.dirfd, a.path, &b)) < 0) return result(r);
  if (two && (r = OpenBases(t, a.dirfd2, a.path2, &b2)) < 0) return result(r);
  Fd tracee_fd;
  if (a.op == kInotify) {
    int fd = TraceeFd(t.tgid, (int)a.num(0));
    if (fd < 0) return result(fd == -EBADF || fd == -ENOENT ? -EBADF : fd);
    tracee_fd.reset(fd);
  }
  return result(Run(t, a, b, b2, tracee_fd.get()));
}

// taskInfo(tid) -> [tgid, ppid, starttime of the process, cwdDev, cwdIno] or null when the thread
// is gone.
Napi::Value TaskInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "tid")) return env.Undefined();
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  Tracee t;
  if (ReadTracee(tid, &t) < 0) return env.Null();
  std::string proc = "/proc/" + std::to_string(tid);
  // The process's start time (a thread has its own): it tells a reused process id.
  std::ifstream f("/proc/" + std::to_string(t.tgid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t rp = text.rfind(')');
  if (rp == std::string::npos) return env.Null();
  // Fields after "(comm)": state is field 3; starttime is field 22.
  const char* p = text.c_str() + rp + 2;
  double start = 0;
  for (int field = 3; *p; field++) {
    if (field == 22) {
      start = (double)strtoull(p, nullptr, 10);
      break;
    }
    p = strchr(p, ' ');
    if (!p) break;
    p++;
  }
  struct stat st = {};
  bool cwd_ok = ::stat((proc + "/cwd").c_str(), &st) == 0;
  Napi::Array out = Napi::Array::New(env, 5);
  out.Set(0u, Napi::Number::New(env, t.tgid));
  out.Set(1u, Napi::Number::New(env, t.ppid));
  out.Set(2u, Napi::Number::New(env, start));
  out.Set(3u, Napi::Number::New(env, cwd_ok ? (double)st.st_dev : -1));
  out.Set(4u, Napi::Number::New(env, cwd_ok ? (double)st.st_ino : -1));
  return out;
}

}  // namespace

void InitPathAs(Napi::Env env, Napi::Object exports) {
  exports.Set("pathAs", Napi::Function::New(env, PathAs, "pathAs"));
  exports.Set("taskInfo", Napi::Function::New(env, TaskInfo, "taskInfo"));
  Napi::Object ops = Napi::Object::New(env);
  for (const auto& o : kOps) ops.Set(o.name, Napi::Number::New(env, o.op));
  exports.Set("PATH_OP", ops);
}

}  // namespace emulate
}  // namespace sysvisor
