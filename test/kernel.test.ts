// The kernel table: the minimum is the newest required feature; older kernels are refused in one
// line naming it; newer features missing are reported as degradations (the install step prints them).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { MIN_KERNEL, kernelReport, missingFeatures, parseRelease, requireKernel } from '../src/transports/kernel.js';
import { CLI, ROOT, run } from './helpers.js';

describe('kernel requirements', () => {
  it('minimum 5.14 (SECCOMP_ADDFD_FLAG_SEND); refused below in one line', () => {
    expect(MIN_KERNEL).toEqual([5, 14]);
    expect(() => requireKernel('5.10.0-21-amd64')).toThrow(/^unsupported: kernel: Linux 5\.10\.0-21-amd64 is older than 5\.14, which sysvisor needs \(SECCOMP_ADDFD_FLAG_SEND is 5\.14: below it, [^\n]+\)$/);
    expect(() => requireKernel('5.14.0')).not.toThrow();
    expect(() => requireKernel('weird')).not.toThrow();
  });

  it('features newer than the kernel degrade, each named with its version', () => {
    expect(parseRelease('6.1.0-13-cloud-amd64')).toEqual([6, 1]);
    expect(missingFeatures('6.1.0').map((f) => f.feature)).toEqual([
      'SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP',
      'PIDFD_THREAD',
      'PIDFD_GET_INFO',
      'setxattrat/getxattrat/listxattrat/removexattrat',
    ]);
    expect(kernelReport('6.8.0')[0]).toMatch(/^degraded on Linux 6\.8\.0: PIDFD_THREAD is 6\.9: /);
    expect(kernelReport('6.18.0')).toEqual([]);
  });
});

// The kernel's own UNAME26 personality (setarch --uname-2.6) makes uname() report a 2.6 release:
// an old kernel as every entry point sees it, without a mock.
describe('every entry point checks the kernel first, in one line', () => {
  const old = (args: string[]) => run('setarch', ['x86_64', '--uname-2.6', ...args]);
  const refused = /^sysvisor: unsupported: kernel: Linux 2\.6\.\d+\S* is older than 5\.14, which sysvisor needs \(seccomp user notification \(SECCOMP_FILTER_FLAG_NEW_LISTENER\) is 5\.0: below it, no interception at all\)\n$/;

  it('sysvisor run and sysvisor agent: exit 1, nothing started', async () => {
    expect((await old([process.execPath, '-p', "require('node:os').release()"])).stdout).toMatch(/^2\.6\./);
    const r = await old([process.execPath, CLI, 'run', '--', 'echo', 'ran']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(refused);
    const a = await old([process.execPath, CLI, 'agent', '--socket', path.join(ROOT, 'nonexistent-dir', 'agent.sock')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(refused);
  });

  it('supervise() of the library throws the same one line', async () => {
    const script = `import { supervise } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))};
try { supervise({ command: 'echo', args: ['ran'], engines: [] }); } catch (e) { console.log(e.name + ': ' + e.message); process.exit(3); }`;
    const r = await old([process.execPath, '--input-type=module', '-e', script]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^UnsupportedFeatureError: unsupported: kernel: Linux 2\.6\.\d+\S* is older than 5\.14, which sysvisor needs \(/);
  });
});
