// `sysvisor bench [--runs N] [--json FILE] [-e ENGINE[:key=val,...]]... [--] COMMAND [ARGS]...`:
// COMMAND natively, under `sysvisor run` with each transport (the same engines), and under
// `strace -f` and `proot` where installed, interleaved over N rounds (the order turns each round),
// then one table: median wall time, min–max, × native, and what explains it: the start-up of each
// way (the same way running `true`, less native `true`), the calls intercepted per run (sysvisor's
// own count, `run --stats`; strace's, every call), and so µs per intercepted call.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../chain/errors.js';
import { packageRoot } from '../native/load.js';

export const BENCH_HELP = `usage: sysvisor bench [--runs N] [--json FILE] [-e ENGINE[:key=val,...]]... [--] COMMAND [ARGS]...

Runs COMMAND natively, under \`sysvisor run\` with the engines given over each transport (unotify,
ptrace), and under \`strace -f -o /dev/null\` and \`proot\` where they are installed, interleaved
for N rounds (default 5; the order turns each round), COMMAND's output discarded. Prints one
table: the median wall time, min-max, x native, the start-up of each way (the same way running
\`true\`, less native \`true\`), the calls intercepted per run (sysvisor's count; strace stops at
every call) and the time per intercepted call ((median - native - start-up) / calls). Progress
goes to stderr. --json FILE writes every run's figures. Exit status 0, or 1 when a way ended
COMMAND with another exit status than native (named in one line).
`;

/** One way to run a command. */
interface Way {
  id: string;
  label: string;
  /** argv prefix before COMMAND (`stats`: the file `run --stats` writes). */
  prefix: (stats: string) => string[];
  /** Does `run --stats` count its intercepted calls? */
  counts: boolean;
}


interface Sample {
  ms: number;
  status: number;
  intercepted?: number;
}

