// Where a signal came from. Node's signal events (libuv) carry no siginfo, so the supervisor cannot
// tell a Ctrl-C from the terminal (sent by the kernel to the whole foreground process group, which
// COMMAND is in too) from a kill(2) aimed at sysvisor alone. This wraps the handler libuv installed
// for a signal with one that counts the signals by origin, then calls libuv's.
//
//   watchSignalOrigin(sig)  after process.on(sig, ...): wrap the handler installed for sig
//   takeSignalOrigin(sig) -> 'kernel' | 'user' | null   one signal counted and not yet taken
//     ('user' first: when both came before the event, the order does not change what to do)
#include "common.h"

#include <signal.h>

#include <atomic>

namespace sysvisor {
namespace {

constexpr int kSignals = 65;
std::atomic<uint32_t> fromKernel[kSignals];
std::atomic<uint32_t> fromUser[kSignals];
struct sigaction previous[kSignals];
bool wrapped[kSignals];

void Handler(int sig, siginfo_t* si, void* uc) {
  if (si && si->si_code == SI_KERNEL) fromKernel[sig].fetch_add(1);
  else fromUser[sig].fetch_add(1);
  const struct sigaction& p = previous[sig];
  if (p.sa_flags & SA_SIGINFO) p.sa_sigaction(sig, si, uc);
  else if (p.sa_handler != SIG_DFL && p.sa_handler != SIG_IGN) p.sa_handler(sig);
}

bool ArgSignal(const Napi::CallbackInfo& info, int* sig) {
  if (!ArgNumber(info, 0, "signal")) return false;
  *sig = info[0].As<Napi::Number>().Int32Value();
  if (*sig > 0 && *sig < kSignals && *sig != SIGKILL && *sig != SIGSTOP) return true;
  Napi::RangeError::New(info.Env(), "parameter 'signal' must be a catchable signal number").ThrowAsJavaScriptException();
  return false;
}

Napi::Value WatchSignalOrigin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig;
  if (!ArgSignal(info, &sig)) return env.Undefined();
  struct sigaction cur = {};
  if (sigaction(sig, nullptr, &cur) < 0) {
    ThrowSys(env, "watch signal origin", "sigaction", errno);
    return env.Undefined();
  }
  if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == Handler) return env.Undefined();  // already
  previous[sig] = cur;
  struct sigaction mine = cur;  // same mask and flags (SA_RESTART...) as libuv's
  mine.sa_flags |= SA_SIGINFO;
  mine.sa_sigaction = Handler;
  if (sigaction(sig, &mine, nullptr) < 0) ThrowSys(env, "watch signal origin", "sigaction", errno);
  wrapped[sig] = true;
  return env.Undefined();
}

Napi::Value TakeSignalOrigin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig;
  if (!ArgSignal(info, &sig)) return env.Undefined();
  for (auto* counter : {&fromUser[sig], &fromKernel[sig]}) {
    uint32_t n = counter->load();
    while (n > 0 && !counter->compare_exchange_weak(n, n - 1)) {
    }
    if (n > 0) return Napi::String::New(env, counter == &fromUser[sig] ? "user" : "kernel");
  }
  return env.Null();
}

}  // namespace

void InitSignalOrigin(Napi::Env env, Napi::Object exports) {
  exports.Set("watchSignalOrigin", Napi::Function::New(env, WatchSignalOrigin, "watchSignalOrigin"));
  exports.Set("takeSignalOrigin", Napi::Function::New(env, TakeSignalOrigin, "takeSignalOrigin"));
}

}  // namespace sysvisor
