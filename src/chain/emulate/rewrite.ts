// Rewrite in place + CONTINUE, restored at syscall exit: for calls the supervisor cannot run itself
// (execve, chdir, bind/connect) and for the emulations that fall back to the kernel (paths through
// procfs, devices, FIFOs, another user namespace). The changed strings are written over the
// tracee's own buffers; the kernel then runs the call as the tracee (its credentials, its /proc/self),
// so a thread that flips the buffer meanwhile gains nothing it could not do natively. The addon puts
// the original bytes back when the call returns, before the thread runs user code (a ptrace stop at
// syscall exit; see addon/src/emulate/rewrite.cc).
import { constants as os } from 'node:os';
import type { RawBinding } from '../../native/load.js';
import type { RewriteRequest } from '../../native/binding.js';
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';

export interface RewriteContext {
  binding: Pick<RawBinding, 'rewriteContinue'>;
  /** False when the filter lacks WAIT_KILLABLE_RECV: restore by polling instead of a ptrace stop. */
  killableWait: boolean;
  report(line: string): void;
}

const E = os.errno;

/** One memory change: at `addr`, `bytes` replace the tracee's bytes (read back for the restore). */
export interface Patch {
  addr: number;
  bytes: Buffer;
}

/**
 * Writes the patches (each checked to be readable; the old bytes read once, ID_VALID-checked) and
 * returns CONTINUED; the addon restores the old bytes at syscall exit. An error Result when the
 * memory cannot be read or written.
 */
export function continueWithPatches(call: Syscall, ctx: RewriteContext, patches: readonly Patch[], exec = false, atExit: Pick<RewriteRequest, 'execFn' | 'linkBack'> = {}): Result {
  if (patches.length === 0 && atExit.execFn === undefined && atExit.linkBack === undefined) return Result.CONTINUED;
  const regions: [number, Buffer, Buffer][] = [];
  for (const p of patches) {
    const old = call.memory.readBytes(p.addr, p.bytes.length);
    if (old === null) return Result.error(E.EFAULT);
    regions.push([p.addr, p.bytes, old]);
  }
  const r = ctx.binding.rewriteContinue({ tid: call.tid, regions, exec, killableWait: ctx.killableWait, ...atExit });
  if (r === -E.EFAULT) ctx.report(`cannot realize changed ${call.name}(): the argument to rewrite in place lies in shared memory (a file mapping, or memory shared with another process)`);
  if (r < 0) return Result.error(-r);
  if (r === 2) ctx.report(`${call.name}: could not stop the thread at syscall exit (traced by another tracer?): the rewritten path is restored a little late`);
  return Result.CONTINUED;
}

/**
 * CONTINUE, with the peer's address the call returns put into the view at its exit (see
 * RewriteRequest.addressBack); nothing is written on entry.
 */
export function continueWithAddressBack(call: Syscall, ctx: RewriteContext, back: NonNullable<RewriteRequest['addressBack']>): Result {
  const r = ctx.binding.rewriteContinue({ tid: call.tid, regions: [], exec: false, killableWait: ctx.killableWait, addressBack: back });
  return r < 0 ? Result.error(-r) : Result.CONTINUED;
}

/**
 * The patches that realize the engines' changed string arguments in place: each new string
 * (NUL-terminated) over the tracee's, which must be at least as long. Null when one does not fit.
 */
export function stringPatches(call: Syscall, skip: ReadonlySet<number> = new Set()): Patch[] | null {
  const patches: Patch[] = [];
  for (const [i, s] of call.strings) {
    if (skip.has(i)) continue;
    const orig = call.traceeLatin1(i);
    const bytes = Buffer.from(s + '\0', 'latin1');
    if (orig === null || bytes.length > orig.length + 1) return null;
    patches.push({ addr: call.original[i]!, bytes });
  }
  return patches;
}

/** Rewrites every changed string argument in place and continues (restored at exit). */
export function rewriteStrings(call: Syscall, ctx: RewriteContext, exec = false, atExit: Pick<RewriteRequest, 'execFn' | 'linkBack'> = {}): Result {
  const patches = stringPatches(call);
  if (patches === null) {
    ctx.report(`cannot realize changed ${call.name}(): a changed path is longer than the tracee's buffer`);
    return Result.error(E.ENAMETOOLONG);
  }
  return continueWithPatches(call, ctx, patches, exec, atExit);
}
