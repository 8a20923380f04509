// The parts of the emulation module (addon/src/emulate), registered by InitEmulate.
#pragma once
#include <napi.h>

namespace sysvisor {
namespace emulate {

void InitEmulate(Napi::Env env, Napi::Object exports);
// pathAs(): path calls other than open, run as the tracee (path_as.cc).
void InitPathAs(Napi::Env env, Napi::Object exports);
// taskInfo(): what /proc says about a thread (task.cc).
void InitTask(Napi::Env env, Napi::Object exports);
// rewriteContinue(): rewrite arguments in place for a CONTINUE, restored at syscall exit (rewrite.cc).
void InitRewrite(Napi::Env env, Napi::Object exports);

}  // namespace emulate
}  // namespace sysvisor
