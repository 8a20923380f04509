// `--complete`: what would escape the engines (io_uring operations, syscalls of a foreign ABI) is
// refused with ENOSYS. The filter is checked with the interpreter, then on the real kernel.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { BYPASS_SYSCALLS, planFilter } from '../src/filter/plan.js';
import { AUDIT_ARCH_X86_64, SECCOMP_RET, X32_SYSCALL_BIT, run as runFilter } from '../src/filter/cbpf.js';
import { syscallNumber } from '../src/syscalls/table.js';
import { ROOT, run, sysvisor } from './helpers.js';

const BYPASS = path.join(ROOT, 'test', 'build', 'bypass');
const AUDIT_ARCH_I386 = 0x40000003;
const ENOSYS = (SECCOMP_RET.ERRNO | 38) >>> 0;
const nr = (name: string) => syscallNumber(name)!;

describe('the filter of --complete', () => {
  for (const interests of [[{ syscall: 'getppid' }], 'all'] as const) {
    it(`refuses io_uring and foreign ABIs, and keeps the rest (${interests === 'all' ? "'all'" : 'one syscall'})`, () => {
      const plan = planFilter(interests, 'enosys', BYPASS_SYSCALLS);
      for (const s of ['io_uring_setup', 'io_uring_enter', 'io_uring_register']) expect(runFilter(plan.program, { nr: nr(s), arch: AUDIT_ARCH_X86_64 })).toBe(ENOSYS);
      expect(runFilter(plan.program, { nr: 20, arch: AUDIT_ARCH_I386 })).toBe(ENOSYS);
      expect(runFilter(plan.program, { nr: X32_SYSCALL_BIT | nr('getpid'), arch: AUDIT_ARCH_X86_64 })).toBe(ENOSYS);
      expect(runFilter(plan.program, { nr: nr('getppid'), arch: AUDIT_ARCH_X86_64 })).toBe(SECCOMP_RET.USER_NOTIF);
      expect(runFilter(plan.program, { nr: nr('getpid'), arch: AUDIT_ARCH_X86_64 })).toBe(interests === 'all' ? SECCOMP_RET.USER_NOTIF : SECCOMP_RET.ALLOW);
      expect(plan.syscalls).not.toContain(nr('io_uring_setup'));
    });
  }
});

describe('sysvisor run --complete', () => {
  it('io_uring_setup and foreign-ABI calls get ENOSYS; without it io_uring works (and bypasses the engines)', async () => {
    const native = await run(BYPASS, []);
    expect(native.stdout).toMatch(/^io_uring_setup \d+$/m); // the premise: io_uring is available here
    const plain = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', BYPASS]);
    expect(plain.stdout).toMatch(/^io_uring_setup \d+$/m);
    const complete = await sysvisor(['run', '--complete', '-e', 'count:syscalls=getppid,o=/dev/null', '--', BYPASS]);
    expect(complete.code).toBe(0);
    expect(complete.stdout).toMatch(/^io_uring_setup -38$/m);
    expect(complete.stdout).toMatch(/^x32 -38$/m);
    // The i386 entry: refused by the filter where the kernel has one; where it has none (int 0x80
    // faults before any syscall entry, as on this machine's kernel), it faults the same way.
    const i386 = /^int80 (.*)$/m.exec(native.stdout)![1]!;
    if (i386.startsWith('signal')) {
      console.log(`this kernel has no i386 syscall entry (int 0x80 natively: ${i386}): the filter's refusal is checked by the interpreter only`);
      expect(complete.stdout).toMatch(new RegExp(`^int80 ${i386}$`, 'm'));
    } else {
      expect(complete.stdout).toMatch(/^int80 -38$/m);
    }
  });

  it('is refused in one line on a nested run (the outermost filter is the one that counts)', async () => {
    const r = await sysvisor(['run', '--', process.execPath, path.join(ROOT, 'bin', 'sysvisor.js'), 'run', '--complete', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['sysvisor: --complete belongs to the outermost sysvisor, whose filter is the one that counts']);
  });
});
