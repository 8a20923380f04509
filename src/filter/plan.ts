// Filter planning, pure: from what the engines declare (syscalls, optional argument tests) to the
// seccomp program. Shape: architecture check, then a binary search on the syscall number; a
// syscall nobody declared reaches RET ALLOW without loading any argument, so the kernel's
// constant-action bitmap caches it and it runs at native speed.
import { Assembler, AUDIT_ARCH_X86_64, BPF, DATA, encode, SECCOMP_RET, X32_SYSCALL_BIT, type Insn } from './cbpf.js';
import { syscallName, syscallNumber } from '../syscalls/table.js';

/** A test on one 64-bit argument: equality, or "any of these bits set". */
export type ArgTest = { arg: number; eq: number | bigint } | { arg: number; anyBits: number | bigint };

/** "Notify me of this syscall", optionally only when every test holds. */
export interface Interest {
  syscall: string | number;
  when?: readonly ArgTest[];
}

/**
 * How an intercepted call reaches the supervisor: a user notification (the unotify transport) or a
 * ptrace stop of its tracer (SECCOMP_RET_TRACE, the ptrace transport).
 */
export type InterceptAction = 'notify' | 'trace';

/** What to do with calls of a foreign ABI (i386, x32), which use other numbers. */
export type ForeignAbi = 'allow' | 'enosys' | 'kill';

/**
 * Syscalls whose work escapes a seccomp filter: io_uring runs opens, reads, connects... as ring
 * operations that no syscall entry carries. Refused (ENOSYS) when engines need to see everything.
 */
export const BYPASS_SYSCALLS: readonly string[] = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];

const ENOSYS = 38;

export interface FilterPlan {
  /** Notified syscall numbers, sorted. */
  readonly syscalls: readonly number[];
  /** Numbers notified only when their argument tests hold. */
  readonly conditional: ReadonlyMap<number, readonly (readonly ArgTest[])[]>;
  readonly program: readonly Insn[];
  /** struct sock_filter[] ready for seccomp(2). */
  readonly bytes: Buffer;
}

export class FilterPlanError extends Error {
  override name = 'FilterPlanError';
}

function resolveNr(s: string | number): number {
  const nr = typeof s === 'number' ? s : syscallNumber(s);
  if (nr === undefined || !Number.isInteger(nr) || nr < 0 || nr >= X32_SYSCALL_BIT)
    throw new FilterPlanError(`unknown syscall: ${String(s)}`);
  return nr;
}

function u64(v: number | bigint): bigint {
  return BigInt.asUintN(64, BigInt(v));
}

/**
 * Plans the filter. `all` notifies every x86_64 syscall. Tests on the same syscall from several
 * interests are OR'ed; an interest without tests makes the syscall unconditional.
 */
