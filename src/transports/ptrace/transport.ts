// The ptrace transport: turns each seccomp stop of the tracer thread (addon/src/ptrace/tracer.cc)
// into a Syscall, runs it through the engine stack, and executes the final result by registers:
// continue, skip with a value or errno, or run with changed arguments and (for those, and for
// calls whose result an engine wants) come back at the syscall-exit stop, where the engines' exit
// halves see the kernel's real result and may replace it. Engines never see how a call reached them.
import { closeSync, readFileSync } from 'node:fs';
import type { RawBinding } from '../../native/load.js';
import type { Tracer } from '../../native/binding.js';
import { Result } from '../../chain/result.js';
import { Syscall, type TraceeMemory } from '../../chain/syscall.js';
import type { ScopeTree } from '../../scopes/tree.js';
import type { ControlServer } from '../../scopes/control.js';
import { CONTROL_MAGIC } from '../../scopes/protocol.js';
import { SyscallGoneError } from '../../chain/errors.js';
import type { Reporter } from '../../chain/report.js';
import { syscallNumber } from '../../syscalls/table.js';
import { NOTIF, PTRACE, REPLY } from '../../native/contract.js';
import { ENGINE_FAILURE_ERRNO, fastPathOf, heldFor, isPromise, nativeCallsOf, type HeldCall } from '../unotify/transport.js';

const PRCTL = syscallNumber('prctl')!;
const SYS_PTRACE = syscallNumber('ptrace')!;
const SYS_SIGALTSTACK = syscallNumber('sigaltstack')!;
/** stack_t: ss_sp (u64) at 0, ss_flags (int) at 8, ss_size (u64) at 16. */
const STACK_T_BYTES = 24;
const SS_DISABLE = 2;
/** Alternate signal stacks remembered (the oldest forgotten first): what a tree makes us hold is bounded. */
const MAX_ALT_STACKS = 1024;
const ENOSYS = 38;
const EPERM = 1;
/** ptrace requests that make a tracer: PTRACE_TRACEME, PTRACE_ATTACH, PTRACE_SEIZE. */
const TRACER_REQUESTS = [0, 16, 0x4206] as const;

/**
 * What the filter stops besides the engines' calls: a program becoming a tracer (gdb, strace), and
 * a thread setting an alternate signal stack (its bounds: a path written below a thread's red zone
 * must stay on that stack while the thread runs on it).
 */
export const TRACER_INTERESTS = [
  ...TRACER_REQUESTS.map((r) => ({ syscall: 'ptrace', when: [{ arg: 0, eq: r }] })),
  { syscall: 'sigaltstack', when: [{ arg: 0, anyBits: 0xffffffffffffffffn }] },
];

// Is sysvisor the tracer of pid (TracerPid in /proc/PID/status)?
function tracedByUs(pid: number): boolean {
  try {
    return new RegExp(`^TracerPid:\\s*${process.pid}$`, 'm').test(readFileSync(`/proc/${pid}/status`, 'latin1'));
  } catch {
    return false;
  }
}

/** Names the engines an fd result may come from (the ptrace transport cannot install one). */
function enginesOf(call: Syscall): string {
  const names = call.route.map((e) => e.name);
  return names.length === 1 ? `engine ${names[0]}` : `one of the engines ${names.join(', ')}`;
}

/** What the ptrace transport cannot do: give the tracee an fd the supervisor opened (no ADDFD). */
function fdRefused(call: Syscall): string {
  return `${enginesOf(call)} answered ${call.name}() with an fd (Result.fd), which the ptrace transport cannot give the tracee (no counterpart of seccomp's ADDFD): the call fails with ENOSYS; use --transport unotify`;
}

