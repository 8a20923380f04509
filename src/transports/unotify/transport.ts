// The seccomp user-notification transport: turns each notification from the pump into a Syscall,
// runs it through the engine stack, and sends the final result back (CONTINUE, value, errno or
// ADDFD, then the fd as the answer). Engines never see how a call reached them.
import { closeSync, readFileSync } from 'node:fs';
import type { RawBinding } from '../../native/load.js';
import type { FastPathConfig, Pump } from '../../native/binding.js';
import { Result } from '../../chain/result.js';
import { Syscall, type TraceeMemory } from '../../chain/syscall.js';
import type { Engine } from '../../chain/engine.js';
import type { ScopeTree } from '../../scopes/tree.js';
import type { ControlServer } from '../../scopes/control.js';
import { CONTROL_MAGIC } from '../../scopes/protocol.js';
import { SyscallGoneError } from '../../chain/errors.js';
import type { Reporter } from '../../chain/report.js';
import { PATH_ARGS } from '../../syscalls/paths.js';
import { NOFOLLOW, syscallInfo, syscallNumber } from '../../syscalls/table.js';
import { MAX_SYSCALLS, NOTIF, REPLY } from '../../native/contract.js';
import { CRED_SYSCALLS } from '../../chain/emulate/index.js';
import { NATIVE_CALLS } from '../../chain/emulate/native.js';
import type { NativeOpened } from '../../chain/plan.js';

/** errno the tracee gets when an engine throws. */
export const ENGINE_FAILURE_ERRNO = 5; // EIO
const PRCTL = syscallNumber('prctl')!;
const SECCOMP = syscallNumber('seccomp')!;
const SECCOMP_SET_MODE_FILTER = 1;
const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;
const CAP_SYS_ADMIN = 21n;

/** seccomp(SECCOMP_SET_MODE_FILTER, flags with NEW_LISTENER): what the transport watches for. */
export const LISTENER_INTEREST = {
  syscall: 'seccomp',
  when: [
    { arg: 0, eq: SECCOMP_SET_MODE_FILTER },
    { arg: 1, anyBits: SECCOMP_FILTER_FLAG_NEW_LISTENER },
  ],
} as const;

/**
 * Would the kernel get as far as its listener check for this thread's seccomp(SET_MODE_FILTER)?
 * It first needs no_new_privs or CAP_SYS_ADMIN (else EACCES, with or without sysvisor).
 */
function mayInstallFilter(tid: number): boolean {
  try {
    const status = readFileSync(`/proc/${tid}/status`, 'latin1');
    if (/^NoNewPrivs:\s*1$/m.test(status)) return true;
    const cap = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    return cap !== null && ((BigInt('0x' + cap[1]) >> CAP_SYS_ADMIN) & 1n) === 1n;
  } catch {
    return false;
  }
}

// Memory and fd injection for one pending notification.
class SlotAccess implements TraceeMemory {
  constructor(private readonly pump: Pump, private readonly binding: RawBinding, private readonly slot: number, private readonly tid: number, private readonly routed: boolean) {}
  readString(addr: number, max?: number): string | null {
    return this.pump.readString(this.slot, addr, max);
  }
  readBytes(addr: number, length: number): Buffer | null {
    return this.pump.readBytes(this.slot, addr, length);
  }
  writeBytes(addr: number, bytes: Buffer): number {
    return this.binding.writeTracee(this.tid, addr, bytes);
  }
  prefetchedPath(index: number): string | undefined {
    return this.routed ? this.pump.slotPath(this.slot, index) : undefined;
  }
  valid(): boolean {
    return this.pump.idValid(this.slot);
  }
  arg64(index: number): bigint {
    return this.pump.arg64(this.slot, index);
  }
  injectFd(fd: number, cloexec: boolean, send: boolean): number {
    return this.pump.addfd(this.slot, fd, cloexec, send);
  }
}

export function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === 'function';
}

