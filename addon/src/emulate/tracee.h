// Acting as the tracee: its identity (read from /proc/TID/status), a scope that gives the calling
// supervisor thread that identity, and a path walker that resolves a tracee's path the way the
// kernel would for it (its root, cwd or dirfd; its permissions; symlinks and "..") while refusing
// to enter procfs, where "self" and the supervisor's own entries would give the wrong answer.
#pragma once
#include <napi.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sysvisor {
namespace emulate {

// Returned instead of -errno when the supervisor must not run the call itself (the path enters
// procfs, the open would reach a device or FIFO, the tracee is in another user namespace, ...):
// the caller then rewrites the path in place and lets the kernel run the call as the tracee.
constexpr int kFallback = -100000;
// Returned when the tracee's call was found gone before anything was done for it (see
// NativePathRequest::pending): nothing to answer.
constexpr int kGone = -100001;

struct Tracee {
  pid_t tid = 0, tgid = 0, ppid = 0;
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  mode_t umask = 022;
  uint64_t cap_eff = 0, cap_prm = 0;
  bool foreign_userns = false;  // in another user namespace than the supervisor
  // Its root is the supervisor's (same directory, same mount namespace): known only for cached
  // identities (see GetTracee), then absolute paths start at the supervisor's own "/".
  bool own_root = false;
};

// Reads the identity of thread TID from /proc/TID/status. 0 or -errno (-ESRCH when it is gone).
int ReadTracee(pid_t tid, Tracee* t);

// The identity of thread TID, from a cache when USE_CACHE (the call comes through an engine that
// sees the thread's credential changes: only such calls fill and read the cache): a cached entry
// holds a pidfd of the thread, and is used only while that thread is alive with the same uids and
// gids (PIDFD_GET_INFO, far cheaper than /proc/TID/status). That engine must call
// ForgetTracee when the thread enters a call that changes its credentials (setuid family,
// setgroups, capset, execve, unshare, setns): creds are per thread and only the thread itself
// changes them, so nothing else can be emulated for it until that call is over. The umask (shared
// by the threads of a process) is never cached: NEED_UMASK reads it afresh.
// *proof (if given): the generation of the cached entry whose pidfd showed the thread alive with
// these ids (see TraceeGeneration), or UINT64_MAX when the identity was not taken from the cache.
int GetTracee(pid_t tid, Tracee* t, bool need_umask, bool use_cache, uint64_t* proof = nullptr);
// The cache's generation: each entry gets the next one when it is made (after its pidfd is). A
// call received after this was read, of a thread whose identity GetTracee then proves with an
// entry of this generation or older, is that thread's: the entry's pidfd was taken before the
// call was received and the thread was alive at the proof, so no other thread had its tid in
// between (a tid names one live thread at a time).
uint64_t TraceeGeneration();
// GetTracee for a call whose path was read before: then PENDING (the caller's check that the call
// is still pending, if any) unless the identity was proven by an entry of generation KNOWN or
// older. kGone when the call is gone.
int GetTraceeOfCall(pid_t tid, Tracee* t, bool need_umask, bool use_cache, const std::function<bool()>& pending, uint64_t known);
// A call's identity, read once from /proc (traceeIdentity() in JS) and handed to each step of that
// same call (pathAs, openAs, scriptHead, forgetTracee, taskInfo as `identity`), for the calls that
// may not use the cache (execve: it may change the credentials, so no entry may outlive it). Only
// the thread itself changes its credentials, and it cannot while its call is pending (a signal
// that interrupts it makes a new call), so one read after the call was received holds for every
// step of that call; the engine keeps it on the call (Syscall.memo), never across calls.
Napi::Value IdentityValue(Napi::Env env, const Tracee& t);
// The identity held by V (a value made by IdentityValue), or nullptr when V is undefined; a value
// of another kind throws the entry's TypeError (then *ok is false).
const Tracee* IdentityOf(Napi::Env env, Napi::Value v, const char* entry, bool* ok);
// GetTracee, or GIVEN (a call's identity, see IdentityValue) when it is thread TID's and the
// umask is not needed (shared by the process's threads: another may change it, so read afresh).
int GetTraceeOrGiven(pid_t tid, Tracee* t, bool need_umask, bool use_cache, const Tracee* given);
// ROOT_CHANGE (chroot, pivot_root, unshare, setns): the process's root may change; it is never
// again assumed to be the supervisor's (its threads share it, so this is for good).
// TGID: the thread's process when the caller knows it (else read from the cache or /proc).
void ForgetTracee(pid_t tid, bool whole_process = false, bool root_change = false, pid_t tgid = 0);
// Empties the cache: whoever serves calls with USE_CACHE does it when the engines that see
// credential changes may have changed (what happened while nobody watched is unknown).
void ResetTraceeCache();
// What the cache holds (the identities, the processes whose root changed), for the tests of its
// bounds.
struct TraceeCacheSizes {
  size_t cached, root_changed;
};
TraceeCacheSizes GetTraceeCacheSizes();

// While alive, the calling thread has the tracee's filesystem identity: fsuid/fsgid (or, for
// access(2) semantics, its real uid/gid), supplementary groups, umask and effective capabilities
// (never more than the supervisor's). Per-thread raw syscalls only; restored on destruction.
// setfsuid and setfsgid fail silently (they return the previous id either way): ok() says whether
// the switch took, checked by a read-back of each id changed (a syscall each). CHECK_AFTER, for a
// call without side effects: no read-back; the ids in force during the call are what the restore
// returns, and Restore() says whether they were the tracee's (when not, the caller must discard
// the call's result and outputs: the call may have run with the supervisor's ids).
// On a thread that runs nothing but native plans between calls (the pump's receiving threads): a
// tracee's filesystem ids (fsuid, fsgid, groups) stay in force after its call, so that the next
// call of the same ids switches only the capabilities (2 commits of credentials instead of 6).
// Between calls the thread has its own capabilities (reading and writing tracee memory checks the
// real ids, never changed, and these); every step that reaches files as the supervisor (/proc reads
// for a tracee's identity, root and bases) gives the ids back first (DropKeptIdentity).
void KeepIdentityOnThisThread();
void DropKeptIdentity();

class AsTracee {
 public:
  // SET_UMASK: the call creates files (only then is the tracee's umask needed and applied).
  explicit AsTracee(const Tracee& t, bool real_ids = false, bool set_umask = true, bool check_after = false);
  ~AsTracee() { Restore(); }
  AsTracee(const AsTracee&) = delete;
  AsTracee& operator=(const AsTracee&) = delete;
  bool ok() const { return ok_; }
  // Gives the thread back its own identity (once; later calls only repeat the answer): true when
  // the tracee's ids were in force until then.
  bool Restore();

