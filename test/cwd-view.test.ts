// getcwd and chdir through /unreal, differentially (natively on real paths, through /unreal and
// /unreal/unreal, and with `unreal` nested in `unreal`), as root and as nobody: the cwd getcwd
// gives after chdir into and out of the view, through a symlink and `..`; a buffer of exactly its
// size, one byte short (ERANGE: the buffer untouched, as natively, although the engines further
// out wrote the shorter real cwd into it first), an unmapped and a read-only buffer (EFAULT); a
// chdir to the directory the thread is in (answered without the rewrite), and to the same directory
// bind-mounted elsewhere (same dev/ino, another mount and path: a real chdir).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, chmodSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { CLI, ROOT, run, sysvisor, type RunResult } from './helpers.js';

const CWDCALLS = path.join(ROOT, 'test', 'build', 'cwdcalls');
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

let D: string; // the test tree (real path)

async function runAt(cmd: (P: string) => string[], P: string, how: 'native' | 'one' | 'nested', wrap: string[]): Promise<RunResult> {
  const c = [...wrap, ...cmd(P)];
  if (how === 'native') return run(c[0]!, c.slice(1), { cwd: '/' });
  const inner = how === 'nested' ? [process.execPath, CLI, 'run', '-e', 'unreal', '--'] : [];
  return sysvisor(['run', '-e', 'unreal', '--', ...inner, ...c], { cwd: '/' });
}

/** The same exit status and output natively and through every view, the tree named alike. */
async function same(cmd: (P: string) => string[], wrap: string[] = []): Promise<RunResult> {
  const native = await runAt(cmd, '', 'native', wrap);
  const ways: ['one' | 'nested', string][] = [['one', '/unreal'], ['one', '/unreal/unreal'], ['nested', '/unreal'], ['nested', '/unreal/unreal']];
  for (const [how, P] of ways) {
    const r = await runAt(cmd, P, how, wrap);
    // A cwd in the view is longer by the view's prefix (getcwd's length too): named alike.
    const fix = (s: string) =>
      s.replace(/^getcwd: (\d+) (.*)$/gm, (m, n: string, p: string) => (p.startsWith(P + D) ? `getcwd: ${Number(n) - P.length} ${p.slice(P.length)}` : m)).split(P + D).join(D);
    expect({ how, P, code: r.code, stdout: fix(r.stdout), stderr: r.stderr }).toEqual({ how, P, code: native.code, stdout: native.stdout, stderr: native.stderr });
  }
  return native;
}

beforeAll(() => {
  D = mkdtempSync('/tmp/sv-cwd-');
  chmodSync(D, 0o755);
  mkdirSync(path.join(D, 'sub', 'deep'), { recursive: true });
  symlinkSync('sub', path.join(D, 'link'));
  symlinkSync(`${D}/sub/deep`, path.join(D, 'abslink'));
  mkdirSync(path.join(D, 'bind'));
  execFileSync('mount', ['--bind', path.join(D, 'sub'), path.join(D, 'bind')]);
});

afterAll(() => {
  execFileSync('umount', [path.join(D, 'bind')]);
  rmSync(D, { recursive: true, force: true });
});

describe('getcwd and chdir through /unreal', () => {
  const dirs = (P: string) => [CWDCALLS, `${P}${D}`, 'link', '..', 'sub/deep', '../..', `${P}${D}/link/..`, 'abslink', '/', `${P}${D}/missing`, `${P}${D}`];

  it('as root: into the view, through symlinks and .., out of it and back', async () => {
    const r = await same(dirs);
    expect(r.stdout).toContain(`getcwd: ${D.length + 5} ${D}/sub\n`);
    expect(r.stdout).toContain('getcwd short: ERANGE, 0 bytes of the buffer changed\n');
    expect(r.stdout).toContain('getcwd read-only: EFAULT\n');
    expect(r.stdout).toContain(`chdir ${D}/missing: ENOENT\n`);
  });

  it('as nobody', async () => {
    await same(dirs, NOBODY);
  });

  it('a chdir to the directory it is in, and to that directory bind-mounted elsewhere', async () => {
    const cmd = (P: string) => [CWDCALLS, `${P}${D}/sub`, `${P}${D}/sub`, `${P}${D}/link/../sub`, `${P}${D}/bind`, `${P}${D}/bind`, '..', `${P}${D}/sub`];
    const r = await same(cmd);
    expect(r.stdout).toContain(`chdir ${D}/bind: ok\ngetcwd: ${D.length + 6} ${D}/bind\n`);
    await same(cmd, NOBODY);
  });
});
