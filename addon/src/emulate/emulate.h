// The parts of the emulation module (addon/src/emulate), registered by InitEmulate.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <sys/user.h>
#include <utility>
#include <vector>

namespace sysvisor {
namespace emulate {

void InitEmulate(Napi::Env env, Napi::Object exports);
// pathAs(): path calls other than open, run as the tracee (path_as.cc).
void InitPathAs(Napi::Env env, Napi::Object exports);
// taskInfo(): what /proc says about a thread (task.cc).
void InitTask(Napi::Env env, Napi::Object exports);
// rewriteContinue(): rewrite arguments in place for a CONTINUE, restored at syscall exit (rewrite.cc).
void InitRewrite(Napi::Env env, Napi::Object exports);

// A path call run as the tracee from C++, as pathAs and openAs run it (the pump's native plans):
// the operations stat, statx, access, readlink, getxattr, listxattr, setxattr, removexattr, chown,
// mkdir and utimens (PathAsNative; the xattr calls follow unless flags has AT_SYMLINK_NOFOLLOW,
// setxattr's own flags are xflags), their outputs into out (getxattr's and listxattr's may be
// null), utimens's times and setxattr's value from in (utimens: none is now); open
// (OpenAsNative: flags and mode as the kernel cleaned them, no output).
struct NativePathRequest {
  const char* op = "";
  pid_t tid = 0;
  int dirfd = 0;
  std::string path;
  std::string name;  // the xattr calls' attribute name
  int flags = 0;
  int xflags = 0;  // setxattr's XATTR_CREATE/XATTR_REPLACE
  uint32_t mode = 0, mask = 0;
  uint32_t uid = 0, gid = 0;  // chown's
  uint8_t* out = nullptr;
  size_t out_len = 0;
  const uint8_t* in = nullptr;
  size_t in_len = 0;
  bool cached = false;
  // The caller may wait as long as the tracee's own call would (a thread with a stand-in that
  // receives meanwhile, unotify/receiver.h): an open of a file under a lease waits for its break.
  // Otherwise such an open is kFallback.
  bool may_block = false;
  std::vector<std::pair<std::string, int>> view;  // as pathAs's `view`
  // Whether the tracee's call is still pending (the caller's check: seccomp's ID_VALID), asked
  // once the identity is known and before anything is done as the tracee; false: kGone. Not asked
  // when the identity was proven by a cached pidfd older than `known` (tracee.h, TraceeGeneration,
  // read before the call was received): the thread that made the call is then alive, and the path
  // was read from it. Null: the caller checked before.
  std::function<bool()> pending;
  uint64_t known = 0;
};
// The result, -errno, kFallback (tracee.h: the kernel must run it; another operation too) or
// kGone (see pending).
long PathAsNative(const NativePathRequest& q);
// What an open gave: the opener's process (tgid) and the file's device and inode (ino 0: unknown).
struct OpenedFile {
  pid_t tgid = 0;
  uint64_t dev = 0, ino = 0;
};
// The supervisor's fd of the file opened as the tracee (the caller installs it and closes it),
// -errno, kFallback (O_PATH too: ADDFD cannot install it) or kGone. *opened (if given) is set with a fd.
long OpenAsNative(const NativePathRequest& q, OpenedFile* opened = nullptr);

// At the stop that ends a successful execve of thread TID (traced by the calling thread; REGS its
// registers there): the new program's AT_EXECFN names NAME (rewrite.cc).
void PutExecFn(pid_t tid, struct user_regs_struct& regs, const std::string& name);

// Whether call `nr` of thread `tid`, just notified, is a call rewritten in place that the kernel
// restarts (see rewrite.cc: the rewrite's own interrupt ended the call's sleep): the pump continues
// it with the bytes written, unseen by the engines, which saw and answered the call once.
bool RestartedRewrite(pid_t tid, int nr);

}  // namespace emulate
}  // namespace sysvisor
