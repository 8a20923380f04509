// `trace`: an strace-compatible tracer that sits anywhere in the engine stack.
//
// Calls that no engine stops are observed with eBPF (raw tracepoints sys_enter/sys_exit, see
// bpf/trace.bpf.c): the traced threads never stop for them. Calls the engine stack intercepts
// reach this engine in the chain (it observes all of them without adding to the seccomp filter),
// and are shown as they are at its place in the onion: arguments as the engines inside it (nearer
// the program) left them, the result as the engines outside it produced it; when the outside let
// the kernel run the call, its return value comes from the call's sys_exit. TraceMerger puts both
// sources in one ordered stream per thread.
//
// Without eBPF (the object cannot load), the tracer falls back to intercepting the traced calls
// with seccomp: every traced call stops its thread, and the return value of a call the kernel
// runs is not known (`= ?`).
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import type { Engine, EngineContext, EngineFactory, EngineOptions, Next, OutputSink } from '../../chain/engine.js';
import { SyscallGoneError, UsageError } from '../../chain/errors.js';
import { Result } from '../../chain/result.js';
import type { Syscall } from '../../chain/syscall.js';
import type { Interest } from '../../filter/plan.js';
import { DATA_CAP, MAX_SYSCALLS, type BpfTracerOptions, type SyscallCapture } from '../../observe/bpf-trace.js';
import { TraceHub, type TraceSubscription } from '../../observe/trace-hub.js';
import { bpfUnavailableReason } from '../../observe/unavailable.js';
import { TRACE } from '../../native/contract.js';
import { syscallName } from '../../syscalls/table.js';
import { loadBinding } from '../../native/load.js';
import { NO_STRS, TracedCall, type TraceOutput } from './call.js';
import { argMemory, signatureOf, type ArgMemory } from './format/signatures.js';
import { TraceMerger } from './merge.js';
import { createOutput, type Timestamps, type TraceFormat } from './outputs.js';
import { FdPaths, FdTrackingOutput } from './fds.js';
import { FilterOutput, PerProcessOutput, STATUSES, SummaryOutput, type Status } from './routing.js';
import { selectSignals } from './select.js';
import { selectedNames, selectSyscalls } from '../../syscalls/select.js';

const FORMATS: readonly TraceFormat[] = ['text', 'jsonl', 'perfetto'];
/** Bytes of each path read (strace prints file names whole). */
const PATH_MAX = 4096;
/** Default ring buffer: room for ~120k calls of backlog (a larger one costs start-up time). */
const DEFAULT_RING = 16 << 20;
/** Default ring buffer of a tracer made for a caller without privileges (it is mapped twice, and paid for). */
const CONSTRAINED_RING = 4 << 20;

export interface TraceEngineOptions {
  /** Traced syscall numbers (index = nr, 1 = traced); default all. */
  syscalls?: Uint8Array;
  format?: TraceFormat;
  /** strace -s: bytes of data buffers shown (default 32). */
  strSize?: number;
  /** 'bpf' (default), or 'notify' to force the seccomp fallback. */
  via?: 'bpf' | 'notify';
  /** Ring buffer bytes (power of two). */
  ringBytes?: number;
  /** Told once, on stderr, when the tracer falls back or lost events. */
  report?: (line: string) => void;
  /** strace -t (`s`), -tt (`us`), -ttt (`unix`): a timestamp before each line (text format). */
  timestamps?: Timestamps;
  /** strace -T: the time spent in each call after its result (text format). */
  durations?: boolean;
  /** strace -y: descriptors with what they are (`3</etc/passwd>`). */
  fdPaths?: boolean;
  /** strace -e status=: the calls of these statuses only (default all). */
  statuses?: ReadonlySet<Status>;
  /** strace -e signal=: the signals shown (index = number, 1 = shown; default all). */
  signals?: Uint8Array;
  /** strace -c (`only`) and -C (`on`): a table of calls, errors and times at the end. */
  summary?: 'off' | 'on' | 'only';
  /** strace -ff: one output per process, made by this function (the pid's file). */
  perProcess?: (pid: number) => OutputSink;
  /**
   * Lower the priority of the supervisor's main thread (nice 10) while the trace runs: on a busy
   * machine the tracer's work then waits for idle CPU (the ring buffer holds the backlog) instead
   * of taking it from the traced program. Only for a supervisor that has nothing else to do
   * quickly: no other engine intercepts calls.
   */
  yieldCpu?: boolean;
}

