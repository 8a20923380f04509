// The kernel table: the minimum is the newest required feature; older kernels are refused in one
// line naming it; newer features missing are reported as degradations (the install step prints them).
import { describe, expect, it } from 'vitest';
import { MIN_KERNEL, kernelReport, missingFeatures, parseRelease, requireKernel } from '../src/cli/kernel.js';

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
