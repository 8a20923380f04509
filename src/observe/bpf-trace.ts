// Typed wrapper over the addon's TraceSession (bpf/trace.bpf.c): configures which syscalls are
// reported and which of their arguments are read as strings/buffers, decodes the packed ring
// buffer records (layout in bpf/trace.h) into plain event objects, and hands them over in
// batches, one call per event-loop wake-up. Observation only: no traced thread ever stops.
import { loadBinding } from '../native/load.js';
import type { TraceSession, TraceSessionOptions } from '../native/binding.js';
import { MAX_SYSCALLS, TRACE, TRACE_CFG as CFG, TRACE_DATA, TRACE_DF, TRACE_EVENT as EV, TRACE_EVF, TRACE_KIND } from '../native/contract.js';

export type { TraceSessionOptions } from '../native/binding.js';

// ---- record layout (bpf/trace.h, through src/native/contract.ts) ----------------------------

const { HDR_BYTES, ARGS_BYTES, DATA_DESC_BYTES, ARG_NONE } = TRACE;

/** Number of syscall numbers the kernel side can be configured for (0..MAX_SYSCALLS-1). */
export { MAX_SYSCALLS };
/** Largest string/buffer the kernel side reads for one argument. */
export const DATA_CAP = TRACE.DATA_CAP;

// The decoder reads the header through 32-bit words: size, kind and flags share the first one
// (little-endian), the other fields are 4-byte aligned; a data descriptor is one word.
function wordOf(offset: number): number {
  if (offset % 4 !== 0) throw new Error(`bpf/trace.h: a record field at byte ${offset} is not 4-byte aligned`);
  return offset / 4;
}
if (EV.size !== 0 || EV.kind >= 4 || EV.flags >= 4 || TRACE_DATA.BYTES !== 4 || TRACE_DATA.len !== 0) {
  throw new Error('bpf/trace.h: the record header is not laid out as the decoder reads it');
}
const KIND_SHIFT = EV.kind * 8;
const FLAGS_SHIFT = EV.flags * 8;
const D_ARG_SHIFT = TRACE_DATA.arg * 8;
const D_FLAGS_SHIFT = TRACE_DATA.flags * 8;
const W_TID = wordOf(EV.tid);
const W_TGID = wordOf(EV.tgid);
const W_NR = wordOf(EV.nr);
const W_TS = wordOf(EV.ts_ns);
const W_RET = wordOf(EV.ret);
const W_ARGS = wordOf(HDR_BYTES);

// Shared empty values for records without args/data (never mutated: TraceEvent is read-only
// for consumers).
const NO_ARGS: readonly number[] = Object.freeze([]);
const NO_STRS: readonly (string | undefined)[] = Object.freeze([]);

export type TraceEventKind = Lowercase<keyof typeof TRACE_KIND>;

/** Event kind names by the number the kernel writes (enum sv_kind). */
const KINDS: (TraceEventKind | undefined)[] = [];
for (const [name, v] of Object.entries(TRACE_KIND)) KINDS[v] = name.toLowerCase() as TraceEventKind;

/** The fields of a delivered signal's siginfo (x86_64 layout); which of them mean something
 *  depends on the signal and si_code (as for strace's `--- SIG... {...} ---` line). */
export interface SigInfo {
  signo: number;
  errno: number;
  code: number;
  /** si_pid (kill, sigqueue, SIGCHLD) or si_tid (POSIX timers). */
  pid: number;
  /** si_uid (kill, sigqueue, SIGCHLD) or si_overrun (POSIX timers). */
  uid: number;
  /** si_status (SIGCHLD) or the low half of si_value (sigqueue, timers). */
  status: number;
  /** si_addr (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP): the first pointer of the union. */
  addr: number;
  /** si_utime / si_stime (SIGCHLD), in clock ticks. */
  utime: number;
  stime: number;
}

