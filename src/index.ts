// sysvisor as a library: the engine API, the chain, the unotify transport and the built-ins.
export type { Engine, EngineContext, EngineFactory, EngineOptions, Next } from './chain/engine.js';
export { Result, type ResultKind, type FdInjector } from './chain/result.js';
export { Syscall, type TraceeMemory } from './chain/syscall.js';
export { compose, type Step } from './chain/compose.js';
export { EngineStack } from './chain/stack.js';
export { createExecutor } from './chain/executor.js';
export { Reporter } from './chain/report.js';
export { NextCalledTwiceError, SyscallGoneError, UnsupportedFeatureError, UsageError, SysvisorError } from './chain/errors.js';
export { planFilter, FilterPlanError, type Interest, type ArgTest, type FilterPlan, type ForeignAbi } from './filter/plan.js';
export { supervise, shellStatus, Supervision, type SuperviseOptions, type ExitStatus } from './transports/unotify/supervise.js';
export { CommandError } from './transports/unotify/command.js';
export { UnotifyTransport, ENGINE_FAILURE_ERRNO } from './transports/unotify/transport.js';
export { buildEngines } from './engines/build.js';
export { registerEngine, builtinEngines, findEngine, parseEngineSpec } from './engines/registry.js';
export { CountEngine } from './engines/count/count.js';
export { syscallName, syscallNumber, SYSCALLS } from './syscalls/table.js';
export { errnoName, errnoNumber } from './syscalls/errno.js';
export { loadBinding } from './native/load.js';
