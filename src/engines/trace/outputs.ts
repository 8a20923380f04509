// The three trace formats. Each buffers its text and writes it in large synchronous writes (once
// per batch of events, or every 64 KiB) to the engine's output sink.
import { writeSync } from 'node:fs';
import type { OutputSink } from '../../chain/engine.js';
import type { SigInfo } from '../../observe/bpf-trace.js';
import { errnoName } from './format/errno.js';
import { exitLine, resumedLine, signalLine, syscallLine, unfinishedLine, type LineExtras, type LineOptions } from './format/line.js';
import { formatArgList, formatReturn } from './format/syscall-args.js';
import { isErrorReturn, type FormatOptions } from './format/record.js';
import { ptr } from './format/values.js';
import { signalName } from './format/xlat.js';
import type { TracedCall, TraceOutput } from './call.js';

export type TraceFormat = 'text' | 'jsonl' | 'perfetto';

/** strace's -t (`s`), -tt (`us`) and -ttt (`unix`). */
export type Timestamps = 's' | 'us' | 'unix';

/** Options of the text format beyond the call's formatting. */
export interface TextOptions extends FormatOptions {
  /** A timestamp before each line (the wall clock at the call's entry, its return for a
   *  `resumed` half, the event's for signals and exits). */
  timestamps?: Timestamps;
  /** strace -T: the time spent in the call after its result, ` <0.000012>`. */
  durations?: boolean;
  /** Prefix lines with the thread id (`1234  `): the default; not in a file per process. */
  pidPrefix?: boolean;
}

const FLUSH_AT = 1 << 16;

const SIGCHLD = 17;
/** Signals whose siginfo carries the faulting address (SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV). */
const FAULT_SIGNALS = new Set([4, 5, 7, 8, 11]);
const CLD_EXITED = 1;
const SI_USER = 0;
const SI_QUEUE = -1;
const SI_TIMER = -2;
const SI_TKILL = -6;
const SI_KERNEL = 0x80;

// A clock_t in ticks as strace prints it: the number, and the seconds in a comment when not 0
// (150 is `150 /* 1.50 s */`; USER_HZ is 100 on x86_64).
function clockTicks(t: string | number): string | number {
  return typeof t !== 'number' || t === 0 ? t : `${t} /* ${Math.floor(t / 100)}.${String(t % 100).padStart(2, '0')} s */`;
}

/** siginfoFields as the text format prints them (clock_t fields with their seconds). */
function textSiginfoFields(sig: number, info: SigInfo | undefined): Record<string, string | number> {
  const f = siginfoFields(sig, info);
  if (f.si_utime !== undefined) f.si_utime = clockTicks(f.si_utime);
  if (f.si_stime !== undefined) f.si_stime = clockTicks(f.si_stime);
  return f;
}

/** The fields strace prints after si_signo and si_code for a delivered signal. */
export function siginfoFields(sig: number, info: SigInfo | undefined): Record<string, string | number> {
  if (!info || info.signo === 0) return {};
  const code = info.code;
  if (sig === SIGCHLD && code > 0) {
    return {
      si_pid: info.pid,
      si_uid: info.uid,
      si_status: code === CLD_EXITED ? info.status : signalName(info.status),
      si_utime: info.utime,
      si_stime: info.stime,
    };
  }
  if (FAULT_SIGNALS.has(sig) && (code > 0 || code === SI_KERNEL)) return { si_addr: ptr(info.addr) };
  if (code === SI_USER || code === SI_TKILL) return { si_pid: info.pid, si_uid: info.uid };
  if (code === SI_QUEUE) return { si_pid: info.pid, si_uid: info.uid, si_int: info.status };
  if (code === SI_TIMER) return { si_timerid: info.pid, si_overrun: info.uid, si_int: info.status, si_ptr: ptr(info.status >>> 0) };
  return {};
}

/** Writes all of `buf` to `fd`, waiting out EAGAIN (a non-blocking pipe shared with others). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Base of the outputs: lines are copied into one reused buffer as they are made (so that they
 * die young instead of living on in a long string until the write), written when it is full
 * and at the end of each batch.
 */