/** One decoded record. Fields that a kind does not use are 0 / empty. */
export interface TraceEvent {
  kind: TraceEventKind;
  /** Kernel thread id and process id of the task the event happened in. */
  tid: number;
  tgid: number;
  /** CLOCK_MONOTONIC in nanoseconds (same clock as process.hrtime). */
  ts: number;
  /** Syscall number (enter/exit); signal: 0 delivered, 1 discarded when sent because the
   *  target ignores it (ptrace-based tracers see those too), 2 queued for the target (sent;
   *  a fatal default action kills without a delivery); -1 for the other kinds. */
  nr: number;
  /** The six argument registers as signed 64-bit values (exact below 2^53); [] when the record
   *  carries none (an exit without SyscallCapture.exitArgs). Registers are raw: for a C `int`
   *  parameter only the low 32 bits count (AT_FDCWD arrives as 4294967196; use `x | 0`). */
  args: readonly number[];
  /** Content of argument i that was read in the kernel, as a byte string ('latin1': one char
   *  per byte, so nothing is lost); undefined where nothing was read. For `exec`, strs[0] is
   *  the executed file. An exit carries string arguments whose read at entry faulted (a page
   *  not yet resident), read again once the kernel has faulted it in. */
  strs: readonly (string | undefined)[];
  /** Bit i set: the C string of argument i was longer than maxStr and is cut. */
  trunc: number;
  /** Bit i set: reading argument i faulted (bad pointer): strace would print its address. */
  fault: number;
  /** exit: the return value; exec: the tid before the exec; exit_*: the wait status;
   *  signal: the signal number; enter with SyscallCapture.argv: the number of envp entries
   *  (-1: unreadable). An argv is in strs (its strings each followed by a NUL; trunc: more). */
  ret: number;
  /** fork: the new task. */
  child?: { tid: number; tgid: number };
  /** signal: its siginfo (all 0 when the kernel delivered it without one, e.g. SIGKILL). */
  siginfo?: SigInfo;
}

/** What the kernel side reports for one syscall number (compiled to a config word). */
export interface SyscallCapture {
  /** Emit an event at entry (with args and entry strings/buffer). */
  enter?: boolean;
  /** Emit an event at exit (with the return value). */
  exit?: boolean;
  /** The exit event also carries the six args (read back from the registers). */
  exitArgs?: boolean;
  /** Argument indexes (0..5) holding C strings to read at entry; at most two are read. */
  strArgs?: readonly number[];
  /** The entry event carries no args (a syscall without arguments): a smaller record. */
  noArgs?: boolean;
  /** A buffer read at entry (write-like): its arg index and the index of its length arg, or
   *  a fixed-size struct (`size` bytes, e.g. rt_sigaction's act; the same size as a 'struct'
   *  exitData if both are given). */
  enterBuf?: { arg: number; lenArg: number; iov?: boolean } | { arg: number; size: number } | { arg: 0; sigframe: true } | { arg: number; fdsets: true } | { arg: number; msghdr: true };
  /** execve-like: the argument after the first string is an array of C strings (argv), read at
   *  entry, and the one after it (envp) is counted (the entry event's `ret`). */
  argv?: boolean;
  /** Memory read at exit when ret >= 0: 'buf' = ret bytes (read-like), 'str' = a C string
   *  (getcwd-like), 'struct' = `size` bytes (fstat-like). Implies args in the exit event. */
  exitData?: { arg: number; mode: 'buf' | 'str' | 'struct' | 'dirents' | 'sockaddr' | 'iov' | 'fdsets' | 'msghdr'; size?: number };
}

function checkArg(i: number, what: string): number {
  if (!Number.isInteger(i) || i < 0 || i > 5) throw new RangeError(`${what} must be an argument index 0..5, got ${i}`);
  return i;
}

