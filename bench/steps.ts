// Steps of an emulated lstat and open (issue 11's breakdown) that only an in-process measurement
// separates, made by this process on a real thread (a `sleep` child, at rest): the tracee's
// identity read from /proc (pathAs uncached minus cached), the walk of the path as the tracee and
// the call (pathAs with the identity cached), the result written into its memory (writeTracee, the
// 144 bytes of a struct stat, into the unused bottom of its stack); for open, the walk and the open
// as the tracee (openAs with the identity cached, the supervisor's fd closed at once). The other
// steps (kernel round trip, JS entry, path read, the fd's install) are differences of
// whole-process rows (README).
import { spawn } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { loadBinding } from '../src/native/load.js';
import { BenchError, median } from './measure.js';
import { fmt, table } from './report.js';

export interface StepResult {
  id: string;
  label: string;
  nsPerOp: number;
  /** Operations timed (rounds x iterations). */
  samples: number;
}

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STAT_SIZE = 144;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const O_LARGEFILE = 0o100000;

async function restingChild(): Promise<{ pid: number; stop(): void }> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  const pid = child.pid;
  if (pid === undefined) throw new BenchError('steps: cannot start sleep');
  for (let i = 0; i < 500; i++) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep') return { pid, stop: () => child.kill('SIGKILL') };
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  child.kill('SIGKILL');
  throw new BenchError('steps: sleep did not start');
}

/** Median ns per call of fn over `rounds` rounds of `k` calls. */
function time(fn: () => number, rounds: number, k: number): number {
  const per: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < k; i++) fn();
    per.push(Number(process.hrtime.bigint() - t0) / k);
  }
  return median(per);
}

export async function measureSteps(rounds: number, quick: boolean, log: (s: string) => void): Promise<StepResult[]> {
  log('steps of an emulated lstat and open (in-process)');
  const b = loadBinding();
  const child = await restingChild();
  try {
    const tid = child.pid;
    const stack = /^([0-9a-f]+)-[0-9a-f]+ rw-p .*\[stack\]$/m.exec(readFileSync(`/proc/${tid}/maps`, 'utf8'));
    if (!stack) throw new BenchError('steps: no stack mapping in the child');
    const addr = Number.parseInt(stack[1]!, 16);
    const out = Buffer.alloc(STAT_SIZE);
    const stat = (cached: boolean) => () => b.pathAs({ op: 'stat', tid, dirfd: AT_FDCWD, path: '/etc/hostname', flags: AT_SYMLINK_NOFOLLOW, out, cached });
    const write = () => b.writeTracee(tid, addr, out);
    const open = () => {
      const fd = b.openAs({ tid, dirfd: AT_FDCWD, path: '/etc/hostname', flags: O_RDONLY | O_CLOEXEC | O_LARGEFILE, mode: 0, cached: true });
      if (fd < 0) return fd;
      closeSync(fd);
      return 0;
    };
    // Each must work before it is timed.
    for (const [name, fn] of [['pathAs', stat(false)], ['pathAs cached', stat(true)], ['writeTracee', write], ['openAs cached', open]] as const) {
      const r = fn();
      if (r !== 0) throw new BenchError(`steps: ${name} gave ${r}`);
    }
    const k = quick ? 2_000 : 20_000;
    const steps: [string, string, () => number][] = [
      ['identity-walk-call', 'pathAs stat, identity read from /proc', stat(false)],
      ['walk-call', 'pathAs stat, identity cached (the walk and the call)', stat(true)],
      ['write-result', 'writeTracee of a struct stat (process_vm_writev)', write],
      ['open-walk-call', 'openAs O_RDONLY, identity cached (the walk, the open), then close', open],
    ];
    return steps.map(([id, label, fn]) => ({ id, label, nsPerOp: time(fn, rounds, k), samples: rounds * k }));
  } finally {
    child.stop();
  }
}

export function reportSteps(res: readonly StepResult[], out: (s: string) => void): void {
  if (res.length === 0) return;
  out('');
  out('steps of an emulated lstat and open, in-process on a resting thread (median of the rounds):');
  out(table(['step', 'µs/op'], res.map((r) => [r.label, fmt(r.nsPerOp / 1000)])));
  const by = (id: string) => res.find((r) => r.id === id)?.nsPerOp;
  const id = by('identity-walk-call'), wc = by('walk-call');
  if (id !== undefined && wc !== undefined) out(`identity read from /proc: ${fmt((id - wc) / 1000)} µs (the difference of the first two)`);
}
