// Path calls other than open, run by the supervisor as the tracee: the path is walked as the
// tracee (tracee.h), then the call acts on (directory fd, last name) without following a final
// symlink (the walker already did when the call follows), so a racing tracee can never make the
// supervisor act elsewhere than on the path it checked. Outputs (struct stat, link targets, xattr
// values...) go to a Buffer the caller writes to the tracee.
//
// pathAs(request) -> result, -errno or FALLBACK (the caller then lets the kernel run the call as
// the tracee). A request is an object: { op, tid, dirfd, path, cached? } and the named fields of
// its operation (declared once, as PathRequest, in src/native/binding.ts). cached: the identity
// cache may be used (see GetTracee).
#include "common.h"
#include "emulate/emulate.h"
#include "emulate/request.h"
#include "emulate/tracee.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
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

// One request, its fields named as in PathRequest (those an operation does not take stay 0).
struct Args {
  pid_t tid = 0;
  Op op = kStat;
  std::string path, path2, str;  // str: an xattr name, or a symlink's target
  int dirfd = AT_FDCWD, dirfd2 = AT_FDCWD;
  int flags = 0;      // AT_* flags; renameat2 flags; setxattr's XATTR_CREATE/REPLACE
  uint32_t mode = 0;  // access mode (R_OK...), file mode (mkdir, mknod, chmod)
  uint32_t uid = 0, gid = 0;
  uint64_t dev = 0;
  int64_t length = 0;
  uint32_t mask = 0;  // statx mask, inotify mask
  int fd = -1;        // the tracee's inotify fd
  bool follow = false;
  const uint8_t* in = nullptr;
  size_t in_len = 0;
  bool has_in = false;
  uint8_t* out = nullptr;
  size_t out_len = 0;
};

long R(long r) { return r < 0 ? -errno : r; }

constexpr long kSysSetxattrat = 463, kSysGetxattrat = 464, kSysListxattrat = 465, kSysRemovexattrat = 466;
struct XattrArgs {
  uint64_t value;
  uint32_t size, flags;
};
std::atomic<bool> xattrat_ok{true};  // any thread that emulates calls
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

