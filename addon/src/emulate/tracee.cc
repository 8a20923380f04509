// The tracee's identity, the AsTracee scope and the path walker (see tracee.h).
#include "emulate/tracee.h"

#include "common.h"

#include "emulate/task.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace sysvisor {
namespace emulate {
namespace {

constexpr int kMaxSymlinks = 40;

// "user:[INO]" of a process, or "" when unreadable.
std::string UserNs(const std::string& proc) {
  char buf[64];
  ssize_t n = readlink((proc + "/ns/user").c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, (size_t)n) : std::string();
}

thread_local bool fs_unshared = false;

int CapGet(uint32_t out[6]) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {};
  if (syscall(SYS_capget, &h, d) != 0) return -1;
  out[0] = d[0].effective, out[1] = d[1].effective;
  out[2] = d[0].permitted, out[3] = d[1].permitted;
  out[4] = d[0].inheritable, out[5] = d[1].inheritable;
  return 0;
}

int CapSet(const uint32_t in[6]) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {};
  d[0].effective = in[0], d[1].effective = in[1];
  d[0].permitted = in[2], d[1].permitted = in[3];
  d[0].inheritable = in[4], d[1].inheritable = in[5];
  return (int)syscall(SYS_capset, &h, d);
}

bool IsProcFs(int fd) {
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

// Splits a path into components ("" and "." dropped except as described by the walker).
void Split(const std::string& p, std::deque<std::string>* out, bool front) {
  std::deque<std::string> parts;
  size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && p[i] == '/') i++;
    size_t j = i;
    while (j < p.size() && p[j] != '/') j++;
    if (j > i) parts.emplace_back(p.substr(i, j - i));
    i = j;
  }
  if (front) out->insert(out->begin(), parts.begin(), parts.end());
  else out->insert(out->end(), parts.begin(), parts.end());
}

int DupFd(int fd) {
  int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return r < 0 ? -errno : r;
}

// readlinkat as a string; -errno on failure.
int ReadLink(int dirfd, const char* name, std::string* out) {
  char buf[4096];
  ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
  if (n < 0) return -errno;
  if ((size_t)n >= sizeof buf) return -ENAMETOOLONG;
  out->assign(buf, (size_t)n);
  return 0;
}

}  // namespace

int ReadTracee(pid_t tid, Tracee* t) {
  static const std::string own_userns = UserNs("/proc/self");
  std::string proc = "/proc/" + std::to_string(tid);
  TaskStatus s;
  int r = ReadStatus(tid, &s);
  if (r < 0) return r;
  t->tid = tid;
  t->tgid = s.tgid, t->ppid = s.ppid;
  t->ruid = s.ruid, t->euid = s.euid, t->suid = s.suid, t->fsuid = s.fsuid;
  t->rgid = s.rgid, t->egid = s.egid, t->sgid = s.sgid, t->fsgid = s.fsgid;
  t->groups = std::move(s.groups);
  t->umask = s.umask;
  t->cap_eff = s.cap_eff, t->cap_prm = s.cap_prm;
  // Another user namespace matters for capabilities only (ids are shown mapped to ours).
  t->foreign_userns = false;
  if (t->cap_eff != 0 || t->cap_prm != 0) {
    std::string ns = UserNs(proc);
    t->foreign_userns = ns.empty() || ns != own_userns;
  }
  return 0;
}

