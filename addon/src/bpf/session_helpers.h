// What the eBPF sessions (trace_session.cc, count_session.cc) share, as libbpf-tools' *_helpers.c:
// libbpf's messages, loading without signal interruptions, attaching through the skeleton with
// an error that names the program, the traced-process map, per-CPU sums, argument checks and the
// closed-session error. Each session keeps its own open -> configure -> load -> attach ->
// (poll) -> destroy sequence; these are its steps.
#pragma once
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <signal.h>

#include <cstdint>
#include <string>

#include "../common.h"

namespace sysvisor {
namespace bpf {

// libbpf prints verifier logs and warnings to stderr by default; sessions turn failures into
// one-line errors instead, and libbpf's own messages are printed only with SYSVISOR_DEBUG_BPF.
void QuietLibbpf();

// Every signal blocked on this thread while it lives.
class SignalsBlocked {
 public:
  SignalsBlocked();
  ~SignalsBlocked();
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t old_;
};

// Runs `load()` (a skeleton's __load) with every signal blocked: the verifier gives up with
// EAGAIN when a signal is pending (libbpf retries a few times only), so a profiler's SIGPROF
// every millisecond would make loading fail. Returns what `load` returned.
template <class F>
int LoadWithoutSignals(F load) {
  SignalsBlocked blocked;
  return load();
}

// The program of skeleton `s` whose attach failed: the first one meant to be attached that has
// no link (libbpf attaches in order and stops at the first failure), as "attach <section>".
std::string FailedAttach(const struct bpf_object_skeleton* s);

// `attach()` is the skeleton's __attach (every program that has an attach point; each link is
// kept in the skeleton, so that __destroy detaches it). On failure returns the errno and sets
// *what to the operation that failed ("attach raw_tp/sys_enter").
template <class F>
int Attach(const struct bpf_object_skeleton* s, F attach, std::string* what) {
  int err = attach();
  if (!err) return 0;
  *what = FailedAttach(s);
  return err < 0 ? -err : err;
}

// Argument `i` as a process id (1..PID_MAX_LIMIT); throws a RangeError naming `name` otherwise.
bool ArgTgid(const Napi::CallbackInfo& info, size_t i, uint32_t* tgid);

// A session never watches the supervisor itself (its own reads would feed back into the
// session): throws a RangeError "<op>: refusing to <verb> the supervisor itself..." and returns
// false for our own process id.
bool RefuseSelf(Napi::Env env, uint32_t tgid, const char* op, const char* why);

// Adds tgid to a `traced_tgids` hash map (tgid -> value); throws "<op>: <strerror>" on failure.
bool AddTraced(Napi::Env env, struct bpf_map* map, uint32_t tgid, const char* op, uint8_t value = 1);

// Sum over the possible CPUs of a per-CPU array of __u64 at `key` (0 when unreadable).
uint64_t PercpuSum(struct bpf_map* map, uint32_t key);

// The error of a call on a closed session: "<Class> is closed", code ERR_CLOSED.
void ThrowClosed(Napi::Env env, const char* cls);

inline void ThrowRange(Napi::Env env, const std::string& msg) {
  Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
}

}  // namespace bpf
}  // namespace sysvisor
