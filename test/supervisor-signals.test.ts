// Whatever the supervisor itself receives (signals, SIGSTOP/SIGCONT, the cgroup freezer), every
// notified call gets exactly one correct answer. The tracee (test/programs/opensoak.c) opens an
// emulated path in 4 threads and checks every fd it gets back, while this test hits the sysvisor
// process with 20,000 signals and freezes it through cgroup v2.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from './helpers.js';

const OPENSOAK = path.join(ROOT, 'test', 'build', 'opensoak');
const SIGNALS = 20_000;
const STOPS = 500; // SIGSTOP/SIGCONT pairs, part of SIGNALS
const FREEZES = 200;

const tick = () => new Promise<void>((r) => setImmediate(r));

/** The process state letter from /proc/PID/stat ('T' stopped), or '' once it is gone. */
function procState(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await tick();
}

/** Where cgroup v2 is mounted (pure v2 or the hybrid layout's "unified"), or undefined. */
export function cgroup2Mount(): string | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'cgroup2') return f[1];
  }
  return undefined;
}

interface Soak {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<number | null>;
}

function startSoak(): Promise<Soak> {
  const child = spawn(process.execPath, [CLI, 'run', '-e', 'unreal', '--', OPENSOAK, '/unreal/etc/hostname', '/etc/hostname', '4', '2000'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('latin1')));
  const done = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    const ready = () => out.includes('ready\n') && resolve({ child, stdout: () => out, stderr: () => err, done });
    child.stdout!.on('data', ready);
    void done.then(() => reject(new Error(`sysvisor ended before the tracee was ready: ${err}`)));
  });
}

describe('the supervisor under signals, stops and the freezer', () => {
  it(`4 threads of emulated opens while sysvisor gets ${SIGNALS} signals: every answer is a readable fd`, async () => {
    const soak = await startSoak();
    const pid = soak.child.pid!;
    // SIGUSR1 and SIGINT (sysvisor handles both: it forwards them), paced so they land all along.
    for (let i = 0; i < SIGNALS - 2 * STOPS; i++) {
      process.kill(pid, i % 2 ? 'SIGINT' : 'SIGUSR1');
      if (i % 8 === 0) await tick();
    }
    // Ctrl-Z and fg: each stop takes effect before the continue.
    for (let i = 0; i < STOPS; i++) {
      process.kill(pid, 'SIGSTOP');
      await until(() => procState(pid) === 'T');
      process.kill(pid, 'SIGCONT');
      await until(() => procState(pid) !== 'T');
    }
    process.kill(pid, 'SIGTERM'); // forwarded: the tracee ends its loops and reports
    const code = await soak.done;
    expect(soak.stdout()).toMatch(/opens \d+ wrong 0 errors 0 errno 0 leaked 0 /);
    expect(soak.stderr()).not.toMatch(/reply to|engine error/);
    expect(code).toBe(0);
  }, 300_000);

  it(`the cgroup v2 freezer, ${FREEZES} times on a cgroup holding only sysvisor: every answer is a readable fd`, async () => {
    const mount = cgroup2Mount();
    // Probed, not skipped: this machine kind has cgroup v2 (hybrid layout, /sys/fs/cgroup/unified).
    expect(mount, 'cgroup v2 is not mounted (no cgroup2 line in /proc/mounts)').toBeDefined();
    const soak = await startSoak();
    const pid = soak.child.pid!;
    const home = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))!.slice(3);
    const dir = path.join(mount!, `sysvisor-freeze-${process.pid}`);
    mkdirSync(dir);
    try {
      // sysvisor alone: its tracee was forked before the move and stays where it was.
      writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
      const frozen = () => /^frozen 1$/m.test(readFileSync(path.join(dir, 'cgroup.events'), 'utf8'));
      for (let i = 0; i < FREEZES; i++) {
        writeFileSync(path.join(dir, 'cgroup.freeze'), '1');
        await until(frozen);
        writeFileSync(path.join(dir, 'cgroup.freeze'), '0');
        await until(() => !frozen());
      }
      writeFileSync(path.join(mount!, home, 'cgroup.procs'), String(pid));
    } finally {
      writeFileSync(path.join(dir, 'cgroup.freeze'), '0');
      try {
        writeFileSync(path.join(mount!, home, 'cgroup.procs'), String(pid));
      } catch {
        // already gone
      }
    }
    rmdirSync(dir);
    process.kill(pid, 'SIGTERM');
    const code = await soak.done;
    expect(soak.stdout()).toMatch(/opens \d+ wrong 0 errors 0 errno 0 leaked 0 /);
    expect(soak.stderr()).not.toMatch(/reply to|engine error/);
    expect(code).toBe(0);
  }, 300_000);
});
