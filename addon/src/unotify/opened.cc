// The records of files opened under native plans (opened.h).
#include "unotify/opened.h"

#include "emulate/task.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace sysvisor {
namespace unotify {
namespace {

// A process pidfd polls readable once the whole process has exited (a zombie too: its files are
// closed then), and stays so after its pid is reused.
bool Alive(int pidfd) {
  struct pollfd p = {pidfd, POLLIN, 0};
  int r;
  do r = poll(&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r == 0;
}

}  // namespace

bool OpenedRecords::Add(int nr, pid_t tgid, uint64_t dev, uint64_t ino, uint32_t mask, const std::vector<int>& levels, bool reserved) {
  if (reserved) Unreserve();
  if (!Room() || levels.size() > kMaxChain) return false;
  size_t i = processes_.size();
  // The newest process first: a program's opens come in runs.
  while (i > 0 && processes_[i - 1].tgid != tgid) i--;
  if (i == 0) {
    int fd = (int)syscall(SYS_pidfd_open, tgid, 0);
    if (fd < 0) return false;
    processes_.push_back({tgid, fd});
    i = processes_.size();
  }
  Record r{nr, (uint16_t)(i - 1), mask, {}, dev, ino};
  for (size_t k = 0; k < levels.size(); k++) r.levels[k] = (int8_t)levels[k];
  records_.push_back(r);
  return true;
}

std::vector<double> OpenedRecords::Take() {
  std::vector<double> out;
  // The start time of each live process, read between two looks at its pidfd: the pid named the
  // process of the records all along.
  std::vector<double> start(processes_.size(), -1);
  for (size_t i = 0; i < processes_.size(); i++) {
    uint64_t s = 0;
    if (Alive(processes_[i].pidfd) && emulate::ReadStartTime(processes_[i].tgid, &s) == 0 && Alive(processes_[i].pidfd))
      start[i] = (double)s;
  }
  for (const Record& r : records_) {
    if (start[r.process] < 0) continue;
    for (size_t k = 0; k < kMaxChain; k++) {
      if (!(r.mask & (1u << k))) continue;
      out.insert(out.end(), {(double)r.nr, (double)k, (double)processes_[r.process].tgid, start[r.process], (double)r.levels[k], (double)r.dev, (double)r.ino});
    }
  }
  Clear();
  return out;
}

void OpenedRecords::Clear() {
  for (const Process& p : processes_) close(p.pidfd);
  processes_.clear();
  records_.clear();
}

}  // namespace unotify
}  // namespace sysvisor
