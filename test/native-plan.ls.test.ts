// The calls of `ls -laR` through /unreal under native plans (issue 11): stat, lstat, statx, getxattr
// and lgetxattr, of every entry and of each directory's `.` and `..`. Checked here, natively
// against -e unreal (run in C++) and the JS chain, as root and as nobody: a last name `.` or `..`
// (left to the kernel with its directory, test/build/xattrnames) resolves as natively, the
// permission of the directory checked as the tracee's; an xattr name read with the path in one
// process_vm_readv gives what the kernel gives for every place the name can be: across a page
// boundary, ending on the last byte of a page before an unreadable one, running into one
// (EFAULT), unreadable, NULL, too long (ERANGE), with the path across a page boundary too; a
// buffer too small (ERANGE) or none (the size); symlinks followed by getxattr, not by lgetxattr;
// a name the kernel refuses (EFAULT, ERANGE) refused before a lookup that fails at a `..` (which
// unreal's own walk, in JS, finds first).
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { supervise, type Engine } from '../src/index.js';
import { loadBinding } from '../src/native/load.js';
import { UnrealEngine } from '../src/engines/unreal/unreal.js';
import { ROOT, run } from './helpers.js';

const XATTRNAMES = path.join(ROOT, 'test', 'build', 'xattrnames');
const NATIVECALLS = path.join(ROOT, 'test', 'build', 'nativecalls');
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];
/** The calls xattrnames makes per path: 3 of the stat family, 12 getxattr, 12 lgetxattr, 3 setxattr and 2 removexattr. */
const PER_PATH = 32;
/**
 * Of those, the ones left to JS: a name the pump cannot read whole within 256 bytes (running into
 * an unreadable page, unreadable, NULL, 256 bytes long), for each of getxattr and lgetxattr; and
 * what the emulator refuses before the lookup (setxattr's flags, size, unreadable value; the NULL
 * name of removexattr).
 */
const TO_JS = 8 + 4;

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-native-ls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The command line of xattrnames (as nobody, or as root) on `paths`. */
function command(args: readonly string[], nobody: boolean): string[] {
  return [...(nobody ? AS_NOBODY : []), XATTRNAMES, ...args];
}

/** Runs xattrnames on `args` under `engines` (as nobody, or as root): its output and the pump's counters. */
async function under(engines: Engine[], args: readonly string[], nobody: boolean) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const sup = supervise({ command: 'sh', args: ['-c', `exec "$@" > ${out}`, 'sh', ...command(args, nobody)], engines });
  expect(await sup.done).toMatchObject({ code: 0 });
  return { stdout: readFileSync(out, 'latin1'), stats: sup.pumpStats()! };
}

/** A tree: a file with user.sv, a symlink to it, one to a directory, nested directories, one only root may search. */
function tree(d: string): string[] {
  mkdirSync(path.join(d, 'sub', 'inner'), { recursive: true });
  mkdirSync(path.join(d, 'dir'));
  mkdirSync(path.join(d, 'locked', 'in'), { recursive: true });
  writeFileSync(path.join(d, 'file'), 'data\n', { mode: 0o644 });
  symlinkSync('file', path.join(d, 'link'));
  symlinkSync('sub', path.join(d, 'ldir'));
  execFileSync(NATIVECALLS, ['--setxattr', path.join(d, 'file')]);
  chmodSync(dir, 0o755);
  chmodSync(d, 0o755);
  chmodSync(path.join(d, 'locked'), 0o700);
  // `.` and `..` last (the kernel's, from the directory opened), after a symlink (the component
  // walk), under a file (ENOTDIR), under nothing (ENOENT), in a directory nobody may not search
  // (EACCES); the root's `..` (itself). Where the lookup fails at a `..`, unreal's own walk (JS)
  // fails first, and the kernel's refusals of the name come before that errno (EFAULT, ERANGE).
  const names = ['file', 'link', 'dir', 'dir/.', 'dir/..', 'sub/inner/.', 'sub/inner/..', 'sub/./inner/.', 'ldir/.', 'ldir/inner/..', 'file/.',
    'file/..', 'nope/.', 'nope/..', 'locked/.', 'locked/..', 'locked/in/.', 'locked/in/..', '/..', '/.'];
  return names.map((n) => (n.startsWith('/') ? n : `${d}/${n}`));  // not path.join: it drops the dots
}