 private:
  bool ok_ = false, restored_ = false, held_ = true;
  bool keep_ = false, in_kept_ = false;  // see KeepIdentityOnThisThread
  bool set_groups_ = false, set_gid_ = false, set_uid_ = false, set_caps_ = false, set_umask_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  mode_t old_umask_ = 0;
};

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Where a tracee path starts: its root (for absolute paths and absolute symlinks) and its cwd or
// dirfd (for relative ones). Opened as the supervisor, before taking the tracee's identity.
struct Bases {
  // The root: the supervisor's own (borrowed: open for the life of the addon, never closed) or
  // the tracee's (owned, in root_owned).
  int root = -1;
  Fd root_owned;
  bool own_root = false;  // root is the supervisor's (not on procfs: checked once)
  Fd start;  // cwd or dirfd; unset for absolute paths
  struct stat root_st {};
  // The views of the engines on the call's way (innermost first): prefix, levels. An absolute
  // symlink target is what the program wrote, in its view: each engine strips up to `levels`
  // leading copies of its prefix (whole components) before the walk goes on from the root, so a
  // link naming /unreal/... lands where it would under a real /unreal (see ViewTarget).
  std::vector<std::pair<std::string, int>> view;
};

// Reads the optional `view` field of a request ([prefix, levels][], byte strings) into *view.
// False (a TypeError thrown) when it is malformed.
bool ParseView(Napi::Env env, Napi::Value v, std::vector<std::pair<std::string, int>>* view);

// Opens the bases of a path for thread T. 0 or -errno (EBADF for a bad dirfd).
int OpenBases(const Tracee& t, int dirfd, const std::string& path, Bases* b);

// The directory holding the last component of a path, and that component.
struct Resolved {
  Fd dir;
  std::string last;  // a name, ".", or ".."; keeps a trailing slash of the path
  // When the walk looked at the last name (a final symlink to follow?) and found no symlink: what
  // it found (lstat), for a caller that needs it (open's check for devices and FIFOs).
  bool has_last_st = false;
  struct stat last_st {};
  // The walk followed a symlink whose target names a view (see Bases::view): set even when the
  // walk then fails (the ptrace transport realizes such a path itself, see addon/src/ptrace/).
  bool via_view = false;
};

// What to do with a final symlink: follow it (stat, open, chmod...), leave it (lstat, readlink,
// lchown...; a trailing slash still follows, as in the kernel), or only find its directory
// (mkdir, unlink, rename...: the kernel handles the name, trailing slash included).
// kFollowLazy: like kFollow, but the caller acts without following and calls Walk again with
// kFollow when it finds a symlink (stat: saves a syscall in the common case).
enum LastMode { kFollow, kNoFollow, kParent, kFollowLazy };

// Resolves PATH as the tracee (call inside AsTracee): every component but the last, and the
// last too when MODE says so and it is a symlink. Symlinks are read and followed by the walker
// (never by the kernel on its behalf), so a racing tracee can't redirect the supervisor. Returns
// 0, -errno, or kFallback when the walk would enter procfs.
int Walk(const Bases& b, const std::string& path, LastMode mode, Resolved* out);

// "/proc/self/fd/DIR/LAST": a path for the calls that have no *at form.
std::string ProcPath(const Resolved& r);

}  // namespace emulate
}  // namespace sysvisor