namespace {

struct PidfdInfo {
  uint64_t mask, cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);
constexpr uint64_t kPidfdInfoCreds = 1UL << 1;
constexpr unsigned kPidfdThread = O_EXCL;
constexpr size_t kMaxCached = 1024;

struct Cached {
  Fd pidfd;
  Tracee t;
  uint64_t used = 0;
  uint64_t generation = 0;  // see TraceeGeneration
};
std::atomic<uint64_t> generation{0};

// Processes whose root may have changed since they were seen (chroot, setns...): for good, while
// they live. Keyed by tgid with the process's start time; an unprivileged user can announce a root
// change from as many processes as it can make (unshare needs no privilege), so the entries of
// processes gone (or whose pid was reused) are dropped whenever the set doubles: it stays within
// twice the live processes that announced one (plus kRootChangedPrune).
constexpr size_t kRootChangedPrune = 64;
std::unordered_map<pid_t, uint64_t>* root_changed = new std::unordered_map<pid_t, uint64_t>();
size_t root_changed_prune_at = kRootChangedPrune;

void NoteRootChange(pid_t tgid) {
  uint64_t start = 0;
  if (ReadStartTime(tgid, &start) < 0) return;  // gone: nothing of it is cached any more
  if (root_changed->size() >= root_changed_prune_at) {
    for (auto i = root_changed->begin(); i != root_changed->end();) {
      uint64_t now = 0;
      if (ReadStartTime(i->first, &now) < 0 || now != i->second) i = root_changed->erase(i);
      else ++i;
    }
    root_changed_prune_at = std::max(kRootChangedPrune, 2 * root_changed->size());
  }
  (*root_changed)[tgid] = start;
}

// The supervisor's root: an O_PATH fd, its stat, its mount namespace, whether it is on procfs.
struct OwnRoot {
  int fd = -1;
  struct stat st {};
  std::string mntns;
  bool proc = true;
};
const OwnRoot& Own() {
  static OwnRoot* o = [] {
    // Made once, at the first emulation that needs it (not by every supervisor: a run that
    // emulates nothing holds no fd of it), and as the supervisor: a receiving thread may still
    // hold a tracee's ids kept since its last call.
    DropKeptIdentity();
    auto* r = new OwnRoot();
    r->fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (r->fd >= 0) fstat(r->fd, &r->st);
    r->proc = r->fd < 0 || IsProcFs(r->fd);
    char buf[64];
    ssize_t n = readlink("/proc/self/ns/mnt", buf, sizeof buf);
    if (n > 0) r->mntns.assign(buf, (size_t)n);
    return r;
  }();
  return *o;
}

// Is thread TID's root the supervisor's? (Same directory in the same mount namespace.)
bool SameRootAsOurs(pid_t tid) {
  const OwnRoot& o = Own();
  if (o.fd < 0 || o.mntns.empty()) return false;
  std::string proc = "/proc/" + std::to_string(tid);
  struct stat st;
  if (stat((proc + "/root").c_str(), &st) != 0 || st.st_dev != o.st.st_dev || st.st_ino != o.st.st_ino) return false;
  char buf[64];
  ssize_t n = readlink((proc + "/ns/mnt").c_str(), buf, sizeof buf);
  return n > 0 && o.mntns == std::string(buf, (size_t)n);
}

std::unordered_map<pid_t, Cached>* cache = new std::unordered_map<pid_t, Cached>();
uint64_t cache_clock = 0;
// The cache, root_changed and the exit set are shared by the threads that emulate calls (Node's,
// and the pump's receiving threads, which run native plans): every use is under this lock.
std::mutex* cache_m = new std::mutex();

// The exits of cached threads: every cached pidfd is in this epoll set (data: tid << 32 | fd; a
// thread pidfd polls readable once its thread has exited). Entries of exited threads are dropped
// at each new entry, so the cache does not keep a pidfd per process served. Closing a pidfd (an
// entry dropped for any reason) takes it out of the set. The set itself is one fd, made at the
// first entry and kept for the life of the addon (like Own().fd).
int exits = -1;

void DropExited() {
  if (exits < 0) return;
  struct epoll_event ev[64];
  int n = epoll_wait(exits, ev, 64, 0);
  for (int i = 0; i < n; i++) {
    pid_t tid = (pid_t)(ev[i].data.u64 >> 32);
    int fd = (int)(uint32_t)ev[i].data.u64;
    auto it = cache->find(tid);
    if (it != cache->end() && it->second.pidfd.get() == fd) cache->erase(it);
    else epoll_ctl(exits, EPOLL_CTL_DEL, fd, nullptr);  // not ours any more
  }
}

// Watches PIDFD of cached thread TID for its exit. False when it cannot (then it is not cached).
bool WatchExit(pid_t tid, int pidfd) {
  if (exits < 0 && (exits = epoll_create1(EPOLL_CLOEXEC)) < 0) return false;
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = (uint64_t)(uint32_t)tid << 32 | (uint32_t)pidfd;
  return epoll_ctl(exits, EPOLL_CTL_ADD, pidfd, &ev) == 0;
}

bool SameIds(const PidfdInfo& i, const Tracee& t) {
  return i.ruid == t.ruid && i.euid == t.euid && i.suid == t.suid && i.fsuid == t.fsuid &&
         i.rgid == t.rgid && i.egid == t.egid && i.sgid == t.sgid && i.fsgid == t.fsgid;
}

void Evict() {
  // Drop the least recently used half.
  std::vector<std::pair<uint64_t, pid_t>> ages;
  for (auto& [tid, c] : *cache) ages.emplace_back(c.used, tid);
  std::sort(ages.begin(), ages.end());
  for (size_t i = 0; i < ages.size() / 2; i++) cache->erase(ages[i].second);
}

}  // namespace