// Memory of one stopped thread.
class StopAccess implements TraceeMemory {
  constructor(private readonly tracer: Tracer, private readonly binding: RawBinding, private readonly tid: number) {}
  readString(addr: number, max?: number): string | null {
    return this.tracer.readString(this.tid, addr, max);
  }
  readBytes(addr: number, length: number): Buffer | null {
    return this.tracer.readBytes(this.tid, addr, length);
  }
  writeBytes(addr: number, bytes: Buffer): number {
    return this.binding.writeTracee(this.tid, addr, bytes);
  }
  prefetchedPath(): string | undefined {
    return undefined;
  }
  valid(): boolean {
    return this.tracer.valid(this.tid);
  }
  arg64(index: number): bigint {
    return this.tracer.arg64(this.tid, index) ?? 0n;
  }
  /** No fd can be installed: an engine reading an fd result's value sees ENOSYS (the transport says why). */
  injectFd(): number {
    return -ENOSYS;
  }
}

/** A call run with the kernel whose syscall-exit stop the chain waits for. */
interface Running {
  resolve(r: Result): void;
  reject(e: unknown): void;
  /** The result made from the exit stop's value (answered as is: no register change). */
  made?: Result;
  /** The chain finished before the exit stop came (an engine did not wait for next()). */
  final?: Result | { errno: number };
}

export class PtraceTransport {
  readonly tracer: Tracer;
  private readonly batch: Float64Array;
  private readonly replies: Float64Array;
  private readonly held = new Map<Syscall, number>();
  /** Calls running in the kernel, by thread, whose exit stop the chain waits for. */
  private readonly running = new Map<number, Running>();

  constructor(
    private readonly binding: RawBinding,
    pid: number,
    private readonly scopes: ScopeTree,
    private readonly reporter: Reporter,
    private readonly control?: ControlServer,
    entryFilter?: Buffer,
    private readonly notified: readonly number[] = [],
  ) {
    this.tracer = new binding.Tracer(pid, (n) => this.onBatch(n), entryFilter);
    this.batch = this.tracer.batch;
    this.replies = this.tracer.replies;
    this.configureFastPath();
    scopes.onChange = () => this.configureFastPath();
  }

  // What the tracer thread resumes without JS, as unotify's pump decides it (fastPathOf), but for
  // the calls this transport itself watches (sigaltstack, ptrace: TRACER_INTERESTS); and the calls
  // whose path it maps under their chain's native plans (nativeCallsOf; the identity cache is not
  // used here, as for the executor's viewPath: credentials are not seen over ptrace).
  private configureFastPath(): void {
    const notified = this.notified.filter((nr) => nr !== SYS_SIGALTSTACK && nr !== SYS_PTRACE);
    const { config, routed } = fastPathOf(this.scopes, notified);
    this.tracer.setFastPath({ ...config, native: nativeCallsOf(this.scopes, routed, false).native });
  }

  /**
   * Lets the stopped call run with these argument registers changed (restored at its exit) and
   * resolves with its result at the syscall-exit stop. Used by the executor (executor.ts).
   */
  runToExit(call: Syscall, sets: readonly (readonly [number, number | bigint])[]): Promise<Result> {
    if (!this.setArgs(call, sets)) return Promise.reject(new SyscallGoneError(`set ${call.name} arguments`));
    return new Promise<Result>((resolve, reject) => {
      this.running.set(call.tid, { resolve, reject });
      if (!this.tracer.continue(call.tid, true)) {
        this.running.delete(call.tid);
        reject(new SyscallGoneError(`run ${call.name}`));
      }
    });
  }

  /** Lets the stopped call run with these argument registers changed (restored at its exit): CONTINUED. */
  runWith(call: Syscall, sets: readonly (readonly [number, number | bigint])[]): Result {
    if (!this.setArgs(call, sets)) throw new SyscallGoneError(`set ${call.name} arguments`);
    return Result.CONTINUED;
  }

  /** Makes the stopped thread make syscall nr instead, with these argument registers; false once gone. */
  redo(call: Syscall, nr: number, sets: readonly (readonly [number, number | bigint])[]): boolean {
    return this.setArgs(call, sets) && this.tracer.redoAs(call.tid, nr);
  }

  // The argument registers the call's answer sets; false when the thread holds no call any more.
  private setArgs(call: Syscall, sets: readonly (readonly [number, number | bigint])[]): boolean {
    const flat: (number | bigint)[] = [];
    for (const [i, v] of sets) flat.push(i, v);
    return flat.length === 0 || this.tracer.setArgs(call.tid, ...flat);
  }

