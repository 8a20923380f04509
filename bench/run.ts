// `npm run bench`: whole-process benchmarks measured side by side in one run (interleaved rounds,
// median per variant, because these machines are noisy), plus tinybench micro-benchmarks of the
// pure TypeScript parts. Prints a table and the goals of issue 2, writes bench/results/latest.json.
//
//   node dist/bench/run.js [--quick] [--only GROUP[,GROUP...]] [--rounds N] [--json FILE]
//
// A variant is one command line, described in VARIANTS below. Per-call variants run a command that
// makes N calls; per call = (wall(N) - wall(N=0)) / N, the N=0 run of the same command in the same
// round taking out the start-up cost. `loop` also reports the time of its own loop (no start-up at
// all), shown as a cross-check. Per-run variants (whole commands, e.g. `find /usr/share` under an
// engine) report the median wall time of one run. To add variants, append descriptors (a new
// group for a new family of comparisons, so `--only GROUP` can select it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { packageRoot } from '../src/native/load.js';
import { compose } from '../src/chain/compose.js';
import { createExecutor } from '../src/chain/executor.js';
import { EngineStack } from '../src/chain/stack.js';
import { Result } from '../src/chain/result.js';
import { Syscall, type TraceeMemory } from '../src/chain/syscall.js';
import type { Engine, Next } from '../src/chain/engine.js';
import { countFactory } from '../src/engines/count/count.js';
import { openLocalOutput } from '../src/engines/output.js';
import { planFilter, type Interest } from '../src/filter/plan.js';

// ---------------------------------------------------------------------------------------------
// Variants

const ROOT = packageRoot();
const BUILD = path.join(ROOT, 'bench', 'build');
const LOOP = path.join(BUILD, 'loop');
const FLOOR = path.join(BUILD, 'floor');
const SYSVISOR = [process.execPath, path.join(ROOT, 'bin', 'sysvisor.js')];
const TIMED = path.join(ROOT, 'bench', 'build', 'timed');

/** Where a row's ratios point: the rows of its family with role `native` and `floor`. */
export type Role = 'native' | 'floor';

interface VariantBase {
  /** Stable id (JSON key, goals). */
  id: string;
  /** Shown in the table. */
  label: string;
  /** Selected with `--only GROUP`. */
  group: string;
  /** Rows compared with each other (ratios vs the family's native and floor rows). */
  family: string;
  role?: Role;
  /** Measure the peak RSS of the top process (a supervisor) in one extra run. */
  rss?: boolean;
  /** Facts this variant's stderr tells (e.g. the floor's SYNC_WAKE_UP probe). */
  facts?(stderr: string): Record<string, string | number | boolean>;
}

export interface PerCallVariant extends VariantBase {
  kind: 'per-call';
  /** Calls per timed run (full and --quick). */
  n: number;
  quickN: number;
  /** argv making n calls; command(0) is the start-up run. */
  command(n: number): string[];
}

export interface PerRunVariant extends VariantBase {
  kind: 'per-run';
  command(): string[];
}

export type Variant = PerCallVariant | PerRunVariant;

// The JS path alone (kernel=off: no eBPF tracepoints, whose cost lands on every syscall).
const COUNT_CHAIN = 'count:syscalls=getppid,o=/dev/null,kernel=off';
const sysvisorCount = (syscall: string, n: number) => [...SYSVISOR, 'run', '-e', COUNT_CHAIN, '--', LOOP, syscall, String(n)];

function floorFacts(stderr: string): Record<string, string | number | boolean> {
  const f: Record<string, string | number | boolean> = {};
  const m = /floor: sync_wake_up=(\S+) mode=(\S+)/.exec(stderr);
  if (m) {
    f['syncWakeUp'] = m[1]!;
    f['mode'] = m[2]!;
  }
  const c = /floor: notifications=(\d+)/.exec(stderr);
  if (c) f['notifications'] = Number(c[1]);
  return f;
}

