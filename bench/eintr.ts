// EINTR of notified calls under SIGALRM at ~20 kHz (every 25-75 µs, at random points of the
// caller's loop: eintr.c) whose handler lacks SA_RESTART (issue 8): a signal that reaches a thread
// after its call was notified and before the supervisor received it (NOTIF_RECV) interrupts the
// call; once received, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV lets only a fatal signal end the wait.
// The rate therefore measures the window before a supervisor takes each call.
// Each pair compares sysvisor with the bare C supervisor (bench/build/floor --killable, blocking
// RECV) notifying the same call, in interleaved rounds: machine load moves both together.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { median } from './measure.js';
import { fmt, table } from './report.js';
import { BUILD, FLOOR, SYSVISOR } from './variants.js';

const EINTR = path.join(BUILD, 'eintr');
const NEWFSTATAT = '262';

export interface EintrPair {
  id: string;
  label: string;
  floor(n: number): string[];
  sysvisor(n: number): string[];
}

export const EINTR_PAIRS: EintrPair[] = [
  { id: 'getppid-js', label: 'getppid through the JS chain (count)',
    floor: (n) => [FLOOR, '--killable', '--', EINTR, String(n)],
    sysvisor: (n) => [...SYSVISOR, 'run', '-e', 'count:syscalls=getppid,kernel=off,o=/dev/null', '--', EINTR, String(n)] },
  { id: 'unreal-stat', label: 'unreal: stat /unreal/etc/hostname (emulated in JS)',
    floor: (n) => [FLOOR, '--killable', '--continue', '--syscall', NEWFSTATAT, '--', EINTR, String(n), 'stat', '/etc/hostname'],
    sysvisor: (n) => [...SYSVISOR, 'run', '-e', 'unreal', '--', EINTR, String(n), 'stat', '/unreal/etc/hostname'] },
  { id: 'unreal-stat-outside', label: 'unreal: stat /etc/hostname (continued without JS)',
    floor: (n) => [FLOOR, '--killable', '--continue', '--syscall', NEWFSTATAT, '--', EINTR, String(n), 'stat', '/etc/hostname'],
    sysvisor: (n) => [...SYSVISOR, 'run', '-e', 'unreal', '--', EINTR, String(n), 'stat', '/etc/hostname'] },
  // A run naming no engine is --loadable all: the built-ins' calls are notified from the start.
  { id: 'bare-stat', label: 'a bare run (--loadable all): stat /etc/hostname (continued without JS)',
    floor: (n) => [FLOOR, '--killable', '--continue', '--syscall', NEWFSTATAT, '--', EINTR, String(n), 'stat', '/etc/hostname'],
    sysvisor: (n) => [...SYSVISOR, 'run', '--', EINTR, String(n), 'stat', '/etc/hostname'] },
];

export interface EintrResult {
  id: string;
  label: string;
  calls: number;
  /** EINTR per 100 calls, one per round. */
  floorRates: number[];
  sysvisorRates: number[];
  floorMedian: number;
  sysvisorMedian: number;
  /** Estimated interruptible window per call, µs (medians). */
  floorWindowUs: number;
  sysvisorWindowUs: number;
  /** Results neither EINTR nor the call's own (must be 0). */
  wrong: number;
}

function once(argv: string[]): { rate: number; wrong: number; windowUs: number } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'latin1', maxBuffer: 1 << 20 });
  const m = /^eintr (\d+) calls (\d+) signals (\d+) wrong (\d+) ns (\d+)$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  const [k, n, sigs, ns] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[5])];
  // The window itself: EINTR per call times the mean time between signals (eintr.c).
  return { rate: (100 * k) / n, wrong: Number(m[4]), windowUs: sigs > 0 ? (k * ns) / (n * sigs) / 1000 : 0 };
}

/** Interleaved rounds: each round runs every pair's floor then sysvisor. */
export function measureEintr(rounds: number, quick: boolean, log: (s: string) => void): EintrResult[] {
  const n = quick ? 5_000 : 20_000;
  const res = EINTR_PAIRS.map((p) => ({ id: p.id, label: p.label, calls: n, floorRates: [] as number[], sysvisorRates: [] as number[], floorMedian: 0, sysvisorMedian: 0, floorWindowUs: 0, sysvisorWindowUs: 0, wrong: 0 }));
  const windows = EINTR_PAIRS.map(() => ({ floor: [] as number[], sysvisor: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    log(`eintr round ${round + 1}/${rounds}`);
    EINTR_PAIRS.forEach((p, i) => {
      const f = once(p.floor(n));
      const s = once(p.sysvisor(n));
      res[i]!.floorRates.push(f.rate);
      res[i]!.sysvisorRates.push(s.rate);
      res[i]!.wrong += f.wrong + s.wrong;
      windows[i]!.floor.push(f.windowUs);
      windows[i]!.sysvisor.push(s.windowUs);
    });
  }
  res.forEach((r, i) => {
    r.floorMedian = median(r.floorRates);
    r.sysvisorMedian = median(r.sysvisorRates);
    r.floorWindowUs = median(windows[i]!.floor);
    r.sysvisorWindowUs = median(windows[i]!.sysvisor);
  });
  return res;
}

export function reportEintr(res: readonly EintrResult[], rounds: number, out: (s: string) => void): void {
  if (res.length === 0) return;
  out('');
  out(`EINTR of notified calls under SIGALRM every 25-75 µs (random phase) without SA_RESTART: % of calls, median of ${rounds} interleaved rounds`);
  out(table(
    ['calls', 'C floor %', 'sysvisor %', 'difference', 'window µs floor / sysvisor', 'rounds (floor / sysvisor)', 'wrong'],
    res.map((r) => [
      r.label,
      fmt(r.floorMedian, 1),
      fmt(r.sysvisorMedian, 1),
      (r.sysvisorMedian - r.floorMedian >= 0 ? '+' : '') + fmt(r.sysvisorMedian - r.floorMedian, 1),
      `${fmt(r.floorWindowUs, 2)} / ${fmt(r.sysvisorWindowUs, 2)}`,
      `${r.floorRates.map((x) => fmt(x, 1)).join(' ')} / ${r.sysvisorRates.map((x) => fmt(x, 1)).join(' ')}`,
      String(r.wrong),
    ]),
  ));
  out('window: EINTR per call x mean time between signals, an estimate of how long a call stays interruptible');
  for (const r of res) {
    const d = r.sysvisorMedian - r.floorMedian;
    out(`  [${d <= 1 && r.wrong === 0 ? 'PASS' : 'FAIL'}] ${r.id}: sysvisor EINTR <= C floor + 1 point, no wrong result: ${d >= 0 ? '+' : ''}${fmt(d, 2)} points, ${r.wrong} wrong`);
  }
}
