// Files the pump opened for a tracee under native plans whose engines record them (NativePlan.opens
// in src/chain/plan.ts: unreal shows such a file in the view in /proc/self/fd/N, fchdir and fexecve).
// The pump answers the open at once and keeps the record here; JS takes the records (takeOpened)
// before it dispatches a call that reads what the engines recorded, so a tracee that returned from
// an open sees its record in any later call. Not thread-safe: the pump holds its lock around every
// use (plans run on the receiving threads, takes on Node's thread).
//
// Each record names its process by a pidfd taken when the process's first record comes in: at the
// take, a process that has exited since (or whose pid was reused: pid_max may be 32768) is known
// and its records dropped, and a live one's start time is read then (the engines key their records
// by tgid and start time). Bounded: kMaxRecords records of kMaxProcesses processes; when full, Room
// is false and the open goes to JS, which takes the records first.
#pragma once
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <vector>

namespace sysvisor {
namespace unotify {

class OpenedRecords {
 public:
  static constexpr size_t kMaxRecords = 1024;
  static constexpr size_t kMaxProcesses = 16;
  static constexpr size_t kMaxChain = 8;  // engines of a chain that may record

  OpenedRecords() = default;
  ~OpenedRecords() { Clear(); }
  OpenedRecords(const OpenedRecords&) = delete;
  OpenedRecords& operator=(const OpenedRecords&) = delete;

  // Whether one more record fits, whatever process it comes from (reservations count as records
  // of new processes).
  bool Room() const { return records_.size() + reserved_ < kMaxRecords && processes_.size() + reserved_ < kMaxProcesses; }
  // Room for the record of an open about to run (it must not be run twice: room is taken before):
  // false when there is none. Each reservation ends with Add(reserved) or Unreserve.
  bool Reserve() {
    if (!Room()) return false;
    reserved_++;
    return true;
  }
  void Unreserve() { reserved_--; }
  // Records that process tgid's open (syscall nr) gave it file (dev, ino), at levels[i] for each
  // chain position i whose bit is in mask. False when the process is gone (no pidfd): nothing kept.
  // RESERVED: it ends a reservation.
  bool Add(int nr, pid_t tgid, uint64_t dev, uint64_t ino, uint32_t mask, const std::vector<int>& levels, bool reserved = false);
  // The records of live processes, flat, one entry per (record, recording position), oldest first:
  // nr, position, tgid, start time, level, dev, ino. Empties the queue and closes the pidfds.
  std::vector<double> Take();
  void Clear();
  size_t size() const { return records_.size(); }

 private:
  struct Process {
    pid_t tgid;
    int pidfd;
  };
  struct Record {
    int nr;
    uint16_t process;  // index in processes_
    uint32_t mask;
    std::array<int8_t, kMaxChain> levels;
    uint64_t dev, ino;
  };
  std::vector<Process> processes_;
  std::vector<Record> records_;
  size_t reserved_ = 0;
};

}  // namespace unotify
}  // namespace sysvisor