/** The calls of `held` (call -> when it arrived) held for at least `minMs`, longest first. */
export function heldFor(held: ReadonlyMap<Syscall, number>, minMs: number): HeldCall[] {
  const now = Date.now();
  const out: HeldCall[] = [];
  for (const [call, since] of held) {
    if (now - since < minMs) continue;
    out.push({ tid: call.tid, syscall: call.name, engine: call.holding?.[0] ?? 'executor', ms: now - since });
  }
  return out.sort((a, b) => b.ms - a.ms);
}

/** A call an engine holds (see UnotifyTransport.heldCalls). */
export interface HeldCall {
  tid: number;
  syscall: string;
  engine: string;
  ms: number;
}

export interface TransportEvents {
  /** All processes holding the filter are gone. */
  onHangup(): void;
}

export interface TransportOptions {
  /** Syscalls the filter notifies. */
  notified?: readonly number[];
  /** Answers the control calls of nested sysvisors (undefined: nesting off). */
  control?: ControlServer | undefined;
  /**
   * The filter notifies every call that changes a thread's credentials or root (CRED_SYSCALLS),
   * so an engine that says it sees them (call.seeCredentials) really does: only then do emulated
   * calls use the addon's identity cache. Default: told by `notified`.
   */
  credentialsVisible?: boolean | undefined;
  /** The received-ids page that goes with the listener (a memfd; the pump owns it from now on). */
  receivedIds?: number | undefined;
  /** Node's thread polls the listener after a call (Pump.setSpin; default off). */
  spin?: SpinOptions | undefined;
}

/** How long Node's thread polls the listener after the calls it received (Pump.setSpin). */
export interface SpinOptions {
  us: number;
  /** sched_yield between polls (else a pause instruction). */
  yieldBetween: boolean;
}

/**
 * The spin of `sysvisor run` (supervise) and of the agent unless told otherwise: 100 µs,
 * sched_yield between polls, with the Spinner's back-off (README, "Where the time of an
 * intercepted call goes" and the agent's `--spin`). { us: 0 } turns it off.
 */
export const DEFAULT_SPIN: SpinOptions = { us: 100, yieldBetween: true };

/**
 * What needs no JS for the engines of these scopes, as the pump's receiving thread (and the ptrace
 * transport's tracer thread) decide it (unotify::Router):
 * - a `notified` syscall that no engine of any scope wants (it is in the filter for engines that
 *   may be loaded later) runs as it is;
 * - path syscalls that every interested engine only cares about under some prefixes run as they
 *   are when the path is outside all of them (`routed`: their path is read in C++).
 */
export function fastPathOf(scopes: ScopeTree, notified: readonly number[]): { config: Omit<FastPathConfig, 'native'>; routed: Set<number> } {
  const enginesFor = (nr: number): Engine[] => [...new Set(scopes.all().flatMap((s) => s.stack.enginesFor(nr)))];
  const continued = notified.filter((nr) => nr < MAX_SYSCALLS && nr !== PRCTL && nr !== SECCOMP && enginesFor(nr).length === 0);
  const routed = new Set<number>();
  const routes: number[] = [];
  const prefixes = new Set<string>();
  const components = new Set<string>();
  let relative = false;
  for (const [name, args] of Object.entries(PATH_ARGS)) {
    const nr = syscallNumber(name);
    if (nr === undefined || args.length !== 1) continue;
    const engines = enginesFor(nr);
    if (engines.length === 0 || engines.some((e) => !e.pathPrefixes || e.unrouted?.includes(name))) continue;
    for (const e of engines) {
      e.pathPrefixes!.forEach((p) => prefixes.add(p));
      e.pathComponents?.forEach((c) => components.add(c));
      relative ||= e.relativePaths === true;
    }
    routes.push(nr, args[0]!);
    routed.add(nr);
  }
  return { config: { continued, routes, prefixes: [...prefixes], relativeToJs: relative, components: [...components] }, routed };
}

