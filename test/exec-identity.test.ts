// execve through /unreal, differentially (natively on real paths, through /unreal and
// /unreal/unreal, and with `unreal` nested in `unreal`), as root and as nobody: the engine reads
// the caller's identity once per execve and shares it with every step of that call (its walk, the
// `#!` look-up, taskInfo, forgetTracee), never with another call; a program whose lookup fails
// needs no `#!` look-up. What the command sees must not change: the errnos of a PATH search's
// misses, a script (`#!`) run through the view, a script or a directory the caller may not
// execute, a setuid program (no privilege beyond what the kernel gives natively), and a process
// that drops to nobody between two execs (the identity of the first exec must not serve the second).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, run, sysvisor, type RunResult } from './helpers.js';

const EXECS = path.join(ROOT, 'test', 'build', 'execs');
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];

let D: string; // the test tree (real path)

/** COMMAND(P) natively (P = ''), or under `engines` (one sysvisor, or one nested in another). */
async function runAt(cmd: (P: string) => string[], P: string, how: 'native' | 'one' | 'nested', wrap: string[]): Promise<RunResult> {
  const c = [...wrap, ...cmd(P)];
  if (how === 'native') return run(c[0]!, c.slice(1));
  const inner = how === 'nested' ? [process.execPath, CLI, 'run', '-e', 'unreal', '--'] : [];
  return sysvisor(['run', '-e', 'unreal', '--', ...inner, ...c]);
}

/**
 * The same exit status and output natively and through every view, the tree named alike; a
 * script run through a view names itself by the path it was exec'd by, as natively (binfmt_script
 * passes the interpreter that path): its `script PATH` line shows the view.
 */
async function same(cmd: (P: string) => string[], wrap: string[] = []): Promise<RunResult> {
  const native = await runAt(cmd, '', 'native', wrap);
  const ways: ['one' | 'nested', string][] = [['one', '/unreal'], ['one', '/unreal/unreal'], ['nested', '/unreal'], ['nested', '/unreal/unreal']];
  for (const [how, P] of ways) {
    const r = await runAt(cmd, P, how, wrap);
    if (native.stdout.includes(`script ${D}/`)) expect({ how, P, stdout: r.stdout }).toEqual({ how, P, stdout: expect.stringContaining(`script ${P}${D}/`) });
    const fix = (s: string) => s.split(P + D).join(D);
    expect({ how, P, code: r.code, stdout: fix(r.stdout), stderr: fix(r.stderr) }).toEqual({ how, P, code: native.code, stdout: native.stdout, stderr: native.stderr });
  }
  return native;
}

beforeAll(() => {
  D = mkdtempSync('/tmp/sv-execid-');
  chmodSync(D, 0o755);
  writeFileSync(path.join(D, 's.sh'), '#!/bin/sh\necho "script $0 as $(id -u)"\n', { mode: 0o755 });
  writeFileSync(path.join(D, 'root-only.sh'), '#!/bin/sh\necho "root-only ran as $(id -u)"\n', { mode: 0o700 });
  mkdirSync(path.join(D, 'private'), { mode: 0o700 });
  writeFileSync(path.join(D, 'private', 'p.sh'), '#!/bin/sh\necho "private ran as $(id -u)"\n', { mode: 0o755 });
  mkdirSync(path.join(D, 'dir'), { mode: 0o755 });
  symlinkSync('s.sh', path.join(D, 'link.sh'));
  // A setuid-root program that prints its ids, and a setuid script (the kernel ignores the bit).
  copyFileSync(EXECS, path.join(D, 'suid'));
  chmodSync(path.join(D, 'suid'), 0o4755);
  writeFileSync(path.join(D, 'suid.sh'), `#!/bin/sh\nexec ${EXECS} --ids\n`);
  chmodSync(path.join(D, 'suid.sh'), 0o4755);
});

afterAll(() => {
  rmSync(D, { recursive: true, force: true });
});

describe('execve through /unreal: one identity read per call', () => {
  it('as root: a missing file, a directory, a missing file in a private directory, then a script', async () => {
    const r = await same((P) => [EXECS, `${P}${D}/missing`, `${P}${D}/dir`, `${P}${D}/private/none`, `${P}${D}/s.sh`]);
    expect(r.stdout).toBe(`${D}/missing: ENOENT\n${D}/dir: EACCES\n${D}/private/none: ENOENT\nscript ${D}/s.sh as 0\n`);
  });

  it('a script named through a symlink, as root and as nobody', async () => {
    const r = await same((P) => [EXECS, `${P}${D}/link.sh`]);
    expect(r.stdout).toBe(`script ${D}/link.sh as 0\n`);
    await same((P) => [EXECS, `${P}${D}/link.sh`], NOBODY);
  });

  it('as nobody: a script only root may run, one in a directory it may not search, a directory, a missing file, then a script', async () => {
    const r = await same((P) => [EXECS, `${P}${D}/root-only.sh`, `${P}${D}/private/p.sh`, `${P}${D}/dir`, `${P}${D}/private/none`, `${P}${D}/missing`, `${P}${D}/s.sh`], NOBODY);
    expect(r.stdout).toBe(`${D}/root-only.sh: EACCES\n${D}/private/p.sh: EACCES\n${D}/dir: EACCES\n${D}/private/none: EACCES\n${D}/missing: ENOENT\nscript ${D}/s.sh as 65534\n`);
  });

  it('a process that drops to nobody between two execs: the second is checked as nobody', async () => {
    const r = await same((P) => [EXECS, `${P}${D}/root-only.sh`, `${P}${D}/missing`, '-', `${P}${D}/root-only.sh`, `${P}${D}/private/p.sh`, `${P}${D}/s.sh`]);
    // root may run root-only.sh: the first exec succeeds, so the drop is tested by its own command below
    expect(r.stdout).toBe('root-only ran as 0\n');
    const d = await same((P) => [EXECS, `${P}${D}/missing`, `${P}${D}/private/none`, '-', `${P}${D}/root-only.sh`, `${P}${D}/private/p.sh`, `${P}${D}/s.sh`]);
    expect(d.stdout).toBe(`${D}/missing: ENOENT\n${D}/private/none: ENOENT\n${D}/root-only.sh: EACCES\n${D}/private/p.sh: EACCES\nscript ${D}/s.sh as 65534\n`);
  });

  it('as nobody, a setuid program gains what the kernel gives natively, a setuid script nothing', async () => {
    const r = await same((P) => [EXECS, `${P}${D}/suid`], NOBODY);
    const s = await same((P) => [EXECS, `${P}${D}/suid.sh`], NOBODY);
    expect(s.stdout).toBe('uid=65534 euid=65534 gid=65534 egid=65534\n');
    expect(r.stdout).toMatch(/^uid=65534 euid=(0|65534) gid=65534 egid=65534\n$/);
  });
});