// The operation, on the thread that has the tracee's identity (Run).
long RunAs(const Args& a, const Bases& b, const Bases& b2, int tracee_fd) {
  int flags = a.flags;
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
        long rc = R(syscall(SYS_statx, r.dir.get(), r.last.c_str(), f, a.mask, a.out));
        uint16_t mode;
        memcpy(&mode, a.out + 0x1c, sizeof mode);  // struct statx: stx_mode
        if (rc < 0 || !follow || !S_ISLNK(mode)) return rc;
        r = Resolved();
      }
      return -ELOOP;
    }
    case kAccess: {
      if ((w = walk(FollowIf(!(flags & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      return R(syscall(SYS_faccessat2, r.dir.get(), r.last.c_str(), (int)a.mode, AT_EACCESS | AT_SYMLINK_NOFOLLOW));
    }
    case kReadlink: {
      if ((w = walk(kNoFollow)) < 0) return w;
      if (a.out_len == 0) return -EINVAL;
      return R(readlinkat(r.dir.get(), r.last.c_str(), reinterpret_cast<char*>(a.out), a.out_len));
    }
    case kMkdir:
      if ((w = walk(kParent)) < 0) return w;
      return R(mkdirat(r.dir.get(), r.last.c_str(), (mode_t)a.mode));
    case kMknod:
      if ((w = walk(kParent)) < 0) return w;
      return R(mknodat(r.dir.get(), r.last.c_str(), (mode_t)a.mode, (dev_t)a.dev));
    case kUnlink:
      if ((w = walk(kParent)) < 0) return w;
      return R(unlinkat(r.dir.get(), r.last.c_str(), flags & AT_REMOVEDIR));
    case kChmod: {
      if ((w = walk(FollowIf(!(flags & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      long c = syscall(SYS_fchmodat2, r.dir.get(), r.last.c_str(), (mode_t)a.mode, AT_SYMLINK_NOFOLLOW);
      if (c < 0 && errno == ENOSYS) c = fchmodat(r.dir.get(), r.last.c_str(), (mode_t)a.mode, 0);
      return R(c);
    }
    case kChown: {
      if ((w = walk(FollowIf(!(flags & AT_SYMLINK_NOFOLLOW)))) < 0) return w;
      return R(fchownat(r.dir.get(), r.last.c_str(), (uid_t)a.uid, (gid_t)a.gid, AT_SYMLINK_NOFOLLOW));
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
      return R(truncate(p.c_str(), (off_t)a.length));
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
      if ((w = walk(FollowIf(a.follow))) < 0) return w;
      XattrArgs xa = {reinterpret_cast<uint64_t>(a.in), (uint32_t)a.in_len, (uint32_t)flags};
      long x = XattrAt() ? syscall(kSysSetxattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.str.c_str(), &xa, sizeof xa) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(lsetxattr(ProcPath(r).c_str(), a.str.c_str(), a.in, a.in_len, flags));
    }
    case kGetxattr: {
      if ((w = walk(FollowIf(a.follow))) < 0) return w;
      XattrArgs xa = {reinterpret_cast<uint64_t>(a.out), (uint32_t)a.out_len, 0};
      long x = XattrAt() ? syscall(kSysGetxattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.str.c_str(), &xa, sizeof xa) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(lgetxattr(ProcPath(r).c_str(), a.str.c_str(), a.out, a.out_len));
    }
    case kListxattr: {
      if ((w = walk(FollowIf(a.follow))) < 0) return w;
      long x = XattrAt() ? syscall(kSysListxattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.out, a.out_len) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(llistxattr(ProcPath(r).c_str(), reinterpret_cast<char*>(a.out), a.out_len));
    }
    case kRemovexattr: {
      if ((w = walk(FollowIf(a.follow))) < 0) return w;
      long x = XattrAt() ? syscall(kSysRemovexattrat, r.dir.get(), r.last.c_str(), AT_SYMLINK_NOFOLLOW, a.str.c_str()) : -1;
      if (!XattrAtMissing(x)) return R(x);
      return R(lremovexattr(ProcPath(r).c_str(), a.str.c_str()));
    }
    case kInotify: {
      if ((w = walk(FollowIf(!(a.mask & IN_DONT_FOLLOW)))) < 0) return w;
      return R(inotify_add_watch(tracee_fd, ProcPath(r).c_str(), a.mask | IN_DONT_FOLLOW));
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

// Operations that change nothing (readlink is not one: it updates the link's atime): their
// identity is checked when it is given back (AsTracee's CHECK_AFTER), which saves two syscalls;
// when it did not hold, the result and the outputs are dropped.
bool Inert(Op op) {
  return op == kStat || op == kStatx || op == kAccess || op == kGetxattr || op == kListxattr || op == kStatfs ||
         op == kChdirCheck;
}

long Run(const Tracee& t, const Args& a, const Bases& b, const Bases& b2, int tracee_fd) {
  bool real_ids = a.op == kAccess && !(a.flags & AT_EACCESS);
  AsTracee as(t, real_ids, a.op == kMkdir || a.op == kMknod, Inert(a.op));
  if (!as.ok()) return -EPERM;
  long r = RunAs(a, b, b2, tracee_fd);
  if (as.Restore()) return r;
  if (a.out != nullptr && a.out_len > 0) memset(a.out, 0, a.out_len);
  return -EPERM;
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

// The fields of each operation (PathRequest in src/native/binding.ts).
bool ParseArgs(Request& q, Args* a) {
  uint8_t* in = nullptr;
  auto input = [&](const char* key, bool nullable) {
    q.Buf(key, nullable, &in, &a->in_len);
    a->in = in, a->has_in = in != nullptr;
  };
  auto output = [&](bool nullable) { q.Buf("out", nullable, &a->out, &a->out_len); };
  switch (a->op) {
    case kStat: a->flags = (int)q.Num("flags"); output(false); break;
    case kStatx: a->flags = (int)q.Num("flags"); a->mask = (uint32_t)q.Num("mask"); output(false); break;
    case kAccess: a->mode = (uint32_t)q.Num("mode"); a->flags = (int)q.Num("flags"); break;
    case kReadlink: output(false); break;
    case kMkdir: a->mode = (uint32_t)q.Num("mode"); break;
    case kMknod: a->mode = (uint32_t)q.Num("mode"); a->dev = (uint64_t)q.Num("dev"); break;
    case kUnlink: a->flags = (int)q.Num("flags"); break;
    case kChmod: a->mode = (uint32_t)q.Num("mode"); a->flags = (int)q.Num("flags"); break;
    case kChown:
      a->uid = (uint32_t)q.Num("uid"), a->gid = (uint32_t)q.Num("gid"), a->flags = (int)q.Num("flags");
      break;
    case kUtimens: a->flags = (int)q.Num("flags"); input("times", true); break;
    case kTruncate: a->length = (int64_t)q.Num("length"); break;
    case kStatfs: output(false); break;
    case kSetxattr:
      a->follow = q.Bool("follow"), a->str = q.Str("name"), a->flags = (int)q.Num("flags");
      input("value", false);
      break;
    case kGetxattr: a->follow = q.Bool("follow"), a->str = q.Str("name"); output(true); break;
    case kListxattr: a->follow = q.Bool("follow"); output(true); break;
    case kRemovexattr: a->follow = q.Bool("follow"), a->str = q.Str("name"); break;
    case kInotify: a->fd = (int)q.Num("fd"), a->mask = (uint32_t)q.Num("mask"); break;
    case kNameToHandle: a->flags = (int)q.Num("flags"); output(false); break;
    case kSymlink: a->str = q.Str("target"); break;
    case kRename:
    case kLink:
      a->flags = (int)q.Num("flags"), a->dirfd2 = (int)q.Num("dirfd2"), a->path2 = q.Str("path2");
      break;
    case kChdirCheck: output(false); break;
  }
  return q.ok();
}

// The request parsed: the tracee's identity, the bases, the call. The result, -errno or kFallback.
// NATIVE: a native plan's request (its pending check, see NativePathRequest).
// GIVEN: the call's identity, if read already (see IdentityValue).
long Execute(Args& a, Bases& b, Bases& b2, bool cached, const NativePathRequest* native = nullptr, const Tracee* given = nullptr) {
  b2.view = b.view;
  bool two = a.op == kRename || a.op == kLink;
  if (a.path.empty() || (two && a.path2.empty())) return -ENOENT;
  Tracee t;
  bool umask = a.op == kMkdir || a.op == kMknod;
  int r = native ? GetTraceeOfCall(a.tid, &t, umask, cached, native->pending, native->known) : GetTraceeOrGiven(a.tid, &t, umask, cached, given);
  if (r < 0) return r;
  if (t.foreign_userns) return kFallback;
  if ((r = OpenBases(t, a.dirfd, a.path, &b)) < 0) return r;
  if (two && (r = OpenBases(t, a.dirfd2, a.path2, &b2)) < 0) return r;
  Fd tracee_fd;
  if (a.op == kInotify) {
    int fd = TraceeFd(t.tgid, a.fd);
    if (fd < 0) return fd == -EBADF || fd == -ENOENT ? -EBADF : fd;
    tracee_fd.reset(fd);
  }
  return Run(t, a, b, b2, tracee_fd.get());
}

Napi::Value PathAs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "pathAs")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "pathAs");
  Args a;
  std::string op = q.Str("op");
  a.tid = (pid_t)q.Num("tid");
  a.dirfd = (int)q.Num("dirfd");
  a.path = q.Str("path");
  if (!q.ok()) return env.Undefined();
  bool known = false;
  for (const auto& o : kOps) if (op == o.name) a.op = o.op, known = true;
  if (!known) return (ThrowType(env, "pathAs: unknown op '" + op + "'"), env.Undefined());
  if (!ParseArgs(q, &a)) return env.Undefined();
  Bases b, b2;
  bool cached = q.OptionalBool("cached");
  const Tracee* given = q.OptionalIdentity();
  if (!q.ok() || !ParseView(env, q.Get("view"), &b.view)) return env.Undefined();
  return Napi::Number::New(env, (double)Execute(a, b, b2, cached, nullptr, given));
}

}  // namespace

long PathAsNative(const NativePathRequest& q) {
  Args a;
  bool known = false;
  for (const auto& o : kOps) if (strcmp(q.op, o.name) == 0) a.op = o.op, known = true;
  if (!known || (a.op != kStat && a.op != kStatx && a.op != kAccess && a.op != kReadlink && a.op != kGetxattr &&
                 a.op != kListxattr && a.op != kSetxattr && a.op != kRemovexattr && a.op != kChown && a.op != kMkdir &&
                 a.op != kUtimens))
    return kFallback;
  a.tid = q.tid;
  a.dirfd = q.dirfd;
  a.path = q.path;
  a.flags = q.flags;
  if (a.op == kGetxattr || a.op == kListxattr || a.op == kSetxattr || a.op == kRemovexattr) {
    a.follow = !(q.flags & AT_SYMLINK_NOFOLLOW);
    a.flags = a.op == kSetxattr ? q.xflags : 0;
    a.str = q.name;
  }
  a.uid = q.uid;
  a.gid = q.gid;
  a.in = q.in;
  a.in_len = q.in_len;
  a.has_in = q.in != nullptr;
  a.mode = q.mode;
  a.mask = q.mask;
  a.out = q.out;
  a.out_len = q.out_len;
  Bases b, b2;
  b.view = q.view;
  return Execute(a, b, b2, q.cached, &q);
}

void InitPathAs(Napi::Env env, Napi::Object exports) {
  exports.Set("pathAs", Napi::Function::New(env, PathAs, "pathAs"));
}

}  // namespace emulate
}  // namespace sysvisor