void ResetTraceeCache() {
  std::lock_guard<std::mutex> l(*cache_m);
  cache->clear();  // every pidfd closed, so the exit set is empty too
}

TraceeCacheSizes GetTraceeCacheSizes() {
  std::lock_guard<std::mutex> l(*cache_m);
  return {cache->size(), root_changed->size()};
}

void ForgetTracee(pid_t tid, bool whole_process, bool root_change, pid_t known_tgid) {
  std::lock_guard<std::mutex> l(*cache_m);
  // The thread's process: as the caller knows it, or as cached, or read from /proc.
  auto tgid_of = [&]() -> pid_t {
    if (known_tgid) return known_tgid;
    auto it = cache->find(tid);
    if (it != cache->end()) return it->second.t.tgid;
    Tracee t;
    return ReadTracee(tid, &t) == 0 ? t.tgid : 0;
  };
  if (root_change) {
    pid_t tgid = tgid_of();
    if (tgid) NoteRootChange(tgid);
  }
  if (!whole_process) {
    cache->erase(tid);
    return;
  }
  // execve: the thread may take over its process's id; forget every thread of the process.
  pid_t tgid = tgid_of();
  cache->erase(tid);
  if (tgid == 0) return;
  for (auto i = cache->begin(); i != cache->end();) {
    if (i->second.t.tgid == tgid) i = cache->erase(i);
    else ++i;
  }
}

uint64_t TraceeGeneration() { return generation.load(); }

int GetTracee(pid_t tid, Tracee* t, bool need_umask, bool use_cache, uint64_t* proof) {
  if (proof) *proof = UINT64_MAX;
  if (!use_cache) {
    DropKeptIdentity();  // /proc is read as the supervisor
    return ReadTracee(tid, t);
  }
  std::lock_guard<std::mutex> l(*cache_m);
  {
    auto it = cache->find(tid);
    if (it != cache->end()) {
      PidfdInfo info = {};
      info.mask = kPidfdInfoCreds;
      if (ioctl(it->second.pidfd.get(), kPidfdGetInfo, &info) == 0 && (info.mask & kPidfdInfoCreds) &&
          SameIds(info, it->second.t)) {
        it->second.used = ++cache_clock;
        if (proof) *proof = it->second.generation;
        *t = it->second.t;
        t->own_root = t->own_root && !root_changed->count(t->tgid);
        if (!need_umask) return 0;
        DropKeptIdentity();
        bool own_root = t->own_root;
        int r = ReadTracee(tid, t);  // the umask, afresh (shared by the process's threads)
        t->own_root = own_root && r == 0;
        return r;
      } else {
        cache->erase(it);
      }
    }
  }
  DropKeptIdentity();
  // The pidfd first: while it shows the thread alive, the tid read below is that thread's.
  int pidfd = (int)syscall(SYS_pidfd_open, tid, kPidfdThread);
  int r = ReadTracee(tid, t);
  if (r < 0 || pidfd < 0) {  // no PIDFD_THREAD before 6.9: not cached
    if (pidfd >= 0) close(pidfd);
    return r;
  }
  PidfdInfo info = {};
  info.mask = kPidfdInfoCreds;
  // No PIDFD_GET_INFO before 6.13: not cached.
  if (ioctl(pidfd, kPidfdGetInfo, &info) != 0 || !SameIds(info, *t)) {
    close(pidfd);
    return 0;
  }
  t->own_root = !root_changed->count(t->tgid) && SameRootAsOurs(tid);
  DropExited();
  if (cache->size() >= kMaxCached) Evict();
  cache->erase(tid);  // a stale entry: its pidfd leaves the exit set before the new one joins
  if (!WatchExit(tid, pidfd)) {
    close(pidfd);
    return 0;
  }
  Cached& c = (*cache)[tid];
  c.pidfd.reset(pidfd);
  c.t = *t;
  c.used = ++cache_clock;
  c.generation = generation.fetch_add(1) + 1;
  return 0;
}

