// One syscall as the tracer shows it, and the interface of the trace outputs (text, jsonl,
// perfetto). A call comes either from eBPF (sys_enter + sys_exit: calls the engine stack did not
// stop) or from the engine chain (the call at the tracer's place in the onion; its result from
// the chain when the layers outside produced one, else from the kernel's sys_exit).
import type { SigInfo } from '../../observe/bpf-trace.js';
import type { SyscallRecord } from './format/record.js';

export const NO_STRS: readonly (string | undefined)[] = Object.freeze([]);

export class TracedCall implements SyscallRecord {
  /** Return value; undefined while unknown (or never: exit, a thread killed in the call). */
  ret: number | undefined = undefined;
  /** CLOCK_MONOTONIC ns of the return (0 while unknown). */
  tsExit = 0;
  /** The result is the chain's, at the tracer's place (value, errno or an injected fd). */
  known = false;
  /** From the chain, continued: the kernel's sys_enter of the same call was seen (and skipped). */
  kernelEntered = false;
  /**
   * A continued chain call whose run ended with a restart code and no signal yet: the restart of
   * a call rewritten in place (the rewrite's own stop woke its sleep; the pump continues the
   * restart unseen by the engines), one call for the program, as natively; a signal shows it.
   */
  restarting = false;
  /** From the chain, with its result known, and run by the kernel all the same (Result.ran: the
   *  ptrace transport ran it to its exit for an engine outside): its sys_enter and sys_exit are
   *  this call's, not another one. */
  kernelRuns = false;
  /** The text output printed its entry half (`<unfinished ...>`). */
  unfinished = false;
  /** An execve whose path or argv the entry could not read (pages not resident, a vfork'd
   *  child's literals): the exec record will bring the kernel's copy, so its line is not cut
   *  (`<unfinished ...>`) before that; it prints whole when it returns. */
  awaitsExec = false;
  /** Element counts of array arguments counted rather than read (execve's envp). */
  counts: readonly (number | undefined)[] | undefined = undefined;

  constructor(
    readonly tid: number,
    /** Process id; 0 until known (chain records learn it from the thread's eBPF events). */
    public tgid: number,
    readonly nr: number,
    readonly name: string,
    /** The six argument registers (as left by the engines inside the tracer, for chain calls). */
    readonly args: readonly number[],
    /** Memory of arguments as byte strings (latin1): strings read at entry, data read at exit. */
    public strs: readonly (string | undefined)[],
    /** Bit i: string i was cut. */
    public trunc: number,
    /** CLOCK_MONOTONIC ns of the entry (for chain calls: when the tracer's layer saw it). */
    readonly tsEnter: number,
    /** Came through the engine chain (seccomp notification) rather than from eBPF alone. */
    readonly fromChain: boolean,
  ) {}
}

/** What the trace outputs receive, in the order of the merged stream. */
export interface TraceOutput {
  /** A call started (its entry is known). Every entered call is later finished. */
  entered(c: TracedCall): void;
  /** A call returned (ret set), or ended without return (ret undefined). */
  finished(c: TracedCall): void;
  /** A thread ended: wait status (exit code << 8, or the signal). `last`: its process is gone. */
  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void;
  /** A signal was delivered to a thread. */
  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void;
  /** A process executed a new program. */
  exec(tid: number, tgid: number, file: string, ts: number): void;
  /** A task created another (thread or process). */
  forked(tid: number, tgid: number, childTid: number, childTgid: number, ts: number): void;
  /** End of a batch: write what is buffered. */
  flush(): void;
  /** The end: write the trailer, close the output. `lost`: records the kernel dropped. */
  close(lost: number): void;
}