abstract class Buffered implements TraceOutput {
  private readonly buf = Buffer.allocUnsafe(FLUSH_AT);
  private len = 0;
  private failed = false;
  constructor(protected readonly sink: OutputSink) {}
  /** Appends text (ASCII or latin1: the formatters escape every other byte). */
  protected emit(s: string): void {
    if (this.len + s.length > FLUSH_AT) {
      this.flush();
      if (s.length > FLUSH_AT) {
        this.write(Buffer.from(s, 'latin1'));
        return;
      }
    }
    this.len += this.buf.write(s, this.len, 'latin1');
  }
  flush(): void {
    if (this.len === 0) return;
    const n = this.len;
    this.len = 0;
    this.write(this.buf.subarray(0, n));
  }
  private write(b: Buffer): void {
    if (this.failed) return;
    try {
      if (this.sink.fd >= 0) writeAll(this.sink.fd, b);
      else this.sink.write(b.toString('latin1'));
    } catch {
      // The reader went away (EPIPE, a closed terminal): the trace ends, the program runs on.
      this.failed = true;
    }
  }
  abstract entered(c: TracedCall): void;
  abstract finished(c: TracedCall): void;
  abstract exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void;
  abstract signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void;
  exec(_tid: number, _tgid: number, _file: string, _ts: number): void {}
  forked(_tid: number, _tgid: number, _childTid: number, _childTgid: number, _ts: number): void {}
  close(_lost: number): void {
    this.flush();
    this.sink.close();
  }
}

/**
 * strace's format (`strace -f -o FILE`): `PID  name(args) = ret`. A call whose line is cut by
 * another thread's event prints as `name(args <unfinished ...>` ... `<... name resumed>) = ret`,
 * as strace does.
 */
export class TextOutput extends Buffered {
  private curr: TracedCall | undefined = undefined;
  private readonly opts: LineOptions;
  private readonly timestamps: Timestamps | undefined;
  private readonly durations: boolean;
  /** Microseconds to add to a CLOCK_MONOTONIC time (µs) to get the wall clock's (µs since the
   *  epoch; ns would exceed a double's exact integers). */
  private readonly wallOffsetUs: number;

  constructor(sink: OutputSink, options: TextOptions = {}) {
    super(sink);
    const { timestamps, durations, pidPrefix, ...format } = options;
    this.opts = { ...format, pidStyle: pidPrefix === false ? 'none' : 'column' };
    this.timestamps = timestamps;
    this.durations = durations === true;
    this.wallOffsetUs = (performance.timeOrigin + performance.now()) * 1000 - Number(process.hrtime.bigint()) / 1000;
  }

  /** The line's timestamp as strace prints it: `12:34:56 `, `12:34:56.123456 `, `1700000000.123456 `. */
  private stamp(ts: number): string {
    const us = Math.floor(ts / 1000 + this.wallOffsetUs);
    const frac = String(us % 1_000_000).padStart(6, '0');
    if (this.timestamps === 'unix') return `${Math.floor(us / 1_000_000)}.${frac} `;
    const d = new Date(us / 1000);
    const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    return this.timestamps === 'us' ? `${hms}.${frac} ` : `${hms} `;
  }

  private extras(ts: number, c?: TracedCall): LineExtras | undefined {
    if (this.timestamps === undefined && !this.durations) return undefined;
    const e: LineExtras = {};
    if (this.timestamps !== undefined) e.stamp = this.stamp(ts);
    if (this.durations && c !== undefined && c.tsExit > 0 && c.ret !== undefined) {
      const us = Math.max(0, Math.round((c.tsExit - c.tsEnter) / 1000));
      e.duration = ` <${Math.floor(us / 1_000_000)}.${String(us % 1_000_000).padStart(6, '0')}>`;
    }
    return e;
  }

  private cut(final = false): void {
    const c = this.curr!;
    this.curr = undefined;
    // An execve still waiting for the kernel's copy of its argv (a vfork'd child's line, cut when
    // its parent's vfork returns at the exec's start): printed whole when it returns instead.
    if (c.awaitsExec && !final) return;
    c.unfinished = true;
    this.emit(unfinishedLine(c.tid, c, this.opts, this.timestamps === undefined ? undefined : { stamp: this.stamp(c.tsEnter) }) + '\n');
  }

  entered(c: TracedCall): void {
    if (this.curr !== undefined) this.cut();
    this.curr = c;
  }

  finished(c: TracedCall): void {
    if (this.curr === c) this.curr = undefined;
    else if (this.curr !== undefined) this.cut();
    this.emit(
      (c.unfinished
        ? resumedLine(c.tid, c, this.opts, this.extras(c.tsExit || c.tsEnter, c))
        : syscallLine(c.tid, c, this.opts, this.extras(c.tsEnter, c))) + '\n',
    );
  }

  exited(tid: number, _tgid: number, status: number, ts: number): void {
    if (this.curr !== undefined) this.cut();
    this.emit(exitLine(tid, status, this.opts, this.extras(ts)) + '\n');
  }