/** The nice value of the supervisor's main thread while it only traces (see yieldCpu). */
const TRACER_NICE = 10;

/** Monotonic clock in ns (the eBPF events' clock, bpf_ktime_get_ns). */
function nowNs(): number {
  return Number(process.hrtime.bigint());
}

// The kernel side's limits (bpf/trace.h), kept by the notify path too so that both print alike.
const { ARGV_MAX, ENVP_MAX, IOV_MAX, FDSET_MAX, MSGHDR_BYTES, SOCKADDR_CAP, CMSG_CAP } = TRACE;

/**
 * An iovec array and the data it points to, as the eBPF side captures it (bpf/trace.h,
 * SV_CFG_ENTER_IOV): per iovec its iov_len (8 bytes), the number of its bytes that follow (4),
 * those bytes (at most `maxBuf`), IOV_MAX iovecs and DATA_CAP bytes at most. `more`: iovecs left out.
 */
function readIovecs(call: Syscall, addr: number, count: number, maxBuf: number): { data: string; more: boolean } | null {
  const n = Math.min(Math.max(0, count), IOV_MAX);
  const iov = n > 0 ? call.memory.readBytes(addr, n * 16) : null;
  if (!iov) return count === 0 ? { data: '', more: false } : null;
  const parts: Buffer[] = [];
  let used = 0;
  for (let k = 0; k < n; k++) {
    const base = iov.readUInt32LE(k * 16) + iov.readUInt32LE(k * 16 + 4) * 0x1_0000_0000;
    const len = iov.readBigUInt64LE(k * 16 + 8);
    const want = Number(len < BigInt(maxBuf) ? len : BigInt(maxBuf));
    if (used + 12 + want > DATA_CAP) return { data: Buffer.concat(parts).toString('latin1'), more: true };
    const bytes = want > 0 ? (call.memory.readBytes(base, want) ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const head = Buffer.alloc(12);
    head.writeBigUInt64LE(len, 0);
    head.writeUInt32LE(bytes.length, 8);
    parts.push(head, bytes);
    used += 12 + bytes.length;
  }
  return { data: Buffer.concat(parts).toString('latin1'), more: count > IOV_MAX };
}

/** A struct msghdr with its name, control data and iovecs, as the eBPF side captures it
 *  (bpf/trace.h, SV_CFG_MODE_MSGHDR). */
function readMsghdr(call: Syscall, addr: number, maxBuf: number): { data: string; more: boolean } | null {
  const mh = addr !== 0 ? call.memory.readBytes(addr, MSGHDR_BYTES) : null;
  if (!mh) return null;
  const at = (off: number) => mh.readUInt32LE(off) + mh.readUInt32LE(off + 4) * 0x1_0000_0000;
  const name = at(0);
  const control = at(32);
  const nameBytes = name !== 0 ? (call.memory.readBytes(name, Math.min(mh.readUInt32LE(8), SOCKADDR_CAP)) ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const ctlBytes = control !== 0 ? (call.memory.readBytes(control, Math.min(at(40), CMSG_CAP)) ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const sizes = Buffer.alloc(4);
  sizes.writeUInt16LE(nameBytes.length, 0);
  sizes.writeUInt16LE(ctlBytes.length, 2);
  const iov = readIovecs(call, at(16), at(24), maxBuf);
  const head = Buffer.concat([sizes, mh, nameBytes, ctlBytes]).toString('latin1');
  return { data: head + (iov?.data ?? ''), more: iov === null || iov.more };
}

/** select's fd sets and timeout, as the eBPF side captures them (bpf/trace.h, SV_CFG_MODE_FDSETS). */
function readFdsets(call: Syscall, args: readonly number[], sigmask: boolean): string {
  const nfds = (args[0] ?? 0) | 0;
  const setb = nfds > 0 ? Math.min(Math.ceil(nfds / 64) * 8, FDSET_MAX) : 0;
  const parts: Buffer[] = [Buffer.alloc(4)];
  let ok = 0;
  for (let i = 0; i < 4; i++) {
    const p = args[i + 1] ?? 0;
    if (p === 0) continue;
    const n = i < 3 ? setb : 16;
    const b = n > 0 ? call.memory.readBytes(p, n) : Buffer.alloc(0);
    if (b) ok |= 1 << i;
    parts.push(b ?? Buffer.alloc(n));
  }
  if (sigmask && (args[5] ?? 0) !== 0) {
    // pselect6's { sigset pointer, size } and the set (parts 4 and 5).
    const sm = call.memory.readBytes(args[5]!, 16);
    if (sm) ok |= 1 << 4;
    const p = sm ? sm.readUInt32LE(0) + sm.readUInt32LE(4) * 0x1_0000_0000 : 0;
    const set = p !== 0 ? call.memory.readBytes(p, 8) : null;
    if (set) ok |= 1 << 5;
    parts.push(sm ?? Buffer.alloc(16), set ?? Buffer.alloc(8));
  }
  parts[0]!.writeUInt32LE(ok, 0);
  return Buffer.concat(parts).toString('latin1');
}

/** Pointers of a NULL-terminated array in the tracee (at most `max`), or null if unreadable. */
function readPointers(call: Syscall, addr: number, max: number): number[] | null {
  const out: number[] = [];
  const CHUNK = 64;
  while (out.length < max) {
    const b = call.memory.readBytes(addr + out.length * 8, CHUNK * 8) ?? call.memory.readBytes(addr + out.length * 8, 8);
    if (!b) return out.length ? out : null;
    for (let off = 0; off + 8 <= b.length && out.length < max; off += 8) {
      const p = b.readUInt32LE(off) + b.readUInt32LE(off + 4) * 0x1_0000_0000;
      if (p === 0) return out;
      out.push(p);
    }
  }
  return out;
}

/** An argv as the formatter takes it: its strings, each followed by a NUL. */
function readArgv(call: Syscall, addr: number): { data: string; more: boolean } | null {
  if (addr === 0) return null;
  const ptrs = readPointers(call, addr, ARGV_MAX + 1);
  if (!ptrs) return null;
  let data = '';
  for (const p of ptrs.slice(0, ARGV_MAX)) {
    const str = call.memory.readString(p, 4096);
    if (str === null) return { data, more: true };
    data += str + '\0';
  }
  return { data, more: ptrs.length > ARGV_MAX };
}

/** The number of entries of a NULL-terminated array (envp), or -1. */
function countPointers(call: Syscall, addr: number): number {
  if (addr === 0) return 0;
  return readPointers(call, addr, ENVP_MAX)?.length ?? -1;
}

/**
 * True when `pid` is a child held by a sysvisor launcher before it executes its command (a fork
 * of the supervisor that has not exec'd: the same program as its parent). False for a command
 * already running (a tracer loaded into a running scope).
 */
function heldBeforeExec(pid: number): boolean {
  try {
    const info = loadBinding().taskInfo(pid);
    return info !== null && readlinkSync(`/proc/${pid}/exe`) === readlinkSync(`/proc/${info.ppid}/exe`);
  } catch {
    return false;
  }
}

export class TraceEngine implements Engine {
  readonly name = 'trace';
  readonly interests: readonly Interest[] | 'all';
  readonly observesAll = true;
  private readonly traced: Uint8Array;
  private readonly memory: (ArgMemory | undefined)[] = new Array(MAX_SYSCALLS);
  private readonly out: TraceOutput;
  private readonly merger: TraceMerger;
  /** Its subscription to the supervisor's shared eBPF session (undefined: seccomp fallback). */
  private readonly tracer: TraceSubscription | undefined;
  private readonly maxBuf: number;
  private readonly tgids = new Map<number, number>();
  /** The descriptor tables (fds=on). */
  private readonly fds: FdPaths | undefined;
  private closed = false;
  private started = false;
  private niceBefore: number | undefined;
  /** The reason eBPF could not be used (the tracer then runs on seccomp notifications). */
  readonly fallbackReason: string | undefined;

  constructor(
    sink: OutputSink,
    private readonly opts: TraceEngineOptions = {},
  ) {
    this.traced = opts.syscalls ?? new Uint8Array(MAX_SYSCALLS).fill(1);
    this.maxBuf = opts.strSize ?? 32;
    this.fds = opts.fdPaths ? new FdPaths() : undefined;
    this.out = this.makeOutput(sink);
    this.merger = new TraceMerger(this.out);
    let tracer: TraceSubscription | undefined;
    let reason: string | undefined;
    if (opts.via === 'notify') reason = 'eBPF not requested (via=notify)';
    else {
      try {
        tracer = this.loadBpf();
      } catch (e) {
        reason = bpfUnavailableReason(e);
      }
    }
    this.tracer = tracer;
    this.fallbackReason = reason;
    if (tracer) this.interests = [];
    else {
      const all = this.traced.every((v) => v === 1);
      this.interests = all ? 'all' : selectedNames(this.traced).map((s) => ({ syscall: s }));
      if (opts.via !== 'notify') {
        opts.report?.(`trace: cannot use eBPF (${reason}); falling back to seccomp notification: every traced call stops its thread and the return values of calls the kernel runs are not known (= ?)`);
      }
    }
  }

  // The output stack the options ask for: the format's output (one per process with ff=on), the
  // descriptor tables it prints from, the status and signal filters, the summary.
  private makeOutput(sink: OutputSink): TraceOutput {
    const o = this.opts;
    const format = o.format ?? 'text';
    const options = {
      strSize: this.maxBuf,
      ...(this.fds && { fdPath: this.fds.lookup }),
      ...(o.timestamps && { timestamps: o.timestamps }),
      ...(o.durations && { durations: true }),
    };
    let out: TraceOutput | undefined;
    if (o.summary !== 'only') {
      const perProcess = o.perProcess;
      out = perProcess
        ? new PerProcessOutput((pid) => {
            let s: OutputSink;
            try {
              s = perProcess(pid);
            } catch (e) {
              o.report?.(`trace: cannot open the file of process ${pid}: ${(e as Error).message}`);
              s = { fd: -1, write() {}, close() {} };
            }
            return createOutput(format, s, { ...options, pidPrefix: false });
          })
        : createOutput(format, sink, options);
      if (o.statuses || o.signals) out = new FilterOutput(out, o.statuses, o.signals);
      if (this.fds) out = new FdTrackingOutput(out, this.fds);
      if (perProcess) sink.close(); // (the files are the processes')
    }
    return o.summary === 'on' || o.summary === 'only' ? new SummaryOutput(sink, out) : out!;
  }

  // The supervisor's shared eBPF session (src/observe/trace-hub.ts), loaded by its first trace
  // engine: what the kernel reports for the syscalls this engine traces, its events routed here
  // by process.
  private loadBpf(): TraceSubscription {
    const ringBytes = this.opts.ringBytes ?? DEFAULT_RING;
    const options: BpfTracerOptions = {
      ringBytes,
      maxStr: PATH_MAX,
      maxBuf: Math.min(this.maxBuf, DATA_CAP),
      // Small batches: their events die young (a scavenge), instead of living through a long
      // batch into the old generation.
      batchBytes: 256 << 10,
      // The reader drains on its own timer, not woken by the traced threads: a wake-up from the
      // tracee's CPU draws the supervisor onto that CPU (wake-affine), where it then competes
      // with the tracee for the rest of the batch. The kernel still wakes it when the ring is
      // half full (a burst faster than the timer).
      wakeupBytes: ringBytes >> 1,
      flushMs: 5,
    };
    return TraceHub.subscribe(options, {
      capture: (nr) => {
        if (this.traced[nr] !== 1) return undefined;
        const mem = this.argMemoryOf(nr);
        const c: SyscallCapture = { enter: true, exit: true, strArgs: mem.strArgs, noArgs: signatureOf(syscallName(nr))?.args.length === 0 };
        if (mem.enterBuf) c.enterBuf = mem.enterBuf;
        if (mem.exitData) c.exitData = mem.exitData;
        if (mem.argv) c.argv = true;
        return c;
      },
      onEvent: (ev) => this.merger.onEvent(ev),
      onBatchEnd: () => this.merger.endBatch(),
    });
  }

  private argMemoryOf(nr: number): ArgMemory {
    return (this.memory[nr] ??= argMemory(syscallName(nr)));
  }

  /** True when the tracer observes through eBPF (false: seccomp fallback). */
  get usesBpf(): boolean {
    return this.tracer !== undefined;
  }

  start(root: { pid: number }): void {
    this.merger.setRoot(root.pid, heldBeforeExec(root.pid));
    this.fds?.seed(root.pid);
    if (!this.tracer) return;
    this.tracer.trace(root.pid);
    if (this.started) return; // another root (the engine started again): traced, nothing more
    this.started = true;
    if (this.opts.yieldCpu && this.tracer) {
      // setpriority(PRIO_PROCESS, 0) is per thread on Linux: this thread only, from now on
      // (the command already exists: it keeps its own priority).
      try {
        this.niceBefore = os.getPriority(0);
        if (this.niceBefore < TRACER_NICE) os.setPriority(0, TRACER_NICE);
        else this.niceBefore = undefined;
      } catch {
        this.niceBefore = undefined;
      }
    }
  }

  handle(call: Syscall, next: Next): Result | Promise<Result> {
    // The supervisor has calls to serve after all (an engine loaded or nested later): it gets its
    // priority back for good.
    if (this.niceBefore !== undefined) this.restorePriority();
    if (this.traced[call.nr] !== 1 || this.closed) return next();
    const c = this.record(call);
    if (this.tracer) this.merger.chainEntered(c);
    const r = next();
    if (r instanceof Result) {
      this.result(c, r);
      return r;
    }
    return r.then(
      (res) => {
        this.result(c, res);
        return res;
      },
      (e: unknown) => {
        // Outer layers failed: the tracee gets what the transport answers (its sys_exit).
        if (!this.tracer) this.emitNotified(c);
        throw e;
      },
    );
  }

  // The call as this layer sees it: arguments (copied: outer engines may change them) and the
  // memory the formatter shows (path strings as the engines inside left them).
  private record(call: Syscall): TracedCall {
    const ts = nowNs();
    const mem = this.argMemoryOf(call.nr);
    const args = call.args.slice(0, 6);
    let strs: readonly (string | undefined)[] = NO_STRS;
    let trunc = 0;
    let counts: (number | undefined)[] | undefined;
    if (mem.strArgs.length > 0 || mem.enterBuf) {
      const s: (string | undefined)[] = [];
      try {
        for (const i of mem.strArgs) {
          const v = call.latin1(i);
          if (v !== null) s[i] = v;
        }
        const eb = mem.enterBuf;
        if (eb && 'fdsets' in eb) {
          s[eb.arg] = readFdsets(call, args, call.name === 'pselect6');
        } else if (eb && 'msghdr' in eb) {
          const m = readMsghdr(call, args[eb.arg] ?? 0, Math.min(this.maxBuf, DATA_CAP));
          if (m) {
            s[eb.arg] = m.data;
            if (m.more) trunc |= 1 << eb.arg;
          }
        } else if (eb && 'iov' in eb && eb.iov) {
          const iov = readIovecs(call, args[eb.arg] ?? 0, args[eb.lenArg] ?? 0, Math.min(this.maxBuf, DATA_CAP));
          if (iov) {
            s[eb.arg] = iov.data;
            if (iov.more) trunc |= 1 << eb.arg;
          }
        } else if (eb && !('sigframe' in eb)) {
          // (rt_sigreturn's frame is not an argument: the chain does not read it.)
          const len = 'size' in eb ? eb.size : Math.max(0, Math.min(args[eb.lenArg] ?? 0, this.maxBuf));
          const addr = args[eb.arg] ?? 0;
          const b = len > 0 && addr !== 0 ? call.memory.readBytes(addr, len) : null;
          if (b) s[eb.arg] = b.toString('latin1');
        }
        if (mem.argv && mem.strArgs[0] !== undefined) {
          // As the eBPF side does for the calls it sees (bpf/trace.h, SV_CFG_ARGV).
          const ai = mem.strArgs[0] + 1;
          const argv = readArgv(call, args[ai] ?? 0);
          if (argv) {
            s[ai] = argv.data;
            if (argv.more) trunc |= 1 << ai;
          }
          counts = [];
          counts[ai + 1] = countPointers(call, args[ai + 1] ?? 0);
        }
      } catch (e) {
        if (!(e instanceof SyscallGoneError)) throw e;
      }
      strs = s;
    }
    const c = new TracedCall(call.tid, 0, call.nr, call.name, args, strs, trunc, ts, true);
    if (counts) c.counts = counts;
    return c;
  }

  // The result the layers outside produced. `continued`: the kernel's (from the sys_exit).
  private result(c: TracedCall, r: Result): void {
    c.kernelRuns = r.ran;
    switch (r.kind) {
      case 'value':
        c.ret = r.value;
        c.known = true;
        break;
      case 'error':
        c.ret = -r.errno;
        c.known = true;
        break;
      case 'fd':
        // Its number is known once installed; without eBPF, install it now to learn it.
        if (r.injected || !this.tracer) {
          c.ret = r.value;
          c.known = true;
        }
        break;
      case 'continued':
        break;
    }
    if (!this.tracer) this.emitNotified(c);
  }

  // Fallback: a chain record is the whole story of the call.
  private emitNotified(c: TracedCall): void {
    c.tgid = this.tgidOf(c.tid);
    c.tsExit = nowNs();
    this.out.entered(c);
    this.out.finished(c);
    this.out.flush();
  }

  private tgidOf(tid: number): number {
    let tgid = this.tgids.get(tid);
    if (tgid === undefined) {
      tgid = loadBinding().taskInfo(tid)?.tgid ?? tid; // gone: its id will do
      if (this.tgids.size > 4096) this.tgids.clear();
      this.tgids.set(tid, tgid);
    }
    return tgid;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    let lost = 0;
    if (this.tracer) {
      try {
        if (this.started) this.tracer.drain();
      } catch (e) {
        this.opts.report?.(`trace: reading the last events: ${(e as Error).message}`);
      }
      lost = this.tracer.dropped;
      const unfollowed = this.tracer.unfollowed;
      const missed = this.tracer.missed;
      this.tracer.close();
      this.merger.finish();
      if (lost > 0) this.opts.report?.(`trace: ${lost} events lost (the ring buffer was full; a larger one: ring=BYTES)`);
      if (unfollowed > 0) this.opts.report?.(`trace: ${unfollowed} child processes not followed (the kernel's process map was full)`);
      if (missed > 0) this.opts.report?.(`trace: ${missed} events missed by the kernel (tracepoint recursion)`);
    }
    this.out.close(lost);
    if (this.niceBefore !== undefined) this.restorePriority();
  }

  private restorePriority(): void {
    const before = this.niceBefore!;
    this.niceBefore = undefined;
    try {
      os.setPriority(0, before);
    } catch {
      // an unprivileged process may not raise it back: it stays lower
    }
  }
}

function single(options: EngineOptions, key: string): string | undefined {
  const v = options[key];
  if (v === undefined) return undefined;
  if (v.length !== 1) throw new UsageError(`trace: ${key} takes one value`);
  return v[0];
}

function positiveInt(options: EngineOptions, key: string, min: number, max: number): number | undefined {
  const v = single(options, key);
  if (v === undefined) return undefined;
  const m = /^(\d+)([kKmM]?)$/.exec(v);
  const n = m ? Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]!) ? 1024 : 1 << 20) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`trace: ${key}=${v}: expected an integer in ${min}..${max}`);
  return n;
}

