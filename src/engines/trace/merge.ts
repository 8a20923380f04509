// Merges the two sources of the tracer into one ordered stream per thread:
// - eBPF events, in ring buffer order (per thread, in time order): calls no engine stopped come
//   as sys_enter + sys_exit; calls the chain answered come as a sys_exit only (seccomp answered
//   them before sys_enter); calls the chain continued come as sys_enter + sys_exit;
// - chain records: the calls the engine stack saw, with the arguments at the tracer's place,
//   stamped (CLOCK_MONOTONIC, the clock of the eBPF events) when the tracer's layer saw them.
//
// A chain record is placed in its thread's stream before the first eBPF event of that thread
// stamped after it: the thread was stopped in seccomp from before the record until the reply,
// so every earlier event of the thread is older and every later one newer. The record then
// claims the thread's kernel events of the same call (the sys_enter of a continued call, the
// sys_exit of any), which are not shown again; its return value is the chain's when the layers
// outside the tracer produced one, else (continued) the sys_exit's.
//
// A sys_exit with no entry before it (no sys_enter, no chain record) is a call that never reached
// this layer: answered by an engine inside the tracer, or the return of clone/fork in the child,
// which strace does not show either.
import type { TraceEvent } from '../../observe/bpf-trace.js';
import { nrOf, syscallName } from '../../syscalls/table.js';
import { TRACE } from '../../native/contract.js';
import { NO_STRS, TracedCall, type TraceOutput } from './call.js';
import { isRestartErrno } from './format/errno.js';

const NR_EXECVE = nrOf('execve');
const NR_EXECVEAT = nrOf('execveat');
/** argv strings an execve's entry reads at most (bpf/trace.h SV_ARGV_MAX). */
const { ARGV_MAX } = TRACE;
/** SIGKILL: never visible to a ptrace-based strace either; the exit line says it. */
const SIGKILL = 9;
/** Chain records of one thread that may wait for their kernel events (bounded: a thread that
 *  eBPF does not see, e.g. after lost events, must not grow memory). */
const MAX_QUEUED = 64;

class ThreadState {
  /** A call whose entry is known and whose return is not. */
  pending: TracedCall | undefined = undefined;
  /** Chain records not yet placed in the stream (oldest first). */
  queue: TracedCall[] | undefined = undefined;
  /** Ignored signals sent while a call was pending: shown when it returns, as ptrace would. */
  signals: TraceEvent[] | undefined = undefined;
  constructor(
    public tgid: number,
    /** Events are dropped until the first execve (the launcher's pre-exec state). */
    public gated: boolean,
  ) {}
}

export class TraceMerger {
  private readonly threads = new Map<number, ThreadState>();
  /** Signals sent to a process and not yet delivered, by process: a fatal default action kills
   *  the process without a delivery, and strace shows the signal before the death. */
  private readonly queued = new Map<number, TraceEvent[]>();

  constructor(private readonly out: TraceOutput) {}

  /**
   * The first process of the traced tree. `held`: it has not executed its command yet (the
   * launcher holds it), and what it does before its first execve is the launcher's, not shown.
   * Otherwise (a tracer loaded into a running tree) everything from now on is shown.
   */
  setRoot(pid: number, held = false): void {
    this.threads.set(pid, new ThreadState(pid, held));
  }

  private thread(tid: number, tgid: number): ThreadState {
    let th = this.threads.get(tid);
    if (th === undefined) {
      th = new ThreadState(tgid, false);
      this.threads.set(tid, th);
    } else if (th.tgid === 0) th.tgid = tgid;
    return th;
  }

  /** A call seen by the tracer's layer of the chain (its result may come later). */
  chainEntered(c: TracedCall): void {
    let th = this.threads.get(c.tid);
    if (th === undefined) {
      th = new ThreadState(0, false);
      this.threads.set(c.tid, th);
    }
    const q = (th.queue ??= []);
    q.push(c);
    if (q.length > MAX_QUEUED) this.place(th, q.shift()!);
  }

  /** One batch of eBPF events, in ring buffer order. */
  onEvents(events: readonly TraceEvent[]): void {
    for (let i = 0; i < events.length; i++) this.onEvent(events[i]!);
    this.endBatch();
  }

  /** The end of a batch: the output writes what it has. */
  endBatch(): void {
    this.out.flush();
  }

  /** One eBPF event (the object may be reused by the caller afterwards: nothing keeps it). */
  onEvent(ev: TraceEvent): void {
    {
      switch (ev.kind) {
        case 'enter':
          this.enter(ev);
          break;
        case 'exit':
          this.exit(ev);
          break;
        case 'exit_thread':
        case 'exit_process':
          this.threadExit(ev);
          break;
        case 'signal':
          this.signal(ev);
          break;
        case 'exec':
          this.exec(ev);
          break;
        case 'fork':
          if (ev.child) this.out.forked(ev.tid, ev.tgid, ev.child.tid, ev.child.tgid, ev.ts);
          break;
      }
    }
  }

