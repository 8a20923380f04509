// A notified call that a signal interrupts (SIGALRM every 25-75 µs, handler without SA_RESTART) gets
// EINTR or its own correct result, never another: bench/build/eintr compares every result with the
// one the call gives before the timer starts. The EINTR rate itself (a window the kernel leaves
// before the supervisor takes a call) is a figure of `npm run bench`, not asserted here.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ROOT, run, sysvisor } from './helpers.js';

const EINTR = path.join(ROOT, 'bench', 'build', 'eintr');
const N = '20000';

function parse(stdout: string): { eintr: number; calls: number; signals: number; wrong: number } {
  const m = /^eintr (\d+) calls (\d+) signals (\d+) wrong (\d+) ns \d+$/m.exec(stdout);
  if (!m) throw new Error(`eintr printed: ${JSON.stringify(stdout)}`);
  return { eintr: Number(m[1]), calls: Number(m[2]), signals: Number(m[3]), wrong: Number(m[4]) };
}

describe('notified calls under a ~20 kHz signal without SA_RESTART', () => {
  it('natively: no EINTR, no wrong result', async () => {
    const r = parse((await run(EINTR, [N, 'stat', '/etc/hostname'])).stdout);
    expect(r).toMatchObject({ eintr: 0, wrong: 0, calls: 20000 });
    expect(r.signals).toBeGreaterThan(0);
  });

  it.each([
    ['emulated stat', ['-e', 'unreal'], ['stat', '/unreal/etc/hostname']],
    ['emulated open (an fd installed, then closed)', ['-e', 'unreal'], ['open', '/unreal/etc/hostname']],
    ['stat continued by the receiving thread (outside the prefix)', ['-e', 'unreal'], ['stat', '/etc/hostname']],
    ['getppid through the JS chain', ['-e', 'count:syscalls=getppid,kernel=off,o=/dev/null'], ['getppid']],
  ])('%s: EINTR or the right result, never a wrong one', async (_name, engines, call) => {
    const res = await sysvisor(['run', ...engines, '--', EINTR, N, ...call]);
    expect(res.code, res.stderr).toBe(0);
    const r = parse(res.stdout);
    expect(r.calls).toBe(20000);
    expect(r.signals).toBeGreaterThan(0);
    expect(r.wrong).toBe(0);
    expect(res.stderr).toBe('');
  }, 120_000);
});
