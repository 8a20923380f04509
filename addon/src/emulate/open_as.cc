// Emulated open, permission-checked as the tracee: the path is walked as the tracee (its root,
// cwd or dirfd, its fsuid/fsgid/groups/capabilities, see tracee.h), the file is created with its
// umask, and the supervisor fd is then injected with ADDFD. Opens that the supervisor must not do
// itself (devices, FIFOs, sockets: they may block or act on the opener; paths through procfs;
// openat2 resolve flags) answer kFallback: the caller lets the kernel open it as the tracee.
#include "common.h"
#include "emulate/emulate.h"
#include "emulate/request.h"
#include "emulate/tracee.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

namespace sysvisor {
namespace emulate {
namespace {

bool Special(mode_t m) { return S_ISFIFO(m) || S_ISCHR(m) || S_ISBLK(m) || S_ISSOCK(m); }

// The open creates a file (the kernel's WILL_CREATE, fs/open.c): O_CREAT, or __O_TMPFILE, the bit
// O_TMPFILE adds to O_DIRECTORY (libc's O_TMPFILE holds both: `flags & O_TMPFILE` is true of every
// O_DIRECTORY open, which needs neither the tracee's umask nor a mode).
constexpr int kTmpfileBit = 020000000;
bool Creates(int flags) { return (flags & (O_CREAT | kTmpfileBit)) != 0; }

// openat2 of NAME from DIRFD by HOW. O_NONBLOCK is added (*add_nonblock) so that the open cannot
// wait: on a lease break (a regular file) or for a FIFO's other end. Another process holding a
// lease on the file: the open started its break and, without the O_NONBLOCK added, would wait for
// the holder to let go (fs/locks.c, __break_lease), as the tracee's own open does. Waited here only
// where the caller may wait (MAY_BLOCK); else kFallback: the kernel runs it. The fd or -errno.
long OpenLeased(int dirfd, const char* name, struct open_how* how, bool* add_nonblock, bool may_block) {
  long fd = syscall(SYS_openat2, dirfd, name, how, sizeof *how);
  if (fd < 0 && errno == EWOULDBLOCK && *add_nonblock) {
    if (!may_block) return kFallback;
    *add_nonblock = false;
    how->flags &= ~(uint64_t)O_NONBLOCK;
    fd = syscall(SYS_openat2, dirfd, name, how, sizeof *how);
  }
  return fd < 0 ? -errno : fd;
}

// After the open: a name changed meanwhile into a FIFO, a device or a socket was opened (it may
// have waited as the tracee's open would, see below): closed, and kFallback. The O_NONBLOCK added
// is taken off again. *opened (if given): what fstat says of the file (st_ino 0 if unknown).
long Opened(long fd, const struct open_how& how, bool add_nonblock, struct stat* opened) {
  struct stat st;
  if (fstat((int)fd, &st) != 0) st.st_ino = 0;
  else if (Special(st.st_mode)) {
    close((int)fd);
    return kFallback;
  }
  if (opened) *opened = st;
  // F_SETFL takes only O_APPEND, O_NONBLOCK, O_DIRECT and O_NOATIME (and FASYNC) from its
  // argument, and the file has those of the open's flags: no F_GETFL needed (fs/fcntl.c, setfl).
  if (add_nonblock) fcntl((int)fd, F_SETFL, (int)(how.flags & ~(uint64_t)O_NONBLOCK));
  return fd;
}

// The flags of the supervisor's open: the tracee's, close-on-exec (ADDFD sets the tracee's own),
// never a controlling terminal, and O_NONBLOCK where added.
struct open_how HowOf(int flags, mode_t mode, bool is_path, bool add_nonblock) {
  struct open_how how = {};
  how.flags = (uint64_t)(flags | O_CLOEXEC | (is_path ? 0 : O_NOCTTY) | (add_nonblock ? O_NONBLOCK : 0));
  how.mode = Creates(flags) ? (mode & 07777) : 0;
  return how;
}

// The common case in one lookup: an absolute path opened whole from the tracee's root
// (RESOLVE_IN_ROOT), as the tracee, refusing every symlink, magic link and mount crossing
// (RESOLVE_NO_SYMLINKS, _NO_MAGICLINKS, _NO_XDEV). Where it succeeds, the kernel met no symlink
// (the walker would have followed none either: nothing of the view's rules applies) and stayed on
// the root's mount, which is not procfs: it looked up what the tracee's own open looks up, with
// its ids, and an error is the tracee's own (the lookup failed before any symlink: ELOOP comes
// first where one is on the way). *WALK: the kernel met a symlink, a mount or a `..` raced by a
// rename (ELOOP, EXDEV, EAGAIN), or a name it must not open: the walk decides, as before.
// The supervisor must never open a FIFO, device or socket itself (it may wait, or act on the
// opener: a FIFO's waiting writer released, a tape rewound). Where the flags cannot open one (an
// O_DIRECTORY open gives ENOTDIR before any driver's open; O_CREAT|O_EXCL never opens an existing
// name; O_PATH opens no file) the open goes first; else the name is looked at before (an lstat of
// the whole path: a hint, which named the file the open then opens only if nothing was renamed
// between: the race the walk's lstat of the last name had too, caught by the fstat after the open).
long WholePathOpen(const Bases& b, const std::string& path, int flags, mode_t mode, struct stat* opened, bool may_block, bool* walk) {
  *walk = true;
  // From the supervisor's own root only: it is the tracee's (so `..` stops where the tracee's
  // stops, for the hint below too), and it is not procfs (checked once: RESOLVE_NO_XDEV then keeps
  // the lookup off procfs, where "self" and the supervisor's own entries would answer). Relative
  // paths and other roots take the walk.
  if (path[0] != '/' || !b.own_root) return 0;
  int base = b.root;
  bool is_path = (flags & O_PATH) != 0;
  bool opens_none = is_path || (flags & O_DIRECTORY) || ((flags & O_CREAT) && (flags & O_EXCL));
  if (!opens_none) {
    struct stat st;
    size_t first = path.find_first_not_of('/');
    const char* rel = first == std::string::npos ? "." : path.c_str() + first;
    if (fstatat(base, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && (S_ISLNK(st.st_mode) || Special(st.st_mode))) return 0;
  }
  // Where the caller may wait as the tracee's own open would, no O_NONBLOCK (nor the F_SETFL that
  // takes it off again): a lease break waits as the tracee's open would. What the hint found, or
  // failed to find, the open finds too (the same lookup with the same ids: the stat needs search
  // permission only, the open that and more), unless a name changed meanwhile; one changed into a
  // FIFO or a device may then wait as the tracee's open would, and is found by the fstat after.
  bool add_nonblock = !is_path && !(flags & O_NONBLOCK) && !may_block;
  struct open_how how = HowOf(flags, mode, is_path, add_nonblock);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
  long fd = OpenLeased(base, path.c_str(), &how, &add_nonblock, may_block);
  if (fd == -ELOOP || fd == -EXDEV || fd == -EAGAIN) return 0;
  *walk = false;
  if (fd < 0 || is_path) return fd;
  return Opened(fd, how, add_nonblock, opened);
}

// *opened (if given): what fstat says of the file opened (not for O_PATH; st_ino 0 if unknown).
// MAY_BLOCK: the caller may wait as the tracee's own open would (see NativePathRequest.may_block).
long DoOpen(const Tracee& t, const Bases& b, const std::string& path, int flags, mode_t mode, struct stat* opened, bool may_block) {
  AsTracee as(t, false, Creates(flags));
  if (!as.ok()) return -EPERM;
  bool walk;
  long whole = WholePathOpen(b, path, flags, mode, opened, may_block, &walk);
  if (!walk) return whole;
  bool excl_create = (flags & O_CREAT) && (flags & O_EXCL);
  LastMode lm = (flags & O_NOFOLLOW) || excl_create ? kNoFollow : kFollow;
  Resolved r;
  int w = Walk(b, path, lm, &r);
  if (w < 0) return w;
  bool is_path = (flags & O_PATH) != 0;
  struct stat st;
  // What the walk found at the last name, if it looked (no second lstat), else a look now.
  bool found = r.has_last_st || fstatat(r.dir.get(), r.last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (r.has_last_st) st = r.last_st;
  if (!is_path && found && Special(st.st_mode)) return kFallback;
  // Where the caller may wait as the tracee's own open would, an existing regular file needs no
  // O_NONBLOCK (nor the F_SETFL that takes it off again): see WholePathOpen.
  bool add_nonblock = !is_path && !(flags & O_NONBLOCK) && !(may_block && found && S_ISREG(st.st_mode));
  struct open_how how = HowOf(flags, mode, is_path, add_nonblock);
  // The walker resolved every symlink; a name swapped for one meanwhile fails with ELOOP.
  how.resolve = RESOLVE_NO_SYMLINKS;
  long fd = OpenLeased(r.dir.get(), r.last.c_str(), &how, &add_nonblock, may_block);
  if (fd < 0 || is_path) return fd;
  return Opened(fd, how, add_nonblock, opened);
}

// The request parsed: the tracee's identity, the bases, the open. The fd, -errno or kFallback.
// *opened (if given): the opener's process and the file (see OpenAsNative).
// NATIVE: a native plan's request (its pending check, see NativePathRequest).
// GIVEN: the call's identity, if read already (see IdentityValue).
long Open(pid_t tid, int dirfd, const std::string& path, int flags, mode_t mode, bool cached, Bases* b, OpenedFile* opened = nullptr,
          bool may_block = false, const NativePathRequest* native = nullptr, const Tracee* given = nullptr) {
  if (path.empty()) return -ENOENT;
  Tracee t;
  bool umask = Creates(flags);
  int r = native ? GetTraceeOfCall(tid, &t, umask, cached, native->pending, native->known) : GetTraceeOrGiven(tid, &t, umask, cached, given);
  if (r < 0) return r;
  if (t.foreign_userns) return kFallback;
  if ((r = OpenBases(t, dirfd, path, b)) < 0) return r;
  struct stat st = {};
  long fd = DoOpen(t, *b, path, flags, mode, opened ? &st : nullptr, may_block);
  if (opened && fd >= 0) *opened = {t.tgid, (uint64_t)st.st_dev, (uint64_t)st.st_ino};
  return fd;
}

// openAs({ tid, dirfd, path, flags, mode, resolve?, cached?, identity? }) -> supervisor fd, -errno,
// or FALLBACK (OpenRequest in src/native/binding.ts). cached: the identity cache may be used (see
// GetTracee); identity: the call's, read once (see IdentityValue).
Napi::Value OpenAs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "openAs")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "openAs");
  pid_t tid = (pid_t)q.Num("tid");
  int dirfd = (int)q.Num("dirfd");
  std::string path = q.Str("path");
  int flags = (int)q.Num("flags");
  mode_t mode = (mode_t)q.Num("mode");
  double resolve = q.OptionalNum("resolve", 0);
  bool cached = q.OptionalBool("cached");
  const Tracee* given = q.OptionalIdentity();
  Bases b;
  if (!q.ok() || !ParseView(env, q.Get("view"), &b.view)) return env.Undefined();
  // openat2's resolve flags constrain the whole walk: let the kernel do it.
  if (resolve != 0 && !path.empty()) return Napi::Number::New(env, kFallback);

