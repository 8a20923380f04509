// The ptrace transport runs path calls in the kernel, never emulated: a symlink on the way whose
// target names an engine's view (a venv's bin/python3 -> /unreal/usr/bin/python3) would be followed
// on the real tree, where it dangles. Under unotify the emulation's walker follows such a link in
// the view (ViewTarget in emulate/tracee.cc); here the same walker, as the tracee, resolves the path
// and the transport gives the kernel the real path it reached instead.
//
// viewPath({ tid, dirfd, path, follow, view, cached? }) ->
//   null       nothing to change: no symlink naming the view on the way (or the walk enters
//              procfs, the tracee is in another user namespace, the real path cannot be named):
//              the kernel resolves the path as it is;
//   string     the real path the walk reached (a byte string), from the tracee's root: its
//              directory resolved, its last component as given (followed first when `follow`
//              and it is a symlink), so the kernel still acts on the name as the call says;
//   -errno     the walk failed after following such a link: the call's answer (the kernel,
//              following the link on the real tree, would fail otherwise).
#include "common.h"
#include "emulate/request.h"
#include "emulate/tracee.h"
#include "ptrace/view_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace sysvisor {
namespace {

using emulate::Bases;
using emulate::Resolved;

// The path of an open directory as the supervisor's /proc/self/fd names it, or "" (unreachable).
std::string FdPath(int fd) {
  char buf[4096 + 1];
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0 || n >= (ssize_t)sizeof buf - 1 || buf[0] != '/') return "";
  return std::string(buf, (size_t)n);
}

// The directory's path from the tracee's root, checked to name that very directory from there
// (a directory removed meanwhile, or one outside the root, has none): "" when there is none.
std::string PathFromRoot(const Bases& b, int dir) {
  std::string root = FdPath(b.root), d = FdPath(dir);
  if (root.empty() || d.empty()) return "";
  if (root != "/") {
    if (d.compare(0, root.size(), root) != 0 || (d.size() > root.size() && d[root.size()] != '/')) return "";
    d = d.size() == root.size() ? "/" : d.substr(root.size());
  }
  struct stat want, got;
  const char* rel = d == "/" ? "." : d.c_str() + 1;
  if (fstat(dir, &want) != 0 || fstatat(b.root, rel, &got, AT_SYMLINK_NOFOLLOW) != 0) return "";
  if (want.st_dev != got.st_dev || want.st_ino != got.st_ino) return "";
  return d;
}

// An absolute path that resolves from thread TID's root without meeting a symlink (a final one
// only when FOLLOW), or fails before any (ENOENT, ENOTDIR): no link on its way can name a view, and
// the walk as the tracee (its ids read, its bases opened: ~10x the cost) is not needed. Resolved as
// the supervisor, O_PATH, in the tracee's root (RESOLVE_IN_ROOT: `..` stays there, as for the
// tracee): a symlink even the tracee could not reach sends the path to the walk, which decides.
bool NoSymlinkOnTheWay(pid_t tid, const std::string& path, bool follow) {
  if (path.empty() || path[0] != '/') return false;
  char root[32];
  snprintf(root, sizeof root, "/proc/%d/root", (int)tid);
  int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  struct open_how how = {};
  how.flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS;
  long fd = syscall(SYS_openat2, dir, path.c_str(), &how, sizeof how);
  int e = errno;
  close(dir);
  if (fd >= 0) {
    close((int)fd);
    return true;
  }
  return e == ENOENT || e == ENOTDIR;
}

Napi::Value ViewPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!emulate::Request::From(info, "viewPath")) return env.Undefined();
  emulate::Request q(env, info[0].As<Napi::Object>(), "viewPath");
  pid_t tid = (pid_t)q.Num("tid");
  int dirfd = (int)q.Num("dirfd");
  std::string path = q.Str("path");
  bool follow = q.Bool("follow");
  bool cached = q.OptionalBool("cached");
  if (!q.ok()) return env.Undefined();
  std::vector<std::pair<std::string, int>> view;
  if (!emulate::ParseView(env, q.Get("view"), &view)) return env.Undefined();
  std::string real;
  int r = ptrace::ViewPathOf(tid, dirfd, path, follow, view, cached, &real);
  if (r < 0) return Napi::Number::New(env, r);
  if (r == 0) return env.Null();
  return NewLatin1(env, real);
}

}  // namespace

namespace ptrace {

int ViewPathOf(pid_t tid, int dirfd, const std::string& path, bool follow, const std::vector<std::pair<std::string, int>>& view, bool cached, std::string* out) {
  if (path.empty() || view.empty()) return 0;
  if (NoSymlinkOnTheWay(tid, path, follow)) return 0;
  Bases b;
  b.view = view;
  emulate::Tracee t;
  if (emulate::GetTracee(tid, &t, false, cached) < 0 || t.foreign_userns) return 0;
  if (emulate::OpenBases(t, dirfd, path, &b) < 0) return 0;  // the kernel says the same
  Resolved r;
  int w;
  {
    emulate::AsTracee as(t, false, false);
    if (!as.ok()) return 0;
    w = emulate::Walk(b, path, follow ? emulate::kFollow : emulate::kParent, &r);
  }
  if (!r.via_view || w == emulate::kFallback) return 0;
  if (w < 0) return w;
  std::string dir = PathFromRoot(b, r.dir.get());
  if (dir.empty()) return 0;
  *out = dir == "/" ? "/" + r.last : dir + "/" + r.last;
  return 1;
}

}  // namespace ptrace

void InitViewPath(Napi::Env env, Napi::Object exports) {
  exports.Set("viewPath", Napi::Function::New(env, ViewPath, "viewPath"));
}

}  // namespace sysvisor