/** The kernel's config word for a capture spec (encoding documented in bpf/trace.h). */
export function encodeSyscallCapture(c: SyscallCapture): number {
  let w = 0;
  if (c.enter) w |= CFG.ENTER;
  if (c.exit || c.exitData) w |= CFG.EXIT;
  if (c.exitArgs) w |= CFG.EXIT_ARGS;
  if (c.exitData) {
    w |= (checkArg(c.exitData.arg, 'exitData.arg') + 1) << CFG.EXIT_DATA_SHIFT;
    const mode = { buf: CFG.MODE_BUF, str: CFG.MODE_STR, struct: CFG.MODE_STRUCT, dirents: CFG.MODE_DIRENTS, sockaddr: CFG.MODE_SOCKADDR, iov: CFG.MODE_IOV, fdsets: CFG.MODE_FDSETS, msghdr: CFG.MODE_MSGHDR }[c.exitData.mode];
    w |= (mode & 3) << CFG.EXIT_MODE_SHIFT;
    if (mode & 4) w |= CFG.EXIT_MODE_HI;
    if ((c.exitData.mode === 'sockaddr' || c.exitData.mode === 'iov') && c.exitData.arg > 4) throw new RangeError(`exitData.arg of a ${c.exitData.mode} must leave room for its length argument`);
    if (c.exitData.mode === 'struct' || c.exitData.mode === 'sockaddr') {
      const size = c.exitData.size ?? 0;
      if (!Number.isInteger(size) || size < 1 || size > CFG.STRUCT_MAX) throw new RangeError(`exitData.size must be 1..${CFG.STRUCT_MAX}, got ${size}`);
      w = (w | (Math.ceil(size / 8) << CFG.STRUCT_SHIFT)) >>> 0;
    }
  }
  // The first two string arguments, lowest index first (trace.h: index + 1 in two 3-bit fields).
  const strs = [...new Set((c.strArgs ?? []).map((i) => checkArg(i, 'strArgs')))].sort((a, b) => a - b);
  if (strs[0] !== undefined) w |= (strs[0] + 1) << CFG.STR0_SHIFT;
  if (strs[1] !== undefined) w |= (strs[1] + 1) << CFG.STR1_SHIFT;
  if (c.noArgs && !c.strArgs?.length && !c.enterBuf) w |= CFG.ENTER_NOARGS;
  if (c.argv) {
    if (strs[0] === undefined || strs[0] > 3) throw new RangeError('argv needs a string argument (the file) before it');
    w |= CFG.ARGV;
  }
  if (c.enterBuf && 'sigframe' in c.enterBuf) {
    w |= CFG.ENTER_BUF_SIGFRAME << CFG.ENTER_BUF_SHIFT;
  } else if (c.enterBuf && 'fdsets' in c.enterBuf) {
    // select's sets at entry: the exit data's mode says how they are read (trace.h, mode 6).
    if (c.exitData?.mode !== 'fdsets') throw new RangeError("enterBuf.fdsets needs an exitData of mode 'fdsets'");
    w |= (checkArg(c.enterBuf.arg, 'enterBuf.arg') + 1) << CFG.ENTER_BUF_SHIFT;
  } else if (c.enterBuf && 'msghdr' in c.enterBuf) {
    // sendmsg's msghdr: an iovec-bearing struct (trace.h: ENTER_IOV with the struct length field).
    w |= (checkArg(c.enterBuf.arg, 'enterBuf.arg') + 1) << CFG.ENTER_BUF_SHIFT;
    w = (w | (CFG.LEN_STRUCT << CFG.ENTER_BUF_LEN_SHIFT) | CFG.ENTER_IOV) >>> 0;
  } else if (c.enterBuf) {
    w |= (checkArg(c.enterBuf.arg, 'enterBuf.arg') + 1) << CFG.ENTER_BUF_SHIFT;
    if ('size' in c.enterBuf) {
      const size = c.enterBuf.size;
      if (!Number.isInteger(size) || size < 1 || size > CFG.STRUCT_MAX) throw new RangeError(`enterBuf.size must be 1..${CFG.STRUCT_MAX}, got ${size}`);
      const words = Math.ceil(size / 8);
      const exitWords = (w >>> CFG.STRUCT_SHIFT) & 0xff;
      if (exitWords !== 0 && exitWords !== words) throw new RangeError('enterBuf.size and exitData.size must be equal');
      w = (w | (CFG.LEN_STRUCT << CFG.ENTER_BUF_LEN_SHIFT) | (words << CFG.STRUCT_SHIFT)) >>> 0;
    } else {
      w |= (checkArg(c.enterBuf.lenArg, 'enterBuf.lenArg') + 1) << CFG.ENTER_BUF_LEN_SHIFT;
      if (c.enterBuf.iov) w = (w | CFG.ENTER_IOV) >>> 0;
    }
  }
  return w >>> 0;
}

// ---- decoding ----------------------------------------------------------------------------

/**
 * Decodes `count` packed records from one batch. Records start at 8-byte boundaries of the
 * batch (the addon pads them), so the fixed part is read through 32-bit views: this runs for
 * every syscall of every traced thread.
 */
export function decodeBatch(buf: Buffer, count: number): TraceEvent[] {
  const out: TraceEvent[] = new Array<TraceEvent>(count);
  let n = 0;
  forEachEvent(buf, count, (ev) => (out[n++] = { ...ev }), true);
  return out;
}

