// Filter planning, run through the cBPF interpreter (no kernel), plus one load into the kernel.
import { describe, expect, it } from 'vitest';
import { planFilter, FilterPlanError } from '../src/filter/plan.js';
import { run, SECCOMP_RET, AUDIT_ARCH_X86_64, BPF, DATA } from '../src/filter/cbpf.js';
import { SYSCALLS, syscallNumber } from '../src/syscalls/table.js';
import { sysvisor } from './helpers.js';

const X86 = AUDIT_ARCH_X86_64;
const nr = (n: string) => syscallNumber(n)!;
const ARGS_SAMPLES: bigint[][] = [[], [0n, 1n, 2n, 3n, 4n, 5n], [0xffffffffffffff9cn, 0x80000n, 0x1ffn, 0n, 0n, 0n], [0x123456789n, 0xffffffffn, 1n << 40n, 7n, 0n, 0n]];

describe('planFilter', () => {
  it('notifies exactly the declared syscalls, for any arguments', () => {
    const wanted = ['getppid', 'openat', 'read', 'execve', 'clone3', 'close'];
    const plan = planFilter(wanted.map((s) => ({ syscall: s })));
    expect(plan.syscalls).toEqual(wanted.map(nr).sort((a, b) => a - b));
    for (let n = 0; n < SYSCALLS.length + 5; n++) {
      for (const args of ARGS_SAMPLES) {
        const expected = wanted.includes(SYSCALLS[n] ?? '') ? SECCOMP_RET.USER_NOTIF : SECCOMP_RET.ALLOW;
        expect(run(plan.program, { nr: n, arch: X86, args })).toBe(expected);
      }
    }
  });

  it('never loads an argument on the way to ALLOW (the kernel can cache those as always-allow)', () => {
    const plan = planFilter([{ syscall: 'getppid' }, { syscall: 'openat', when: [{ arg: 2, anyBits: 0o100 }] }]);
    // Walk the program for a syscall that is not notified and record which offsets were loaded.
    const loaded = new Set<number>();
    const prog = plan.program.map((p) => ({ ...p }));
    const n = nr('write');
    let acc = 0;
    for (let pc = 0; pc < prog.length; pc++) {
      const p = prog[pc]!;
      if (p.code === BPF.LD_W_ABS) {
        loaded.add(p.k);
        acc = p.k === DATA.nr ? n : p.k === DATA.arch ? X86 : 0;
      } else if (p.code === BPF.JA) pc += p.k;
      else if (p.code === BPF.JEQ_K) pc += acc === p.k ? p.jt : p.jf;
      else if (p.code === BPF.JGE_K) pc += acc >= p.k ? p.jt : p.jf;
      else if (p.code === BPF.RET_K) {
        expect(p.k).toBe(SECCOMP_RET.ALLOW);
        break;
      }
    }
    expect([...loaded].sort()).toEqual([DATA.nr, DATA.arch].sort());
  });

  it('applies argument tests: equality on 64 bits and any-bit masks, OR across interests', () => {
    const plan = planFilter([
      { syscall: 'openat', when: [{ arg: 2, anyBits: 0o100 }] }, // O_CREAT
      { syscall: 'openat', when: [{ arg: 0, eq: -100 }, { arg: 3, eq: 0x1a4 }] }, // AT_FDCWD and mode 0644
      { syscall: 'kill', when: [{ arg: 1, eq: 0x1_0000_0009n }] },
    ]);
    const o = nr('openat');
    const at = (args: bigint[]) => run(plan.program, { nr: o, arch: X86, args });
    expect(at([3n, 0n, 0o100n, 0n])).toBe(SECCOMP_RET.USER_NOTIF);
    expect(at([3n, 0n, 0o1n, 0n])).toBe(SECCOMP_RET.ALLOW);
    expect(at([0xffffffffffffff9cn, 0n, 0n, 0x1a4n])).toBe(SECCOMP_RET.USER_NOTIF);
    expect(at([0xffffffffffffff9cn, 0n, 0n, 0x1a5n])).toBe(SECCOMP_RET.ALLOW);
    expect(at([0xffffff9cn, 0n, 0n, 0x1a4n])).toBe(SECCOMP_RET.ALLOW); // high half differs
    const k = (sig: bigint) => run(plan.program, { nr: nr('kill'), arch: X86, args: [1n, sig] });
    expect(k(0x1_0000_0009n)).toBe(SECCOMP_RET.USER_NOTIF);
    expect(k(9n)).toBe(SECCOMP_RET.ALLOW);
  });

  it('an unconditional interest wins over conditional ones', () => {
    const plan = planFilter([{ syscall: 'openat', when: [{ arg: 2, eq: 1 }] }, { syscall: 'openat' }]);
    expect(run(plan.program, { nr: nr('openat'), arch: X86, args: [0n, 0n, 5n] })).toBe(SECCOMP_RET.USER_NOTIF);
  });

  it("treats foreign ABIs (i386, x32) as configured", () => {
    const i386 = 0x40000003;
    for (const [mode, action] of [['allow', SECCOMP_RET.ALLOW], ['kill', SECCOMP_RET.KILL_PROCESS], ['enosys', SECCOMP_RET.ERRNO | 38]] as const) {
      const plan = planFilter([{ syscall: 'getppid' }], mode);
      expect(run(plan.program, { nr: 64, arch: i386 })).toBe(action >>> 0);
      expect(run(plan.program, { nr: 0x40000000 + nr('getppid'), arch: X86 })).toBe(action >>> 0);
    }
  });

  it("'all' notifies every x86_64 syscall", () => {
    const plan = planFilter('all');
    for (let n = 0; n < SYSCALLS.length; n++) expect(run(plan.program, { nr: n, arch: X86 })).toBe(SECCOMP_RET.USER_NOTIF);
  });

  it('handles every syscall at once, each with argument tests, within jump ranges', () => {
    const interests = SYSCALLS.filter((s) => s !== '').map((s) => ({ syscall: s, when: [{ arg: 0, eq: 1 }] }));
    const plan = planFilter(interests);
    expect(plan.program.length).toBeLessThanOrEqual(4096);
    expect(run(plan.program, { nr: nr('read'), arch: X86, args: [1n] })).toBe(SECCOMP_RET.USER_NOTIF);
    expect(run(plan.program, { nr: nr('read'), arch: X86, args: [2n] })).toBe(SECCOMP_RET.ALLOW);
    expect(run(plan.program, { nr: nr('fchmodat2'), arch: X86, args: [1n] })).toBe(SECCOMP_RET.USER_NOTIF);
  });

  it('rejects unknown syscalls and bad argument indexes', () => {
    expect(() => planFilter([{ syscall: 'nosuchcall' }])).toThrow(FilterPlanError);
    expect(() => planFilter([{ syscall: 'read', when: [{ arg: 6, eq: 0 }] }])).toThrow(/argument index 6/);
  });

  it('is accepted by the kernel (a real run with a conditional filter)', async () => {
    const r = await sysvisor(['run', '-e', 'count:syscalls=openat,getppid,read,o=/dev/null', '--', 'cat', '/etc/hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });
});