int GetTraceeOfCall(pid_t tid, Tracee* t, bool need_umask, bool use_cache, const std::function<bool()>& pending, uint64_t known) {
  uint64_t proof;
  int r = GetTracee(tid, t, need_umask, use_cache, &proof);
  if (r < 0) return r;
  return pending && proof > known && !pending() ? kGone : 0;
}

namespace {
// The type tag of the identities IdentityValue makes (a value from elsewhere is refused).
constexpr napi_type_tag kIdentityTag = {0x5359535649534f52ULL, 0x4944454e54495459ULL};
}  // namespace

Napi::Value IdentityValue(Napi::Env env, const Tracee& t) {
  auto v = Napi::External<Tracee>::New(env, new Tracee(t), [](Napi::Env, Tracee* p) { delete p; });
  v.TypeTag(&kIdentityTag);
  return v;
}

const Tracee* IdentityOf(Napi::Env env, Napi::Value v, const char* entry, bool* ok) {
  *ok = true;
  if (v.IsUndefined()) return nullptr;
  if (v.IsExternal() && v.As<Napi::External<Tracee>>().CheckTypeTag(&kIdentityTag)) return v.As<Napi::External<Tracee>>().Data();
  ThrowType(env, std::string(entry) + ": field 'identity' must be a value from traceeIdentity()");
  *ok = false;
  return nullptr;
}

int GetTraceeOrGiven(pid_t tid, Tracee* t, bool need_umask, bool use_cache, const Tracee* given) {
  if (!given || given->tid != tid || need_umask) return GetTracee(tid, t, need_umask, use_cache);
  *t = *given;
  t->own_root = false;  // known only for cached identities (see Tracee)
  return 0;
}

// The supervisor thread's own identity, read once (nothing else changes it).
struct SelfId {
  bool init = false;
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  std::vector<gid_t> groups;
  uint32_t caps[6] = {};
};
thread_local SelfId self_id;

// A tracee's filesystem ids kept on this thread between calls (see KeepIdentityOnThisThread): what
// the switch that took them changed, verified then (only the thread itself changes its ids).
struct Kept {
  bool allowed = false;  // a receiving thread, which runs nothing else between calls
  bool active = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  bool set_uid = false, set_gid = false, set_groups = false;
};
thread_local Kept kept;

// Back to the supervisor's own ids (its capabilities are already back: see AsTracee::Restore).
void GiveBack(const SelfId& me, bool set_uid, bool set_gid, bool set_groups, bool* held, uid_t uid, gid_t gid) {
  // Each returns the id in force until now.
  if (set_uid && (uid_t)syscall(SYS_setfsuid, me.fsuid) != uid) *held = false;
  if (set_gid && (gid_t)syscall(SYS_setfsgid, me.fsgid) != gid) *held = false;
  if (set_groups) syscall(SYS_setgroups, me.groups.size(), me.groups.data());
  // Going back to fsuid 0 raised the file capabilities again: the set is exactly the old one.
  if (set_uid && (me.caps[0] != me.caps[2] || me.caps[1] != me.caps[3])) CapSet(me.caps);
}

void KeepIdentityOnThisThread() {
  kept.allowed = true;
}

void DropKeptIdentity() {
  if (!kept.active) return;
  kept.active = false;
  bool held = true;
  GiveBack(self_id, kept.set_uid, kept.set_gid, kept.set_groups, &held, kept.uid, kept.gid);
}

