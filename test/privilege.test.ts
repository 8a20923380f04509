// Scopes made without privileges never act on a process that gained privileges (the kernel's
// rule for an unprivileged filter or tracer: no_new_privs). Real setuid (su) and file-capability
// programs, run as nobody under a root-run sysvisor; a hand-written control client plays the
// attacker who does not use sysvisor's own code.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT, run, sysvisor } from './helpers.js';

const SV = `${process.execPath} ${CLI}`;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const CAPS = path.join(ROOT, 'test', 'build', 'caps');
const SCOPECTL = path.join(ROOT, 'test', 'build', 'scopectl');
const OUTER = ['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--'];
const NET_RAW = '0000000000002000';

let dir: string;
/** A copy of the caps program with cap_net_raw in its file capabilities. */
let capsRaw: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sv-priv-'));
  chmodSync(dir, 0o755);
  capsRaw = path.join(dir, 'caps');
  copyFileSync(CAPS, capsRaw);
  const r = await run('setcap', ['cap_net_raw+ep', capsRaw]);
  expect(r.code, `setcap: ${r.stderr}`).toBe(0);
  // The copy gains the capability when nobody runs it: the premise of the tests.
  expect((await run(NOBODY[0]!, [...NOBODY.slice(1), capsRaw])).stdout).toContain(`CapEff ${NET_RAW}`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a scope made without privileges', () => {
  it("a tracer nested by nobody does not see su read /etc/shadow: su runs with no_new_privs", async () => {
    const shadow = readFileSync('/etc/shadow', 'latin1');
    const trace = path.join(dir, 'su.trace');
    writeFileSync(trace, '');
    chmodSync(trace, 0o666); // nobody writes it
    const r = await sysvisor(['run', '-e', 'unreal', '--', ...NOBODY, process.execPath, CLI, 'run', '-e', `trace:e=openat,read,s=400,o=${trace}`, '--', 'su', 'root', '-c', 'true'], { cwd: dir });
    expect(r.code).not.toBe(0); // su cannot authenticate without its privileges
    const text = readFileSync(trace, 'latin1');
    expect(text, `trace of su was empty; the run said: status ${r.code}, stderr ${r.stderr}`).toMatch(/openat\(AT_FDCWD, "\/etc\/shadow", O_RDONLY\|O_CLOEXEC\) = -1 EACCES/);
    expect(text).not.toContain(shadow.slice(0, 12));
  });

  it('a file-capability program gains nothing under a scope nested by nobody; unchanged under root scopes', async () => {
    const nested = await sysvisor([...OUTER, ...NOBODY, process.execPath, CLI, 'run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', capsRaw]);
    expect(nested.stdout).toBe('CapEff 0000000000000000\neuid 65534\n');
    // The root-run outermost scope and a scope nested by root: the kernel's rules alone.
    const outer = await sysvisor([...OUTER, ...NOBODY, capsRaw]);
    expect(outer.stdout).toBe(`CapEff ${NET_RAW}\neuid 65534\n`);
    const rootNested = await sysvisor([...OUTER, process.execPath, CLI, 'run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', ...NOBODY, capsRaw]);
    expect(rootNested.stdout).toBe(`CapEff ${NET_RAW}\neuid 65534\n`);
  });

  it("a hand-made client's push for a command that can gain privileges is refused in one line", async () => {
    const r = await sysvisor([...OUTER, ...NOBODY, SCOPECTL, 'push', 'count:syscalls=getppid', '--', capsRaw, '3']);
    expect(r.stdout).toMatch(/^push refused: .*"error":"process \d+ can gain privileges \(no no_new_privs\): a scope made without privileges only serves processes that cannot"/);
    expect(r.stdout).not.toContain('CapEff');
  });

  it('a process of the scope that can gain privileges (forked by its owner without no_new_privs) is not served by it', async () => {
    // The command (no_new_privs) and then a sibling without it each make 3 getppid calls.
    const r = await sysvisor([...OUTER, ...NOBODY, SCOPECTL, 'push', 'count:syscalls=getppid', 'nnp', 'sibling', '--', capsRaw, '3']);
    expect(r.stdout).toMatch(/^push ok: .*\nCapEff 0000000000000000\neuid 65534\nCapEff 0000000000002000\neuid 65534\n$/);
    // The scope's count (written when the scope is popped) saw only the command's calls.
    expect(r.stderr).toMatch(/\s3\s+getppid\n/);
    expect(r.stderr).not.toMatch(/\s6\s+getppid\n/);
  });

  it('a caller without privileges cannot change the engines of a scope made with them, even as the same uid', async () => {
    // root without CAP_SYS_ADMIN (dropped from the bounding set, so exec does not give it back)
    const r = await sysvisor([...OUTER, 'setpriv', '--bounding-set=-sys_admin', process.execPath, CLI, 'load', 'count:syscalls=getppid,o=/dev/null']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['sysvisor: permission denied: scope 0 was made with privileges its processes may use; a caller without them cannot change its engines']);
  });
});
