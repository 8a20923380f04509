// What serving processes costs the supervisor: its fds must not grow with the processes it served
// (the identity cache of the emulation keeps a pidfd per thread only while the thread lives).
import { describe, expect, it } from 'vitest';
import { sysvisor } from './helpers.js';

describe('supervisor resources', () => {
  it('fds after 1000 processes served through /unreal: baseline + at most 10', async () => {
    // The command's parent is the launcher, whose parent is the supervisor: count the
    // supervisor's fds before and after, from inside.
    const script = [
      'sup=$(awk \'/^PPid:/ { print $2 }\' /proc/$PPID/status)',
      'test "$(cat /proc/$PPID/comm)" = sysvisor-launch || exit 3',
      'before=$(ls /proc/$sup/fd | wc -l)',
      'for i in $(seq 1000); do cat /unreal/etc/hostname >/dev/null || exit 1; done',
      'after=$(ls /proc/$sup/fd | wc -l)',
      'echo "$before $after"',
    ].join('; ');
    const r = await sysvisor(['run', '-e', 'unreal', '--', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [before, after] = r.stdout.trim().split(' ').map(Number);
    expect(before).toBeGreaterThan(0);
    expect(after! - before!).toBeLessThanOrEqual(10);
  }, 120_000);
});