AsTracee::AsTracee(const Tracee& t, bool real_ids, bool set_umask, bool check_after) {
  SelfId& me = self_id;
  if (!me.init) {
    // umask lives in fs_struct: give this thread its own so that setting it is per-thread.
    if (!fs_unshared && unshare(CLONE_FS) == 0) fs_unshared = true;
    if (CapGet(me.caps) != 0) return;
    me.fsuid = (uid_t)syscall(SYS_setfsuid, -1);
    me.fsgid = (gid_t)syscall(SYS_setfsgid, -1);
    int ng = getgroups(0, nullptr);
    me.groups.resize(ng > 0 ? ng : 0);
    if (ng > 0 && getgroups(ng, me.groups.data()) < 0) return;
    me.init = true;
  }
  uid_t uid = real_ids ? t.ruid : t.fsuid;
  gid_t gid = real_ids ? t.rgid : t.fsgid;
  uint64_t want = real_ids ? (t.ruid == 0 ? t.cap_prm : 0) : t.cap_eff;
  if (t.foreign_userns) want = 0;  // its capabilities count in its own namespace, not here
  uint32_t caps[6];
  memcpy(caps, me.caps, sizeof caps);
  caps[0] &= (uint32_t)want;
  caps[1] &= (uint32_t)(want >> 32);
  set_umask_ = set_umask;
  uid_ = uid, gid_ = gid;
  keep_ = kept.allowed;
  if (kept.active && kept.uid == uid && kept.gid == gid && kept.groups == t.groups) {
    // The ids are this tracee's already (kept since an earlier call, verified then); between calls
    // the thread has its own capabilities: only those are switched.
    in_kept_ = true;
    set_caps_ = caps[0] != me.caps[0] || caps[1] != me.caps[1];
    ok_ = !set_caps_ || CapSet(caps) == 0;
    if (set_umask) old_umask_ = umask(t.umask);
    return;
  }
  DropKeptIdentity();
  if (keep_) kept.groups = t.groups;  // the key of the ids kept after the call
  // Only what differs is changed (a root tracee usually costs nothing here).
  set_groups_ = t.groups != me.groups;
  bool groups_ok = !set_groups_ || syscall(SYS_setgroups, t.groups.size(), t.groups.data()) == 0;
  set_gid_ = gid != me.fsgid;
  if (set_gid_) syscall(SYS_setfsgid, gid);
  set_uid_ = uid != me.fsuid;
  if (set_uid_) syscall(SYS_setfsuid, uid);
  // A changed fsuid changes the effective set too: set it whenever anything differs.
  set_caps_ = set_uid_ || caps[0] != me.caps[0] || caps[1] != me.caps[1];
  bool caps_ok = !set_caps_ || CapSet(caps) == 0;
  if (set_umask) old_umask_ = umask(t.umask);
  // Ids to be kept are read back now (the restore does not give them back, so cannot tell).
  if (keep_) check_after = false;
  ok_ = caps_ok && groups_ok && (check_after || ((!set_uid_ || (uid_t)syscall(SYS_setfsuid, -1) == uid) &&
                                    (!set_gid_ || (gid_t)syscall(SYS_setfsgid, -1) == gid)));
}

bool AsTracee::Restore() {
  if (restored_) return held_;
  restored_ = true;
  int err = errno;
  const SelfId& me = self_id;
  if (me.init) {
    if (set_caps_) CapSet(me.caps);
    if (keep_ && ok_ && !in_kept_ && (set_uid_ || set_gid_ || set_groups_)) {
      // Kept for the next call of the same ids (verified above); the capabilities are the
      // supervisor's again, for what the thread does between calls (reading and writing tracee
      // memory checks the real ids and these).
      kept.active = true;
      kept.uid = uid_, kept.gid = gid_;
      kept.set_uid = set_uid_, kept.set_gid = set_gid_, kept.set_groups = set_groups_;
    } else if (!in_kept_) {
      GiveBack(me, set_uid_, set_gid_, set_groups_, &held_, uid_, gid_);
    }
  }
  if (set_umask_) umask(old_umask_);
  errno = err;
  held_ = held_ && ok_;
  return held_;
}

int OpenBases(const Tracee& t, int dirfd, const std::string& path, Bases* b) {
  std::string proc = "/proc/" + std::to_string(t.tid);
  int fd;
  // The tracee's root, cwd or dirfd through /proc is opened as the supervisor.
  if (!(t.own_root && Own().fd >= 0) || path.empty() || path[0] != '/') DropKeptIdentity();
  if (t.own_root && Own().fd >= 0) {
    b->root = Own().fd;
    b->own_root = !Own().proc;
    b->root_st = Own().st;
  } else {
    fd = open((proc + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? -ESRCH : -errno;
    b->root_owned.reset(fd);
    b->root = fd;
    if (fstat(fd, &b->root_st) != 0) return -errno;
  }
  if (!path.empty() && path[0] == '/') return 0;
  const int kAtFdcwd = AT_FDCWD;
  std::string base = dirfd == kAtFdcwd ? proc + "/cwd" : proc + "/fd/" + std::to_string(dirfd);
  if (dirfd != kAtFdcwd && dirfd < 0) return -EBADF;
  fd = open(base.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? (dirfd == kAtFdcwd ? -ENOENT : -EBADF) : -errno;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  if (!S_ISDIR(st.st_mode)) {
    close(fd);
    return -ENOTDIR;
  }
  b->start.reset(fd);
  return 0;
}

bool ParseView(Napi::Env env, Napi::Value v, std::vector<std::pair<std::string, int>>* view) {
  if (v.IsUndefined()) return true;
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsArray() || !e.As<Napi::Array>().Get(0u).IsString() || !e.As<Napi::Array>().Get(1u).IsNumber()) break;
      std::string prefix = Latin1Value(e.As<Napi::Array>().Get(0u));
      int levels = e.As<Napi::Array>().Get(1u).As<Napi::Number>().Int32Value();
      if (prefix.size() < 2 || prefix[0] != '/' || prefix.find('/', 1) != std::string::npos) break;
      view->emplace_back(std::move(prefix), levels);
    }
    if (view->size() == a.Length()) return true;
  }
  ThrowType(env, "field 'view' must be an array of [prefix, levels] (one absolute component each)");
  return false;
}

