// Writes into tracee memory through /proc/PID/mem (which also writes read-only pages): used to
// rewrite an argument in place before CONTINUE when emulation is impossible. Reads live in the pump,
// where each read is followed by ID_VALID on its notification.
#include "common.h"

#include <fcntl.h>
#include <unistd.h>

namespace sysvisor {
namespace {

// writeMem(pid, addr, bytes) -> bytes written
Napi::Value WriteMem(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "pid") || !ArgNumber(info, 1, "addr") || !ArgBuffer(info, 2, "bytes"))
    return env.Undefined();
  int pid = info[0].As<Napi::Number>().Int32Value();
  int64_t addr = info[1].As<Napi::Number>().Int64Value();
  Napi::Buffer<uint8_t> buf = info[2].As<Napi::Buffer<uint8_t>>();
  std::string path = "/proc/" + std::to_string(pid) + "/mem";
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    ThrowSys(env, "open tracee memory", "open", errno);
    return env.Undefined();
  }
  ssize_t n = pwrite(fd, buf.Data(), buf.Length(), (off_t)addr);
  int err = errno;
  close(fd);
  if (n < 0) {
    ThrowSys(env, "write tracee memory", "pwrite", err);
    return env.Undefined();
  }
  return Napi::Number::New(env, (double)n);
}

}  // namespace

void InitTraceeMem(Napi::Env env, Napi::Object exports) {
  exports.Set("writeMem", Napi::Function::New(env, WriteMem, "writeMem"));
}

}  // namespace sysvisor