  return Napi::Number::New(env, (double)Open(tid, dirfd, path, flags, mode, cached, &b, nullptr, false, nullptr, given));
}

// scriptHead({ tid, fd, cached?, identity? }) -> the first BINPRM_BUF_SIZE (256) bytes of the file behind the
// supervisor's O_PATH fd `fd` (from openAs, walked as the tracee), as the kernel reads a program
// to choose its format: only if the tracee may execute it (a regular file, exec permission checked
// as the tracee on that very file), and whatever its read permission (the kernel reads it without
// one; an execute-only `#!` script runs natively). Read by the supervisor, so a file it may not read
// itself gives -EACCES. -errno otherwise (EACCES: not executable by the tracee).
Napi::Value ScriptHead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "scriptHead")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "scriptHead");
  pid_t tid = (pid_t)q.Num("tid");
  int fd = (int)q.Num("fd");
  bool cached = q.OptionalBool("cached");
  const Tracee* given = q.OptionalIdentity();
  if (!q.ok()) return env.Undefined();
  struct stat st;
  if (fstat(fd, &st) < 0) return Napi::Number::New(env, -errno);
  if (!S_ISREG(st.st_mode)) return Napi::Number::New(env, -EACCES);
  Tracee t;
  int r = GetTraceeOrGiven(tid, &t, false, cached, given);
  if (r < 0) return Napi::Number::New(env, r);
  {
    AsTracee as(t, false, false);
    if (!as.ok()) return Napi::Number::New(env, -EPERM);
    if (syscall(SYS_faccessat2, fd, "", X_OK, AT_EACCESS | AT_EMPTY_PATH) < 0) return Napi::Number::New(env, -errno);
  }
  int rd = open(("/proc/self/fd/" + std::to_string(fd)).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (rd < 0) return Napi::Number::New(env, -errno);
  char head[256];
  ssize_t n = pread(rd, head, sizeof head, 0);
  int err = errno;
  close(rd);
  if (n < 0) return Napi::Number::New(env, -err);
  return Napi::Buffer<char>::Copy(env, head, (size_t)n);
}

