// The C floor of the benchmarks (bench/floor.c) as the programs rows use it: notifying what unreal's
// filter notifies, continuing every call, and with `NR:P` reading each call's path first, as a
// supervisor deciding by the path must (the floor-read rows).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ROOT, run } from './helpers.js';

const FLOOR = path.join(ROOT, 'bench', 'build', 'floor');
const LOOP = path.join(ROOT, 'bench', 'build', 'loop');
const NEWFSTATAT = 262;

describe('bench floor', () => {
  it('reads the path of each call named NR:P before continuing it: every one read whole, the calls made natively', async () => {
    const r = await run(FLOOR, ['--continue', '--syscall', `${NEWFSTATAT}@0:1`, '--', LOOP, 'lstat', '/etc/hostname', '500']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^loop lstat 500 calls \d+ ns$/m);
    const m = /floor: notifications=(\d+) paths=(\d+)/.exec(r.stderr);
    expect(m).not.toBeNull();
    // The loop's 500 and any lstat of the loader's; each path read up to its NUL.
    expect(Number(m![1])).toBeGreaterThanOrEqual(500);
    expect(Number(m![2])).toBe(Number(m![1]));
  });

  it('without NR:P it reads nothing and says nothing of paths', async () => {
    const r = await run(FLOOR, ['--continue', '--syscall', `${NEWFSTATAT}@0`, '--', LOOP, 'lstat', '/etc/hostname', '50']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/floor: notifications=\d+\n/);
    expect(r.stderr).not.toMatch(/paths=/);
  });

  it('bad input (a path argument without --continue, or not an index): one line, exit status 2', async () => {
    for (const args of [['--syscall', `${NEWFSTATAT}:1`], ['--continue', '--syscall', `${NEWFSTATAT}:x`], ['--continue', '--syscall', `${NEWFSTATAT}@0:6`]]) {
      const r = await run(FLOOR, [...args, '--', 'true']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
