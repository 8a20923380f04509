// CountSession: owns one loaded instance of bpf/count.bpf.c (through its libbpf skeleton), the
// in-kernel syscall counter of the `count` engine. The kernel sums calls, errors and time per
// syscall number; read() adds up the per-CPU sums. No event reaches user space per call.
//
// Lifecycle: constructor = open -> load -> attach (the skeleton's __attach; steps shared with the
// tracer in session_helpers.h); trace(tgid) and setSyscalls(nrs)
// configure the maps; close() (or the destructor, or env teardown) = the single cleanup path.
#include <linux/types.h>
#include <sys/types.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "../common.h"
#include "session_helpers.h"
#include "../../../bpf/count.h"
#include "../../../bpf/build/count.skel.h"

namespace sysvisor {
namespace {

using bpf::ThrowRange;

// read(): numbers per syscall number: calls, errors, nanoseconds (contract.h).
constexpr uint32_t kFields = SV_COUNT_FIELDS;

class CountSession : public Napi::ObjectWrap<CountSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CountSession",
                       {
                           InstanceMethod<&CountSession::Trace>("trace"),
                           InstanceMethod<&CountSession::SetSyscalls>("setSyscalls"),
                           InstanceMethod<&CountSession::Read>("read"),
                           InstanceMethod<&CountSession::Close>("close"),
                           InstanceAccessor<&CountSession::Closed>("closed"),
                       });
  }

  explicit CountSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CountSession>(info) {
    env_ = info.Env();
    napi_add_env_cleanup_hook(env_, EnvCleanup, this);
    hook_added_ = true;
    Setup(info.Env());
  }

  ~CountSession() override { Cleanup(); }

 private:
  // open -> load -> attach. On failure a JS exception is left pending; Cleanup() releases the
  // rest (the constructor's caller gets the exception, the wrapper is then collected).
  void Setup(Napi::Env env) {
    bpf::QuietLibbpf();
    skel_ = count_bpf__open();
    if (!skel_) return ThrowSys(env, "open count.bpf.o", "bpf", errno ? errno : EINVAL);
    int err = bpf::LoadWithoutSignals([this] { return count_bpf__load(skel_); });
    if (err) {
      Cleanup();
      return ThrowSys(env, "load count.bpf.o", "bpf", -err);
    }
    std::string failed;
    err = bpf::Attach(skel_->skeleton, [this] { return count_bpf__attach(skel_); }, &failed);
    if (err) {
      Cleanup();
      return ThrowSys(env, failed.c_str(), "bpf", err);
    }
  }

  bool CheckOpen(Napi::Env env) {
    if (skel_) return true;
    bpf::ThrowClosed(env, "CountSession");
    return false;
  }

  // trace(tgid[, fromExec]): count this process and every process it creates from now on; with
  // fromExec (a process held before its exec), from its execve on.
  Napi::Value Trace(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t tgid;
    if (!bpf::ArgTgid(info, 0, &tgid) || !CheckOpen(env)) return env.Undefined();
    if (!bpf::RefuseSelf(env, tgid, "trace", "count the supervisor itself")) return env.Undefined();
    bool from_exec = info.Length() > 1 && info[1].ToBoolean();
    bpf::AddTraced(env, skel_->maps.traced_tgids, tgid, "trace", from_exec ? SVC_FROM_EXEC : SVC_COUNTED);
    return env.Undefined();
  }

  // setSyscalls(nrs: number[]): exactly these syscall numbers are counted from now on.
  Napi::Value SetSyscalls(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgArray(info, 0, "nrs") || !CheckOpen(env)) return env.Undefined();
    Napi::Array a = info[0].As<Napi::Array>();
    std::vector<uint32_t> want(SV_MAX_SYSCALLS, 0);
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
      if (d < 0 || d >= SV_MAX_SYSCALLS || d != static_cast<double>(static_cast<int64_t>(d))) {
        ThrowRange(env, "parameter 'nrs' must hold syscall numbers in 0.." +
                            std::to_string(SV_MAX_SYSCALLS - 1));
        return env.Undefined();
      }
      want[static_cast<uint32_t>(d)] = 1;
    }
    for (uint32_t nr = 0; nr < SV_MAX_SYSCALLS; nr++) {
      if (want[nr] == wanted_[nr]) continue;
      int err = bpf_map__update_elem(skel_->maps.wanted, &nr, sizeof(nr), &want[nr],
                                     sizeof(want[nr]), BPF_ANY);
      if (err) {
        ThrowSys(env, "set syscalls", "bpf", -err);
        return env.Undefined();
      }
      wanted_[nr] = want[nr];
    }
    return env.Undefined();
  }

  // read(): a Float64Array of MAX_SYSCALLS * 3 numbers: [calls, errors, ns] of syscall nr at
  // nr * 3, summed over the CPUs (0 for the numbers not counted).
  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    Napi::Float64Array out = Napi::Float64Array::New(env, SV_MAX_SYSCALLS * kFields);
    for (uint32_t i = 0; i < out.ElementLength(); i++) out[i] = 0;
    int ncpu = libbpf_num_possible_cpus();
    if (ncpu <= 0) {
      ThrowSys(env, "read counts", "sysfs", ncpu < 0 ? -ncpu : EINVAL);
      return env.Undefined();
    }
    std::vector<struct svc_stat> vals(static_cast<size_t>(ncpu));
    for (uint32_t nr = 0; nr < SV_MAX_SYSCALLS; nr++) {
      if (!wanted_[nr]) continue;
      int err = bpf_map__lookup_elem(skel_->maps.stats, &nr, sizeof(nr), vals.data(),
                                     vals.size() * sizeof(struct svc_stat), 0);
      if (err) {
        ThrowSys(env, "read counts", "bpf", -err);
        return env.Undefined();
      }
      double calls = 0, errors = 0, ns = 0;
      for (const auto& v : vals) {
        calls += static_cast<double>(v.calls);
        errors += static_cast<double>(v.errors);
        ns += static_cast<double>(v.ns);
      }
      out[nr * kFields + SV_COUNT_CALLS] = calls;
      out[nr * kFields + SV_COUNT_ERRORS] = errors;
      out[nr * kFields + SV_COUNT_NS] = ns;
    }
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Cleanup();
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), skel_ == nullptr);
  }

  static void EnvCleanup(void* arg) {
    auto* self = static_cast<CountSession*>(arg);
    self->hook_added_ = false;  // the hook is being run: nothing to remove
    self->Cleanup();
  }

  // The one cleanup path: detach, unload, close every fd. Idempotent.
  void Cleanup() {
    if (skel_) {
      count_bpf__destroy(skel_);
      skel_ = nullptr;
    }
    if (hook_added_) {
      hook_added_ = false;
      napi_remove_env_cleanup_hook(env_, EnvCleanup, this);
    }
  }

  napi_env env_ = nullptr;
  struct count_bpf* skel_ = nullptr;
  std::vector<uint32_t> wanted_ = std::vector<uint32_t>(SV_MAX_SYSCALLS, 0);
  bool hook_added_ = false;
};

}  // namespace

void InitCountSession(Napi::Env env, Napi::Object exports) {
  exports.Set("CountSession", CountSession::Define(env));
}

}  // namespace sysvisor
