// `count`: like `strace -c`. Counts the given syscalls (default: those the other engines intercept,
// or a sensible set), lets them run, and prints a table at the end.
//
// Calls: every intercepted call passes through the chain (continued or not): the chain counts them.
// Errors and time, by who ran the call:
// - answered or emulated by the supervisor: the chain sees its result (an error result is an
//   error) and the time the layers outside `count` took to produce it;
// - let through (CONTINUE): the kernel runs it after the reply, so the chain sees neither. An
//   in-kernel counter (bpf/count.bpf.c, through the addon's CountSession) sums per syscall the
//   errors (ret in [-4095, -1]) and the time from sys_enter to sys_exit of the calls the kernel
//   ran in the counted tree; a call answered by seccomp never reaches sys_enter, so nothing is
//   counted twice. The sums are read once, at close().
// Without eBPF (no permission, no BTF), one line says so and continued calls have no errors and,
// as time, only the supervision time; `kernel=off` asks for that. The in-kernel counter runs on
// the sys_enter/sys_exit tracepoints, which every syscall of the machine passes while it is
// loaded (~0.1 us each here): `kernel=off` is for measuring the chain alone.
import { performance } from 'node:perf_hooks';
import type { Engine, EngineContext, EngineFactory, EngineOptions, Next, OutputSink } from '../../chain/engine.js';
import type { Interest } from '../../filter/plan.js';
import { Result } from '../../chain/result.js';
import type { Syscall } from '../../chain/syscall.js';
import { COMMON, syscallNumber, syscallsWith } from '../../syscalls/table.js';
import { UsageError } from '../../chain/errors.js';
import { loadBinding } from '../../native/load.js';
import type { CountSession } from '../../native/binding.js';
import { COUNT } from '../../native/contract.js';
import { bpfUnavailableReason } from '../../observe/unavailable.js';
import { summaryTable } from '../../syscalls/summary.js';

/** Counted when neither the user nor the other engines name any syscall (the table's COMMON calls). */
export const DEFAULT_COUNTED: readonly string[] = syscallsWith(COMMON);

interface Row { calls: number; errors: number; seconds: number }
/** A row as the chain sees it: `seconds` of answered calls, `contSeconds` of continued ones. */
interface Acc extends Row { contSeconds: number }

export class CountEngine implements Engine {
  readonly name = 'count';
  readonly interests: readonly Interest[];
  private readonly rows = new Map<string, Acc>();
  /** The in-kernel counter (undefined before start, or when eBPF is unavailable). */
  private session: CountSession | undefined;
  private bpfTried = false;
  /** Rows merged with the kernel's sums (at close). */
  private merged = false;

  private readonly sink: OutputSink;

  /** The output is opened now (as `strace -o` does), so that it is where the caller could write. */
  constructor(syscalls: readonly string[], output: string | undefined, private readonly ctx: Pick<EngineContext, 'report' | 'openOutput'>, kernel = true) {
    this.interests = syscalls.map((s) => ({ syscall: s }));
    this.sink = ctx.openOutput(output);
    this.bpfTried = !kernel; // kernel=off: the chain's figures only
  }

  handle(call: Syscall, next: Next): Result | Promise<Result> {
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
    let row = this.rows.get(name);
    if (!row) this.rows.set(name, (row = { calls: 0, errors: 0, seconds: 0, contSeconds: 0 }));
    row.calls++;
    const dt = (performance.now() - t0) / 1000;
    if (r.kind === 'continued') row.contSeconds += dt;
    else {
      row.seconds += dt;
      if (r.kind === 'error') row.errors++;
    }
  }

  /** Loads the in-kernel counter for the counted syscalls and counts the tree of `root`. */
  start(root: { pid: number }): void {
    if (!this.bpfTried) {
      this.bpfTried = true;
      let session: CountSession | undefined;
      try {
        const nrs = this.interests.map((i) => syscallNumber(String(i.syscall))).filter((n): n is number => n !== undefined);
        session = new (loadBinding().CountSession)();
        session.setSyscalls(nrs);
        this.session = session;
      } catch (e) {
        session?.close();
        this.ctx.report(`count: eBPF unavailable (${bpfUnavailableReason(e)}): errors and times of calls let through are not known`);
      }
    }
    if (!this.session) return;
    try {
      this.session.trace(root.pid);
    } catch (e) {
      this.ctx.report(`count: cannot count process ${root.pid} in the kernel (${(e as Error).message}): errors and times of calls let through are not known`);
      this.session.close();
      this.session = undefined;
    }
  }