  // Places the thread's chain records stamped before `ts`.
  private placeBefore(th: ThreadState, ts: number): void {
    const q = th.queue!;
    while (q.length > 0 && q[0]!.tsEnter < ts) this.place(th, q.shift()!);
    if (q.length === 0) th.queue = undefined;
  }

  private place(th: ThreadState, c: TracedCall): void {
    if (th.tgid !== 0) c.tgid = th.tgid;
    if (th.gated) {
      if (c.nr !== NR_EXECVE && c.nr !== NR_EXECVEAT) return;
      th.gated = false;
    }
    if (th.pending) this.abandon(th);
    th.pending = c;
    this.out.entered(c);
  }

  // The pending call will not see its sys_exit (lost, or the thread is gone).
  private abandon(th: ThreadState): void {
    const p = th.pending!;
    th.pending = undefined;
    this.out.finished(p);
    if (th.signals) this.flushSignals(th);
  }

  private flushSignals(th: ThreadState): void {
    for (const ev of th.signals!) this.out.signal(ev.tid, ev.tgid, ev.ret, ev.siginfo, ev.ts);
    th.signals = undefined;
  }

  private enter(ev: TraceEvent): void {
    const th = this.thread(ev.tid, ev.tgid);
    if (th.queue) this.placeBefore(th, ev.ts);
    if (th.gated) {
      if (ev.nr !== NR_EXECVE && ev.nr !== NR_EXECVEAT) return;
      th.gated = false;
    }
    const p = th.pending;
    if (p !== undefined) {
      // The kernel runs a call the chain continued (or ran for its result): already shown as the
      // tracer's layer saw it.
      if (p.fromChain && (!p.known || p.kernelRuns) && !p.kernelEntered && p.nr === ev.nr) {
        p.kernelEntered = true;
        return;
      }
      // Its restart (see TracedCall.restarting): the same call goes on.
      if (p.restarting && p.nr === ev.nr) {
        p.restarting = false;
        p.ret = undefined;
        p.tsExit = 0;
        return;
      }
      this.abandon(th);
    }
    const c = new TracedCall(ev.tid, ev.tgid, ev.nr, syscallName(ev.nr), ev.args, ev.strs, ev.trunc, ev.ts, false);
    // execve's entry carries the number of envp entries (bpf/trace.h, SV_CFG_ARGV).
    if (ev.nr === NR_EXECVE) c.counts = [undefined, undefined, ev.ret];
    else if (ev.nr === NR_EXECVEAT) c.counts = [undefined, undefined, undefined, ev.ret];
    if (c.counts !== undefined) {
      const i = ev.nr === NR_EXECVE ? 0 : 1;
      c.awaitsExec = c.strs[i] === undefined || c.strs[i + 1] === undefined || this.cutByFault(c.strs[i + 1]!, (c.trunc >> (i + 1)) & 1);
    }
    th.pending = c;
    this.out.entered(c);
  }

  private exit(ev: TraceEvent): void {
    const th = this.thread(ev.tid, ev.tgid);
    if (th.queue) this.placeBefore(th, ev.ts);
    const p = th.pending;
    if (p === undefined || th.gated) return; // never reached this layer (see the header)
    if (p.nr !== ev.nr) {
      // Events of this thread were lost in between: the pending call's end is unknown.
      this.abandon(th);
      return;
    }
    if (!p.known) p.ret = ev.ret;
    p.tsExit = ev.ts;
    if (p.fromChain && !p.known && p.kernelEntered && !p.restarting && ev.ret < 0 && isRestartErrno(-ev.ret) && !th.signals) {
      // Shown when the thread's next event says what followed: its restart, or a signal.
      p.restarting = true;
      return;
    }
    p.restarting = false;
    th.pending = undefined;
    // Memory read at exit (read data, struct stat..., strings whose read at entry faulted) joins
    // the strings read at entry. A chain call keeps its own strings (its layer's view).
    if (ev.strs.length > 0) {
      if (p.strs.length === 0) {
        p.strs = ev.strs;
        p.trunc = ev.trunc;
      } else {
        const merged = p.strs.slice();
        ev.strs.forEach((s, i) => {
          if (s !== undefined && (merged[i] === undefined || !p.fromChain)) merged[i] = s;
        });
        p.strs = merged;
        p.trunc |= ev.trunc;
      }
    }
    this.out.finished(p);
    if (th.signals) this.flushSignals(th);
  }

  private dequeue(tgid: number, sig: number): TraceEvent | undefined {
    const q = this.queued.get(tgid);
    if (q === undefined) return undefined;
    const i = q.findIndex((e) => e.ret === sig);
    if (i < 0) return undefined;
    const ev = q[i]!;
    q.splice(i, 1);
    if (q.length === 0) this.queued.delete(tgid);
    return ev;
  }