export interface BenchRow {
  id: string;
  label: string;
  argv: string[];
  runs: Sample[];
  /** The same way running `true`, each round. */
  empty: Sample[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  vsNative: number;
  /** median(this way's `true`) - median(native `true`). */
  startupMs: number;
  /** Calls intercepted per run (median), when known. */
  intercepted?: number;
  /** (median - native median - start-up) / intercepted, µs. */
  perCallUs?: number;
  /** Why the row does not compare: an exit status other than native's. */
  failed?: string;
}

export interface BenchResult {
  command: string[];
  engines: string[];
  rounds: number;
  rows: BenchRow[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function installed(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).error === undefined;
}

// One run: wall time from spawn to exit, COMMAND's output discarded; the start of its stderr kept
// (in a file: a pipe would hold COMMAND up), for a failure.
function once(argv: readonly string[], stats: string | undefined, errFile: string): Sample & { stderr: string } {
  const err = openSync(errFile, 'w+');
  let r: ReturnType<typeof spawnSync>;
  let ms: number;
  let head: Buffer;
  try {
    const t0 = process.hrtime.bigint();
    r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', err] });
    ms = Number(process.hrtime.bigint() - t0) / 1e6;
    head = Buffer.alloc(4096);
    head = head.subarray(0, readSync(err, head, 0, head.length, 0));
  } finally {
    closeSync(err);
  }
  const signal = r.signal ? (constants.signals as Record<string, number>)[r.signal] : undefined;
  const status = r.error ? 127 : (r.status ?? 128 + (signal ?? 0));
  let intercepted: number | undefined;
  if (stats) {
    try {
      intercepted = (JSON.parse(readFileSync(stats, 'utf8')) as { intercepted: number }).intercepted;
    } catch {
      intercepted = undefined;
    }
    rmSync(stats, { force: true });
  }
  return { ms, status, intercepted, stderr: r.error ? r.error.message : head.toString('utf8') };
}

/** Every call strace stops at in one run of argv (strace -c's total), or undefined. */
function straceCalls(argv: readonly string[], dir: string): number | undefined {
  const file = path.join(dir, 'strace-c');
  spawnSync('strace', ['-f', '-c', '-o', file, ...argv], { stdio: 'ignore' });
  try {
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total$/m.exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// What sysvisor said, if it said something (its first line), for a failed way.
function said(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.startsWith('sysvisor: '));
  return line ? ` (${line})` : '';
}

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** The table, one row per way. */
export function formatTable(res: BenchResult): string {
  const head = ['', 'median ms', 'min-max ms', 'x native', 'start-up ms', 'intercepted/run', 'us/intercepted call'];
  const rows = res.rows.map((r) => [
    r.label,
    fmtMs(r.medianMs),
    `${fmtMs(r.minMs)}-${fmtMs(r.maxMs)}`,
    r.vsNative.toFixed(2),
    r.id === 'native' ? '-' : fmtMs(r.startupMs),
    r.intercepted === undefined ? '-' : String(r.intercepted),
    r.perCallUs === undefined ? '-' : r.perCallUs.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [
    `${res.command.join(' ')}: ${res.rounds} round${res.rounds > 1 ? 's' : ''}, interleaved; engines: ${res.engines.join(' ') || '(none)'}`,
    line(head),
    ...rows.map(line),
  ].join('\n') + '\n';
}

export async function benchCommand(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf('--');
  let opts = dash >= 0 ? argv.slice(0, dash) : [...argv];
  let command = dash >= 0 ? argv.slice(dash + 1) : [];
  if (dash < 0) {
    // Options end at the first argument that is not one: COMMAND's own options stay its own.
    let i = 0;
    while (i < opts.length && opts[i]!.startsWith('-') && opts[i] !== '-') i += ['-e', '--engine', '--runs', '--json'].includes(opts[i]!) ? 2 : 1;
    command = opts.slice(i);
    opts = opts.slice(0, i);
  }
  const { values } = parseArgs({
    args: opts,
    options: {
      engine: { type: 'string', short: 'e', multiple: true },
      runs: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    writeSync(1, BENCH_HELP);
    return 0;
  }
  if (command.length === 0) throw new UsageError('bench: missing COMMAND');
  const rounds = values.runs === undefined ? 5 : Number(values.runs);
  if (!/^\d+$/.test(values.runs ?? '5') || !Number.isInteger(rounds) || rounds < 1 || rounds > 1000) throw new UsageError(`bench: --runs must be a whole number from 1 to 1000, got '${values.runs}'`);
  const engines = values.engine ?? [];
  const cli = path.join(packageRoot(), 'bin', 'sysvisor.js');
  const run = (transport: string) => (stats: string) => [process.execPath, cli, 'run', '--transport', transport, '--stats', stats, ...engines.flatMap((e) => ['-e', e]), '--'];
  const ways: Way[] = [
    { id: 'native', label: 'native', prefix: () => [], counts: false },
    { id: 'unotify', label: 'sysvisor (unotify)', prefix: run('unotify'), counts: true },
    { id: 'ptrace', label: 'sysvisor (ptrace)', prefix: run('ptrace'), counts: true },
  ];
  if (installed('strace')) ways.push({ id: 'strace', label: 'strace -f', prefix: () => ['strace', '-f', '-o', '/dev/null'], counts: false });
  if (installed('proot')) ways.push({ id: 'proot', label: 'proot', prefix: () => ['proot'], counts: false });

  const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-bench-'));
  try {
    const stats = path.join(dir, 'stats.json');
    const errFile = path.join(dir, 'stderr');
    const samples = new Map(ways.map((w) => [w.id, { runs: [] as Sample[], empty: [] as Sample[], stderr: '' }]));
    // Warm-up, untimed: sysvisor with the engines once. Bad engines: sysvisor said why in one line.
    const check = once([...ways[1]!.prefix(stats), 'true'], stats, errFile);
    if (check.status === 2) throw new UsageError(check.stderr.trim().replace(/^sysvisor: /, 'bench: '));
    const progress = (text: string) => void writeSync(2, process.stderr.isTTY ? `\r\x1b[K${text}` : `${text}\n`);
    for (let round = 0; round < rounds; round++) {
      progress(`sysvisor bench: round ${round + 1}/${rounds}`);
      for (let k = 0; k < ways.length; k++) {
        const w = ways[(k + round) % ways.length]!;
        const s = samples.get(w.id)!;
        const statsFile = w.counts ? stats : undefined;
        s.empty.push(once([...w.prefix(stats), 'true'], statsFile, errFile));
        const r = once([...w.prefix(stats), ...command], statsFile, errFile);
        s.runs.push(r);
        if (!s.stderr && r.stderr) s.stderr = r.stderr;
      }
    }
    if (process.stderr.isTTY) writeSync(2, '\n');
    const calls = ways.some((w) => w.id === 'strace') ? straceCalls(command, dir) : undefined;
    const native = samples.get('native')!;
    const nativeMs = median(native.runs.map((r) => r.ms));
    const nativeEmpty = median(native.empty.map((r) => r.ms));
    const nativeStatus = native.runs[0]!.status;
    const rows: BenchRow[] = ways.map((w) => {
      const s = samples.get(w.id)!;
      const ms = s.runs.map((r) => r.ms);
      const med = median(ms);
      const startupMs = w.id === 'native' ? 0 : median(s.empty.map((r) => r.ms)) - nativeEmpty;
      const counted = s.runs.map((r) => r.intercepted).filter((n): n is number => n !== undefined);
      const intercepted = w.counts ? (counted.length === s.runs.length ? median(counted) : undefined) : w.id === 'strace' ? calls : undefined;
      const bad = s.runs.find((r) => r.status !== nativeStatus);
      return {
        id: w.id,
        label: w.label,
        argv: [...w.prefix(w.counts ? 'FILE' : ''), ...command],
        runs: s.runs,
        empty: s.empty,
        medianMs: med,
        minMs: Math.min(...ms),
        maxMs: Math.max(...ms),
        vsNative: med / nativeMs,
        startupMs,
        intercepted,
        perCallUs: intercepted ? ((med - nativeMs - startupMs) * 1000) / intercepted : undefined,
        failed: bad ? `exit status ${bad.status} where native gives ${nativeStatus}${said(s.stderr)}` : undefined,
      };
    });
    const result: BenchResult = { command: [...command], engines, rounds, rows };
    writeSync(1, formatTable(result));
    for (const r of rows) if (r.failed) writeSync(2, `sysvisor bench: ${r.label}: ${r.failed}\n`);
    if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
    return rows.some((r) => r.failed) ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