const observer: () => Engine = () => ({
  name: 'observer',
  interests: ['stat', 'lstat', 'statx', 'getxattr', 'lgetxattr', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr'].map((syscall) => ({ syscall })),
  handle: (_call, next) => next(),
});

describe('native plans: the calls of ls -la', () => {
  for (const nobody of [false, true]) {
    it(`${nobody ? 'as nobody' : 'as root'}: stat, lstat, statx, getxattr, lgetxattr of names, "." and ".." in C++ as natively and as the JS chain, the xattr name wherever it lies`, async () => {
      const d = path.join(dir, nobody ? 'nobody' : 'root');
      const all = tree(d);
      const native = await run(command(all, nobody)[0]!, command(all, nobody).slice(1));
      expect(native.code).toBe(0);
      const expected = native.stdout;
      const lines = expected.split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(PER_PATH * all.length);
      // What the kernel says, so that the comparisons below compare something: the value with the
      // name across pages and through the link, EFAULT and ERANGE, the inner directory's parent,
      // ENOTDIR, ENOENT, and EACCES only as nobody.
      expect(expected).toMatch(/^across: OK value$/m);
      expect(expected).toMatch(/^end: OK value$/m);
      expect(expected).toMatch(/^path-across: OK value$/m);
      expect(expected).toMatch(/^into: EFAULT$/m);
      expect(expected).toMatch(/^none: EFAULT$/m);
      expect(expected).toMatch(/^n256: ERANGE$/m);
      expect(expected).toMatch(/^small: ERANGE$/m);
      expect(expected).toMatch(/^size: OK 5$/m);
      expect(expected).toMatch(/^stat: ENOTDIR$/m);
      expect(expected).toMatch(/^stat: ENOENT$/m);
      if (nobody) expect(expected).toMatch(/^stat: EACCES$/m);
      else expect(expected).not.toMatch(/EACCES/);
      const stats = expected.split('\n').filter((l) => l.startsWith('stat: '));
      expect(stats[all.indexOf(`${d}/sub/inner/..`)]).toMatch(/^stat: OK .* nlink=3 /);
      expect(stats[all.indexOf(`${d}/sub/inner/.`)]).toMatch(/^stat: OK .* nlink=2 /);
      expect(stats[all.indexOf('/..')]).toBe(stats[all.indexOf('/.')]);

      // The name refused before a failing walk of `..` (unreal's, in JS): as the kernel orders them.
      const fileDotDot = expected.split('\n').slice(PER_PATH * all.indexOf(`${d}/file/..`), PER_PATH * (all.indexOf(`${d}/file/..`) + 1));
      expect(fileDotDot).toContain('into: EFAULT');
      expect(fileDotDot).toContain('n256: ERANGE');
      expect(fileDotDot).toContain('plain: ENOTDIR');
      expect(fileDotDot).toContain('setxattr-flags: EINVAL');
      expect(fileDotDot).toContain('setxattr-big: E2BIG');
      expect(fileDotDot).toContain('lsetxattr-value: EFAULT');
      expect(fileDotDot).toContain('removexattr-null: EFAULT');

      const unreal = all.map((p) => `/unreal${p}`);
      const planned = await under([new UnrealEngine(loadBinding())], unreal, nobody);
      expect(planned.stdout).toBe(expected);
      expect(planned.stats.native).toBe((PER_PATH - TO_JS) * all.length);
      const js = await under([new UnrealEngine(loadBinding()), observer()], unreal, nobody);
      expect(js.stats.native).toBe(0);
      expect(js.stdout).toBe(expected);
    }, 60_000);
  }
});