  signal(tid: number, _tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    if (this.curr !== undefined) this.cut();
    this.emit(signalLine(tid, sig, info?.code ?? 0, textSiginfoFields(sig, info), this.opts, this.extras(ts)) + '\n');
  }

  override close(lost: number): void {
    if (this.curr !== undefined) this.cut(true);
    super.close(lost);
  }
}

/** A string needs JSON escapes: a quote, a backslash, a control or non-ASCII character. */
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f-\uffff]/;

/** JSON string literal in pure ASCII (non-ASCII as \\uXXXX: the output is written as bytes);
 *  most arguments are plain tokens, with nothing to escape. */
const q = (s: string): string =>
  NEEDS_ESCAPE.test(s) ? JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : '"' + s + '"';

function errorName(ret: number | undefined): string | undefined {
  return ret !== undefined && isErrorReturn(ret) ? (errnoName(-ret) ?? `E${-ret}`) : undefined;
}

/**
 * One JSON object per line and per event:
 * `{"type":"syscall","ts":NS,"pid":P,"tid":T,"name":"openat","nr":257,"args":[...],"ret":3,"dur":NS}`
 * (`"error":"ENOENT"` on failure, `"ret":null` when unknown, `"via":"chain"` for calls that the
 * engine stack stopped), `{"type":"exit",...,"code":N}` or `"signal":"SIGKILL"`,
 * `{"type":"signal",...}`, `{"type":"exec",...,"file":F}`, `{"type":"fork",...,"child":C}`, and
 * at the end `{"type":"lost","events":N}` when the kernel dropped records.
 */
export class JsonlOutput extends Buffered {
  /** Per thread with a call in progress, the exec/fork lines that call caused (the kernel reports
   *  them before the call returns): written after the call's line, in time order. */
  private readonly pending = new Map<number, string[]>();

  constructor(sink: OutputSink, private readonly options: FormatOptions = {}) {
    super(sink);
  }

  entered(c: TracedCall): void {
    this.pending.set(c.tid, []);
  }

  /** A line of thread `tid`: after its call in progress, if any. */
  private emitAfterCall(tid: number, line: string): void {
    const p = this.pending.get(tid);
    if (p) p.push(line);
    else this.emit(line);
  }

  finished(c: TracedCall): void {
    this.emitCall(c);
    const p = this.pending.get(c.tid);
    this.pending.delete(c.tid);
    if (p) for (const line of p) this.emit(line);
  }

  private emitCall(c: TracedCall): void {
    const args = formatArgList(c, this.options);
    let s = `{"type":"syscall","ts":${c.tsEnter},"pid":${c.tgid},"tid":${c.tid},"name":${q(c.name)},"nr":${c.nr},"args":[`;
    for (let i = 0; i < args.length; i++) s += (i ? ',' : '') + q(args[i]!);
    s += `],"ret":${c.ret === undefined ? 'null' : c.ret}`;
    const err = errorName(c.ret);
    if (err !== undefined) s += `,"error":${q(err)}`;
    if (c.tsExit) s += `,"dur":${c.tsExit - c.tsEnter}`;
    if (c.fromChain) s += ',"via":"chain"';
    this.emit(s + '}\n');
  }

  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void {
    const sig = status & 0x7f;
    const how = sig === 0 ? `"code":${(status >> 8) & 0xff}` : `"signal":${q(signalName(sig))},"core":${(status & 0x80) !== 0}`;
    this.emit(`{"type":"exit","ts":${ts},"pid":${tgid},"tid":${tid},${how},"process":${last}}\n`);
  }

  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    const fields = JSON.stringify(siginfoFields(sig, info));
    this.emit(`{"type":"signal","ts":${ts},"pid":${tgid},"tid":${tid},"signal":${q(signalName(sig))},"code":${info?.code ?? 0},"info":${fields}}\n`);
  }

  override exec(tid: number, tgid: number, file: string, ts: number): void {
    this.emitAfterCall(tid, `{"type":"exec","ts":${ts},"pid":${tgid},"tid":${tid},"file":${q(Buffer.from(file, 'latin1').toString('utf8'))}}\n`);
  }

  override forked(tid: number, tgid: number, childTid: number, childTgid: number, ts: number): void {
    this.emitAfterCall(tid, `{"type":"fork","ts":${ts},"pid":${tgid},"tid":${tid},"child":${childTid},"childPid":${childTgid}}\n`);
  }

  override close(lost: number): void {
    for (const p of this.pending.values()) for (const line of p) this.emit(line);
    this.pending.clear();
    if (lost > 0) this.emit(`{"type":"lost","events":${lost}}\n`);
    super.close(lost);
  }
}

