// The executor, at the bottom of the onion, realizes the call as the engines left it:
// - unchanged: CONTINUE (the kernel runs it natively), unless an engine wants the result and the
//   call can be emulated;
// - changed, and the supervisor can emulate it: emulate as the tracee, reply with the result or fd;
// - changed string arguments that fit in place: rewrite the tracee's memory, then CONTINUE;
// - otherwise the change cannot be realized: ENOSYS, reported.
import { Result } from './result.js';
import type { Syscall } from './syscall.js';
import type { Emulator } from './emulate/open.js';

export interface ExecutorOptions {
  emulators: Readonly<Record<string, Emulator>>;
  report(line: string): void;
}

const ENOSYS = 38;

export function createExecutor(opts: ExecutorOptions): (call: Syscall) => Result {
  return (call) => {
    const emulate = opts.emulators[call.name];
    if (!call.changed) return call.wantsResult && emulate ? emulate(call, call.tid) : Result.CONTINUED;
    if (emulate) return emulate(call, call.tid);
    if (rewriteInPlace(call)) return Result.CONTINUED;
    opts.report(`cannot realize changed ${call.name}(): no emulation and its arguments do not fit in place`);
    return Result.error(ENOSYS);
  };
}

// Only string arguments changed, each no longer than the tracee's: write them over the tracee's
// buffers. (seccomp cannot change argument registers, so a longer string has no room.)
function rewriteInPlace(call: Syscall): boolean {
  for (let i = 0; i < 6; i++) if (call.args[i] !== call.original[i]) return false;
  const writes: [number, Buffer][] = [];
  for (const [i, s] of call.strings) {
    const orig = call.traceeString(i);
    const bytes = Buffer.from(s + '\0');
    if (orig === null || bytes.length > Buffer.byteLength(orig) + 1) return false;
    writes.push([call.original[i]!, bytes]);
  }
  for (const [addr, bytes] of writes) call.memory.writeBytes(addr, bytes);
  return call.memory.valid();
}