/**
 * The routed calls whose whole chain has native plans for them (see Engine.nativePlan): the pump
 * maps and emulates them in C++, the ptrace tracer maps them in C++ (addon/src/ptrace/plans.h).
 * Only while one scope serves every thread (the chain of a call then does not depend on who makes
 * it). `openChains`: the opens some plan of whose chain records the files they give (by syscall
 * number, the chain's engines by position); `openReaders`: the calls before which those records
 * are handed over.
 */
export function nativeCallsOf(
  scopes: ScopeTree,
  routed: ReadonlySet<number>,
  credentialsVisible: boolean,
): { native: NonNullable<FastPathConfig['native']>; openChains: Map<number, readonly Engine[]>; openReaders: Set<number> } {
  const openChains = new Map<number, readonly Engine[]>();
  const openReaders = new Set<number>();
  const all = scopes.all();
  if (all.length !== 1) return { native: [], openChains, openReaders };
  const stack = all[0]!.stack;
  const out: NonNullable<FastPathConfig['native']>[number][] = [];
  for (const [name, c] of Object.entries(NATIVE_CALLS)) {
    const nr = syscallNumber(name);
    if (nr === undefined || !routed.has(nr) || PATH_ARGS[name]?.[0] !== c.path) continue;
    const chain = stack.chain(nr);
    if (chain.length === 0 || !chain.every((e) => e.nativePlan?.syscalls.includes(name))) continue;
    const plans = chain.map((e) => e.nativePlan!);
    // The plans that record the files their opens give (bit i: the chain's plan i).
    let recordOpens = 0;
    if (c.op === 'open') {
      plans.forEach((p, i) => {
        if (!p.opens) return;
        recordOpens |= 1 << i;
        for (const r of p.opens.readers) {
          const n = syscallNumber(r);
          if (n !== undefined) openReaders.add(n);
        }
      });
      if (recordOpens !== 0) openChains.set(nr, chain);
    }
    const nofollow = ((syscallInfo(nr)?.facts ?? 0) & NOFOLLOW) !== 0;
    out.push({ nr, ...c, chain: plans.flatMap((p) => [p.path.prefix, p.path.levels]), cached: credentialsVisible && plans.some((p) => p.seesCredentials), recordOpens, nofollow });
  }
  return { native: out, openChains, openReaders };
}

export class UnotifyTransport {
  readonly pump: Pump;
  private readonly batch: Float64Array;
  private readonly replies: Float64Array;
  private inflight = 0;
  /** Calls an engine stopped (a promise pending), with when they arrived. */
  private readonly held = new Map<Syscall, number>();

  private readonly routed = new Set<number>();
  /**
   * Opens the pump runs under plans that record them (NativePlan.opens): by syscall number, the
   * engines of the chain by position; and the calls before which the records are handed over.
   */
  private readonly openChains = new Map<number, readonly Engine[]>();
  private readonly openReaders = new Set<number>();
  /** Processes already told that their seccomp listener is refused (bounded). */
  private readonly toldListener = new Set<number>();
  private readonly credentialsVisible: boolean;
  /** Syscalls the filter notifies. */
  private readonly notified: readonly number[];
  /** Answers the control calls of nested sysvisors (undefined: nesting off). */
  private readonly control: ControlServer | undefined;

  constructor(
    private readonly binding: RawBinding,
    listenerFd: number,
    private readonly scopes: ScopeTree,
    private readonly reporter: Reporter,
    events: TransportEvents,
    o: TransportOptions = {},
  ) {
    this.notified = o.notified ?? [];
    this.control = o.control;
    const notified = this.notified;
    this.credentialsVisible = o.credentialsVisible ?? CRED_SYSCALLS.every((n) => notified.includes(syscallNumber(n)!));
    this.pump = new binding.Pump(
      listenerFd,
      (n) => this.onBatch(n),
      () => events.onHangup(),
      (message) => this.reporter.once(`reply with an fd: ${message}`),
      o.receivedIds,
    );
    this.batch = this.pump.batch;
    this.replies = this.pump.replies;
    if (o.spin) this.pump.setSpin(o.spin.us, o.spin.yieldBetween);
    this.configureFastPath();
    // What happened to a thread's credentials while no engine watched is unknown: when the engines
    // change, the identity cache starts afresh.
    scopes.onChange = () => {
      this.binding.resetTraceeCache();
      this.configureFastPath();
    };
  }