/**
 * Calls `fn` for each of the `count` records of a batch, in order. Unless `fresh`, the event
 * object is reused from one record to the next (its args and strs arrays are not: they may be
 * kept): copy what must outlive the call. The consumer of a busy trace calls this for every
 * syscall, hence no allocation per record beyond the arrays it carries.
 */
export function forEachEvent(buf: Buffer, count: number, fn: (ev: TraceEvent) => void, fresh = false): void {
  const ev: TraceEvent = { kind: 'enter', tid: 0, tgid: 0, nr: 0, ts: 0, ret: 0, args: NO_ARGS, strs: NO_STRS, trunc: 0, fault: 0, child: undefined, siginfo: undefined };
  // Views need 4-byte alignment of the underlying memory; copy in the rare case it is not.
  const b = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const u32 = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  const i32 = new Int32Array(b.buffer, b.byteOffset, b.length >>> 2);
  let off = 0;
  for (let n = 0; n < count; n++) {
    if (off + HDR_BYTES > b.length) throw new Error(`trace batch truncated at record ${n} of ${count}`);
    const w = off >>> 2;
    const head = u32[w]!;
    const size = head & 0xffff;
    const kind = KINDS[(head >>> KIND_SHIFT) & 0xff];
    const flags = (head >>> FLAGS_SHIFT) & 0xff;
    if (!kind || size < HDR_BYTES || off + size > b.length) throw new Error(`malformed trace record at byte ${off}`);
    let args: readonly number[] = NO_ARGS;
    let p = off + HDR_BYTES;
    if (flags & TRACE_EVF.ARGS) {
      const a = w + W_ARGS;
      // hi * 2^32 + lo: exact for |v| < 2^53, and no BigInt per argument.
      args = [
        i32[a + 1]! * 0x1_0000_0000 + u32[a]!,
        i32[a + 3]! * 0x1_0000_0000 + u32[a + 2]!,
        i32[a + 5]! * 0x1_0000_0000 + u32[a + 4]!,
        i32[a + 7]! * 0x1_0000_0000 + u32[a + 6]!,
        i32[a + 9]! * 0x1_0000_0000 + u32[a + 8]!,
        i32[a + 11]! * 0x1_0000_0000 + u32[a + 10]!,
      ];
      p += ARGS_BYTES;
    }
    ev.kind = kind;
    ev.tid = u32[w + W_TID]!;
    ev.tgid = u32[w + W_TGID]!;
    ev.nr = i32[w + W_NR]!;
    ev.ts = u32[w + W_TS + 1]! * 0x1_0000_0000 + u32[w + W_TS]!;
    ev.ret = i32[w + W_RET + 1]! * 0x1_0000_0000 + u32[w + W_RET]!;
    ev.args = args;
    ev.strs = NO_STRS;
    ev.trunc = 0;
    ev.fault = 0;
    ev.child = undefined;
    ev.siginfo = undefined;
    const ndata = flags & TRACE_EVF.NDATA_MASK;
    if (ndata > 0) {
      const strs: (string | undefined)[] = [];
      ev.strs = strs;
      let payload = p + DATA_DESC_BYTES;
      for (let d = 0; d < ndata; d++) {
        const desc = u32[(p >>> 2) + d]!;
        const len = desc & 0xffff;
        const arg = (desc >>> D_ARG_SHIFT) & 0xff;
        const dflags = (desc >>> D_FLAGS_SHIFT) & 0xff;
        const idx = arg === ARG_NONE ? 0 : arg;
        if (dflags & TRACE_DF.FAULT) ev.fault |= 1 << idx;
        else strs[idx] = b.toString('latin1', payload, payload + len);
        if (dflags & TRACE_DF.TRUNC) ev.trunc |= 1 << idx;
        payload += len;
      }
    }
    if (kind === 'fork') ev.child = { tid: args[0] ?? 0, tgid: args[1] ?? 0 };
    else if (kind === 'signal' && flags & TRACE_EVF.ARGS) {
      const a = w + W_ARGS;
      ev.siginfo = {
        signo: i32[a]!,
        errno: i32[a + 1]!,
        code: i32[a + 2]!,
        pid: i32[a + 4]!,
        uid: u32[a + 5]!,
        status: i32[a + 6]!,
        addr: u32[a + 5]! * 0x1_0000_0000 + u32[a + 4]!,
        utime: i32[a + 9]! * 0x1_0000_0000 + u32[a + 8]!,
        stime: i32[a + 11]! * 0x1_0000_0000 + u32[a + 10]!,
      };
    }
    fn(fresh ? { ...ev } : ev);
    off += (size + 7) & ~7;
  }
}

