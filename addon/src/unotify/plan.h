// Native plans (src/chain/plan.ts): the C++ interpreter of a path plan, and what the pump needs to
// run a call under the plans of its whole chain without entering JS (pump.cc, RunNative).
#pragma once
#include <napi.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sysvisor {
namespace unotify {

struct PathPlan {
  std::string prefix;  // one absolute component, a byte string
  int levels = 0;      // at most this many leading copies stripped
};

// planPath of src/chain/plan.ts: 1 with *out the mapped path, 0 when the path is left as it is,
// -1 when the engine must see it (its walk). WALKED: `..` after the prefix is left to the
// executor's own walk (see plan.ts).
int PlanPath(const PathPlan& plan, const std::string& path, std::string* out, bool walked = false);

// The plans of a call's chain, innermost first, applied to its path: true with *out the path for
// the kernel when every plan strips its prefix and leaves nothing its engine must see. Otherwise
// (a plan leaves the path as it is, or needs its engine) the call goes to JS. *levels (if given):
// how many copies each plan stripped. WALKED as for PlanPath.
bool ApplyPlans(const std::vector<PathPlan>& chain, const std::string& path, std::string* out, std::vector<int>* levels = nullptr, bool walked = false);

// A syscall the pump runs under the plans of its chain: the emulation's operation and where its
// operands are among the call's arguments (-1: none; no dirfd is AT_FDCWD), from NATIVE_CALLS
// (src/chain/emulate/native.ts).
struct NativeCall {
  // a pathAs operation (stat, statx, access, readlink, getxattr, listxattr, setxattr, removexattr,
  // chown, mkdir, utimens), or open (openAs)
  std::string op;
  int8_t dirfd = -1, path = 0, out = -1, size = -1, name = -1, flags = -1, mode = -1, mask = -1, uid = -1, gid = -1;
  int8_t input = -1;  // an input read from the tracee: utimens's struct timespec[2] (NULL: now), setxattr's value
  int8_t xflags = -1;  // setxattr's XATTR_CREATE/XATTR_REPLACE
  int fixed_flags = 0;          // flags the call always has (lstat: AT_SYMLINK_NOFOLLOW)
  uint32_t plain_flags = ~0u;   // a call with flags outside these goes to JS (open: O_PATH...)
  std::vector<PathPlan> chain;  // innermost first; also the view of symlink targets
  bool cached = false;          // the identity cache may serve it (see GetTracee)
  uint32_t record_opens = 0;    // an open: bit i, plan i of the chain records the files it opens (opened.h)
  bool nofollow = false;        // the syscall table's NOFOLLOW fact: a final symlink is never followed
};

// The `native` field of setFastPath (FastPathConfig in src/native/binding.ts): [{ nr, op, dirfd,
// path, out, size, flags, mode, mask, fixedFlags, chain: [prefix, levels, ...], cached }] into
// (*out)[nr] (out sized by syscall number), for the pump and the ptrace tracer alike. False when
// malformed (an index or number out of range, an unknown op).
bool NativeCallsFrom(Napi::Value v, std::vector<std::unique_ptr<NativeCall>>* out);

}  // namespace unotify
}  // namespace sysvisor
