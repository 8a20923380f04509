// One tracee that gets no CPU must not stall the others. Installing an fd (ADDFD) waits until the
// target thread runs and takes it; that wait runs on a worker thread of the addon, so the thread
// that serves everyone goes on. Tracee A (test/programs/stall.c) is put in a CPU cgroup with the
// smallest quota (1 ms per second) while a thread of it spins, so A is throttled when its emulated
// open is answered; tracee B keeps making notified calls, which the engine counts while A's fd is
// not installed yet.
import { mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { supervise, Result, Reporter, type Engine } from '../src/index.js';
import { ROOT } from './helpers.js';

const STALL = path.join(ROOT, 'test', 'build', 'stall');

interface CpuCgroup {
  dir: string;
  /** Allows `us` of CPU per `periodUs`. */
  limit(us: number, periodUs: number): void;
  /** Times the group was throttled so far. */
  throttled(): number;
  remove(): void;
}

/** A new CPU-limited cgroup: cgroup v1's cpu controller, or cgroup v2's cpu.max. */
function cpuCgroup(name: string): CpuCgroup | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mnt, type, opts] = line.split(' ');
    if (type === 'cgroup' && opts!.split(',').includes('cpu')) {
      const dir = path.join(mnt!, name);
      mkdirSync(dir);
      return {
        dir,
        limit: (us, periodUs) => {
          writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(periodUs));
          writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(us));
        },
        throttled: () => Number(/nr_throttled (\d+)/.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'))![1]),
        remove: () => rmdirSync(dir),
      };
    }
    if (type === 'cgroup2' && existsSync(path.join(mnt!, 'cgroup.controllers')) && readFileSync(path.join(mnt!, 'cgroup.controllers'), 'utf8').split(/\s/).includes('cpu')) {
      writeFileSync(path.join(mnt!, 'cgroup.subtree_control'), '+cpu');
      const dir = path.join(mnt!, name);
      mkdirSync(dir);
      return {
        dir,
        limit: (us, periodUs) => writeFileSync(path.join(dir, 'cpu.max'), `${us} ${periodUs}`),
        throttled: () => Number(/nr_throttled (\d+)/.exec(readFileSync(path.join(dir, 'cpu.stat'), 'utf8'))![1]),
        remove: () => rmdirSync(dir),
      };
    }
  }
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

describe('a tracee without CPU does not stall the others', () => {
  it('while A (cgroup-throttled) has not taken its emulated open\'s fd, B\'s calls are served', async () => {
    const cg = cpuCgroup(`sysvisor-stall-${process.pid}`);
    // Probed, not skipped: this machine kind has the cpu controller (cgroup v1 here).
    expect(cg, 'no cpu cgroup controller (v1 "cpu" or v2 cpu.max) is mounted').toBeDefined();
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-stall-'));
    const outFile = path.join(dir, 'out');
    const reports: string[] = [];
    const reporter = new Reporter();
    reporter.line = (l: string) => void reports.push(l);
    let aPid = 0;
    let fdsAtAnswer = -1;
    let servedWhileAWaits = 0;
    const engine: Engine = {
      name: 'stall',
      interests: [{ syscall: 'openat' }, { syscall: 'getppid' }],
      handle: async (call, next) => {
        if (call.name === 'openat' && call.string(1) === '/stall/target') {
          aPid = call.tid; // A's main thread: its pid
          cg!.limit(1000, 1_000_000);
          const before = cg!.throttled();
          writeFileSync(path.join(cg!.dir, 'cgroup.procs'), String(aPid));
          // A's spinning thread uses up the quota: from then on A runs again only next period.
          while (cg!.throttled() === before) await sleep(5);
          fdsAtAnswer = fdCount(aPid);
          return Result.fd(openSync('/etc/hostname', 'r'), true);
        }
        if (call.name === 'getppid') {
          if (fdsAtAnswer >= 0 && fdCount(aPid) === fdsAtAnswer) servedWhileAWaits++;
          return Result.value(1);
        }
        return next();
      },
    };
    try {
      const sup = supervise({ command: STALL, args: ['/stall/target', '/etc/hostname'], engines: [engine], reporter, env: { ...process.env, PROBE_OUT: outFile } });
      const st = await sup.done;
      const out = readFileSync(outFile, 'utf8');
      expect(out).toContain('A ok\n');
      expect(reports).toEqual([]);
      expect(st.code).toBe(0);
      expect(fdsAtAnswer).toBeGreaterThan(0);
      // Before the wait moved off Node's thread, no call of anyone was served while A was stalled.
      expect(servedWhileAWaits).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true });
      cg!.remove();
    }
  }, 120_000);
});

describe('a stopped tracee does not stall the others', () => {
  it('A, SIGSTOPped again and again in the middle of emulated opens, while B makes 2000 of them: B is served, every result right', async () => {
    const EINTR = path.join(ROOT, 'bench', 'build', 'eintr');
    // A opens /unreal/etc/hostname in a loop (each answer an fd installed by ADDFD); B does 2000
    // while A is stopped and continued 200 times, and left stopped at the end.
    const script = `${EINTR} 1000000000 open /unreal/etc/hostname > /dev/null & a=$!
i=0; while [ $i -lt 200 ]; do kill -STOP $a; kill -CONT $a; i=$((i+1)); done
kill -STOP $a
${EINTR} 2000 open /unreal/etc/hostname
${EINTR} 2000 stat /unreal/etc/hostname
echo B-done; kill -KILL $a`;
    const { sysvisor } = await import('./helpers.js');
    const r = await sysvisor(['run', '-e', 'unreal', '--', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines.slice(0, 2)) expect(l).toMatch(/^eintr \d+ calls 2000 signals \d+ wrong 0 ns \d+$/);
    expect(lines[2]).toBe('B-done');
  }, 120_000);
});
