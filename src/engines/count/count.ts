// `count`: like `strace -c`. Counts the given syscalls (default: those the other engines intercept,
// or a sensible set), lets them run, and prints a table at the end.
//
// Time: for a call answered or emulated by the supervisor, the time the layers outside `count`
// took to produce its result; for a call let through (CONTINUE), the supervision time only (the
// kernel runs it after the reply). Errors are known for calls answered by the supervisor.
import { performance } from 'node:perf_hooks';
import type { Engine, EngineContext, EngineFactory, EngineOptions, Next, OutputSink } from '../../chain/engine.js';
import type { Interest } from '../../filter/plan.js';
import { Result } from '../../chain/result.js';
import type { Syscall } from '../../chain/syscall.js';
import { syscallNumber } from '../../syscalls/table.js';
import { UsageError } from '../../chain/errors.js';

/** Counted when neither the user nor the other engines name any syscall. */
export const DEFAULT_COUNTED = [
  'read', 'write', 'openat', 'close', 'newfstatat', 'fstat', 'lseek', 'mmap', 'munmap', 'brk',
  'execve', 'clone', 'clone3', 'fork', 'vfork', 'wait4', 'getdents64', 'readlink', 'access', 'statx',
] as const;

interface Row { calls: number; errors: number; seconds: number }

export class CountEngine implements Engine {
  readonly name = 'count';
  readonly interests: readonly Interest[];
  private readonly rows = new Map<string, Row>();

  private readonly sink: OutputSink;

  /** The output is opened now (as `strace -o` does), so that it is where the caller could write. */
  constructor(syscalls: readonly string[], output: string | undefined, private readonly ctx: Pick<EngineContext, 'report' | 'openOutput'>) {
    this.interests = syscalls.map((s) => ({ syscall: s }));
    this.sink = ctx.openOutput(output);
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
    if (!row) this.rows.set(name, (row = { calls: 0, errors: 0, seconds: 0 }));
    row.calls++;
    row.seconds += (performance.now() - t0) / 1000;
    if (r.kind === 'error') row.errors++;
  }

  /** The table, as `strace -c` prints it. */
  table(): string {
    const rows = [...this.rows.entries()].sort((a, b) => b[1].seconds - a[1].seconds || b[1].calls - a[1].calls);
    const total = rows.reduce((t, [, r]) => ({ calls: t.calls + r.calls, errors: t.errors + r.errors, seconds: t.seconds + r.seconds }), { calls: 0, errors: 0, seconds: 0 });
    const line = (pct: string, secs: string, usecs: string, calls: string, errors: string, name: string) =>
      `${pct.padStart(6)} ${secs.padStart(11)} ${usecs.padStart(11)} ${calls.padStart(9)} ${errors.padStart(9)} ${name}`;
    const fmt = (name: string, r: Row) =>
      line(
        total.seconds > 0 ? ((100 * r.seconds) / total.seconds).toFixed(2) : '0.00',
        r.seconds.toFixed(6),
        r.calls ? Math.round((r.seconds * 1e6) / r.calls).toString() : '0',
        String(r.calls),
        r.errors ? String(r.errors) : '',
        name,
      );
    const dash = line('------', '-----------', '-----------', '---------', '---------', '----------------');
    return [
      line('% time', 'seconds', 'usecs/call', 'calls', 'errors', 'syscall'),
      dash,
      ...rows.map(([n, r]) => fmt(n, r)),
      dash,
      fmt('total', total).replace(/^\s*[\d.]+/, (m) => '100.00'.padStart(m.length)),
    ].join('\n') + '\n';
  }

  /** Counts so far, by syscall name. */
  counts(): ReadonlyMap<string, Readonly<Row>> {
    return this.rows;
  }

  close(): void {
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
  },
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
    return new CountEngine(syscalls, o?.[0], ctx);
  },
};
