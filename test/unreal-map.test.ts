// The path mapping of one `unreal` instance, without the kernel: prefix strips, and the walk for
// `..`, names of the prefix, and symlinks (given by a fake probe).
import { describe, expect, it } from 'vitest';
import { PathMap, type Probe } from '../src/engines/unreal/map.js';
import { unrealInterests } from '../src/engines/unreal/unreal.js';
import { BINPRM_BUF_SIZE, parseShebang } from '../src/engines/unreal/script.js';
import { planFilter } from '../src/filter/plan.js';
import { AUDIT_ARCH_X86_64, run, SECCOMP_RET } from '../src/filter/cbpf.js';
import { nrOf } from '../src/syscalls/table.js';

const m = new PathMap();
// A tree where every name is a directory except the symlinks given, `/tmp/file`, and `/missing`.
const links =
  (table: Record<string, string>): Probe =>
  (p) => {
    const name = p.endsWith('/.') ? p.slice(0, -2) || '/' : p;
    if (table[name] !== undefined) return { kind: 'link', target: table[name]! };
    if (name === '/tmp/file') return { kind: 'other' };
    if (name === '/missing' || name.startsWith('/missing/')) return { kind: 'error', errno: 2 };
    return { kind: 'dir' };
  };
const noLinks = links({});

describe('PathMap.strip / fast', () => {
  it('strips one or two whole-component prefixes; /unreal alone is /', () => {
    expect(m.strip('/unreal/etc/passwd')).toEqual(['/etc/passwd', 1]);
    expect(m.strip('/unreal/unreal/etc/passwd')).toEqual(['/etc/passwd', 2]);
    expect(m.strip('/unreal/unreal/unreal/etc')).toEqual(['/unreal/etc', 2]);
    expect(m.strip('/unreal')).toEqual(['/', 1]);
    expect(m.strip('/unreal/')).toEqual(['/', 1]);
    expect(m.strip('/unrealx/etc')).toEqual(['/unrealx/etc', 0]);
    expect(m.strip('/etc/unreal')).toEqual(['/etc/unreal', 0]);
  });

  it('leaves the walk to paths with .. or the name after the prefix', () => {
    expect(m.fast('/unreal/etc/passwd')).toEqual({ path: '/etc/passwd', level: 1, changed: true });
    expect(m.fast('/usr/share')).toEqual({ path: '/usr/share', level: 0, changed: false });
    expect(m.fast('/unreal/etc/../unreal/etc')).toBeNull();
    expect(m.fast('/unreal/unreal/./unreal/etc')).toBeNull();
    expect(m.fast('/etc/../unreal/etc')).toBeNull();
    expect(m.fast('/tmp/unreal/x')).toBeNull();
  });

  it('refuses prefixes that are not one absolute component', () => {
    expect(() => new PathMap('unreal')).toThrow(RangeError);
    expect(() => new PathMap('/a/b')).toThrow(RangeError);
    expect(new PathMap('/virt').strip('/virt/virt/x')).toEqual(['/x', 2]);
  });
});

describe('PathMap.walk', () => {
  const root = { level: 0, real: '/' };

  it('maps absolute paths with .. and repeated prefixes as a bind mount of / would', () => {
    expect(m.walk('/unreal/etc/../unreal/etc/passwd', root, noLinks, false)).toEqual({ path: '/etc/passwd', level: 2, changed: true });
    expect(m.walk('/etc/../unreal/etc/hosts', root, noLinks, false)).toEqual({ path: '/etc/hosts', level: 1, changed: true });
    expect(m.walk('/unreal/unreal/unreal/etc', root, noLinks, false)).toEqual({ path: '/unreal/etc', level: 2, changed: true });
    // A final `..` is kept for the kernel (rmdir, unlink and mkdir see the name they would natively).
    expect(m.walk('/unreal/..', root, noLinks, true)).toEqual({ path: '/..', level: 0, changed: true });
    expect(m.walk('/unreal/unreal/..', root, noLinks, true)).toEqual({ path: '/..', level: 1, changed: true });
    expect(m.walk('/unreal/etc/x/..', root, noLinks, false)).toEqual({ path: '/etc/x/..', level: 1, changed: true });
    expect(m.walk('/unreal/etc/../etc/.', root, noLinks, false)).toEqual({ path: '/etc/.', level: 1, changed: true });
  });

  it('walks relative paths from the cwd and its level', () => {
    expect(m.walk('..', { level: 2, real: '/' }, noLinks, true)).toEqual({ path: '..', level: 1, changed: false });
    expect(m.walk('../..', { level: 1, real: '/etc' }, noLinks, true)).toEqual({ path: '../..', level: 0, changed: false });
    expect(m.walk('unreal/etc', { level: 0, real: '/' }, noLinks, false)).toEqual({ path: '/etc', level: 1, changed: true });
    expect(m.walk('../unreal/x/', { level: 1, real: '/' }, noLinks, false)).toEqual({ path: '/x/', level: 1, changed: true });
    expect(m.walk('sub/file', { level: 1, real: '/tmp' }, noLinks, true)).toEqual({ path: 'sub/file', level: 1, changed: false });
  });

  it('reads symlinks where they decide where .. or the name lands', () => {
    const probe = links({ '/tmp/l': '/', '/tmp/rel': '../etc', '/lib': 'usr/lib' });
    expect(m.walk('/tmp/l/unreal/etc', root, probe, false)).toEqual({ path: '/etc', level: 1, changed: true });
    expect(m.walk('/unreal/tmp/rel/../unreal/x', root, probe, false)).toEqual({ path: '/x', level: 2, changed: true });
    // chdir follows everything: an absolute link leaves the levels, a relative one keeps them.
    expect(m.walk('/unreal/tmp/l', root, probe, true)).toEqual({ path: '/', level: 0, changed: true });
    expect(m.walk('/unreal/lib', root, probe, true)).toEqual({ path: '/usr/lib', level: 1, changed: true });
  });

  it('resolves .. as the kernel: what comes before must exist and be a directory', () => {
    expect(m.walk('/unreal/missing/../etc', root, noLinks, false).errno).toBe(2);
    expect(m.walk('/unreal/tmp/file/../etc', root, noLinks, false).errno).toBe(20);
    expect(m.walk('/unreal/tmp/file/unreal', root, noLinks, false).errno).toBe(20);
    // The last name is the call's business.
    expect(m.walk('/unreal/tmp/file', root, noLinks, true)).toEqual({ path: '/tmp/file', level: 1, changed: true });
  });

  it('ELOOP on the 41st link, as the kernel', () => {
    const loop = links({ '/a': '/a', '/tmp/dot': '.' });
    expect(m.walk('/unreal/a/x', root, loop, true).errno).toBe(40);
    expect(m.walk('/unreal/a/../x', root, loop, false).errno).toBe(40);
    expect(m.walk('/unreal/tmp/' + 'dot/'.repeat(40) + '../x', root, loop, false)).toEqual({ path: '/x', level: 1, changed: true });
    expect(m.walk('/unreal/tmp/' + 'dot/'.repeat(41) + '../x', root, loop, false).errno).toBe(40);
    // After a link, every directory is followed here: the kernel would count from zero again.
    expect(m.walk('/unreal/tmp/' + 'dot/'.repeat(20) + '../tmp/' + 'dot/'.repeat(21) + 'x', root, loop, false).errno).toBe(40);
  });
});