  /** If the stopped execve succeeds, the new program's AT_EXECFN names `name`; false once gone. */
  execName(call: Syscall, name: string): boolean {
    return this.tracer.execName(call.tid, name);
  }

  /** The stack pointer of the stopped thread (undefined once gone). */
  stackPointer(tid: number): number | undefined {
    return this.tracer.stackPointer(tid);
  }

  /**
   * The lowest address below `sp` that may be written: the bottom of an alternate signal stack
   * that holds sp (the thread runs a handler on it), else undefined (its stack grows down).
   * Alternate stacks are known from the tree's sigaltstack calls (inherited by fork: the
   * addresses stay meaningful; one of another process that happens to hold sp only makes this
   * stricter).
   */
  stackFloor(sp: number): number | undefined {
    for (const [lo, hi] of this.altStacks) if (sp > lo && sp <= hi) return lo;
    return undefined;
  }

  private readonly altStacks: [number, number][] = [];

  // sigaltstack(ss, old) with ss set: its bounds are remembered before the call runs (a call the
  // kernel refuses only makes stackFloor stricter).
  private noteAltStack(call: Syscall): void {
    const ss = call.memory.readBytes(call.args[0]!, STACK_T_BYTES);
    if (ss === null || (ss.readInt32LE(8) & SS_DISABLE) !== 0) return;
    const lo = Number(ss.readBigUInt64LE(0));
    const size = Number(ss.readBigUInt64LE(16));
    if (size <= 0) return;
    if (this.altStacks.length >= MAX_ALT_STACKS) this.altStacks.shift();
    this.altStacks.push([lo, lo + size]);
  }

  // One call per wake-up: seccomp stops, and the exit stops of calls the chain waits for.
  private onBatch(count: number): boolean {
    const b = this.batch;
    let async = false;
    for (let i = 0; i < count; i++) {
      const o = i * NOTIF.FIELDS;
      const tid = b[o + NOTIF.PID]!;
      const nr = b[o + NOTIF.NR]!;
      const a = o + NOTIF.ARG0;
      if (nr === PTRACE.EXIT_NR) {
        this.onExit(tid, b[a]!, b[a + 1] === 1);
        continue;
      }
      const access = new StopAccess(this.tracer, this.binding, tid);
      const call = new Syscall(tid, nr, [b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!], access);
      async = this.dispatch(i, call) || async;
    }
    return async;
  }

  private onExit(tid: number, value: number, gone: boolean): void {
    const r = this.running.get(tid);
    if (!r) return;
    this.running.delete(tid);
    if (gone) {
      r.reject(new SyscallGoneError('syscall exit'));
      return;
    }
    if (r.final) {
      // The chain already finished: its answer applies now.
      this.answer(tid, r.final);
      return;
    }
    // A pending exit answered by the chain's final result (finish), through `made`.
    const made = Result.ran(value);
    this.made.set(tid, made);
    r.resolve(made);
  }

  /** Results made from an exit stop's value, by thread: answered unchanged, the registers stay. */
  private readonly made = new Map<number, Result>();

  private dispatch(index: number, call: Syscall): boolean {
    let r: Result | Promise<Result>;
    if (call.nr === SYS_SIGALTSTACK && call.args[0] !== 0) this.noteAltStack(call);
    try {
      if (call.nr === PRCTL && call.args[0] === CONTROL_MAGIC && this.control) r = this.control.handle(call);
      else if (call.nr === SYS_PTRACE && (TRACER_REQUESTS as readonly number[]).includes(call.args[0]!)) {
        call.wantResult(); // the kernel's answer: EPERM when sysvisor is the tracer already
        r = Promise.resolve(this.scopes.stackFor(call.tid).step(call.nr)(call)).then((res) => this.tracerRefused(call, res));
      } else r = this.scopes.stackFor(call.tid).step(call.nr)(call);
    } catch (e) {
      this.fail(call, e);
      return false;
    }
    if (isPromise(r)) {
      this.held.set(call, Date.now());
      r.then(
        (res) => {
          this.held.delete(call);
          this.finish(-1, call, res);
        },
        (e) => {
          this.held.delete(call);
          this.fail(call, e);
        },
      );
      return true;
    }
    this.finish(index, call, r);
    return false;
  }

