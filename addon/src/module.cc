// Entry point of the sysvisor addon: each part registers its own exports.
#include "common.h"

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  sysvisor::InitLauncher(env, exports);
  sysvisor::InitProcess(env, exports);
  sysvisor::InitControl(env, exports);
  sysvisor::InitSignalOrigin(env, exports);
  sysvisor::InitPump(env, exports);
  sysvisor::InitTracer(env, exports);
  sysvisor::InitTraceeMem(env, exports);
  sysvisor::InitEmulate(env, exports);
  sysvisor::InitTraceSession(env, exports);
  sysvisor::InitCountSession(env, exports);
  sysvisor::InitAgent(env, exports);
  sysvisor::InitContract(env, exports);
  return exports;
}

NODE_API_MODULE(sysvisor, Init)
