// An fd installed for a call whose caller is killed before the answer (issue 8, the pump's lostFds)
// stays in the caller's fd table. With CLONE_FILES that table outlives the caller: the other
// process sharing it keeps the fd. This is what the kernel itself does (an open completes and
// installs its fd before a SIGKILL acts at the return to user space), so under sysvisor the
// survivor must see exactly what it can see natively: at most one leftover fd per killed opener,
// always the file the opener asked for, never another, and every open of the opener right.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, run, sysvisor } from './helpers.js';

const PROGRAM = path.join(ROOT, 'test', 'build', 'clone-files-kill');
const ROUNDS = '300';

function parse(stdout: string): { rounds: number; leftover: number; wrong: number } {
  const m = /^rounds (\d+) leftover (\d+) wrong (\d+)$/m.exec(stdout);
  expect(m, stdout).not.toBeNull();
  return { rounds: Number(m![1]), leftover: Number(m![2]), wrong: Number(m![3]) };
}

describe('fds of a caller killed between install and answer, in an fd table shared by CLONE_FILES', () => {
  it('natively: a killed opener leaves at most its one fd in the shared table', async () => {
    const r = await run(PROGRAM, ['/etc/hostname', ROUNDS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const n = parse(r.stdout);
    expect(n.rounds).toBe(300);
    expect(n.wrong).toBe(0);
  }, 60_000);

  it('under unreal (every open emulated, its fd installed by the supervisor): the same', async () => {
    const r = await sysvisor(['run', '-e', 'unreal', '--', PROGRAM, '/unreal/etc/hostname', ROUNDS]);
    // No failed answer is reported: a call gone before its answer is normal.
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const n = parse(r.stdout);
    expect(n.rounds).toBe(300);
    expect(n.wrong).toBe(0);
    expect(n.leftover).toBeLessThanOrEqual(300);
  }, 120_000);
});
