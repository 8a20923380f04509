// `sysvisor agent --metrics FILE`: per-container counts in the Prometheus text format, written
// every few seconds as node_exporter's textfile collector reads them (FILE.tmp, then renamed to
// FILE, so that a reader never sees half a file). Counted by an observer engine outermost in each
// container's stack: the calls that reach the engines (the calls a filter notifies but no engine
// wants are continued by the pump without entering JS, and are not counted), those answered with
// an error, and the time spent in the engines.
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';
import type { Engine } from '../../chain/engine.js';
import type { Result } from '../../chain/result.js';
import type { Reporter } from '../../chain/report.js';

export interface ContainerCounts {
  readonly id: string;
  readonly profile: string;
  calls: number;
  errors: number;
  seconds: number;
  /** Set when the container is done: written once more, then dropped. */
  done: boolean;
}

/** An observer (outermost, adds nothing to the filter) counting into `c`. */
export function meterEngine(c: ContainerCounts): Engine {
  const done = (start: bigint, r: Result): Result => {
    c.calls++;
    if (r.kind === 'error') c.errors++;
    c.seconds += Number(process.hrtime.bigint() - start) / 1e9;
    return r;
  };
  return {
    name: 'metrics',
    interests: [],
    observesAll: true,
    handle(_call, next) {
      const start = process.hrtime.bigint();
      const r = next();
      return r instanceof Promise ? r.then((x) => done(start, x)) : done(start, r);
    },
  };
}

// Label values: backslash, double quote and newline escaped (text format 0.0.4).
const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** The text format of the counts (pure). */
export function metricsText(containers: readonly ContainerCounts[]): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string, value: (c: ContainerCounts) => number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const c of containers) lines.push(`${name}{container="${label(c.id)}",profile="${label(c.profile)}"} ${value(c)}`);
  };
  lines.push('# HELP sysvisor_agent_containers Containers being served.', '# TYPE sysvisor_agent_containers gauge', `sysvisor_agent_containers ${containers.filter((c) => !c.done).length}`);
  family('sysvisor_agent_calls_total', 'counter', 'Notified calls of the container that reached its engines.', (c) => c.calls);
  family('sysvisor_agent_call_errors_total', 'counter', 'Those answered with an error.', (c) => c.errors);
  family('sysvisor_agent_call_seconds_total', 'counter', 'Time spent in the engines on them (latency: divide by sysvisor_agent_calls_total).', (c) => Number(c.seconds.toFixed(6)));
  return lines.join('\n') + '\n';
}

/** The counts of every container, written to `file` every `intervalMs` and when asked. */
export class MetricsFile {
  private readonly counts = new Set<ContainerCounts>();
  private readonly timer: NodeJS.Timeout;
  private failed = false;

  constructor(
    private readonly file: string,
    private readonly reporter: Reporter,
    intervalMs = 5000,
  ) {
    this.timer = setInterval(() => this.write(), intervalMs);
    this.timer.unref();
    this.write();
  }

  container(id: string, profile: string): ContainerCounts {
    const c: ContainerCounts = { id, profile, calls: 0, errors: 0, seconds: 0, done: false };
    this.counts.add(c);
    return c;
  }

  /** The container is done: its final counts are written, then it leaves the file. */
  done(c: ContainerCounts): void {
    c.done = true;
    this.write();
    this.counts.delete(c);
  }

  write(): void {
    const tmp = `${this.file}.tmp`;
    try {
      const fd = openSync(tmp, 'w', 0o644);
      try {
        writeSync(fd, metricsText([...this.counts]));
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      this.failed = false;
    } catch (e) {
      if (!this.failed) this.reporter.line(`metrics: cannot write ${this.file}: ${(e as Error).message}`);
      this.failed = true; // said once until it works again
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.write();
  }
}