export function planFilter(interests: readonly Interest[] | 'all', foreign: ForeignAbi = 'allow', refused: readonly (string | number)[] = [], action: InterceptAction = 'notify'): FilterPlan {
  const intercept = action === 'trace' ? SECCOMP_RET.TRACE : SECCOMP_RET.USER_NOTIF;
  const cond = new Map<number, ArgTest[][] | 'always'>();
  if (interests !== 'all') {
    for (const it of interests) {
      const nr = resolveNr(it.syscall);
      for (const t of it.when ?? []) {
        if (!Number.isInteger(t.arg) || t.arg < 0 || t.arg > 5)
          throw new FilterPlanError(`${syscallName(nr)}: argument index ${t.arg} out of range 0..5`);
      }
      const prev = cond.get(nr);
      if (!it.when || it.when.length === 0) cond.set(nr, 'always');
      else if (prev !== 'always') cond.set(nr, [...(prev ?? []), [...it.when]]);
    }
  }
  const refusedNrs = [...new Set(refused.map(resolveNr))].sort((a, b) => a - b);
  for (const nr of refusedNrs) cond.delete(nr); // refused before anyone could be notified of them
  const nrs = [...cond.keys()].sort((a, b) => a - b);
  const a = new Assembler();
  const allow = a.newLabel('allow');
  const notify = a.newLabel('notify');
  const foreignL = a.newLabel('foreign');

  const body = a.newLabel('body');
  a.load(DATA.arch);
  a.jump(BPF.JEQ_K, AUDIT_ARCH_X86_64, undefined, foreignL);
  a.load(DATA.nr);
  a.jump(BPF.JGE_K, X32_SYSCALL_BIT, foreignL, body);
  a.label(foreignL); // kept near the checks: conditional jumps reach 255 instructions at most
  a.ret(foreign === 'allow' ? SECCOMP_RET.ALLOW : foreign === 'kill' ? SECCOMP_RET.KILL_PROCESS : SECCOMP_RET.ERRNO | ENOSYS);
  a.label(body);
  if (refusedNrs.length) {
    const enosys = a.newLabel('enosys');
    const rest = a.newLabel('rest');
    for (const nr of refusedNrs) a.jump(BPF.JEQ_K, nr, enosys, undefined);
    a.ja(rest);
    a.label(enosys);
    a.ret(SECCOMP_RET.ERRNO | ENOSYS);
    a.label(rest);
  }
  if (interests === 'all') {
    a.ret(intercept);
  } else {
    emitTree(a, nrs, cond, allow, notify);
  }
  a.label(allow);
  a.ret(SECCOMP_RET.ALLOW);
  a.label(notify);
  a.ret(intercept);

  const program = a.assemble();
  const conditional = new Map<number, ArgTest[][]>();
  for (const [nr, c] of cond) if (c !== 'always') conditional.set(nr, c);
  return { syscalls: nrs, conditional, program, bytes: encode(program) };
}

// Binary search on the syscall number held in the accumulator. Far targets are reached with `ja`.
function emitTree(a: Assembler, nrs: readonly number[], cond: Map<number, ArgTest[][] | 'always'>, allow: string, notify: string): void {
  if (nrs.length === 0) {
    a.ja(allow);
    return;
  }
  if (nrs.length <= 3) {
    for (const nr of nrs) {
      const next = a.newLabel('n');
      const body = a.newLabel('b');
      a.jump(BPF.JEQ_K, nr, body, next);
      a.label(body);
      emitLeaf(a, cond.get(nr)!, allow, notify);
      a.label(next);
    }
    a.ja(allow);
    return;
  }
  const mid = nrs.length >> 1;
  const right = a.newLabel('r');
  const left = a.newLabel('l');
  a.jump(BPF.JGE_K, nrs[mid]!, undefined, left);
  a.ja(right);
  a.label(left);
  emitTree(a, nrs.slice(0, mid), cond, allow, notify);
  a.label(right);
  emitTree(a, nrs.slice(mid), cond, allow, notify);
}

// The accumulator holds the number; notify if any test group holds. Loads arguments, so this
// syscall is (correctly) not cached as ALLOW.
function emitLeaf(a: Assembler, c: ArgTest[][] | 'always', allow: string, notify: string): void {
  if (c === 'always') {
    a.ja(notify);
    return;
  }
  for (const group of c) {
    const fail = a.newLabel('f');
    for (const t of group) {
      // Each test ends in "pass" (fall through) or a near trampoline to this group's failure.
      const pass = a.newLabel('p');
      const no = a.newLabel('x');
      const v = u64('eq' in t ? t.eq : t.anyBits);
      const lo = Number(v & 0xffffffffn);
      const hi = Number(v >> 32n);
      if ('eq' in t) {
        a.load(DATA.argLo(t.arg));
        a.jump(BPF.JEQ_K, lo, undefined, no);
        a.load(DATA.argHi(t.arg));
        a.jump(BPF.JEQ_K, hi, pass, no);
      } else {
        a.load(DATA.argLo(t.arg));
        a.jump(BPF.JSET_K, lo, pass, undefined);
        a.load(DATA.argHi(t.arg));
        a.jump(BPF.JSET_K, hi, pass, no);
      }
      a.label(no);
      a.ja(fail);
      a.label(pass);
    }
    a.ja(notify);
    a.label(fail);
  }
  a.ja(allow);
}