  // Decisions that need no JS (fastPathOf), recomputed whenever scopes or engines change. The
  // whole configuration goes to the pump in one call: its receiving thread may be deciding calls
  // already (a listener handed over with calls waiting, as the agent's are), and a route set
  // before its prefixes would continue a mapped call.
  private configureFastPath(): void {
    // The records so far go to the engines of the chains they were made under.
    this.takeOpened();
    const { config, routed } = fastPathOf(this.scopes, this.notified);
    this.routed.clear();
    routed.forEach((nr) => this.routed.add(nr));
    this.pump.setFastPath({ ...config, native: this.nativeCalls() });
  }

  // The routed calls whose whole chain has native plans for them (nativeCallsOf), and the chains
  // and readers of the opens among them whose files some plan records.
  private nativeCalls(): NonNullable<FastPathConfig['native']> {
    const { native, openChains, openReaders } = nativeCallsOf(this.scopes, this.routed, this.credentialsVisible);
    this.openChains.clear();
    this.openReaders.clear();
    openChains.forEach((chain, nr) => this.openChains.set(nr, chain));
    openReaders.forEach((nr) => this.openReaders.add(nr));
    return native;
  }

  // Hands the files opened under recording plans since the last take to their engines (see
  // NativePlan.opens): before a call that reads what they recorded, and before the chains change.
  private takeOpened(): void {
    if (this.openChains.size === 0) return;
    const v = this.pump.takeOpened();
    if (v.length === 0) return;
    const byEngine = new Map<Engine, NativeOpened[]>();
    for (let i = 0; i + 6 < v.length; i += 7) {
      const engine = this.openChains.get(v[i]!)?.[v[i + 1]!];
      if (!engine?.nativeOpened) continue;
      let list = byEngine.get(engine);
      if (!list) byEngine.set(engine, (list = []));
      list.push({ tgid: v[i + 2]!, start: v[i + 3]!, level: v[i + 4]!, dev: v[i + 5]!, ino: v[i + 6]! });
    }
    for (const [engine, files] of byEngine) {
      try {
        engine.nativeOpened!(files);
      } catch (e) {
        this.reporter.once(`engine ${engine.name}: nativeOpened: ${(e as Error).message}`);
      }
    }
  }

  // One call per wake-up. Synchronous results are left in `replies` for the pump to send; returns
  // true when an engine stopped a thread (a promise is pending), so the pump runs the microtasks.
  private onBatch(count: number): boolean {
    const b = this.batch;
    let async = false;
    for (let i = 0; i < count; i++) {
      const o = i * NOTIF.FIELDS;
      const slot = b[o + NOTIF.SLOT]!;
      const tid = b[o + NOTIF.PID]!;
      const nr = b[o + NOTIF.NR]!;
      const a = o + NOTIF.ARG0;
      if (this.openReaders.has(nr)) this.takeOpened();
      const access = new SlotAccess(this.pump, this.binding, slot, tid, this.routed.has(nr));
      const call = new Syscall(tid, nr, [b[a]!, b[a + 1]!, b[a + 2]!, b[a + 3]!, b[a + 4]!, b[a + 5]!], access, undefined, this.credentialsVisible);
      async = this.dispatch(i, slot, call, tid) || async;
    }
    return async;
  }

