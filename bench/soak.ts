// The soak (issue 8): many intercepted calls from 8 threads at once, every result checked, and the
// supervisor's memory over the run. bench/build/soak alternates emulated opens (an fd installed
// in the tracee) and stats of each thread's own file through `-e unreal`, and checks each result
// against the file natively (soak.c); the supervisor's RSS is read here from /proc when soak says
// it is warmed up (5% of its calls made), every second, and at the end.
// Full: 8 threads x 1.25M = 10M calls (goals: 0 wrong, RSS growth < 10 MB); --quick: 8 x 100k.
// Run only when asked (`--only soak`): it takes minutes.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { BUILD, SYSVISOR } from './variants.js';
import { BenchError } from './measure.js';

const SOAK = path.join(BUILD, 'soak');
const THREADS = 8;

export interface SoakResult {
  threads: number;
  calls: number;
  /** Results that were not the call's own (another thread's, a stray value, an error). */
  wrong: number;
  /** Supervisor RSS once warmed up, at the end, and the most seen in between (kB). */
  rssWarmKb: number;
  rssEndKb: number;
  rssMaxKb: number;
  seconds: number;
  /** The goals apply to the full run only. */
  quick: boolean;
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export async function measureSoak(quick: boolean, log: (s: string) => void): Promise<SoakResult> {
  const perThread = quick ? 100_000 : 1_250_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-soak-'));
  try {
    for (let i = 0; i < THREADS; i++) writeFileSync(path.join(dir, `f${i}`), 'x'.repeat(i + 1));
    log(`soak: ${THREADS} threads x ${perThread} calls through unreal`);
    const argv = [...SYSVISOR, 'run', '-e', 'unreal', '--', SOAK, String(THREADS), String(perThread), dir, `/unreal${dir}`];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const pid = child.pid!;
    let warm = NaN, end = NaN, max = 0, line: RegExpExecArray | null = null;
    const sampler = setInterval(() => {
      const kb = rssKb(pid);
      if (!Number.isNaN(warm) && kb > max) max = kb;
    }, 1000);
    try {
      for await (const l of createInterface({ input: child.stdout })) {
        if (l === 'warm') {
          warm = rssKb(pid);
          max = warm;
          log(`soak: warmed up, supervisor RSS ${(warm / 1024).toFixed(1)} MB`);
        } else if ((line = /^soak threads (\d+) calls (\d+) wrong (\d+) ns (\d+)$/.exec(l))) {
          end = rssKb(pid);  // the command waits for its stdin to end: the supervisor is still there
          max = Math.max(max, end);
          child.stdin.end();
        }
      }
    } finally {
      clearInterval(sampler);
    }
    const code = await exited;
    if (code !== 0 || !line) throw new BenchError(`soak: ${argv.join(' ')}: exit ${code}: ${stderr.trim().split('\n').pop() ?? ''}`);
    return {
      threads: Number(line[1]), calls: Number(line[2]), wrong: Number(line[3]),
      rssWarmKb: warm, rssEndKb: end, rssMaxKb: max, seconds: Number(line[4]) / 1e9, quick,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportSoak(r: SoakResult | undefined, out: (s: string) => void): void {
  if (!r) return;
  const growth = (r.rssEndKb - r.rssWarmKb) / 1024;
  out('');
  out(`soak: ${r.threads} threads, ${r.calls.toLocaleString('en-US')} intercepted calls through unreal (emulated open and stat alternating, each checked) in ${r.seconds.toFixed(1)} s`);
  out(`  wrong results: ${r.wrong}`);
  out(`  supervisor RSS: ${(r.rssWarmKb / 1024).toFixed(1)} MB warmed up (5% of the calls), ${(r.rssEndKb / 1024).toFixed(1)} MB at the end (${growth >= 0 ? '+' : ''}${growth.toFixed(2)} MB), at most ${(r.rssMaxKb / 1024).toFixed(1)} MB`);
  out(`  [${r.wrong === 0 ? 'PASS' : 'FAIL'}] soak-wrong: every result right: ${r.wrong} wrong`);
  if (r.quick) out('  soak-rss: quick run, 10M calls only in a full run');
  else out(`  [${growth < 10 ? 'PASS' : 'FAIL'}] soak-rss: supervisor RSS growth over 10M calls < 10 MB: ${growth.toFixed(2)} MB`);
}