// forgetTracee({ tid, wholeProcess?, rootChange?, identity? }): the thread enters a call that
// changes its credentials (see GetTracee); wholeProcess for execve (the thread may become its
// process's leader); rootChange for chroot, pivot_root, unshare, setns. identity: the call's (see
// IdentityValue), which names its process when the cache does not.
Napi::Value ForgetTraceeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!Request::From(info, "forgetTracee")) return env.Undefined();
  Request q(env, info[0].As<Napi::Object>(), "forgetTracee");
  pid_t tid = (pid_t)q.Num("tid");
  bool whole = q.OptionalBool("wholeProcess"), root = q.OptionalBool("rootChange");
  const Tracee* given = q.OptionalIdentity();
  if (!q.ok()) return env.Undefined();
  ForgetTracee(tid, whole, root, given && given->tid == tid ? given->tgid : 0);
  return env.Undefined();
}

// traceeIdentity(tid) -> the identity of thread TID read from /proc (see IdentityValue), or -errno.
Napi::Value TraceeIdentity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "tid")) return env.Undefined();
  Tracee t;
  int r = GetTracee(info[0].As<Napi::Number>().Int32Value(), &t, false, false);
  return r < 0 ? Napi::Number::New(env, r) : IdentityValue(env, t);
}

// resetTraceeCache(): empties the identity cache (see ResetTraceeCache).
Napi::Value ResetTraceeCacheJs(const Napi::CallbackInfo& info) {
  ResetTraceeCache();
  return info.Env().Undefined();
}

