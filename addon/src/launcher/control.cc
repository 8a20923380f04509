// The control call of a nested sysvisor (see src/scopes/protocol.ts): a prctl with an option no
// kernel knows, which the supervisor above answers.
#include "common.h"
#include "contract.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

namespace sysvisor {
namespace {

// control(op, request, responseCapacity) -> { ret, response }: the control call of a nested
// sysvisor, a prctl with an option no kernel knows, which the supervisor above answers. Without
// a sysvisor above, the kernel answers EINVAL (ret = -EINVAL).
constexpr unsigned long kControlMagic = SV_CONTROL_MAGIC;  // contract.h
Napi::Value Control(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ArgNumber(info, 0, "op") || !ArgBuffer(info, 1, "request") || !ArgNumber(info, 2, "responseCapacity"))
    return env.Undefined();
  Napi::Buffer<uint8_t> req = info[1].As<Napi::Buffer<uint8_t>>();
  size_t cap = info[2].As<Napi::Number>().Uint32Value();
  std::vector<uint8_t> resp(cap ? cap : 1);
  long r = syscall(SYS_prctl, kControlMagic, (unsigned long)info[0].As<Napi::Number>().Uint32Value(),
                   (unsigned long)req.Data(), (unsigned long)req.Length(), (unsigned long)resp.data(), (unsigned long)cap);
  Napi::Object out = Napi::Object::New(env);
  out.Set("ret", Napi::Number::New(env, r < 0 ? -errno : (double)r));
  size_t n = r > 0 ? std::min((size_t)r, cap) : 0;
  out.Set("response", Napi::Buffer<uint8_t>::Copy(env, resp.data(), n));
  return out;
}

}  // namespace

void InitControl(Napi::Env env, Napi::Object exports) {
  exports.Set("control", Napi::Function::New(env, Control, "control"));
}

}  // namespace sysvisor