describe("unreal's filter (dirfds=walk): which *at calls leave the kernel", () => {
  const plan = planFilter(unrealInterests('walk', 'enosys'));
  const FD = 5n; // a real directory fd
  const CWD = BigInt.asUintN(64, -100n);
  const P = 0x7ffc0000n; // a path pointer
  const notified = (name: string, args: bigint[]) => run(plan.program, { nr: nrOf(name), arch: AUDIT_ARCH_X86_64, args }) === SECCOMP_RET.USER_NOTIF;

  it('keeps plain opens and stats relative to a real dirfd in the kernel (tree walks)', () => {
    expect(notified('openat', [FD, P, 0o200000n | 0o400000n])).toBe(false); // O_DIRECTORY|O_NOFOLLOW
    expect(notified('newfstatat', [FD, P, 0n, 0x100n])).toBe(false);
    expect(notified('statx', [FD, P, 0x100n, 0xfffn, 0n])).toBe(false);
    expect(notified('openat', [CWD, P, 0n])).toBe(true);
    expect(notified('openat', [0xffffff9cn, P, 0n])).toBe(true);
  });

  it('sees opens that create, write or ask for O_PATH, and every other *at call, whatever the dirfd', () => {
    for (const flags of [0o1n, 0o2n, 0o100n | 0o1n, 0o1000n, 0o10000000n]) expect(notified('openat', [FD, P, flags])).toBe(true);
    for (const name of ['renameat', 'renameat2', 'linkat']) expect(notified(name, [FD, P, FD, P, 0n])).toBe(true);
    expect(notified('symlinkat', [P, FD, P])).toBe(true);
    for (const name of ['unlinkat', 'mkdirat', 'mknodat', 'fchmodat', 'fchmodat2', 'fchownat', 'readlinkat', 'faccessat', 'faccessat2', 'utimensat', 'futimesat', 'name_to_handle_at', 'execveat', 'openat2'])
      expect([name, notified(name, [FD, P, 0n, 0n, 0n, 0n])]).toEqual([name, true]);
    // utimensat(fd, NULL, ...) is futimens: it acts on the fd, no path to map.
    expect(notified('utimensat', [FD, 0n, P, 0n])).toBe(false);
  });
});

describe('parseShebang: the #! line as fs/binfmt_script.c reads it', () => {
  const p = (s: string) => {
    const r = parseShebang(Buffer.from(s, 'latin1'));
    return r === null ? null : 'errno' in r ? r.errno : [r.interp.toString('latin1'), r.arg?.toString('latin1') ?? null];
  };
  it('takes the name after optional spaces/tabs and the rest of the line, trimmed, as one argument', () => {
    expect(p('#!/bin/sh\necho')).toEqual(['/bin/sh', null]);
    expect(p('#! \t/usr/bin/env  python3 -u \t\nx')).toEqual(['/usr/bin/env', 'python3 -u']);
    expect(p('#!/bin/sh   \n')).toEqual(['/bin/sh', null]);
    expect(p('#!/bin/a\0b c\n')).toEqual(['/bin/a', null]); // a NUL ends the name, and no argument
    expect(p('#!/bin/sh -e\0x\n')).toEqual(['/bin/sh', '-e']);
  });
  it('is ENOEXEC without a name, or when the name may be cut off by the 256-byte buffer', () => {
    expect(p('#!\n')).toBe(8);
    expect(p('#!  \t \n')).toBe(8);
    expect(p('#!/' + 'x'.repeat(300))).toBe(8);
    expect(p('#!/bin/sh ' + 'x'.repeat(300))).toEqual(['/bin/sh', 'x'.repeat(BINPRM_BUF_SIZE - 1 - '#!/bin/sh '.length)]);
    expect(p('#!/bin/sh')).toEqual(['/bin/sh', null]); // shorter than the buffer: NUL padding ends it
  });
  it('is null for a file that is not a script', () => {
    expect(p('\x7fELF')).toBeNull();
    expect(p('#')).toBeNull();
  });
});