  private threadExit(ev: TraceEvent): void {
    const th = this.threads.get(ev.tid);
    if (th !== undefined) {
      if (th.queue) {
        this.placeBefore(th, ev.ts);
        // Whatever is still queued was seen by the chain but never ran.
        for (const c of th.queue ?? []) this.place(th, c);
        th.queue = undefined;
      }
      if (th.pending) this.abandon(th);
      if (th.signals) this.flushSignals(th);
      this.threads.delete(ev.tid);
    }
    // Killed by a signal that was sent but never delivered (a fatal default action): show it.
    const sig = ev.ret & 0x7f;
    if (sig !== 0 && sig !== SIGKILL) {
      const sent = this.dequeue(ev.tgid, sig);
      if (sent) this.out.signal(ev.tid, ev.tgid, sig, sent.siginfo, sent.ts);
    }
    if (ev.kind === 'exit_process') this.queued.delete(ev.tgid);
    this.out.exited(ev.tid, ev.tgid, ev.ret, ev.ts, ev.kind === 'exit_process');
  }

  private signal(ev: TraceEvent): void {
    if (ev.nr === 2) {
      const q = this.queued.get(ev.tgid);
      if (q === undefined) this.queued.set(ev.tgid, [{ ...ev }]);
      else if (q.length < 64 && !q.some((e) => e.ret === ev.ret)) q.push({ ...ev }); // standard signals coalesce
      return;
    }
    if (ev.nr === 0) this.dequeue(ev.tgid, ev.ret);
    const th = this.thread(ev.tid, ev.tgid);
    if (th.queue) this.placeBefore(th, ev.ts);
    if (th.gated || ev.ret === SIGKILL) return;
    if (th.pending?.restarting) {
      // A signal ended the call: it returned with its restart code (the ERESTARTSYS line).
      th.pending.restarting = false;
      this.abandon(th);
    }
    if (ev.nr === 1 && th.pending) {
      // Ignored, sent while the thread is in a call: a ptraced thread would see it on return.
      (th.signals ??= []).push({ ...ev });
      return;
    }
    this.out.signal(ev.tid, ev.tgid, ev.ret, ev.siginfo, ev.ts);
  }

  private exec(ev: TraceEvent): void {
    const oldTid = ev.ret;
    if (oldTid !== ev.tid) {
      // A thread other than the leader executed: it continues under the leader's id.
      const moved = this.threads.get(oldTid);
      this.threads.delete(oldTid);
      if (moved) this.threads.set(ev.tid, moved);
    }
    const th = this.thread(ev.tid, ev.tgid);
    if (th.queue) this.placeBefore(th, ev.ts);
    th.gated = false;
    const file = ev.strs[0];
    const p = th.pending;
    // The path of an execve that could not be read at entry (a page of the program not yet
    // resident, typical in a child just forked): the kernel's copy of it.
    if (file !== undefined && p !== undefined && !p.fromChain) {
      const i = p.nr === NR_EXECVE ? 0 : p.nr === NR_EXECVEAT ? 1 : -1;
      if (i >= 0 && p.strs[i] === undefined) {
        const strs = p.strs.slice();
        strs[i] = file;
        p.strs = strs;
      }
      // Likewise its argv: the new program's copy (strs[1]; none when an interpreter runs the
      // file, whose argv the kernel rewrote), where the entry read none or stopped at a fault.
      const argv = ev.strs[1];
      if (i >= 0 && argv !== undefined && (p.strs[i + 1] === undefined || this.cutByFault(p.strs[i + 1]!, (p.trunc >> (i + 1)) & 1))) {
        const strs = p.strs.slice();
        const all = argv.split('\0');
        all.pop(); // after the last NUL
        strs[i + 1] = all.slice(0, ARGV_MAX).map((a) => a + '\0').join('');
        p.strs = strs;
        const more = all.length > ARGV_MAX || (ev.trunc & 2) !== 0;
        p.trunc = more ? p.trunc | (1 << (i + 1)) : p.trunc & ~(1 << (i + 1));
      }
    }
    if (p !== undefined) p.awaitsExec = false;
    this.out.exec(ev.tid, ev.tgid, file ?? '', ev.ts);
  }

  // An argv the entry read is cut (trunc) before ARGV_MAX strings only where a read faulted.
  private cutByFault(argv: string, trunc: number): boolean {
    if (trunc === 0) return false;
    let n = 0;
    for (let k = argv.indexOf('\0'); k >= 0; k = argv.indexOf('\0', k + 1)) n++;
    return n < ARGV_MAX;
  }

  /** The end: every call still open ends without a known return (or with the chain's). */
  finish(): void {
    for (const th of this.threads.values()) {
      if (th.queue) {
        for (const c of th.queue) this.place(th, c);
        th.queue = undefined;
      }
      if (th.pending) this.abandon(th);
    }
    this.threads.clear();
    this.out.flush();
  }

  /** Threads currently known (for tests and leak checks). */
  get size(): number {
    return this.threads.size;
  }
}

export { NO_STRS };