/** status=: strace's -e status= values (a list, or exclusions with `!`). */
function selectStatuses(values: readonly string[] | undefined): Set<Status> | undefined {
  if (values === undefined) return undefined;
  const all = new Set<Status>(STATUSES);
  const excluding = values.length > 0 && values.every((v) => v.startsWith('!'));
  const out = excluding ? all : new Set<Status>();
  for (const v of values) {
    const name = v.replace(/^!/, '');
    if (name === 'all' && !excluding) {
      for (const s of STATUSES) out.add(s);
      continue;
    }
    if (name === 'none' && !excluding) continue;
    if (!(STATUSES as readonly string[]).includes(name)) throw new UsageError(`trace: status=${v}: expected ${STATUSES.join(', ')} (or all, none, !excluded)`);
    if (v.startsWith('!') !== excluding) throw new UsageError(`trace: status=: give either the statuses to show or only ones to exclude (!x)`);
    if (excluding) out.delete(name as Status);
    else out.add(name as Status);
  }
  return out;
}

export const traceFactory: EngineFactory = {
  name: 'trace',
  // Created after the others, to know whether any of them intercepts calls (see yieldCpu).
  followsSiblings: true,
  summary: 'strace-compatible tracer on eBPF; shows the calls as they are at its place in the stack',
  example: 'sysvisor run -e trace:e=openat,s=64 -- cat /etc/hostname',
  options: {
    o: 'write the trace to this file instead of stderr',
    e: 'syscalls to trace: names, numbers, %file %process %network %signal %memory %desc %ipc %creds %clock %stat, !excluded (default all)',
    format: 'text (strace, default), jsonl (one JSON object per event) or perfetto (trace-event JSON for ui.perfetto.dev)',
    s: 'bytes of data buffers shown (strace -s, default 32)',
    via: 'bpf (default) or notify (seccomp notification only, the fallback when eBPF cannot load)',
    ring: 'eBPF ring buffer size in bytes, a power of two (default 16M; 4M in a scope made without privileges)',
    ts: 'timestamps before each line: s (strace -t), us (-tt), unix (-ttt); text format',
    dur: 'on: the time spent in each call after its result, <0.000012> (strace -T); text format',
    fds: 'on: descriptors with what they are, 3</etc/passwd> (strace -y), from a table kept from the traced calls',
    ff: 'on: with o=FILE, one file per process, FILE.PID, lines without the pid (strace -ff)',
    status: 'calls shown by how they ended: successful, failed, unfinished, !excluded (strace -e status=)',
    signal: 'signals shown: names or numbers, all, none, !excluded (strace -e signal=)',
    summary: 'on: the trace, then a table of calls, errors and time per syscall (strace -C); only: the table alone (strace -c); time is wall time in the call (strace -w)',
  },
  resources(options: EngineOptions, constrained: boolean) {
    if (single(options, 'via') === 'notify') return {};
    return { bpfSessions: 1, ringBytes: positiveInt(options, 'ring', 4096, 1 << 30) ?? (constrained ? CONSTRAINED_RING : DEFAULT_RING) };
  },
  create(options: EngineOptions, ctx: EngineContext): Engine {
    const format = (single(options, 'format') ?? 'text') as TraceFormat;
    if (!FORMATS.includes(format)) throw new UsageError(`trace: format=${format}: expected one of ${FORMATS.join(', ')}`);
    const via = single(options, 'via') ?? 'bpf';
    if (via !== 'bpf' && via !== 'notify') throw new UsageError(`trace: via=${via}: expected bpf or notify`);
    const strSize = positiveInt(options, 's', 0, DATA_CAP);
    const ringBytes = positiveInt(options, 'ring', 4096, 1 << 30) ?? (ctx.constrained ? CONSTRAINED_RING : undefined);
    if (ringBytes !== undefined && (ringBytes & (ringBytes - 1)) !== 0) throw new UsageError(`trace: ring=${ringBytes}: must be a power of two`);
    const syscalls = selectSyscalls(options['e'], (item, classes) => {
      throw new UsageError(`trace: unknown syscall '${item}' in e= (names, numbers, all, or a class: ${classes})`);
    });
    const file = single(options, 'o');
    const ts = single(options, 'ts');
    if (ts !== undefined && ts !== 's' && ts !== 'us' && ts !== 'unix') throw new UsageError(`trace: ts=${ts}: expected s, us or unix (strace -t, -tt, -ttt)`);
    const onOff = (key: string): boolean => {
      const v = single(options, key);
      if (v === undefined || v === 'off') return false;
      if (v === 'on') return true;
      throw new UsageError(`trace: ${key}=${v}: expected on or off`);
    };
    const durations = onOff('dur');
    const fdPaths = onOff('fds');
    const ff = onOff('ff');
    const summary = single(options, 'summary') ?? 'off';
    if (summary !== 'off' && summary !== 'on' && summary !== 'only') throw new UsageError(`trace: summary=${summary}: expected on, only or off`);
    if (ff && (file === undefined || file === '-')) throw new UsageError('trace: ff=on needs o=FILE (the files are FILE.PID)');
    if (ff && summary !== 'off') throw new UsageError('trace: summary= and ff=on together are not supported (which file would the table go to?)');
    if (summary === 'on' && format !== 'text') throw new UsageError(`trace: summary=on prints a text table after the trace: format=text only (summary=only prints the table alone)`);
    if ((ts !== undefined || durations) && format !== 'text') throw new UsageError(`trace: ts= and dur= are for format=text (jsonl and perfetto carry every time)`);
    const statuses = selectStatuses(options['status']);
    const signals = options['signal'] ? selectSignals(options['signal']) : undefined;
    let sink: OutputSink;
    try {
      sink = ctx.openOutput(file);
    } catch (e) {
      throw new UsageError(`trace: cannot open ${file}: ${(e as Error).message}`);
    }
    try {
      // Only the outermost supervisor's own stack (not an engine loaded into a scope, whose
      // supervisor serves others), and only when nothing else there intercepts calls.
      const othersIntercept = ctx.siblings.some((e) => e.interests === 'all' || e.interests.length > 0);
      const yieldCpu = ctx.available === undefined && !othersIntercept;
      return new TraceEngine(sink, {
        syscalls, format, strSize, via, ringBytes, report: (l) => ctx.report(l), yieldCpu,
        ...(ts && { timestamps: ts }),
        durations, fdPaths, summary,
        ...(statuses && { statuses }),
        ...(signals && { signals }),
        ...(ff && { perProcess: (pid: number) => ctx.openOutput(`${file}.${pid}`) }),
      });
    } catch (e) {
      sink.close();
      throw e;
    }
  },
};