  private dispatch(index: number, slot: number, call: Syscall, tid: number): boolean {
    let r: Result | Promise<Result>;
    try {
      if (call.nr === PRCTL && call.args[0] === CONTROL_MAGIC && this.control) r = this.control.handle(call);
      else {
        if (call.nr === SECCOMP && call.args[0] === SECCOMP_SET_MODE_FILTER && (call.args[1]! & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0) this.listenerRefused(tid);
        r = this.scopes.stackFor(tid).step(call.nr)(call);
      }
    } catch (e) {
      this.fail(slot, call, e);
      return false;
    }
    if (isPromise(r)) {
      this.inflight++;
      this.held.set(call, Date.now());
      r.then(
        (res) => {
          this.inflight--;
          this.held.delete(call);
          this.finish(-1, slot, call, res);
        },
        (e) => {
          this.inflight--;
          this.held.delete(call);
          this.fail(slot, call, e);
        },
      );
      return true;
    }
    this.finish(index, slot, call, r);
    return false;
  }

  // Sends the final result. `index` >= 0: still inside the batch call, so value/errno/continue
  // answers go through the replies buffer; -1: answer directly (after an engine stopped the thread).
  private finish(index: number, slot: number, call: Syscall, r: Result): void {
    if (!(r instanceof Result)) {
      this.fail(slot, call, new TypeError(`engine returned ${typeof r} instead of a Result`));
      return;
    }
    try {
      if (r.kind === 'fd') {
        if (r.injected) {
          // Installed already (an engine read its number): our fd goes before the answer.
          closeSync(r.localFd);
          const v = r.value;
          this.pump.reply(slot, v < 0 ? 0 : v, v < 0 ? -v : 0);
        } else {
          // Installs, then answers with the fd (or the errno of a failed install), on a worker
          // thread: the install waits for the tracee, which must not stall the others. The pump
          // owns localFd from here and closes it before the answer: the tracee's close is the last.
          this.pump.replyFd(slot, r.localFd, r.cloexec);
        }
        return;
      }
      if (index >= 0) {
        const rep = this.replies;
        const o = index * REPLY.FIELDS;
        if (r.kind === 'continued') rep[o] = REPLY.CONTINUE;
        else if (r.kind === 'value') {
          rep[o] = REPLY.VALUE;
          rep[o + 1] = r.value;
        } else {
          rep[o] = REPLY.ERRNO;
          rep[o + 1] = r.errno;
        }
        return;
      }
      if (r.kind === 'continued') this.pump.continue(slot);
      else if (r.kind === 'value') this.pump.reply(slot, r.value, 0);
      else this.pump.reply(slot, 0, r.errno);
    } catch (e) {
      this.reporter.once(`reply to ${call.name}: ${(e as Error).message}`);
    }
  }

  // A program asks for its own seccomp listener: the kernel answers EBUSY (has_duplicate_listener
  // in kernel/seccomp.c: one listener per filter chain, and sysvisor's filter is on the chain).
  // Said once per process, the call itself left to the kernel.
  private listenerRefused(tid: number): void {
    const tgid = this.binding.taskInfo(tid)?.tgid ?? tid;
    if (this.toldListener.has(tgid) || !mayInstallFilter(tid)) return;
    if (this.toldListener.size >= 4096) this.toldListener.clear();
    this.toldListener.add(tgid);
    this.reporter.line(`pid ${tgid}: its seccomp listener (SECCOMP_FILTER_FLAG_NEW_LISTENER) gets EBUSY: the kernel allows one listener per filter chain, and sysvisor's filter holds it`);
  }

  private fail(slot: number, call: Syscall, e: unknown): void {
    if (!(e instanceof SyscallGoneError)) {
      const err = e as Error;
      this.reporter.once(`engine error in ${call.name}(): ${err?.message ?? String(e)}`);
    }
    try {
      this.pump.reply(slot, 0, ENGINE_FAILURE_ERRNO);
    } catch {
      // slot already answered
    }
  }

  /**
   * The calls engines have held (a promise pending) for at least `minMs`: thread, syscall, the
   * engine holding it now (the innermost whose promise is pending; "executor" when it is the
   * emulation under every engine), and for how long.
   */
  heldCalls(minMs: number): HeldCall[] {
    return heldFor(this.held, minMs);
  }

  /** Notifications the pump received (the fast path's included). */
  intercepted(): number {
    return this.pump.stats().received;
  }

  /** Notifications still being handled by an engine that stopped the thread. */
  get pending(): number {
    return this.inflight;
  }

  close(): void {
    this.pump.close();
  }
}
