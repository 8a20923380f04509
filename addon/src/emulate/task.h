// What /proc says about a task: the one parser of /proc/TID/status and /proc/PID/stat in the addon
// (and, through taskInfo(), for the TypeScript side).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace sysvisor {
namespace emulate {

struct TaskStatus {
  pid_t tgid = 0, ppid = 0;
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  mode_t umask = 022;
  uint64_t cap_eff = 0, cap_prm = 0;
};

// /proc/TID/status of thread TID. 0 or -errno (-ESRCH when it is gone, -EIO when unparsable).
int ReadStatus(pid_t tid, TaskStatus* s);

// The start time of process PID (field 22 of /proc/PID/stat, clock ticks since boot): a process
// id reused by another process has another start time. 0 or -errno.
int ReadStartTime(pid_t pid, uint64_t* start);

}  // namespace emulate
}  // namespace sysvisor
