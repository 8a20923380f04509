// `count`: like `strace -c -f`. Counts the selected syscalls (default: all), lets them run, and
// prints a table at the end, row for row what `strace -c -f` prints of the same program.
//
// Counting a call never notifies it. With eBPF (bpf/count.bpf.c, through the addon's
// CountSession) the kernel sums, per syscall, the calls it runs in the counted tree, their errors
// (ret in [-4095, -1]) and their time from sys_enter to sys_exit: nothing per call reaches user
// space, so `count` alone keeps the program near native speed. The engine also sees, in the chain,
// every call another engine intercepts (observesAll): one the supervisor answers or emulates
// never reaches sys_enter (seccomp runs first), so the chain counts it (calls, errors, the time
// the layers outside `count` took); one let through (CONTINUE) is the kernel's to count. Each call
// is counted once. As strace, calls that never return (exit, exit_group) are not counted, and
// the command is counted from its exec on (the launcher's own calls before it are not the program's).
//
// Without eBPF (no permission, no BTF) or with `kernel=off`, one line says so (unless asked) and
// the selected calls are notified and counted in the chain: calls only, and errors of the calls
// the supervisor answered (a call let through returns after the reply, where the chain cannot see).
import { performance } from 'node:perf_hooks';
import type { Engine, EngineContext, EngineFactory, EngineOptions, Next, OutputSink } from '../../chain/engine.js';
import type { Interest } from '../../filter/plan.js';
import { Result } from '../../chain/result.js';
import type { Syscall } from '../../chain/syscall.js';
import { syscallName, syscallNumber } from '../../syscalls/table.js';
import { selectedNames, selectSyscalls } from '../../syscalls/select.js';
import { UsageError } from '../../chain/errors.js';
import { loadBinding } from '../../native/load.js';
import type { CountSession } from '../../native/binding.js';
import { COUNT } from '../../native/contract.js';
import { bpfUnavailableReason } from '../../observe/unavailable.js';
import { summaryTable } from '../../syscalls/summary.js';

interface Row { calls: number; errors: number; seconds: number }

export class CountEngine implements Engine {
  readonly name = 'count';
  /** Nothing with the in-kernel counter; the counted calls without it. */
  readonly interests: readonly Interest[];
  readonly observesAll: boolean;
  /** Counted syscall numbers (1 = counted). */
  private readonly selected: Uint8Array;
  private readonly rows = new Map<string, Row>();
  /** The in-kernel counter: loaded when the engine is made, closed once merged. */
  private session: CountSession | undefined;
  private merged = false;
  private readonly sink: OutputSink;

  /**
   * The output is opened now (as `strace -o` does), so that it is where the caller could write.
   * `session`: the loaded in-kernel counter (this engine closes it), or undefined for the chain alone.
   */
  constructor(selected: Uint8Array, output: string | undefined, private readonly ctx: Pick<EngineContext, 'report' | 'openOutput'>, session: CountSession | undefined) {
    this.selected = selected;
    this.session = session;
    this.observesAll = session !== undefined;
    this.interests = session ? [] : selectedNames(selected).map((s) => ({ syscall: s }));
    try {
      this.sink = ctx.openOutput(output);
    } catch (e) {
      session?.close();
      throw e;
    }
  }

  handle(call: Syscall, next: Next): Result | Promise<Result> {
    if (!this.selected[call.nr]) return next();
    const t0 = performance.now();
    const r = next();
    if (r instanceof Result) {
      this.account(call.name, r, t0);
      return r;
    }
    return r.then((res) => {
      this.account(call.name, res, t0);
      return res;
    });
  }

  private account(name: string, r: Result, t0: number): void {
    // Let through, or run by the kernel before coming back (ptrace, for an engine that wants the
    // result): its counter sees it (when there is one).
    if ((r.kind === 'continued' || r.ran) && this.session) return;
    const row = this.row(name);
    row.calls++;
    row.seconds += (performance.now() - t0) / 1000;
    if (r.kind === 'error') row.errors++;
  }

  private row(name: string): Row {
    let row = this.rows.get(name);
    if (!row) this.rows.set(name, (row = { calls: 0, errors: 0, seconds: 0 }));
    return row;
  }

  /** Counts the tree of `root` in the kernel: from its exec on when it is held before it. */
  start(root: { pid: number; held?: boolean }): void {
    if (!this.session) return;
    try {
      this.session.trace(root.pid, root.held === true);
    } catch (e) {
      this.ctx.report(`count: cannot count process ${root.pid} in the kernel (${(e as Error).message}): only calls other engines intercept are counted`);
      this.session.close();
      this.session = undefined;
    }
  }

