// Writing into a tracee's memory: the one place that does it, with one convention (0 or -errno).
// - Outputs of emulated calls (struct stat, link targets, xattr values, a cwd...) go through
//   process_vm_writev, which honours the tracee's page protections exactly as the kernel's own
//   copy_to_user would: memory the tracee could not write gives -EFAULT and is left alone.
// - Arguments rewritten in place for a CONTINUE (restored at syscall exit, see emulate/rewrite.cc)
//   go through /proc/PID/mem, which writes read-only private pages too (a path literal in .rodata
//   must be rewritable, like a debugger's poke), but never into a shared mapping: those bytes would
//   reach a file on disk or another process (-EFAULT).
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sysvisor {
namespace memory {

// An emulated call's output: all LEN bytes written at ADDR, or -EFAULT (nothing or part written,
// as the kernel may leave it), or -errno (-ESRCH: the thread is gone).
int WriteOutput(pid_t tid, uint64_t addr, const void* data, size_t len);

// /proc/PID/mem of one tracee, for in-place rewrites.
class InPlace {
 public:
  // 0 or -errno. Reads the tracee's shared mappings once (refused as write targets).
  int Open(pid_t pid);
  ~InPlace();
  // Exactly LEN bytes: 0 or -errno (-EFAULT when unmapped, or inside a shared mapping for Write).
  int Read(uint64_t addr, void* buf, size_t len) const;
  int Write(uint64_t addr, const void* data, size_t len) const;
  // Does [addr, addr+len) touch a shared mapping?
  bool Shared(uint64_t addr, size_t len) const;

 private:
  int fd_ = -1;
  std::vector<std::pair<uint64_t, uint64_t>> shared_;  // [start, end) of MAP_SHARED mappings
};

}  // namespace memory
}  // namespace sysvisor