// An absolute symlink target, as the program wrote it, from its view to the real tree: each
// engine's prefix stripped (up to its levels, whole components), innermost first, as their maps
// strip a path (`/unreal` alone is `/`).
std::string ViewTarget(const std::vector<std::pair<std::string, int>>& view, std::string t) {
  for (const auto& [prefix, levels] : view) {
    for (int k = 0; k < levels; k++) {
      if (t.compare(0, prefix.size(), prefix) != 0 || (t.size() > prefix.size() && t[prefix.size()] != '/')) break;
      t.erase(0, prefix.size());
      if (t.empty()) t = "/";
    }
  }
  return t;
}

// Component by component: every symlink read and followed here, ".." clamped at the tracee's root.
int SlowWalk(const Bases& b, const std::string& path, LastMode mode, Resolved* out) {
  if (path.empty()) return -ENOENT;
  bool absolute = path[0] == '/';
  bool trailing = path.size() > 1 && path.back() == '/';
  std::deque<std::string> comps;
  Split(path, &comps, false);
  // A trailing slash makes a lookup follow a final symlink (as the kernel does); calls that
  // create or remove names (kParent) give the slash to the kernel with the name instead.
  bool follow = mode == kFollow || mode == kFollowLazy || (mode == kNoFollow && trailing);
  int fd = DupFd(absolute || !b.start.valid() ? b.root : b.start.get());
  if (fd < 0) return fd;
  Fd cur(fd);
  dev_t cur_dev = 0;
  bool cur_known = false, cur_proc = false;
  int links = 0;
  auto at_root = [&](int f) {
    struct stat st;
    return fstat(f, &st) == 0 && st.st_dev == b.root_st.st_dev && st.st_ino == b.root_st.st_ino;
  };
  // Checks whether the current directory is on procfs (cached by device number).
  auto in_proc = [&]() {
    struct stat st;
    if (fstat(cur.get(), &st) != 0) return true;
    if (!cur_known || st.st_dev != cur_dev) {
      cur_dev = st.st_dev;
      cur_proc = IsProcFs(cur.get());
      cur_known = true;
    }
    return cur_proc;
  };
  // Continue the walk with a symlink's target in front of what is left.
  auto splice = [&](const std::string& written) -> int {
    if (++links > kMaxSymlinks) return -ELOOP;
    if (written.empty()) return -ENOENT;
    const std::string target = written[0] == '/' && !b.view.empty() ? ViewTarget(b.view, written) : written;
    if (target != written) out->via_view = true;
    Split(target, &comps, true);
    if (target[0] == '/') {
      int r = DupFd(b.root);
      if (r < 0) return r;
      cur.reset(r);
    }
    return 0;
  };

  for (;;) {
    if (in_proc()) return kFallback;
    if (comps.empty()) {
      out->dir = std::move(cur);
      out->last = ".";
      return 0;
    }
    std::string c = std::move(comps.front());
    comps.pop_front();
    if (comps.empty()) {
      // The last component: clamp ".." at the tracee's root; follow a symlink if asked.
      if (c == ".." && at_root(cur.get())) c = ".";
      if (follow && c != "." && c != "..") {
        struct stat st;
        if (fstatat(cur.get(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
          std::string target;
          int r = ReadLink(cur.get(), c.c_str(), &target);
          if (r < 0) return r;
          if ((r = splice(target)) < 0) return r;
          continue;
        }
      }
      out->dir = std::move(cur);
      out->last = trailing ? c + "/" : c;
      return 0;
    }
    if (c == ".") continue;
    if (c == "..") {
      if (at_root(cur.get())) continue;
      int r = openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (r < 0) return -errno;
      cur.reset(r);
      continue;
    }
    int r = openat(cur.get(), c.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (r < 0) return -errno;
    Fd next(r);
    struct stat st;
    if (fstat(next.get(), &st) != 0) return -errno;
    if (S_ISLNK(st.st_mode)) {
      std::string target;
      int e = ReadLink(next.get(), "", &target);
      if (e < 0) return e;
      if ((e = splice(target)) < 0) return e;
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    cur = std::move(next);
  }
  return -EINVAL;
}

int Walk(const Bases& b, const std::string& path, LastMode mode, Resolved* out) {
  if (path.empty()) return -ENOENT;
  // The common case in a few syscalls: the directory part opened at once by openat2 without
  // symlinks (RESOLVE_IN_ROOT keeps an absolute path in the tracee's root). A symlink on the way
  // (ELOOP), ".." before the last name, or a final symlink to follow takes the component walk.
  // A last name "." or ".." (ls -la stats, and reads the xattrs of, every directory's "." and
  // "..": a quarter of ls -laR's calls) is left to the kernel with the directory: from there it
  // resolves them as for the tracee (search permission on the directory, as the tracee's ids;
  // never a symlink). ".." only from a directory reached without crossing a mount from the
  // supervisor's root, which is the tracee's (then its parent is on that mount too, never on
  // procfs, and the kernel stops ".." at the same root as the tracee's kernel would).
  bool absolute = path[0] == '/';
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') end--;
  if (end == 0) return SlowWalk(b, path, mode, out);
  size_t slash = path.rfind('/', end - 1);
  size_t start = slash == std::string::npos ? 0 : slash + 1;
  std::string last = path.substr(start, end - start);
  std::string dir = path.substr(0, start);
  if (dir.find("..") != std::string::npos) return SlowWalk(b, path, mode, out);
  bool dot = last == ".", dotdot = last == "..";
  bool from_root = absolute || !b.start.valid();
  if (dotdot && !(from_root && b.own_root)) return SlowWalk(b, path, mode, out);
  int base = from_root ? b.root : b.start.get();
  int dfd;
  // The supervisor's root is not on procfs: a directory reached from it without crossing a mount
  // point (RESOLVE_NO_XDEV) is not either, and needs no fstatfs. Otherwise (EXDEV) the walk again
  // without it, and the check.
  bool same_mount = from_root && b.own_root;
  if (dir.empty()) {
    dfd = DupFd(base);
    if (dfd < 0) return dfd;
  } else {
    struct open_how how = {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS | (absolute ? RESOLVE_IN_ROOT : 0);
    dfd = -1;
    if (same_mount) {
      how.resolve |= RESOLVE_NO_XDEV;
      dfd = (int)syscall(SYS_openat2, base, dir.c_str(), &how, sizeof how);
      if (dfd < 0 && errno == EXDEV) {
        how.resolve &= ~(uint64_t)RESOLVE_NO_XDEV;
        same_mount = false;
      }
    }
    if (!same_mount) dfd = (int)syscall(SYS_openat2, base, dir.c_str(), &how, sizeof how);
    if (dfd < 0) return errno == ELOOP ? SlowWalk(b, path, mode, out) : -errno;
  }
  Fd dir_fd(dfd);
  if (dotdot && !same_mount) return SlowWalk(b, path, mode, out);  // it crossed a mount (EXDEV)
  if (!same_mount && IsProcFs(dfd)) return kFallback;
  bool trailing = end < path.size();
  bool follow = !dot && !dotdot && (mode == kFollow || (mode == kNoFollow && trailing) || (mode == kFollowLazy && trailing));
  if (follow) {
    struct stat st;
    if (fstatat(dfd, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) return SlowWalk(b, path, mode, out);
      if (!trailing) {
        out->has_last_st = true;
        out->last_st = st;
      }
    }
  }
  out->dir = std::move(dir_fd);
  out->last = trailing ? last + "/" : last;
  return 0;
}

std::string ProcPath(const Resolved& r) {
  return "/proc/self/fd/" + std::to_string(r.dir.get()) + "/" + r.last;
}

}  // namespace emulate
}  // namespace sysvisor
