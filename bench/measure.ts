// Measuring the variants: interleaved rounds of real processes (spawnSync, wall time), median
// per variant; per call = (wall(N) - wall(0)) / N, the N=0 run of the same command in the same
// round taking out the start-up cost. Also the peak RSS of a supervisor and the probe of its
// pump's SYNC_WAKE_UP.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, type Role, type Variant } from './variants.js';

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
  /** Half the spread of the row's figure (per call, else the command's time) over the rounds. */
  noise?: number;
  /** Why the row's figure cannot be trusted (negative, not a number, noise as large as itself). */
  invalid?: string;
  facts: Record<string, string | number | boolean>;
}

/**
 * Why a figure measured in several rounds cannot be: not a number, zero or negative (per call is a
 * difference of two wall times: start-up jitter larger than N calls makes it so), or a spread
 * between rounds as large as the figure itself. Undefined when it can be.
 */
export function unsound(value: number | undefined, perRound: readonly (number | undefined)[], unit: string): string | undefined {
  if (value === undefined || !Number.isFinite(value)) return 'not a number (a round missed it)';
  if (value <= 0) return `${value.toFixed(3)} ${unit} is not positive: start-up jitter larger than the calls measured`;
  const xs = perRound.filter((x): x is number => x !== undefined && Number.isFinite(x));
  if (xs.length < perRound.length) return 'a round has no figure';
  const noise = halfSpread(xs);
  if (noise !== undefined && noise >= value) return `noise ±${noise.toFixed(3)} ${unit} between rounds as large as the figure ${value.toFixed(3)} ${unit}`;
  return undefined;
}

/** Half of max - min, or undefined with fewer than two values (one round: noise not measured). */
export function halfSpread(xs: readonly number[]): number | undefined {
  if (xs.length < 2) return undefined;
  return (Math.max(...xs) - Math.min(...xs)) / 2;
}

export interface RssResult {
  peakKb: number;
  method: string;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export class BenchError extends Error {}

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
export async function peakRss(argv: readonly string[]): Promise<RssResult> {
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

export function measure(variants: readonly Variant[], rounds: number, quick: boolean, log: (s: string) => void): Map<string, VariantResult> {
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
      const perCallUs = median(rs.map((r) => r.perCallUs));
      results.set(v.id, {
        id: v.id, label: v.label, group: v.group, family: v.family, kind: v.kind, n,
        perCallUs,
        noise: halfSpread(rs.map((r) => r.perCallUs)),
        invalid: unsound(perCallUs, rs.map((r) => r.perCallUs), 'µs/call'),
        loopPerCallUs: loops.length === rs.length ? median(loops) : undefined,
        startupMs: median(rs.map((r) => r.startupMs)),
        wallMs: median(rs.map((r) => r.wallMs)),
        rounds: rs, facts,
      });
    } else {
      const rs = list.map(({ full }) => ({ wallMs: full.wallMs, cmdMs: full.cmdNs !== undefined ? full.cmdNs / 1e6 : undefined }));
      const cmds = rs.map((r) => r.cmdMs).filter((x): x is number => x !== undefined);
      const cmdMs = cmds.length === rs.length ? median(cmds) : undefined;
      const own = cmdMs !== undefined ? rs.map((r) => r.cmdMs) : rs.map((r) => r.wallMs);
      const ownMs = cmdMs ?? median(rs.map((r) => r.wallMs));
      results.set(v.id, {
        id: v.id, label: v.label, group: v.group, family: v.family, kind: v.kind,
        wallMs: median(rs.map((r) => r.wallMs)), cmdMs, rounds: rs, facts,
        noise: halfSpread(own.filter((x): x is number => x !== undefined)),
        invalid: unsound(ownMs, own, 'ms'),
      });
    }
  }
  // Ratios within each family.
  for (const v of variants) {
    const r = results.get(v.id)!;
    const ref = (role: Role) => {
      const rv = variants.find((x) => x.family === v.family && x.role === role);
      const rr = rv && results.get(rv.id);
      if (!rr || r.invalid || rr.invalid) return undefined;
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
export function probeSysvisorSyncWakeUp(): boolean | string {
  const script = process.argv[1] ? path.resolve(process.argv[1]) : path.join(ROOT, 'dist', 'bench', 'run.js');
  const r = spawnSync(process.execPath, [script, '--probe-sync-wake-up'], { encoding: 'utf8', timeout: 30_000 });
  const m = /^sync_wake_up=(true|false)$/m.exec(r.stdout ?? '');
  if (r.status === 0 && m) return m[1] === 'true';
  const why = (r.stderr || r.error?.message || `exit status ${r.status}`).trim().split('\n')[0];
  return `probe failed: ${why}`;
}

export async function probeInProcess(): Promise<number> {
  const { supervise } = await import('../src/transports/unotify/supervise.js');
  const sup = supervise({ command: 'true', engines: [] });
  await sup.ready;
  const on = sup.syncWakeUp;
  await sup.done;
  process.stdout.write(`sync_wake_up=${on}\n`);
  return 0;
}

export function ensureHelpers(): void {
  const r = spawnSync('make', ['-s', '-C', path.join(ROOT, 'bench')], { stdio: 'inherit' });
  if (r.status !== 0) throw new BenchError('cannot build the benchmark helpers (make -C bench)');
}
