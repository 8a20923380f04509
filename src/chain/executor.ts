// The executor, at the bottom of the onion, realizes the call as the engines left it:
// - unchanged: CONTINUE (the kernel runs it natively), unless an engine wants the result and the
//   call can be emulated;
// - changed, and the supervisor can emulate it: emulate as the tracee, reply with the result or fd;
// - only string arguments changed, each fitting in the tracee's buffer: rewritten in place, CONTINUE,
//   the tracee's bytes restored at syscall exit (emulate/rewrite.ts);
// - otherwise the change cannot be realized: ENOSYS, reported.
import { Result } from './result.js';
import type { Syscall } from './syscall.js';
import type { Emulator } from './emulate/open.js';
import { continueWithPatches, stringPatches, type RewriteContext } from './emulate/rewrite.js';

export interface ExecutorOptions {
  emulators: Readonly<Record<string, Emulator>>;
  /** How changed strings are rewritten in place (absent: a change without an emulator is ENOSYS). */
  rewrite?: RewriteContext;
  report(line: string): void;
}

const ENOSYS = 38;

export function createExecutor(opts: ExecutorOptions): (call: Syscall) => Result {
  return (call) => {
    const emulate = opts.emulators[call.name];
    if (!call.changed) return call.wantsResult && emulate ? emulate(call, call.tid) : Result.CONTINUED;
    if (emulate) return emulate(call, call.tid);
    // seccomp cannot change argument registers: only strings no longer than the tracee's fit.
    const patches = opts.rewrite && onlyStringsChanged(call) ? stringPatches(call) : null;
    if (patches !== null) return continueWithPatches(call, opts.rewrite!, patches);
    opts.report(`cannot realize changed ${call.name}(): no emulation and its arguments do not fit in place`);
    return Result.error(ENOSYS);
  };
}

function onlyStringsChanged(call: Syscall): boolean {
  for (let i = 0; i < 6; i++) if (call.args[i] !== call.original[i]) return false;
  return true;
}