/**
 * Chrome/Perfetto trace-event JSON (opens in ui.perfetto.dev and chrome://tracing): one track per
 * thread (pid = process, tid = thread, named after the program), one complete slice ("X") per
 * syscall with its arguments and result, instants for signals and exits. Times in microseconds
 * from the start of the trace (the output's creation, before the traced program runs: every
 * event is later, whatever order the events are written in; a slice is written when its call
 * ends, after events that came later than its start).
 */
export class PerfettoOutput extends Buffered {
  private first = true;
  /** CLOCK_MONOTONIC ns of the start of the trace (the clock of the events). */
  private readonly t0 = Number(process.hrtime.bigint());
  private readonly processNames = new Map<number, string>();
  private readonly threads = new Map<number, number>(); // tid -> tgid

  constructor(sink: OutputSink, private readonly options: FormatOptions = {}) {
    super(sink);
    this.emit('{"displayTimeUnit":"ns","traceEvents":[\n');
  }

  private us(ts: number): string {
    return ((ts - this.t0) / 1000).toFixed(3);
  }

  private event(json: string): void {
    this.emit(this.first ? json : ',\n' + json);
    this.first = false;
  }

  private seen(tid: number, tgid: number): void {
    if (!this.threads.has(tid)) this.threads.set(tid, tgid);
  }

  entered(): void {}

  finished(c: TracedCall): void {
    this.seen(c.tid, c.tgid);
    const end = c.tsExit || c.tsEnter;
    const call = `${c.name}(${formatArgList(c, this.options).join(', ')})`;
    const ret = formatReturn(c.name, c.ret, c.args, c.strs);
    const dur = ((end - c.tsEnter) / 1000).toFixed(3);
    const via = c.fromChain ? ',"via":"chain"' : '';
    this.event(`{"ph":"X","cat":"syscall","name":${q(c.name)},"pid":${c.tgid},"tid":${c.tid},"ts":${this.us(c.tsEnter)},"dur":${dur},"args":{"call":${q(call)},"ret":${q(ret)}${via}}}`);
  }

  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void {
    this.seen(tid, tgid);
    const sig = status & 0x7f;
    const what = sig === 0 ? `exited with ${(status >> 8) & 0xff}` : `killed by ${signalName(sig)}`;
    this.event(`{"ph":"i","s":"t","cat":"process","name":${q(what)},"pid":${tgid},"tid":${tid},"ts":${this.us(ts)},"args":{"process":${last}}}`);
  }

  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    this.seen(tid, tgid);
    const args = JSON.stringify({ code: info?.code ?? 0, ...siginfoFields(sig, info) });
    this.event(`{"ph":"i","s":"t","cat":"signal","name":${q(signalName(sig))},"pid":${tgid},"tid":${tid},"ts":${this.us(ts)},"args":${args}}`);
  }

  override exec(tid: number, tgid: number, file: string, ts: number): void {
    this.seen(tid, tgid);
    const name = Buffer.from(file, 'latin1').toString('utf8').replace(/^.*\//, '');
    this.processNames.set(tgid, name);
    this.event(`{"ph":"i","s":"t","cat":"process","name":${q('exec ' + name)},"pid":${tgid},"tid":${tid},"ts":${this.us(ts)}}`);
  }

  override forked(_tid: number, tgid: number, childTid: number, childTgid: number): void {
    this.seen(childTid, childTgid);
    const parent = this.processNames.get(tgid);
    if (parent !== undefined && !this.processNames.has(childTgid)) this.processNames.set(childTgid, parent);
  }

  override close(lost: number): void {
    for (const [tgid, name] of this.processNames) {
      this.event(`{"ph":"M","name":"process_name","pid":${tgid},"args":{"name":${q(`${name} ${tgid}`)}}}`);
    }
    for (const [tid, tgid] of this.threads) {
      const name = this.processNames.get(tgid) ?? String(tgid);
      this.event(`{"ph":"M","name":"thread_name","pid":${tgid},"tid":${tid},"args":{"name":${q(`${name} ${tid}`)}}}`);
    }
    this.emit(`\n],"metadata":{"tool":"sysvisor trace","lostEvents":${lost}}}\n`);
    super.close(lost);
  }
}

export function createOutput(format: TraceFormat, sink: OutputSink, options: TextOptions): TraceOutput {
  switch (format) {
    case 'text':
      return new TextOutput(sink, options);
    case 'jsonl':
      return new JsonlOutput(sink, options);
    case 'perfetto':
      return new PerfettoOutput(sink, options);
  }
}
