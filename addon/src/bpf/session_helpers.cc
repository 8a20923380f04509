// The steps the eBPF sessions share (see session_helpers.h).
#include "session_helpers.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace sysvisor {
namespace bpf {

namespace {
int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  static const bool debug = getenv("SYSVISOR_DEBUG_BPF") != nullptr;
  if (!debug) return 0;
  return vfprintf(stderr, fmt, args);
}
}  // namespace

void QuietLibbpf() { libbpf_set_print(LibbpfPrint); }

SignalsBlocked::SignalsBlocked() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old_);
}

SignalsBlocked::~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

std::string FailedAttach(const struct bpf_object_skeleton* s) {
  for (int i = 0; i < s->prog_cnt; i++) {
    const auto* p = reinterpret_cast<const struct bpf_prog_skeleton*>(reinterpret_cast<const char*>(s->progs) +
                                                                      static_cast<size_t>(i) * s->prog_skel_sz);
    const struct bpf_program* prog = *p->prog;
    if (*p->link || !bpf_program__autoload(prog) || !bpf_program__autoattach(prog)) continue;
    return std::string("attach ") + bpf_program__section_name(prog);
  }
  return "attach";
}

bool ArgTgid(const Napi::CallbackInfo& info, size_t i, uint32_t* tgid) {
  if (!ArgNumber(info, i, "tgid")) return false;
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d < 1 || d > 4194304 || d != static_cast<double>(static_cast<int64_t>(d))) {
    ThrowRange(info.Env(), "parameter 'tgid' must be a process id");
    return false;
  }
  *tgid = static_cast<uint32_t>(d);
  return true;
}

bool RefuseSelf(Napi::Env env, uint32_t tgid, const char* op, const char* why) {
  if (tgid != static_cast<uint32_t>(getpid())) return true;
  ThrowRange(env, std::string(op) + ": refusing to " + why);
  return false;
}

bool AddTraced(Napi::Env env, struct bpf_map* map, uint32_t tgid, const char* op, uint8_t value) {
  __u8 v = value;
  int err = bpf_map__update_elem(map, &tgid, sizeof(tgid), &v, sizeof(v), BPF_ANY);
  if (!err) return true;
  ThrowSys(env, op, "bpf", -err);
  return false;
}

uint64_t PercpuSum(struct bpf_map* map, uint32_t key) {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<uint64_t> vals(static_cast<size_t>(ncpu));
  if (bpf_map__lookup_elem(map, &key, sizeof(key), vals.data(), vals.size() * sizeof(uint64_t), 0)) return 0;
  uint64_t sum = 0;
  for (uint64_t v : vals) sum += v;
  return sum;
}

void ThrowClosed(Napi::Env env, const char* cls) {
  Napi::Error e = Napi::Error::New(env, std::string(cls) + " is closed");
  e.Set("code", Napi::String::New(env, "ERR_CLOSED"));
  e.ThrowAsJavaScriptException();
}

}  // namespace bpf
}  // namespace sysvisor