  // Sends the final result: through `replies` while inside the batch call (index >= 0), else directly.
  private finish(index: number, call: Syscall, r: Result): void {
    if (!(r instanceof Result)) {
      this.fail(call, new TypeError(`engine returned ${typeof r} instead of a Result`));
      return;
    }
    if (r.kind === 'fd') {
      closeSync(r.localFd);
      this.reporter.once(fdRefused(call));
      this.final(call.tid, { errno: ENOSYS });
      return;
    }
    const made = this.made.get(call.tid);
    this.made.delete(call.tid);
    if (made !== undefined && r === made) {
      this.tracer.continue(call.tid, false); // the kernel's own result, registers untouched
      return;
    }
    if (index >= 0 && !this.running.has(call.tid)) {
      const o = index * REPLY.FIELDS;
      if (r.kind === 'continued') this.replies[o] = REPLY.CONTINUE;
      else if (r.kind === 'value') {
        this.replies[o] = REPLY.VALUE;
        this.replies[o + 1] = r.value;
      } else {
        this.replies[o] = REPLY.ERRNO;
        this.replies[o + 1] = r.errno;
      }
      return;
    }
    this.final(call.tid, r);
  }

  // The final answer of a call outside the batch, or kept until its exit stop when it still runs.
  private final(tid: number, r: Result | { errno: number }): void {
    const running = this.running.get(tid);
    if (running) {
      running.final = r;
      return;
    }
    this.answer(tid, r);
  }

  private answer(tid: number, r: Result | { errno: number }): void {
    if (!(r instanceof Result)) this.tracer.reply(tid, 0, r.errno);
    else if (r.kind === 'continued') this.tracer.continue(tid, false);
    else if (r.kind === 'value') this.tracer.reply(tid, r.value, 0);
    else this.tracer.reply(tid, 0, r.errno);
  }

  // A program that becomes a tracer (gdb, strace, PTRACE_TRACEME) gets EPERM where natively it
  // works: a process has one tracer, and sysvisor is it. Said once (a tracer tries more than once).
  private tracerRefused(call: Syscall, r: Result): Result {
    if (this.toldTracer || r.kind !== 'error' || r.errno !== EPERM) return r;
    const traceme = call.args[0] === 0;
    if (!traceme && !tracedByUs(call.int(1))) return r;
    this.toldTracer = true;
    const tgid = this.binding.taskInfo(call.tid)?.tgid ?? call.tid;
    const what = traceme ? 'ptrace(PTRACE_TRACEME)' : `ptrace(${call.args[0] === 16 ? 'PTRACE_ATTACH' : 'PTRACE_SEIZE'}, ${call.int(1)})`;
    this.reporter.line(`pid ${tgid}: ${what} gets EPERM: under --transport ptrace sysvisor is the tracer of every process of the tree, and a process has one tracer (use --transport unotify)`);
    return r;
  }

  /** A program was told that it cannot trace. */
  private toldTracer = false;

  private fail(call: Syscall, e: unknown): void {
    if (!(e instanceof SyscallGoneError)) {
      const err = e as Error;
      this.reporter.once(`engine error in ${call.name}(): ${err?.message ?? String(e)}`);
    }
    this.made.delete(call.tid);
    this.final(call.tid, { errno: ENGINE_FAILURE_ERRNO });
  }

  /** The calls engines have held for at least `minMs` (see UnotifyTransport.heldCalls). */
  heldCalls(minMs: number): HeldCall[] {
    return heldFor(this.held, minMs);
  }

  /** Calls stopped for the chain (seccomp or entry stops), the ones resumed without JS too. */
  intercepted(): number {
    return this.tracer.stats().stops;
  }

  close(): void {
    this.tracer.close();
  }
}
