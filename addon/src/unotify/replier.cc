// Replies that wait on a tracee, and the ioctls every answer goes through (see replier.h).
//
// Never ADDFD with SECCOMP_ADDFD_FLAG_SEND (kernel/seccomp.c, seccomp_notify_addfd): it marks the
// notification replied (value 0) before the tracee installs the fd, then waits interruptibly; if
// the supervisor gets a signal, a stop or the freezer meanwhile, the request is taken off the
// queue and the tracee returns 0 with nothing installed (the restarted ioctl fails EINPROGRESS).
// A plain ADDFD that is interrupted has either been handled (it returns the fd) or been withdrawn
// (EINTR or a restart): retried, it cannot install the file twice; NOTIF_SEND then answers.
//
// The supervisor's own fd of the file goes before the answer: ADDFD installs the same open file
// in the tracee, and once answered the tracee may close it and count on that close being the
// last (its flock released, the file no longer open for writing so that it can be exec'd without
// ETXTBSY, a pipe's reader seeing EOF). Closed after the answer, it races the tracee.
#include "unotify/replier.h"

#include "launcher/protocol.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <thread>

namespace sysvisor {
namespace unotify {

int ListenerIoctl(int fd, unsigned long request, void* arg) {
  int r;
  do r = ioctl(fd, request, arg);
  while (r < 0 && errno == EINTR);
  return r;
}

int SendAnswer(int fd, uint64_t id, int64_t val, int32_t err, uint32_t flags) {
  struct seccomp_notif_resp resp = {};
  resp.id = id;
  resp.val = val;
  resp.error = err;
  resp.flags = flags;
  return ListenerIoctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0 ? 0 : -errno;
}

int InstallFd(int fd, uint64_t id, int srcfd, bool cloexec) {
  struct seccomp_notif_addfd a = {};
  a.id = id;
  a.srcfd = (uint32_t)srcfd;
  a.newfd_flags = cloexec ? O_CLOEXEC : 0;
  int r = ListenerIoctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
  if (r >= 0) return r;
  // ESRCH: the tracee left the call while the request was queued: gone, like ENOENT.
  return errno == ESRCH ? -ENOENT : -errno;
}

// lost: the tracee left the call between the install and the answer (a fatal signal, or any
// signal when the filter lacks SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV); the fd stays in it, unused.
FdReply InstallFdAndReply(int fd, uint64_t id, int srcfd, bool cloexec, bool owned) {
  FdReply r;
  r.answer = InstallFd(fd, id, srcfd, cloexec);
  if (owned) close(srcfd);
  if (r.answer == -ENOENT) {
    r.send_err = -ENOENT;
    return r;
  }
  r.send_err = r.answer >= 0 ? SendAnswer(fd, id, r.answer, 0, 0) : SendAnswer(fd, id, 0, r.answer, 0);
  r.lost = r.send_err == -ENOENT && r.answer >= 0;
  return r;
}

Listener::~Listener() {
  if (fd_ >= 0) close(fd_);
  if (uint64_t* last = received_.exchange(nullptr)) munmap(last, LAUNCHER_IDS_BYTES);
}

bool Listener::ShareReceivedIds(int memfd) {
  void* page = mmap(nullptr, LAUNCHER_IDS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  close(memfd);
  if (page == MAP_FAILED) return false;
  auto* last = &static_cast<launcher_ids*>(page)->last;
  if (uint64_t* old = received_.exchange(last)) munmap(old, LAUNCHER_IDS_BYTES);
  return true;
}

struct Replier::Sink {
  std::mutex m;
  uv_async_t* async = nullptr;  // null once closed
  std::vector<std::string> reports;
  std::function<void(const std::string&)> report;
  std::condition_variable idle;  // inflight reached 0
  std::atomic<uint64_t> inflight{0}, lost{0};

  void Report(std::string line) {
    std::lock_guard<std::mutex> l(m);
    if (!async) return;
    reports.push_back(std::move(line));
    uv_async_send(async);
  }
};

namespace {

struct Job {
  std::shared_ptr<Listener> listener;
  std::shared_ptr<Replier::Sink> sink;
  uint64_t id;
  int srcfd;
  bool cloexec;
};

// Process-wide workers (like the rewrite agent, never destroyed: threads outlive module
// teardown). A thread is added when every one is busy (a stalled tracee holds one), up to
// kMaxThreads; beyond, jobs wait in the queue. Idle threads above one leave after a while.
class Pool {
 public:
  static Pool& Get() {
    static Pool* p = new Pool();
    return *p;
  }

  void Submit(Job j) {
    std::unique_lock<std::mutex> l(m_);
    jobs_.push_back(std::move(j));
    if (idle_ == 0 && threads_ < kMaxThreads) {
      threads_++;
      std::thread([this] { Run(); }).detach();
    }
    l.unlock();
    cv_.notify_one();
  }

 private:
  static constexpr int kMaxThreads = 16;

  void Run() {
    // Signals go to Node's thread: a worker's ioctls then see only stops and the freezer.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    prctl(PR_SET_NAME, (unsigned long)"sysvisor-reply", 0, 0, 0);
    std::unique_lock<std::mutex> l(m_);
    for (;;) {
      idle_++;
      bool got = cv_.wait_for(l, std::chrono::seconds(10), [this] { return !jobs_.empty(); });
      idle_--;
      if (!got) {
        if (threads_ > 1) {
          threads_--;
          return;
        }
        continue;
      }
      Job j = std::move(jobs_.front());
      jobs_.pop_front();
      l.unlock();
      FdReply r = InstallFdAndReply(j.listener->fd(), j.id, j.srcfd, j.cloexec, /*owned=*/true);
      j.listener.reset();  // before the count drops: Close() then knows the fd is not ours
      if (r.lost) j.sink->lost++;
      if (r.send_err < 0 && r.send_err != -ENOENT)
        j.sink->Report(std::string("reply to notification: ioctl: ") + strerror(-r.send_err));
      {
        std::lock_guard<std::mutex> sl(j.sink->m);
        if (--j.sink->inflight == 0) j.sink->idle.notify_all();
      }
      j = Job();
      l.lock();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  int threads_ = 0, idle_ = 0;
};

}  // namespace

Replier::Replier(uv_loop_t* loop, std::shared_ptr<Listener> listener, std::function<void(const std::string&)> report)
    : listener_(std::move(listener)), sink_(std::make_shared<Sink>()) {
  sink_->report = std::move(report);
  auto* async = new uv_async_t;
  async->data = sink_.get();
  uv_async_init(loop, async, [](uv_async_t* h) {
    Sink* s = static_cast<Sink*>(h->data);
    std::vector<std::string> lines;
    {
      std::lock_guard<std::mutex> l(s->m);
      lines.swap(s->reports);
    }
    for (auto& line : lines) s->report(line);
  });
  // The handle must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(async));
  sink_->async = async;
}

Replier::~Replier() { Close(); }

void Replier::InstallAndReply(uint64_t id, int srcfd, bool cloexec) {
  sink_->inflight++;
  Pool::Get().Submit(Job{listener_, sink_, id, srcfd, cloexec});
}

void Replier::Close() {
  std::unique_lock<std::mutex> l(sink_->m);
  if (!sink_->async) return;
  uv_close(reinterpret_cast<uv_handle_t*>(sink_->async), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  sink_->async = nullptr;
  // Answers in flight end at once when their tracee is gone (the usual case here: the last one
  // left); one still waiting for a stalled tracee keeps the listener open until it is done.
  sink_->idle.wait_for(l, std::chrono::seconds(2), [this] { return sink_->inflight == 0; });
  l.unlock();
  listener_.reset();
}

uint64_t Replier::inflight() const { return sink_->inflight; }
uint64_t Replier::lost_fds() const { return sink_->lost; }

}  // namespace unotify
}  // namespace sysvisor
