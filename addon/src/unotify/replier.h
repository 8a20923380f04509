// Answers that wait on a tracee, run off the thread that serves everyone. Installing an fd (ADDFD)
// blocks until the target thread runs and takes it: a tracee that gets no CPU (cgroup-throttled,
// SCHED_IDLE on a busy machine) would stall every other tracee if that wait ran on Node's thread.
// A small process-wide pool of worker threads does the install + answer; the caller goes on.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sysvisor {
namespace unotify {

// An ioctl on the listener, retried while it fails with EINTR.
int ListenerIoctl(int fd, unsigned long request, void* arg);
// Answers notification `id` with a value, an errno (err < 0) or CONTINUE. 0, or -errno (-ENOENT:
// the call is gone, normal).
int SendAnswer(int fd, uint64_t id, int64_t val, int32_t err, uint32_t flags);
// Installs srcfd in the tracee (plain ADDFD): its number there, or -errno (-ENOENT gone).
int InstallFd(int fd, uint64_t id, int srcfd, bool cloexec);

struct FdReply {
  int answer = 0;     // the tracee's fd, or -errno of a failed install (the call's answer)
  int send_err = 0;   // -errno of the answer itself: -ENOENT gone (normal), else a failure
  bool lost = false;  // installed, but the call was gone before its answer
};
// Install, then answer with the fd number (see replier.cc for why never ADDFD|SEND). owned: srcfd
// is the caller's own to close, and it is closed here once installed, before the answer (see
// replier.cc: the tracee's close must be the file's last).
FdReply InstallFdAndReply(int fd, uint64_t id, int srcfd, bool cloexec, bool owned = false);

// The listener fd, shared by its pump and the answers in flight: closed when the last is done.
class Listener {
 public:
  explicit Listener(int fd) : fd_(fd) {}
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int fd() const { return fd_; }
  // The launcher's received-ids page (launcher/protocol.h): maps it (and closes memfd); from then
  // on every NoteReceived stores its id there. False if it cannot be mapped.
  bool ShareReceivedIds(int memfd);
  // Any thread, right after a successful NOTIF_RECV.
  void NoteReceived(uint64_t id) {
    uint64_t* last = received_.load(std::memory_order_acquire);
    if (last) __atomic_store_n(last, id, __ATOMIC_RELEASE);
  }

 private:
  int fd_;
  std::atomic<uint64_t*> received_{nullptr};
};

// One pump's side of the pool: hands jobs to the workers and brings their failures back to the
// loop thread (uv_async), where `report` runs.
class Replier {
 public:
  Replier(uv_loop_t* loop, std::shared_ptr<Listener> listener, std::function<void(const std::string&)> report);
  ~Replier();
  // Answers `id` with srcfd installed in the tracee, later, from a worker. Takes ownership of srcfd.
  void InstallAndReply(uint64_t id, int srcfd, bool cloexec);
  // Loop thread: no more reports (answers in flight still complete). Idempotent.
  void Close();
  uint64_t inflight() const;
  uint64_t lost_fds() const;

  struct Sink;  // shared with the jobs in flight

 private:
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<Sink> sink_;
};

}  // namespace unotify
}  // namespace sysvisor