  /** Once: adds the kernel's sums to the chain's rows, and unloads the counter. */
  private merge(): void {
    if (this.merged) return;
    this.merged = true;
    const session = this.session;
    if (!session) return;
    let sums: Float64Array | undefined;
    try {
      sums = session.read();
    } catch (e) {
      this.ctx.report(`count: cannot read the in-kernel counts (${(e as Error).message}): only calls other engines intercept are counted`);
    } finally {
      session.close();
    }
    if (!sums) return;
    for (let nr = 0; (nr + 1) * COUNT.FIELDS <= sums.length; nr++) {
      const at = nr * COUNT.FIELDS;
      const calls = sums[at + COUNT.CALLS]!;
      if (calls === 0) continue;
      const row = this.row(syscallName(nr) ?? `syscall_${nr}`);
      row.calls += calls;
      row.errors += sums[at + COUNT.ERRORS]!;
      row.seconds += sums[at + COUNT.NS]! / 1e9;
    }
  }

  /** The table, as `strace -c` prints it (final once closed). */
  table(): string {
    return summaryTable([...this.rows.entries()].filter(([, r]) => r.calls > 0));
  }

  /** Counts so far, by syscall name: until closed, the chain's only; once closed, with the kernel's. */
  counts(): ReadonlyMap<string, Readonly<Row>> {
    return this.rows;
  }

  close(): void {
    this.merge();
    try {
      this.sink.write(this.table());
    } catch (e) {
      this.ctx.report(`count: cannot write the table: ${(e as Error).message}`);
    } finally {
      this.sink.close();
    }
  }
}

/** The loaded in-kernel counter for these numbers, or the one-line reason it cannot be. */
function loadCounter(selected: Uint8Array): CountSession | string {
  let session: CountSession | undefined;
  try {
    session = new (loadBinding().CountSession)();
    const nrs: number[] = [];
    for (let nr = 0; nr < selected.length; nr++) if (selected[nr]) nrs.push(nr);
    session.setSyscalls(nrs);
    return session;
  } catch (e) {
    session?.close();
    return bpfUnavailableReason(e);
  }
}

export const countFactory: EngineFactory = {
  name: 'count',
  summary: 'count syscalls like strace -c -f, print a table at exit',
  example: 'sysvisor run -e count:syscalls=%file,o=count.txt -- ls /',
  options: {
    syscalls: "what to count: all (default), names, numbers, strace's classes (%file, %process, %network...), !x to leave x out",
    o: 'write the table to this file instead of stderr',
    kernel: 'on (default): counted in the kernel by eBPF, nothing notified; off: the counted calls are notified and counted in the chain (calls, and errors of answered calls)',
  },
  resources: (options: EngineOptions) => (options['kernel']?.[0] === 'off' ? {} : { bpfSessions: 1 }),
  create(options: EngineOptions, ctx: EngineContext): Engine {
    const selected = selectSyscalls(options['syscalls'], (item) => {
      throw new UsageError(`count: unknown syscall '${item}'`);
    });
    const o = options['o'];
    if (o && o.length !== 1) throw new UsageError('count: o takes one file name');
    const kernel = options['kernel'];
    if (kernel && (kernel.length !== 1 || (kernel[0] !== 'on' && kernel[0] !== 'off'))) throw new UsageError("count: kernel must be 'on' or 'off'");
    let session: CountSession | undefined;
    if (kernel?.[0] !== 'off') {
      const loaded = loadCounter(selected);
      if (typeof loaded === 'string') ctx.report(`count: eBPF unavailable (${loaded}): the counted calls are notified and counted in the chain (errors of calls let through are not known)`);
      else session = loaded;
    }
    if (!session && ctx.available) {
      // Loaded from inside without the kernel's counter: only what the outermost filter notifies.
      const explicit = options['syscalls'] ?? [];
      for (const s of explicit) {
        const nr = syscallNumber(s);
        if (nr !== undefined && selected[nr] && !ctx.available.has(nr)) throw new UsageError(`count: ${s} is not intercepted by the outermost sysvisor, so it cannot be counted from inside`);
      }
      for (let nr = 0; nr < selected.length; nr++) if (!ctx.available.has(nr)) selected[nr] = 0;
    }
    return new CountEngine(selected, o?.[0], ctx, session);
  },
};