export const VARIANTS: Variant[] = [
  // Intercepted: getppid is notified and answered (floor) or let through by the JS chain.
  { kind: 'per-call', id: 'native-getppid', label: 'native getppid', group: 'core', family: 'getppid', role: 'native',
    n: 2_000_000, quickN: 200_000, command: (n) => [LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'floor-getppid', label: 'C floor getppid (blocking RECV)', group: 'core', family: 'getppid', role: 'floor', rss: true,
    n: 100_000, quickN: 10_000, command: (n) => [FLOOR, '--', LOOP, 'getppid', String(n)], facts: floorFacts },
  { kind: 'per-call', id: 'floor-epoll-getppid', label: 'C floor getppid (epoll+RECV)', group: 'core', family: 'getppid',
    n: 100_000, quickN: 10_000, command: (n) => [FLOOR, '--epoll', '--', LOOP, 'getppid', String(n)], facts: floorFacts },
  { kind: 'per-call', id: 'sysvisor-getppid', label: 'sysvisor count getppid (JS chain)', group: 'core', family: 'getppid', rss: true,
    n: 100_000, quickN: 10_000, command: (n) => sysvisorCount('getppid', n) },
  { kind: 'per-call', id: 'sysvisor-getppid-kernel', label: 'sysvisor count getppid + eBPF errors/time', group: 'core', family: 'getppid',
    n: 100_000, quickN: 10_000, command: (n) => [...SYSVISOR, 'run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'strace-getppid', label: 'strace -f getppid', group: 'core', family: 'getppid',
    n: 5_000, quickN: 500, command: (n) => ['strace', '-f', '-o', '/dev/null', LOOP, 'getppid', String(n)] },
  // Not intercepted: getpid under the same filters runs at (near) native speed.
  { kind: 'per-call', id: 'native-getpid', label: 'native getpid', group: 'core', family: 'getpid', role: 'native',
    n: 5_000_000, quickN: 200_000, command: (n) => [LOOP, 'getpid', String(n)] },
  { kind: 'per-call', id: 'floor-getpid', label: 'C floor filter, getpid (not notified)', group: 'core', family: 'getpid', role: 'floor',
    n: 5_000_000, quickN: 200_000, command: (n) => [FLOOR, '--', LOOP, 'getpid', String(n)], facts: floorFacts },
  { kind: 'per-call', id: 'sysvisor-getpid', label: 'sysvisor filter, getpid (not notified)', group: 'core', family: 'getpid',
    n: 5_000_000, quickN: 200_000, command: (n) => sysvisorCount('getpid', n) },
  // Nesting: a second count scope is one more chain step, not another round trip.
  { kind: 'per-call', id: 'nest1-getppid', label: 'one count scope, getppid', group: 'nest', family: 'nest', role: 'native',
    n: 100_000, quickN: 10_000, command: (n) => sysvisorCount('getppid', n) },
  { kind: 'per-call', id: 'nest2-getppid', label: 'two nested count scopes, getppid', group: 'nest', family: 'nest',
    n: 100_000, quickN: 10_000, command: (n) => [...SYSVISOR, 'run', '-e', COUNT_CHAIN, '--', ...SYSVISOR, 'run', '-e', COUNT_CHAIN, '--', LOOP, 'getppid', String(n)] },
  // Whole commands: find over /usr/share (issues 3 and 4), each through `timed`.
  { kind: 'per-run', id: 'find-native', label: 'find /usr/share, native', group: 'find', family: 'find', role: 'native',
    command: () => [TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-unreal-mapped', label: 'unreal: find /unreal/usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'unreal', '--', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'find-unreal-unmapped', label: 'unreal: find /usr/share (nothing mapped)', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'unreal', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-proot', label: 'proot -b /usr:/unreal/usr find /unreal/usr/share', group: 'find', family: 'find',
    command: () => ['proot', '-b', '/usr:/unreal/usr', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'find-trace', label: 'trace:o=/dev/null: find /usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'trace:o=/dev/null', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-strace', label: 'strace -f -o /dev/null find /usr/share', group: 'find', family: 'find',
    command: () => ['strace', '-f', '-o', '/dev/null', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-default', label: 'sysvisor run (no engine): find /usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-sealed', label: 'sysvisor run --sealed (no engine): find', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '--sealed', '--', TIMED, 'find', '/usr/share'] },
  // What SYNC_WAKE_UP is worth: the floor without it.
  { kind: 'per-call', id: 'floor-nosync-getppid', label: 'C floor getppid, no SYNC_WAKE_UP', group: 'nosync', family: 'getppid',
    n: 20_000, quickN: 2_000, command: (n) => [FLOOR, '--no-sync', '--', LOOP, 'getppid', String(n)], facts: floorFacts },
];

interface Goal {
  id: string;
  text: string;
  /** Measured value and whether it meets the goal; undefined when its variants were not run. */
  evaluate(r: ReadonlyMap<string, VariantResult>, rss: ReadonlyMap<string, RssResult>): { value: number; unit: string; pass: boolean } | undefined;
}

const perCall = (r: ReadonlyMap<string, VariantResult>, id: string) => r.get(id)?.perCallUs;
/** a/b of two whole commands' own times. */
function ratio(r: ReadonlyMap<string, VariantResult>, a: string, b: string, pass: (x: number) => boolean, unit: string) {
  const x = r.get(a)?.cmdMs, y = r.get(b)?.cmdMs;
  if (x === undefined || y === undefined) return undefined;
  return { value: x / y, unit, pass: pass(x / y) };
}

export const GOALS: Goal[] = [
  { id: 'js-chain-vs-floor', text: 'intercepted getppid through the JS chain <= 1.6x the C floor',
    evaluate: (r) => {
      const a = perCall(r, 'sysvisor-getppid'), b = perCall(r, 'floor-getppid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x', pass: a / b <= 1.6 };
    } },
  { id: 'passthrough-vs-floor-filter', text: 'non-intercepted getpid under sysvisor <= 1.05x the same under the floor filter',
    evaluate: (r) => {
      const a = perCall(r, 'sysvisor-getpid'), b = perCall(r, 'floor-getpid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x', pass: a / b <= 1.05 };
    } },
  { id: 'vs-strace', text: 'intercepted call >= 10x faster than strace -f',
    evaluate: (r) => {
      const a = perCall(r, 'strace-getppid'), b = perCall(r, 'sysvisor-getppid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x faster', pass: a / b >= 10 };
    } },
  { id: 'nesting-cost', text: 'getppid under two nested count scopes <= 1.2x under one',
    evaluate: (r) => {
      const a = perCall(r, 'nest2-getppid'), b = perCall(r, 'nest1-getppid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x', pass: a / b <= 1.2 };
    } },
  { id: 'unreal-vs-proot', text: 'unreal find /unreal/usr/share >= 20x faster than proot (issue 3)',
    evaluate: (r) => ratio(r, 'find-proot', 'find-unreal-mapped', (x) => x >= 20, 'x faster') },
  { id: 'unreal-vs-native', text: 'unreal find /unreal/usr/share <= 3x native (issue 3)',
    evaluate: (r) => ratio(r, 'find-unreal-mapped', 'find-native', (x) => x <= 3, 'x') },
  { id: 'unreal-unmapped', text: 'unreal find /usr/share (unmapped) <= 2x native (issue 3)',
    evaluate: (r) => ratio(r, 'find-unreal-unmapped', 'find-native', (x) => x <= 2, 'x') },
  { id: 'trace-vs-native', text: 'trace find /usr/share <= 2x native (issue 4)',
    evaluate: (r) => ratio(r, 'find-trace', 'find-native', (x) => x <= 2, 'x') },
  { id: 'trace-vs-strace', text: 'trace find /usr/share >= 10x faster than strace -f (issue 4)',
    evaluate: (r) => ratio(r, 'find-strace', 'find-trace', (x) => x >= 10, 'x faster') },
  { id: 'supervisor-rss', text: 'supervisor peak RSS <= 80 MB',
    evaluate: (_r, rss) => {
      const values = ['sysvisor-getppid', 'sysvisor-getpid'].map((id) => rss.get(id)?.peakKb).filter((v): v is number => v !== undefined);
      if (values.length === 0) return undefined;
      const mb = Math.max(...values) / 1024;
      return { value: mb, unit: 'MB', pass: mb <= 80 };
    } },
];

// ---------------------------------------------------------------------------------------------
// Running

interface RunSample {
  wallMs: number;
  /** From loop's own line, when it printed one. */
  loopNs?: number;
  /** From `timed`: the command's own wall time, without the start-up of what runs it. */
  cmdNs?: number;
  stderr: string;
}

export interface VariantResult {
  id: string;
  label: string;
  group: string;
  family: string;
  kind: Variant['kind'];
  /** Calls per timed run (per-call variants). */
  n?: number;
  /** Median over rounds: (wall(N) - wall(0)) / N, in µs. */
  perCallUs?: number;
  /** Median over rounds of loop's own time per call, in µs. */
  loopPerCallUs?: number;
  /** Median start-up (N=0 run) wall time, ms. */
  startupMs?: number;
  /** Median of the command's own time (per-run variants run through `timed`), ms. */
  cmdMs?: number;
  /** Median wall time of one run, ms (per-run variants; for per-call, the N run). */
  wallMs: number;
  rounds: { perCallUs?: number; loopPerCallUs?: number; wallMs: number; startupMs?: number; cmdMs?: number }[];
  vsFloor?: number;
  vsNative?: number;
  facts: Record<string, string | number | boolean>;
}

export interface RssResult {
  peakKb: number;
  method: string;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

class BenchError extends Error {}

function runOnce(argv: readonly string[]): RunSample {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 16 << 20 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw new BenchError(`${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    const why = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
    throw new BenchError(`${argv.join(' ')}: ${why}${r.stderr ? `\n${r.stderr.trim()}` : ''}`);
  }
  const m = /^loop \S+ \d+ calls (\d+) ns$/m.exec(r.stdout);
  const t = /^timed (\d+) ns$/m.exec(r.stdout);
  return { wallMs, loopNs: m ? Number(m[1]) : undefined, cmdNs: t ? Number(t[1]) : undefined, stderr: r.stderr };
}

/** Peak RSS of the top process of argv, in kB: getrusage via /usr/bin/time, else /proc polling. */
async function peakRss(argv: readonly string[]): Promise<RssResult> {
  const time = '/usr/bin/time';
  if (existsSync(time)) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvisor-bench-'));
    try {
      const out = path.join(dir, 'rss');
      runOnce([time, '-f', '%M', '-o', out, ...argv]);
      const kb = Number(readFileSync(out, 'utf8').trim().split('\n').pop());
      if (Number.isFinite(kb) && kb > 0) return { peakKb: kb, method: 'getrusage (/usr/bin/time %M)' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  // Fallback: VmHWM of the top process, polled until it exits (the last sample is kept).
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    let peak = 0;
    const sample = () => {
      try {
        const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {
        // gone
      }
    };
    const timer = setInterval(sample, 5);
    child.on('error', (e) => {
      clearInterval(timer);
      reject(new BenchError(`${argv.join(' ')}: ${e.message}`));
    });
    child.on('exit', () => {
      clearInterval(timer);
      resolve({ peakKb: peak, method: '/proc/PID/status VmHWM polled every 5 ms' });
    });
  });
}

function measure(variants: readonly Variant[], rounds: number, quick: boolean, log: (s: string) => void): Map<string, VariantResult> {
  const samples = new Map<string, { full: RunSample; start?: RunSample }[]>();
  // Warm-up: page cache, dynamic loader, Node's compile cache. Not measured.
  for (const v of variants) runOnce(v.kind === 'per-call' ? v.command(Math.min(v.quickN, 1000)) : v.command());
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1}/${rounds}`);
    // Rotate the order each round so that no variant always runs right after the same neighbour.
    const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
    for (const v of order) {
      let entry: { full: RunSample; start?: RunSample };
      if (v.kind === 'per-call') {
        const n = quick ? v.quickN : v.n;
        // Alternate which of the two runs goes first.
        if (round % 2) {
          const full = runOnce(v.command(n));
          entry = { full, start: runOnce(v.command(0)) };
        } else {
          const start = runOnce(v.command(0));
          entry = { start, full: runOnce(v.command(n)) };
        }
      } else {
        entry = { full: runOnce(v.command()) };
      }
      const list = samples.get(v.id) ?? [];
      list.push(entry);
      samples.set(v.id, list);
    }
  }
  const results = new Map<string, VariantResult>();
  for (const v of variants) {
    const list = samples.get(v.id)!;
    const facts = v.facts ? v.facts(list[list.length - 1]!.full.stderr) : {};
    if (v.kind === 'per-call') {
      const n = quick ? v.quickN : v.n;
      const rs = list.map(({ full, start }) => ({
        wallMs: full.wallMs,
        startupMs: start!.wallMs,
        perCallUs: ((full.wallMs - start!.wallMs) * 1000) / n,
        loopPerCallUs: full.loopNs !== undefined ? full.loopNs / 1000 / n : undefined,
      }));
      const loops = rs.map((r) => r.loopPerCallUs).filter((x): x is number => x !== undefined);
      results.set(v.id, {
        id: v.id, label: v.label, group: v.group, family: v.family, kind: v.kind, n,
        perCallUs: median(rs.map((r) => r.perCallUs)),
        loopPerCallUs: loops.length === rs.length ? median(loops) : undefined,
        startupMs: median(rs.map((r) => r.startupMs)),
        wallMs: median(rs.map((r) => r.wallMs)),
        rounds: rs, facts,
      });
    } else {
      const rs = list.map(({ full }) => ({ wallMs: full.wallMs, cmdMs: full.cmdNs !== undefined ? full.cmdNs / 1e6 : undefined }));
      const cmds = rs.map((r) => r.cmdMs).filter((x): x is number => x !== undefined);
      results.set(v.id, {
        id: v.id, label: v.label, group: v.group, family: v.family, kind: v.kind,
        wallMs: median(rs.map((r) => r.wallMs)), cmdMs: cmds.length === rs.length ? median(cmds) : undefined, rounds: rs, facts,
      });
    }
  }
  // Ratios within each family.
  for (const v of variants) {
    const r = results.get(v.id)!;
    const ref = (role: Role) => {
      const rv = variants.find((x) => x.family === v.family && x.role === role);
      const rr = rv && results.get(rv.id);
      if (!rr) return undefined;
      if (r.kind === 'per-call') return r.perCallUs! / rr.perCallUs!;
      // Whole commands: the command's own time when both rows have it (supervisor start-up apart).
      return r.cmdMs !== undefined && rr.cmdMs !== undefined ? r.cmdMs / rr.cmdMs : r.wallMs / rr.wallMs;
    };
    r.vsFloor = ref('floor');
    r.vsNative = ref('native');
  }
  return results;
}

/**
 * Does sysvisor's pump get SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP? Runs `true` under no engine, in a
 * child process (`run.js --probe-sync-wake-up`), so that a broken addon cannot take the
 * benchmark down with it.
 */
function probeSysvisorSyncWakeUp(): boolean | string {
  const script = process.argv[1] ? path.resolve(process.argv[1]) : path.join(ROOT, 'dist', 'bench', 'run.js');
  const r = spawnSync(process.execPath, [script, '--probe-sync-wake-up'], { encoding: 'utf8', timeout: 30_000 });
  const m = /^sync_wake_up=(true|false)$/m.exec(r.stdout ?? '');
  if (r.status === 0 && m) return m[1] === 'true';
  const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n')[0];
  return `probe failed: ${why}`;
}

async function probeInProcess(): Promise<number> {
  const { supervise } = await import('../src/transports/unotify/supervise.js');
  const sup = supervise({ command: 'true', engines: [] });
  const on = sup.syncWakeUp;
  await sup.done;
  process.stdout.write(`sync_wake_up=${on}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Micro-benchmarks (tinybench) of the pure TypeScript parts

export interface MicroResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  samples: number;
}

class FakeMemory implements TraceeMemory {
  private readonly strings = new Map<number, string>();
  writes = 0;
  constructor(strings: Record<number, string> = {}) {
    for (const [k, v] of Object.entries(strings)) this.strings.set(Number(k), v);
  }
  readString(addr: number): string | null {
    return this.strings.get(addr) ?? null;
  }
  readBytes(): Buffer | null {
    return null;
  }
  writeBytes(_addr: number, bytes: Buffer): number {
    this.writes++;
    return bytes.length;
  }
  prefetchedPath(): string | undefined {
    return undefined;
  }
  injectFd(): number {
    return -9; // EBADF: the micro-benchmarks never inject
  }
  valid(): boolean {
    return true;
  }
}

const passthrough = (name: string): Engine => ({
  name,
  interests: [{ syscall: 'getppid' }],
  handle: (_call: Syscall, next: Next) => next(),
});

async function micro(quick: boolean): Promise<MicroResult[]> {
  const executor = createExecutor({ emulators: {}, report: () => {} });
  const mem = new FakeMemory({ 0x1000: '/unreal/etc/passwd' });
  const inject = () => -38;
  const GETPPID = 110;
  const OPENAT = 257;
  const args = [0, 0, 0, 0, 0, 0];
  const one = compose([passthrough('p1')], executor);
  const three = compose([passthrough('p1'), passthrough('p2'), passthrough('p3')], executor);
  const count = countFactory.create({ syscalls: ['getppid'], o: ['/dev/null'] }, { report: () => {}, siblings: [], openOutput: openLocalOutput });
  const stack = new EngineStack([count], executor);
  // An engine that rewrites a path shorter, so that the executor rewrites it in place.
  const rewrite: Engine = {
    name: 'strip',
    interests: [{ syscall: 'openat' }],
    handle: (call, next) => {
      const p = call.string(1);
      if (p?.startsWith('/unreal/')) call.setString(1, p.slice(7));
      return next();
    },
  };
  const rewriting = compose([rewrite], executor);
  const fixed = new Syscall(1, GETPPID, args, mem, inject);
  const interests20: Interest[] = [
    'read', 'write', 'openat', 'close', 'newfstatat', 'fstat', 'lseek', 'mmap', 'munmap', 'brk',
    'execve', 'clone', 'clone3', 'fork', 'vfork', 'wait4', 'getdents64', 'readlink', 'access', 'statx',
  ].map((s) => ({ syscall: s }));
  const conditional: Interest[] = [
    { syscall: 'openat', when: [{ arg: 2, anyBits: 0o100 }] },
    { syscall: 'ioctl', when: [{ arg: 1, eq: 0x5401 }] },
    { syscall: 'getppid' },
  ];

  // Each sample runs a task `k` times, so that the timer's own cost (tens of ns) does not swamp
  // operations that take about as long.
  const tasks: { name: string; k: number; fn: () => unknown }[] = [
    { name: 'compose: 1 passthrough engine + executor', k: 1000, fn: () => one(fixed) },
    { name: 'compose: 3 passthrough engines + executor', k: 1000, fn: () => three(fixed) },
    { name: 'new Syscall + stack.step + count engine + executor', k: 1000, fn: () => stack.step(GETPPID)(new Syscall(1, GETPPID, [0, 0, 0, 0, 0, 0], mem, inject)) },
    { name: 'executor: path rewritten in place (fake memory)', k: 100, fn: () => rewriting(new Syscall(1, OPENAT, [-100, 0x1000, 0, 0, 0, 0], mem, inject)) },
    { name: 'planFilter: 1 syscall', k: 10, fn: () => planFilter([{ syscall: 'getppid' }]) },
    { name: 'planFilter: 20 syscalls', k: 10, fn: () => planFilter(interests20) },
    { name: 'planFilter: argument tests', k: 10, fn: () => planFilter(conditional) },
    { name: 'planFilter: all', k: 10, fn: () => planFilter('all') },
  ];
  const bench = new Bench({ time: quick ? 100 : 500, warmupTime: quick ? 50 : 200 });
  let sink: unknown;
  for (const t of tasks) {
    const { k, fn } = t;
    bench.add(t.name, () => {
      for (let i = 0; i < k; i++) sink = fn();
    });
  }
  await bench.run();
  void sink;
  const check = rewriting(new Syscall(1, OPENAT, [-100, 0x1000, 0, 0, 0, 0], mem, inject));
  if (check !== Result.CONTINUED || mem.writes === 0) throw new BenchError('micro: the in-place rewrite did not happen');
  return bench.tasks.map((t, i) => {
    const r = t.result;
    if (r.state !== 'completed') throw new BenchError(`micro ${t.name}: ${r.state}${'error' in r ? `: ${String((r as { error: unknown }).error)}` : ''}`);
    const k = tasks[i]!.k;
    return { name: t.name, nsPerOp: (r.latency.mean * 1e6) / k, opsPerSec: (1000 * k) / r.latency.mean, samples: r.latency.samplesCount * k };
  });
}

// ---------------------------------------------------------------------------------------------
// Output

/** About 4 significant digits, at most `digits` decimals. */
function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  const d = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return x.toFixed(Math.min(d, digits));
}

function table(header: string[], rows: string[][], leftCols = 1): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftCols ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function ensureHelpers(): void {
  const r = spawnSync('make', ['-s', '-C', path.join(ROOT, 'bench')], { stdio: 'inherit' });
  if (r.status !== 0) throw new BenchError('cannot build the benchmark helpers (make -C bench)');
}

const USAGE = `usage: node dist/bench/run.js [--quick] [--only GROUP[,GROUP...]] [--rounds N] [--json FILE]
  --quick      fewer rounds and smaller N (a smoke run; figures are indicative only)
  --only       run only these groups (${[...new Set([...VARIANTS.map((v) => v.group), 'micro'])].join(', ')})
  --rounds N   interleaved rounds (default 5, quick 2)
  --json FILE  where to write the results (default bench/results/latest.json)
`;

export async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        only: { type: 'string', multiple: true },
        rounds: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        'probe-sync-wake-up': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values['probe-sync-wake-up']) return probeInProcess();
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  const rounds = values.rounds !== undefined ? Number(values.rounds) : quick ? 2 : 5;
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(`bench: --rounds must be a positive integer\n`);
    return 2;
  }
  const known = new Set([...VARIANTS.map((v) => v.group), 'micro']);
  const only = values.only?.flatMap((s) => s.split(',')).filter((s) => s !== '');
  for (const g of only ?? []) {
    if (!known.has(g)) {
      process.stderr.write(`bench: unknown group '${g}' (known: ${[...known].join(', ')})\n`);
      return 2;
    }
  }
  const wanted = (g: string) => !only || only.includes(g);
  const variants = VARIANTS.filter((v) => wanted(v.group));
  const jsonPath = path.resolve(values.json ?? path.join(ROOT, 'bench', 'results', 'latest.json'));
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const out = (s: string) => process.stdout.write(s + '\n');

  try {
    ensureHelpers();
    if (variants.some((v) => v.id.startsWith('strace')) && spawnSync('strace', ['-V']).status !== 0)
      throw new BenchError('strace is not installed (npm run setup installs it)');

    const sysvisorSync = variants.some((v) => v.id.startsWith('sysvisor')) ? probeSysvisorSyncWakeUp() : undefined;
    if (variants.length > 0) log(`${variants.length} variants x ${rounds} rounds${quick ? ' (quick)' : ''}`);
    const results = variants.length > 0 ? measure(variants, rounds, quick, log) : new Map<string, VariantResult>();
    const rss = new Map<string, RssResult>();
    for (const v of variants) {
      if (!v.rss) continue;
      log(`peak RSS: ${v.id}`);
      rss.set(v.id, await peakRss(v.kind === 'per-call' ? v.command(quick ? v.quickN : v.n) : v.command()));
    }
    const microResults = wanted('micro') ? (log('micro-benchmarks (tinybench)'), await micro(quick)) : [];

    // Tables: per-call variants, then whole-command (per-run) variants.
    const rows = [...results.values()];
    const rssCell = (id: string) => (rss.has(id) ? fmt(rss.get(id)!.peakKb / 1024, 1) : '');
    const perCallRows = rows.filter((r) => r.kind === 'per-call');
    const perRunRows = rows.filter((r) => r.kind === 'per-run');
    if (perCallRows.length > 0) {
      out('');
      out(`whole-process benchmarks: median of ${rounds} interleaved rounds; per call = (wall(N) - wall(0)) / N`);
      out(table(
        ['variant', 'N', 'µs/call', 'loop µs/call', 'startup ms', 'x floor', 'x native', 'peak RSS MB'],
        perCallRows.map((r) => [
          r.label,
          String(r.n),
          fmt(r.perCallUs),
          fmt(r.loopPerCallUs),
          fmt(r.startupMs, 1),
          fmt(r.vsFloor, 2),
          fmt(r.vsNative, 1),
          rssCell(r.id),
        ]),
      ));
    }
    if (perRunRows.length > 0) {
      out('');
      out(`whole commands: median wall time of ${rounds} interleaved rounds`);
      out(table(
        ['variant', 'wall ms', 'command ms', 'x native', 'peak RSS MB'],
        perRunRows.map((r) => [r.label, fmt(r.wallMs, 1), fmt(r.cmdMs, 1), fmt(r.vsNative, 2), rssCell(r.id)]),
      ));
    }
    if (rows.length > 0) {
      const floors = [...new Set(rows.map((r) => r.family))]
        .map((fam) => [fam, variants.find((v) => v.family === fam && v.role === 'floor')] as const)
        .filter(([, v]) => v !== undefined && results.has(v.id))
        .map(([fam, v]) => `${fam}: ${v!.label}`);
      if (floors.length > 0) out(`x floor / x native: against the row of the same family (${floors.join('; ')})`);
      const floorSync = rows.find((r) => r.id === 'floor-getppid')?.facts['syncWakeUp'] ?? rows.find((r) => r.facts['syncWakeUp'] !== undefined && r.id !== 'floor-nosync-getppid')?.facts['syncWakeUp'];
      out('');
      if (floorSync !== undefined) out(`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: C floor ${floorSync}`);
      if (sysvisorSync !== undefined) out(`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: sysvisor pump ${sysvisorSync === true ? 'on' : sysvisorSync === false ? 'off' : sysvisorSync}`);
      for (const [id, r] of rss) out(`peak RSS ${id}: ${(r.peakKb / 1024).toFixed(1)} MB (${r.method})`);
    }

    const goals = GOALS.map((g) => ({ id: g.id, text: g.text, result: g.evaluate(results, rss) }));
    const evaluated = goals.filter((g) => g.result !== undefined);
    if (evaluated.length > 0) {
      out('');
      out(`goals${quick ? ' -- quick run, indicative only' : ''}:`);
      for (const g of evaluated) {
        const r = g.result!;
        out(`  [${r.pass ? 'PASS' : 'FAIL'}] ${g.text}: ${fmt(r.value, 2)} ${r.unit}`);
      }
    }

    if (microResults.length > 0) {
      out('');
      out('micro-benchmarks (tinybench, pure TypeScript):');
      out(table(['task', 'ns/op', 'ops/s'], microResults.map((m) => [m.name, fmt(m.nsPerOp, 1), Math.round(m.opsPerSec).toLocaleString('en-US')])));
    }

    const json = {
      schema: 1,
      date: new Date().toISOString(),
      quick,
      rounds,
      groups: only ?? [...known],
      host: { kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
      method: 'whole-process wall time, spawnSync; per call = (wall(N) - wall(0)) / N, median over interleaved rounds; loopPerCallUs from the loop\'s own clock',
      syncWakeUp: {
        floor: rows.find((r) => r.id === 'floor-getppid')?.facts['syncWakeUp'],
        sysvisor: sysvisorSync,
      },
      variants: Object.fromEntries(rows.map((r) => [r.id, { ...r, peakRssKb: rss.get(r.id)?.peakKb, rssMethod: rss.get(r.id)?.method }])),
      goals: Object.fromEntries(goals.map((g) => [g.id, g.result ? { text: g.text, ...g.result } : { text: g.text, skipped: true }])),
      micro: microResults,
    };
    mkdirSync(path.dirname(jsonPath), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify(json, null, 2) + '\n');
    out('');
    out(`results written to ${path.relative(process.cwd(), jsonPath) || jsonPath}`);
    return 0;
  } catch (e) {
    if (e instanceof BenchError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