  /**
   * Once: adds the kernel's sums of continued calls (errors, time) to the chain's rows, and
   * unloads the counter. Without it, continued calls keep their supervision time.
   */
  private merge(): void {
    if (this.merged) return;
    this.merged = true;
    const session = this.session;
    this.session = undefined;
    let sums: Float64Array | undefined;
    if (session) {
      try {
        sums = session.read();
      } catch (e) {
        this.ctx.report(`count: cannot read the in-kernel counts (${(e as Error).message}): errors and times of calls let through are not known`);
      } finally {
        session.close();
      }
    }
    for (const [name, row] of this.rows) {
      const nr = sums ? syscallNumber(name) : undefined;
      const at = nr === undefined ? -1 : nr * COUNT.FIELDS;
      if (sums && at >= 0 && at + COUNT.FIELDS <= sums.length) {
        row.errors += sums[at + COUNT.ERRORS]!;
        row.seconds += sums[at + COUNT.NS]! / 1e9;
      } else {
        row.seconds += row.contSeconds;
      }
      row.contSeconds = 0;
    }
  }

  /** The table, as `strace -c` prints it (final once closed). */
  table(): string {
    return summaryTable([...this.rows.entries()].map(([n, r]) => [n, { calls: r.calls, errors: r.errors, seconds: r.seconds + r.contSeconds }] as const));
  }

  /** Counts so far, by syscall name: until closed, errors and seconds of answered calls only; once
   *  closed, with the kernel's errors and times of continued calls (or their supervision time). */
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

export const countFactory: EngineFactory = {
  name: 'count',
  summary: 'count syscalls like strace -c, print a table at exit',
  followsSiblings: true,
  options: {
    syscalls: 'syscalls to count (default: those the other engines intercept, or a common set)',
    o: 'write the table to this file instead of stderr',
    kernel: 'on (default): errors and kernel time of calls let through, counted in the kernel by eBPF; off: the chain only (no tracepoint cost on other syscalls)',
  },
  resources: (options: EngineOptions) => (options['kernel']?.[0] === 'off' ? {} : { bpfSessions: 1 }),
  create(options: EngineOptions, ctx: EngineContext): Engine {
    let syscalls = options['syscalls'] ? [...options['syscalls']] : undefined;
    for (const s of syscalls ?? []) {
      const nr = syscallNumber(s);
      if (nr === undefined) throw new UsageError(`count: unknown syscall '${s}'`);
      if (ctx.available && !ctx.available.has(nr)) throw new UsageError(`count: ${s} is not intercepted by the outermost sysvisor, so it cannot be counted from inside`);
    }
    if (!syscalls) {
      const fromSiblings = new Set<string>();
      for (const e of ctx.siblings) {
        if (e.interests === 'all') continue;
        for (const i of e.interests) fromSiblings.add(typeof i.syscall === 'string' ? i.syscall : String(i.syscall));
      }
      syscalls = fromSiblings.size ? [...fromSiblings] : [...DEFAULT_COUNTED];
      // Loaded from inside: only what the outermost filter notifies can be counted.
      if (ctx.available && !fromSiblings.size) syscalls = syscalls.filter((s) => ctx.available!.has(syscallNumber(s)!));
    }
    const o = options['o'];
    if (o && o.length !== 1) throw new UsageError('count: o takes one file name');
    const kernel = options['kernel'];
    if (kernel && (kernel.length !== 1 || (kernel[0] !== 'on' && kernel[0] !== 'off'))) throw new UsageError("count: kernel must be 'on' or 'off'");
    return new CountEngine(syscalls, o?.[0], ctx, kernel?.[0] !== 'off');
  },
};