// traceeCacheSizes() -> { cached, rootChanged }: what the identity cache holds.
Napi::Value TraceeCacheSizesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TraceeCacheSizes z = GetTraceeCacheSizes();
  Napi::Object out = Napi::Object::New(env);
  out.Set("cached", Napi::Number::New(env, (double)z.cached));
  out.Set("rootChanged", Napi::Number::New(env, (double)z.root_changed));
  return out;
}

}  // namespace

long OpenAsNative(const NativePathRequest& q, OpenedFile* opened) {
  if (q.flags & O_PATH) return kFallback;
  Bases b;
  b.view = q.view;
  return Open(q.tid, q.dirfd, q.path, q.flags, (mode_t)q.mode, q.cached, &b, opened, q.may_block, &q);
}

void InitEmulate(Napi::Env env, Napi::Object exports) {
  exports.Set("scriptHead", Napi::Function::New(env, ScriptHead, "scriptHead"));
  exports.Set("openAs", Napi::Function::New(env, OpenAs, "openAs"));
  exports.Set("EMULATE_FALLBACK", Napi::Number::New(env, kFallback));
  exports.Set("forgetTracee", Napi::Function::New(env, ForgetTraceeJs, "forgetTracee"));
  exports.Set("traceeIdentity", Napi::Function::New(env, TraceeIdentity, "traceeIdentity"));
  exports.Set("resetTraceeCache", Napi::Function::New(env, ResetTraceeCacheJs, "resetTraceeCache"));
  exports.Set("traceeCacheSizes", Napi::Function::New(env, TraceeCacheSizesJs, "traceeCacheSizes"));
  InitPathAs(env, exports);
  InitTask(env, exports);
  InitRewrite(env, exports);
}

}  // namespace emulate

// module.cc calls sysvisor::InitEmulate.
void InitEmulate(Napi::Env env, Napi::Object exports) { emulate::InitEmulate(env, exports); }

}  // namespace sysvisor
