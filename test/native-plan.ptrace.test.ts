// Native plans over the ptrace transport (addon/src/ptrace/plans.h): a call every engine of whose
// chain has a plan for it (NATIVE_CALLS; unreal's stat, access, readlink, xattr, chown, mkdir and
// utimensat calls) has its path mapped on the tracer thread, written below the red zone and the
// register set there, the kernel running the call as the tracee; it never reaches JS. Opens and
// the paths the plans cannot decide alone stay in JS. Differential: each case runs once under
// unreal alone (C++) and once with an engine without a plan in the chain (every call through the
// JS chain and the JS executor), and the tracee must see the same in both, and what the real
// paths give natively where the view names real files: as root and as nobody, through the view's
// symlinks, with paths near PATH_MAX, on an alternate signal stack with little room.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { supervise, type Engine } from '../src/index.js';
import { Reporter } from '../src/chain/report.js';
import { loadBinding } from '../src/native/load.js';
import { NATIVE_CALLS } from '../src/chain/emulate/native.js';
import { UnrealEngine } from '../src/engines/unreal/unreal.js';
import { ROOT, run } from './helpers.js';

const NATIVECALLS = path.join(ROOT, 'test', 'build', 'nativecalls');
const PATHOP = path.join(ROOT, 'test', 'build', 'pathop');
const ALT = path.join(ROOT, 'test', 'build', 'altstack');
const CALLS = Object.keys(NATIVE_CALLS);
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-native-plan-ptrace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An engine without a plan that sees every call of the table: the whole chain then runs in JS. */
const observer = (): Engine => ({ name: 'observer', interests: CALLS.map((syscall) => ({ syscall })), handle: (_call, next) => next() });

