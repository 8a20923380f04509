// A program inside that installs its own seccomp listener (a container runtime, another
// supervisor) gets EBUSY where natively it works: the kernel allows one listener per filter chain
// (has_duplicate_listener in kernel/seccomp.c) and sysvisor's filter is on the chain. sysvisor says
// so in one line per process, not per call. test/programs/listener.c makes the real call.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ROOT, run, sysvisor } from './helpers.js';

const LISTENER = path.join(ROOT, 'test', 'build', 'listener');

describe('a seccomp listener inside', () => {
  it('natively works; inside gets EBUSY, named in one line per process', async () => {
    const native = await run(LISTENER, ['2']);
    expect(native.stdout).toBe('listener OK\nlistener OK\n');
    const r = await sysvisor(['run', '--', 'sh', '-c', `${LISTENER} 3; ${LISTENER} 1`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('listener EBUSY\nlistener EBUSY\nlistener EBUSY\nlistener EBUSY\n');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^sysvisor: pid \d+: its seccomp listener \(SECCOMP_FILTER_FLAG_NEW_LISTENER\) gets EBUSY: the kernel allows one listener per filter chain, and sysvisor's filter holds it$/);
    expect(lines[0]).not.toBe(lines[1]);
  });

  it('says nothing when the kernel refuses earlier: without no_new_privs nor CAP_SYS_ADMIN it is EACCES, natively too', async () => {
    const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const native = await run(nobody[0]!, [...nobody.slice(1), LISTENER, '1', 'nonnp']);
    expect(native.stdout).toBe('listener EACCES\n');
    const r = await sysvisor(['run', '--', ...nobody, LISTENER, '1', 'nonnp']);
    expect(r.stdout).toBe('listener EACCES\n');
    expect(r.stderr).toBe('');
  });
});
