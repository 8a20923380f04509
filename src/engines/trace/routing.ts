// What reaches the trace outputs, by strace's options: the calls of a status (`status=`, strace's
// -e status=), the signals of a set (`signal=`, -e signal=), a summary table at the end
// (`summary=`, -c and -C), one file per process (`ff=on`, -ff).
import type { OutputSink } from '../../chain/engine.js';
import type { SigInfo } from '../../observe/bpf-trace.js';
import { summaryTable, type SummaryRow } from '../../syscalls/summary.js';
import type { TracedCall, TraceOutput } from './call.js';
import { isErrorReturn } from './format/record.js';

/** strace's -e status= values this tracer tells apart. */
export const STATUSES = ['successful', 'failed', 'unfinished'] as const;
export type Status = (typeof STATUSES)[number];

/** A call's status: returned without error, with one, or not at all (`= ?`). */
export function statusOf(c: TracedCall): Status {
  if (c.ret === undefined) return 'unfinished';
  return isErrorReturn(c.ret) ? 'failed' : 'successful';
}

/**
 * The calls of the chosen statuses and the signals of the chosen set. With a status filter a
 * call is printed whole once it returned (never as `<unfinished ...>`: whether it is shown is
 * only known then), as strace does; the exec and fork events of a call wait for it.
 */
export class FilterOutput implements TraceOutput {
  /** Per thread with a call in progress: the events it caused, replayed after it. */
  private readonly held = new Map<number, (() => void)[]>();

  constructor(
    private readonly inner: TraceOutput,
    /** Statuses shown (undefined: all, and calls print as they come). */
    private readonly statuses: ReadonlySet<Status> | undefined,
    /** Signals shown (index = number, 1 = shown; undefined: all). */
    private readonly signals: Uint8Array | undefined,
  ) {}

  entered(c: TracedCall): void {
    if (this.statuses === undefined) this.inner.entered(c);
    else this.held.set(c.tid, []);
  }

  finished(c: TracedCall): void {
    if (this.statuses === undefined) {
      this.inner.finished(c);
      return;
    }
    if (this.statuses.has(statusOf(c))) {
      this.inner.entered(c);
      this.inner.finished(c);
    }
    const h = this.held.get(c.tid);
    this.held.delete(c.tid);
    if (h) for (const f of h) f();
  }

  private afterCall(tid: number, f: () => void): void {
    const h = this.held.get(tid);
    if (h) h.push(f);
    else f();
  }

  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void {
    const h = this.held.get(tid);
    this.held.delete(tid);
    if (h) for (const f of h) f();
    this.inner.exited(tid, tgid, status, ts, last);
  }

  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    if (this.signals === undefined || this.signals[sig] === 1) this.inner.signal(tid, tgid, sig, info, ts);
  }

  exec(tid: number, tgid: number, file: string, ts: number): void {
    this.afterCall(tid, () => this.inner.exec(tid, tgid, file, ts));
  }

  forked(tid: number, tgid: number, childTid: number, childTgid: number, ts: number): void {
    this.afterCall(tid, () => this.inner.forked(tid, tgid, childTid, childTgid, ts));
  }

  flush(): void {
    this.inner.flush();
  }

  close(lost: number): void {
    for (const h of this.held.values()) for (const f of h) f();
    this.held.clear();
    this.inner.close(lost);
  }
}

/**
 * strace's -c (`summary=only`: the table alone) and -C (`summary=on`: the trace, then the table):
 * calls, errors and the time spent in them (wall time from entry to return, strace -c -w) per
 * syscall, written to the trace's output when the trace ends.
 */
export class SummaryOutput implements TraceOutput {
  private readonly rows = new Map<string, SummaryRow>();

  constructor(
    private readonly sink: OutputSink,
    /** The trace itself (summary=on), written to the same sink; undefined: the table only. */
    private readonly inner: TraceOutput | undefined,
  ) {}

  entered(c: TracedCall): void {
    this.inner?.entered(c);
  }

  finished(c: TracedCall): void {
    this.inner?.finished(c);
    // As strace -c: calls that returned (not exit_group, nor a call its thread died in).
    if (c.ret === undefined) return;
    let r = this.rows.get(c.name);
    if (r === undefined) this.rows.set(c.name, (r = { calls: 0, errors: 0, seconds: 0 }));
    r.calls++;
    if (isErrorReturn(c.ret)) r.errors++;
    if (c.tsExit > c.tsEnter) r.seconds += (c.tsExit - c.tsEnter) / 1e9;
  }

  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void {
    this.inner?.exited(tid, tgid, status, ts, last);
  }

  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    this.inner?.signal(tid, tgid, sig, info, ts);
  }

  exec(tid: number, tgid: number, file: string, ts: number): void {
    this.inner?.exec(tid, tgid, file, ts);
  }

  forked(tid: number, tgid: number, childTid: number, childTgid: number, ts: number): void {
    this.inner?.forked(tid, tgid, childTid, childTgid, ts);
  }

  flush(): void {
    this.inner?.flush();
  }

  close(lost: number): void {
    // The trace's last lines first, then the table, then the sink is closed (by the trace's
    // output when there is one).
    this.inner?.flush();
    try {
      this.sink.write(summaryTable(this.rows));
    } catch {
      // the reader went away: as for the trace's lines
    }
    if (this.inner) this.inner.close(lost);
    else this.sink.close();
  }
}

/**
 * strace -ff: one output per process (its file `FILE.PID`, lines without the pid prefix), made
 * when the process first shows up and closed when it ends, so that the files open at a time are
 * those of the live processes.
 */
export class PerProcessOutput implements TraceOutput {
  private readonly outputs = new Map<number, TraceOutput>();
  /** Threads' processes (signals and exits come with both ids; calls carry theirs). */
  constructor(private readonly open: (pid: number) => TraceOutput) {}

  private of(tgid: number): TraceOutput {
    let o = this.outputs.get(tgid);
    if (o === undefined) this.outputs.set(tgid, (o = this.open(tgid)));
    return o;
  }

  entered(c: TracedCall): void {
    this.of(c.tgid).entered(c);
  }

  finished(c: TracedCall): void {
    this.of(c.tgid).finished(c);
  }

  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void {
    const o = this.of(tgid);
    o.exited(tid, tgid, status, ts, last);
    if (last) {
      this.outputs.delete(tgid);
      o.close(0);
    }
  }

  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    this.of(tgid).signal(tid, tgid, sig, info, ts);
  }

  exec(tid: number, tgid: number, file: string, ts: number): void {
    this.of(tgid).exec(tid, tgid, file, ts);
  }

  forked(tid: number, tgid: number, childTid: number, childTgid: number, ts: number): void {
    this.of(tgid).forked(tid, tgid, childTid, childTgid, ts);
  }

  flush(): void {
    for (const o of this.outputs.values()) o.flush();
  }

  close(lost: number): void {
    for (const o of this.outputs.values()) o.close(lost);
    this.outputs.clear();
  }
}