/** Runs COMMAND ARGS over ptrace under `engines`: its stdout, the lines sysvisor said, and the tracer's count of calls run under plans. */
async function under(engines: Engine[], command: string, args: readonly string[], nobody = false) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const said = path.join(dir, `said-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(said, 'w');
  const as = nobody ? AS_NOBODY.join(' ') : '';
  const sup = supervise({ command: 'sh', args: ['-c', `exec ${as} "$@" > ${out}`, 'sh', command, ...args], engines, transport: 'ptrace', reporter: new Reporter(fd) });
  expect(await sup.done).toMatchObject({ code: 0 });
  closeSync(fd);
  return { stdout: readFileSync(out, 'latin1'), said: readFileSync(said, 'latin1').replace(/pid \d+/g, 'pid N'), native: sup.tracerStats()!.native };
}

/** The paths nativecalls gives each call of the table (and its two lstat of what it made) for PATH. */
function callPaths(p: string): string[] {
  const suffix: Record<string, string> = { creat: '-c', mkdir: '-d', utimensat: '-d', fchownat: '-d', mkdirat: '-e' };
  return [...CALLS.filter((c) => NATIVE_CALLS[c]!.op !== 'open').map((c) => p + (suffix[c] ?? '')), `${p}-d`, `${p}-e`];
}

/** The calls of nativecalls on these paths the tracer maps in C++: not the opens, not a path with `..` (the engine's walk). */
function planned(paths: readonly string[]): number {
  return paths.flatMap(callPaths).filter((p) => !p.split('/').includes('..')).length;
}

/** A tree of `d`: a file, a directory, symlinks (two with absolute targets in the view), a name that is not UTF-8 (`caf%e9`). */
function tree(d: string): string[] {
  mkdirSync(path.join(d, 'dir'), { recursive: true });
  mkdirSync(path.join(d, 'sub', 'inner'), { recursive: true });
  writeFileSync(path.join(d, 'file'), 'data\n', { mode: 0o640 });
  writeFileSync(path.join(d, 'pub'), 'public\n', { mode: 0o644 });
  writeFileSync(Buffer.concat([Buffer.from(path.join(d, 'caf')), Buffer.from([0xe9])]), 'bytes\n', { mode: 0o644 });
  symlinkSync('file', path.join(d, 'link'));
  symlinkSync(`/unreal${d}/pub`, path.join(d, 'viewlink'));
  symlinkSync(`/unreal${d}/dir`, path.join(d, 'viewdir'));
  symlinkSync(`/unreal${d}/nope`, path.join(d, 'viewdangle'));
  execFileSync(NATIVECALLS, ['--setxattr', path.join(d, 'file')]);
  return ['file', 'pub', 'caf%e9', 'dir', 'link', 'nope', 'file/x', 'dir/../file', 'sub/inner/..'];
}

describe('native plans over ptrace', () => {
  it('-e unreal: the planned calls of mapped paths are mapped on the tracer thread, with the answers of the real paths and of the JS chain (root)', async () => {
    const d = path.join(dir, 'root');
    const names = tree(d);
    const real = await run(NATIVECALLS, names.map((n) => `${d}/${n}`));
    expect(real.code).toBe(0);
    const paths = names.map((n) => `/unreal${d}/${n}`);
    const c = await under([new UnrealEngine(loadBinding())], NATIVECALLS, paths);
    expect(c.stdout).toBe(real.stdout);
    expect(c.native).toBe(planned(paths));
    expect(c.native).toBeGreaterThan(100);
    const js = await under([new UnrealEngine(loadBinding()), observer()], NATIVECALLS, paths);
    expect(js.native).toBe(0);
    expect(js.stdout).toBe(real.stdout);
    expect(c.said + js.said).toBe('');

    // Through the view's symlinks (absolute targets naming the view: followed in the view, a
    // directory then `..`, one that dangles there), and two levels: the same as the JS chain.
    const more = [`/unreal${d}/viewlink`, `/unreal${d}/viewdir/x`, `/unreal${d}/viewdangle`, `/unreal/unreal${d}/viewlink`, `/unreal${d}/viewdir/../pub`];
    const a = await under([new UnrealEngine(loadBinding())], NATIVECALLS, more);
    const b = await under([new UnrealEngine(loadBinding()), observer()], NATIVECALLS, more);
    expect(a.native).toBe(planned(more));
    expect(b.native).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^stat: OK .* size=7 /m);
    expect(a.stdout).toMatch(/^stat: ENOENT$/m);
    expect(a.stdout).toMatch(/^readlink: OK \/unreal\//m);
  });

  it('as nobody: the same answers in C++ as natively and as the JS chain (permissions are the kernel\'s, checked as the tracee)', async () => {
    const d = path.join(dir, 'nobody');
    const names = tree(d);
    chmodSync(dir, 0o755);
    chmodSync(d, 0o755);
    mkdirSync(path.join(d, 'w'), { mode: 0o777 });
    chmodSync(path.join(d, 'w'), 0o777);
    mkdirSync(path.join(d, 'locked'), { mode: 0o700 });
    writeFileSync(path.join(d, 'locked', 'in'), 'x');
    const all = [...names, 'w/new', 'locked/in'];
    const real = await run(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), NATIVECALLS, ...all.map((n) => `${d}/${n}`)]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/^stat: EACCES$/m);
    expect(real.stdout).toMatch(/^mkdir: OK mode=40750 uid=65534 /m);
    const paths = all.map((n) => `/unreal${d}/${n}`);
    const c = await under([new UnrealEngine(loadBinding())], NATIVECALLS, paths, true);
    expect(c.native).toBe(planned(paths));
    expect(c.stdout).toBe(real.stdout);
    const js = await under([new UnrealEngine(loadBinding()), observer()], NATIVECALLS, paths, true);
    expect(js.native).toBe(0);
    expect(js.stdout).toBe(real.stdout);
  });

  it('paths near PATH_MAX: the errno of a path too long (before or after the mapping) is the JS chain\'s', async () => {
    const d = path.join(dir, 'long');
    mkdirSync(d, { recursive: true });
    // Components of 200 bytes through a directory that exists; lengths around 4096 before and
    // after /unreal is stripped.
    const comp = 'a'.repeat(200);
    const paths: string[] = [];
    for (const total of [4080, 4088, 4094, 4095, 4096, 4100, 4103, 4104]) {
      let p = `/unreal${d}`;
      while (p.length + comp.length + 1 <= total) p += '/' + comp;
      p += '/' + 'b'.repeat(Math.max(1, total - p.length - 1));
      paths.push(p.slice(0, total));
    }
    const args = paths.flatMap((p) => ['lstat', p, 'access', p, 'faccessat', p, 'readlink', p]);
    const c = await under([new UnrealEngine(loadBinding())], PATHOP, args);
    const js = await under([new UnrealEngine(loadBinding()), observer()], PATHOP, args);
    expect(js.native).toBe(0);
    expect(c.native).toBeGreaterThan(0);
    expect(c.stdout).toBe(js.stdout);
    expect(c.stdout).toMatch(/ENAMETOOLONG$/m);
    expect(c.stdout).toMatch(/ENOENT$/m);
  });

  it('a handler on an alternate signal stack: the mapped path goes below the red zone only where the stack has room (else JS says why: ENOMEM), as the JS executor places it', async () => {
    const p = '/unreal/etc/hostname';
    // ROOM bytes above the bottom of the alternate stack: the path (21 bytes with its NUL) fits
    // below the red zone (128 bytes) from 149 up (16-byte aligned down), not at 148 or less.
    for (const room of ['64', '148', '149', '150', '160', '4000']) {
      const c = await under([new UnrealEngine(loadBinding())], ALT, [p, room, 'stat']);
      const js = await under([new UnrealEngine(loadBinding()), observer()], ALT, [p, room, 'stat']);
      expect({ room, stdout: c.stdout, said: c.said }).toEqual({ room, stdout: js.stdout, said: js.said });
      expect(c.stdout).toMatch(/ data=intact\n$/);
      expect(js.native).toBe(0);
      expect({ room, native: c.native }).toEqual({ room, native: c.stdout.startsWith('stat=OK') ? 1 : 0 });
    }
    const low = await under([new UnrealEngine(loadBinding())], ALT, [p, '64', 'stat']);
    expect(low.stdout).toBe('stat=ENOMEM data=intact\n');
    expect(low.said).toMatch(/too little room below its red zone for the changed newfstatat\(\)/);
  });
});
