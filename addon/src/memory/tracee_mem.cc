// Writing into a tracee's memory (see tracee_mem.h); reads live in the pump, where each read is
// followed by ID_VALID on its notification.
#include "memory/tracee_mem.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "common.h"

namespace sysvisor {
namespace memory {

int WriteOutput(pid_t tid, uint64_t addr, const void* data, size_t len) {
  if (len == 0) return 0;
  if (addr == 0) return -EFAULT;
  struct iovec local = {const_cast<void*>(data), len};
  struct iovec remote = {reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
  if (n == (ssize_t)len) return 0;
  return n >= 0 || errno == EFAULT ? -EFAULT : -errno;
}

int InPlace::Open(pid_t pid) {
  std::string proc = "/proc/" + std::to_string(pid);
  fd_ = open((proc + "/mem").c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return -errno;
  // "start-end perms offset dev inode path": perms[3] is 's' for MAP_SHARED (file, memfd, shmem).
  FILE* f = fopen((proc + "/maps").c_str(), "re");
  if (!f) return -errno;
  // stdio reads a procfs file in blocks of its st_blksize (1 KiB): 14 reads for a Python's ~14 KB
  // of maps. One buffer the size of most maps makes it one or two.
  static thread_local char block[64 * 1024];
  setvbuf(f, block, _IOFBF, sizeof block);
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    char* end = nullptr;
    uint64_t start = strtoull(line, &end, 16);
    if (!end || *end != '-') continue;
    uint64_t stop = strtoull(end + 1, &end, 16);
    if (!end || end[0] != ' ' || !end[1] || !end[2] || !end[3] || !end[4]) continue;
    if (end[4] == 's') shared_.emplace_back(start, stop);
  }
  free(line);
  fclose(f);
  return 0;
}

InPlace::~InPlace() {
  if (fd_ >= 0) close(fd_);
}

bool InPlace::Shared(uint64_t addr, size_t len) const {
  for (auto& [start, stop] : shared_)
    if (addr < stop && addr + len > start) return true;
  return false;
}

int InPlace::Read(uint64_t addr, void* buf, size_t len) const {
  ssize_t n = pread(fd_, buf, len, (off_t)addr);
  return n == (ssize_t)len ? 0 : n < 0 && errno != EIO ? -errno : -EFAULT;
}

int InPlace::Write(uint64_t addr, const void* data, size_t len) const {
  if (Shared(addr, len)) return -EFAULT;
  ssize_t n = pwrite(fd_, data, len, (off_t)addr);
  return n == (ssize_t)len ? 0 : n < 0 && errno != EIO ? -errno : -EFAULT;
}

namespace {

// writeTracee(tid, addr, bytes[, length]) -> 0 or -errno (see WriteOutput).
Napi::Value WriteTraceeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "tid") || !ArgNumber(info, 1, "addr") || !ArgBuffer(info, 2, "bytes"))
    return env.Undefined();
  pid_t tid = info[0].As<Napi::Number>().Int32Value();
  uint64_t addr = (uint64_t)info[1].As<Napi::Number>().Int64Value();
  auto buf = info[2].As<Napi::Buffer<uint8_t>>();
  size_t len = buf.Length();
  if (info.Length() > 3 && info[3].IsNumber()) {
    double want = info[3].As<Napi::Number>().DoubleValue();
    if (want >= 0 && want < (double)len) len = (size_t)want;
  }
  return Napi::Number::New(env, WriteOutput(tid, addr, buf.Data(), len));
}

}  // namespace
}  // namespace memory

void InitTraceeMem(Napi::Env env, Napi::Object exports) {
  exports.Set("writeTracee", Napi::Function::New(env, memory::WriteTraceeJs, "writeTracee"));
}

}  // namespace sysvisor