/** Splits a wait status as the kernel reports it in exit_thread/exit_process events. */
export function decodeWaitStatus(status: number): { code?: number; signal?: number; core?: boolean } {
  const sig = status & 0x7f;
  if (sig === 0) return { code: (status >> 8) & 0xff };
  return { signal: sig, core: (status & 0x80) !== 0 };
}

// ---- the addon class (declared in src/native/binding.ts) ------------------------------------

function traceSessionClass(): typeof TraceSession {
  const binding = loadBinding();
  if (typeof binding.TraceSession !== 'function') throw new Error('the sysvisor addon has no TraceSession (rebuild it)');
  return binding.TraceSession;
}

export interface BpfTracerOptions extends TraceSessionOptions {}

/**
 * One loaded eBPF tracer. Construction loads and attaches the programs; it throws the addon's
 * one-line error (e.g. "load trace.bpf.o: Operation not permitted", with code/errno) when the
 * kernel refuses them.
 */
export class BpfTracer {
  readonly #session: TraceSession;
  readonly #configs = new Uint32Array(MAX_SYSCALLS);

  constructor(options: BpfTracerOptions = {}) {
    const TraceSession = traceSessionClass();
    this.#session = new TraceSession(options);
  }

  /** Trace a process (and, with followForks, everything it forks from now on). */
  trace(pid: number): void {
    this.#session.trace(pid);
  }

  /** Stop tracing a process. False when it was not traced. */
  untrace(pid: number): boolean {
    return this.#session.untrace(pid);
  }

  isTraced(pid: number): boolean {
    return this.#session.isTraced(pid);
  }

  /** What to report for syscall `nr` (a spec, or a raw config word). */
  configure(nr: number, capture: SyscallCapture | number): void {
    const word = typeof capture === 'number' ? capture >>> 0 : encodeSyscallCapture(capture);
    this.#session.setSyscallConfig(nr, word);
    this.#configs[nr] = word;
  }

  /** Sets every syscall number at once: `capture(nr)` returns its spec or undefined (= off). */
  configureAll(capture: (nr: number) => SyscallCapture | number | undefined): void {
    const words = new Uint32Array(MAX_SYSCALLS);
    for (let nr = 0; nr < MAX_SYSCALLS; nr++) {
      const c = capture(nr);
      words[nr] = c === undefined ? 0 : typeof c === 'number' ? c >>> 0 : encodeSyscallCapture(c);
    }
    this.#session.setSyscallConfigs(words);
    this.#configs.set(words);
  }

  /** The config word currently set for `nr`. */
  configOf(nr: number): number {
    return this.#configs[nr] ?? 0;
  }

  /** Starts delivery: `onEvents` is called once per event-loop wake-up with the decoded batch. */
  start(onEvents: (events: TraceEvent[]) => void): void {
    this.#session.start((records, count) => onEvents(decodeBatch(records, count)));
  }

  /** Starts delivery without a decoded array: `onEvent` for each record (one reused event
   *  object, see forEachEvent), then `onBatchEnd` once per batch. */
  startEach(onEvent: (ev: TraceEvent) => void, onBatchEnd: () => void): void {
    this.#session.start((records, count) => {
      forEachEvent(records, count, onEvent);
      onBatchEnd();
    });
  }

  /** Delivers every record still pending, synchronously (e.g. after the traced program exited). */
  drain(): number {
    return this.#session.drain();
  }

  /** Records lost because the ring buffer was full. */
  get dropped(): number {
    return this.#session.dropped();
  }

  /** Program runs the kernel skipped (the same program already running on that CPU); each may
   *  have been an event of a traced process. 0 in practice: tracepoint programs run with
   *  preemption disabled. */
  get missed(): number {
    return this.#session.missed();
  }

  /** Children that could not be followed (the kernel's traced-process map was full). */
  get unfollowed(): number {
    return this.#session.unfollowed();
  }

  get closed(): boolean {
    return this.#session.closed;
  }

  /** Detaches the programs, frees the ring buffer and every fd. Idempotent. */
  close(): void {
    this.#session.close();
  }
}
