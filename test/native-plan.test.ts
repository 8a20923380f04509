// Native plans (src/chain/plan.ts): an engine declares as data what it does to some calls, and the
// pump runs such a call in C++ when every engine of its chain has a plan for it, without entering
// JS. Checked here: the C++ interpreter of a plan answers as the TypeScript one (which is unreal's
// own mapping); under -e unreal alone the calls it plans (stat, access, readlink, getxattr,
// listxattr, setxattr, removexattr, chown, mkdir, utimensat and open families, the fd installed by ADDFD) are run in
// C++, as under an engine that only strips a prefix; the tracee gets what the real paths give natively, and what the JS chain gives, as root
// and as nobody, with byte paths, through two nested unreal engines; with an engine without a plan
// in the chain every call goes to JS again, and that engine sees each. unreal records the files
// opened through its view (/proc/self/fd/N): the opens the pump runs are recorded in order (a
// later readlink sees the newest), for forked children too, and the records kept are bounded.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { supervise, type Engine } from '../src/index.js';
import { loadBinding } from '../src/native/load.js';
import { planPath, type PathPlan } from '../src/chain/plan.js';
import { NATIVE_CALLS } from '../src/chain/emulate/native.js';
import { linkViews } from '../src/chain/emulate/index.js';
import { UnrealEngine } from '../src/engines/unreal/unreal.js';
import { ROOT, run } from './helpers.js';

const NATIVECALLS = path.join(ROOT, 'test', 'build', 'nativecalls');
const CALLS = Object.keys(NATIVE_CALLS);
/** The calls of the table nativecalls makes per path: each once, and lstat twice more (the directories it made). */
const PER_PATH = CALLS.length + 2;
/** The calls unreal plans: all of the table (it records the files its opens give: NativePlan.opens). */
const UNREAL = new UnrealEngine(loadBinding()).nativePlan.syscalls;

/**
 * An engine whose whole work on every call of NATIVE_CALLS is a plan's prefix strip (unreal's
 * mapping without what unreal does besides): the pump runs all of them in C++, the opens too.
 */
function strip(prefix: string): Engine {
  const plan: PathPlan = { prefix, levels: 2 };
  return {
    name: 'strip',
    // rmdir too (nativecalls removes the directories it made), which has no plan.
    interests: [...CALLS, 'rmdir'].map((syscall) => ({ syscall })),
    pathPrefixes: [prefix],
    pathComponents: [prefix.slice(1)],
    nativePlan: { syscalls: CALLS, path: plan, seesCredentials: false },
    handle: (call, next) => {
      const i = NATIVE_CALLS[call.name]?.path ?? 0;
      const p = call.latin1(i);
      linkViews(call).push([prefix, plan.levels]);
      // The executor walks the path it emulates (`..` too), as the pump's emulation does.
      const m = p === null ? null : planPath(plan, p, true);
      if (m?.changed) call.setLatin1(i, m.path);
      return next();
    },
  };
}
const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-native-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs nativecalls on `paths` under `engines` (as `nobody`, or as root): its output and the pump's counters. */
async function under(engines: Engine[], paths: readonly string[], nobody = false) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const as = nobody ? AS_NOBODY.join(' ') : '';
  const sup = supervise({ command: 'sh', args: ['-c', `exec ${as} ${NATIVECALLS} "$@" > ${out}`, 'sh', ...paths], engines });
  expect(await sup.done).toMatchObject({ code: 0 });
  return { stdout: readFileSync(out, 'latin1'), stats: sup.pumpStats()! };
}

/**
 * The calls of `names` (run by nativecalls: creat's path gets `-c`) that the pump runs in C++
 * when every call of the table is planned: all but opens whose path has a `..` (an open's level is
 * its engine's walk's to say: see the pump's RunNative), and the two lstat of the directories it
 * makes.
 */
function plannedCalls(names: readonly string[]): number {
  let n = 0;
  for (const name of names) {
    for (const c of CALLS) {
      const p = c === 'creat' ? `${name}-c` : name;
      if (NATIVE_CALLS[c]!.op !== 'open' || !p.split('/').includes('..')) n++;
    }
    n += 2;
  }
  return n;
}

const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/** A tree of `d`: a file, a directory, symlinks (one with an absolute target in the view), a name that is not UTF-8 (`caf%e9`). */
function tree(d: string): string[] {
  mkdirSync(path.join(d, 'dir'), { recursive: true });
  mkdirSync(path.join(d, 'sub', 'inner'), { recursive: true });
  writeFileSync(path.join(d, 'file'), 'data\n', { mode: 0o640 });
  writeFileSync(path.join(d, 'pub'), 'public\n', { mode: 0o644 });
  writeFileSync(Buffer.concat([Buffer.from(path.join(d, 'caf')), Buffer.from([0xe9])]), 'bytes\n', { mode: 0o644 });
  symlinkSync('file', path.join(d, 'link'));
  symlinkSync(`/unreal${d}/pub`, path.join(d, 'viewlink'));
  symlinkSync(`/unreal${d}/dir`, path.join(d, 'viewdir'));
  // An extended attribute on file (getxattr follows link to it; lgetxattr does not).
  execFileSync(NATIVECALLS, ['--setxattr', path.join(d, 'file')]);
  // viewlink dangles natively (no /unreal there): compared between C++ and JS only.
  // With `..` (walked in C++ as the tracee, component by component): each name before it must
  // exist (ENOENT) and be a directory (ENOTDIR). `sub/inner/..` is sub, which no call changes
  // (creat's `sub/inner/..-c` lands in inner).
  return ['file', 'pub', 'caf%e9', 'dir', 'link', 'nope', 'file/x', 'dir/../file', 'nope/../file', 'file/../file', 'sub/inner/..', 'dir/../dir/../caf%e9'];
}

describe('native plans', () => {
  it('the C++ interpreter of a path plan answers as the TypeScript one', () => {
    const binding = loadBinding();
    const plans: PathPlan[] = [
      { prefix: '/unreal', levels: 2 },
      { prefix: '/unreal', levels: 1 },
      { prefix: '/u\xe9', levels: 2 },
    ];
    const paths = ['/', '//', '/unreal', '/unreal/', '/unreal//', '/unreal/x', '/unreal//x', '/unreal/x/', '/unreal/unreal', '/unreal/unreal/x',
      '/unreal/unreal/unreal/x', '/unreal/unreal/unreal', '/unrealx', '/unrealx/y', '/x/unreal', '/x/unreal/y', '/x/unrealy', '//unreal/x',
      '/unreal/x/..', '/unreal/../x', '/unreal/..', '/unreal/...', '/unreal/..x', '/unreal/.', '/unreal/./unreal', '/unreal/x/unreal',
      '/unreal/x/unrealy', '/x/..', '/u\xe9', '/u\xe9/x', '/u\xe9\xff/x', '/u\xe9/u\xe9/x', '/x/u\xe9', '/u\xe9/x/u\xe9/y', '/u', '/u/x', 'unreal/x', 'x', ''];
    let mapped = 0;
    let walked = 0;
    for (const plan of plans) {
      for (const p of paths) {
        for (const w of [false, true]) {
          const ts = planPath(plan, p, w);
          const expected = ts === null ? null : { path: ts.path, changed: ts.changed };
          expect({ plan, path: p, w, got: binding.planPath(plan, p, w) }).toEqual({ plan, path: p, w, got: expected });
          if (ts?.changed) mapped++;
          // `..` after the prefix needs the engine's walk unless the executor walks the path.
          if (w && ts?.changed && planPath(plan, p) === null) walked++;
        }
      }
    }
    expect(mapped).toBeGreaterThan(10);
    expect(walked).toBeGreaterThan(3);
    expect(planPath({ prefix: '/unreal', levels: 2 }, '/unreal/x/..', true)).toEqual({ path: '/x/..', level: 1, changed: true });
    expect(planPath({ prefix: '/unreal', levels: 2 }, '/unreal/x/../unreal/y', true)).toBeNull();
  });

  it('-e unreal: the stat, access, readlink, getxattr, listxattr, setxattr, removexattr, chown, mkdir, utimensat and open calls of mapped paths run in C++ (as under a plain prefix strip), with the answers of the real paths and of the JS chain', async () => {
    expect(UNREAL).toEqual(CALLS);
    const d = path.join(dir, 'tree');
    const names = tree(d);
    const native = await run(NATIVECALLS, names.map((n) => `${d}/${n}`));
    expect(native.code).toBe(0);
    expect(native.stdout.split('\n').filter((l) => l.includes(': OK')).length).toBeGreaterThan(10);
    // Opened, read, created (under umask 027) as natively.
    expect(native.stdout).toMatch(/^open: OK fd=3 fl=100000 cloexec=0 .* head=data\.$/m);
    expect(native.stdout).toMatch(/^openat: OK fd=3 fl=2?500000 cloexec=1 .* head=bytes\.$/m);
    expect(native.stdout).toMatch(/^creat: OK fd=3 fl=100001 cloexec=0 ino=0 mode=100640 /m);
    expect(native.stdout).toMatch(/^openat: ELOOP$/m);
    expect(native.stdout).toMatch(/^getxattr: OK value$/m);
    expect(native.stdout).toMatch(/^lgetxattr: OK 5$/m);
    expect(native.stdout).toMatch(/^lgetxattr: ENODATA$/m);
    expect(native.stdout).toMatch(/^listxattr: OK user\.sv,$/m);
    expect(native.stdout).toMatch(/^llistxattr: OK 8$/m);
    expect(native.stdout).toMatch(/^removexattr: ENODATA$/m);
    // setxattr's own flags (an operand apart from lsetxattr's fixed no-follow): replaced, refused
    // both ways (EEXIST, ENODATA), EPERM on a symlink (user.* attributes).
    expect(native.stdout).toMatch(/^setxattr: OK$/m);
    expect(native.stdout).toMatch(/^setxattr: ENODATA$/m);
    expect(native.stdout).toMatch(/^lsetxattr: EEXIST$/m);
    expect(native.stdout).toMatch(/^lsetxattr: ENODATA$/m);
    expect(native.stdout).toMatch(/^lsetxattr: EPERM$/m);
    expect(native.stdout).toMatch(/^mkdir: OK mode=40750 uid=0 mtime=1000000007$/m);
    expect(native.stdout).toMatch(/^mkdirat: OK mode=40700 uid=0 mtime=0$/m);
    expect(native.stdout).toMatch(/^mkdir: ENOTDIR$/m);
    expect(native.stdout).toMatch(/^fchownat: OK$/m);
    expect(native.stdout).toMatch(/^utimensat: OK$/m);
    expect(native.stdout).toMatch(/^utimensat: ENOTDIR$/m);

    const planned = await under([new UnrealEngine(loadBinding())], names.map((n) => `/unreal${d}/${n}`));
    expect(planned.stdout).toBe(native.stdout);
    expect(planned.stats.native).toBe(plannedCalls(names));
    expect(planned.stats.lostFds).toBe(0);

    // An engine that only strips a prefix from every call of the table: all of them in C++, the
    // opens too (the fd installed by ADDFD from a worker), as natively and as the JS chain.
    const all = await under([strip('/strip')], names.map((n) => `/strip${d}/${n}`));
    expect(all.stdout).toBe(native.stdout);
    expect(all.stats.native).toBe(plannedCalls(names));
    expect(all.stats.lostFds).toBe(0);
    const passive: Engine = { name: 'observer', interests: CALLS.map((syscall) => ({ syscall })), handle: (_call, next) => next() };
    const allJs = await under([strip('/strip'), passive], names.map((n) => `/strip${d}/${n}`));
    expect(allJs.stats.native).toBe(0);
    expect(allJs.stdout).toBe(native.stdout);

    // Through two unreal engines (outermost first: /outer, then /unreal), each with its plan: the
    // levels of both stripped in C++, innermost first.
    const nested = () => [new UnrealEngine(loadBinding(), { prefix: '/outer' }), new UnrealEngine(loadBinding())];
    const twice = await under(nested(), [`/unreal/unreal/outer/outer${d}/file`, `/unreal/outer${d}/pub`]);
    expect(twice.stats.native).toBe(PER_PATH * 2);
    expect(twice.stdout).toBe((await run(NATIVECALLS, [path.join(d, 'file'), path.join(d, 'pub')])).stdout);

    // Through the view's symlinks (one to a directory, then `..`: in the view), `..` of the root
    // (it stays there), both ways. The `unreal` component after a `..` is the engine's walk (JS).
    const more = [`/unreal${d}/viewlink`, `/unreal${d}/viewdir/../file`, `/unreal/..${d}/pub`, `/unreal/unreal${d}/caf%e9`, `/unreal${d}/../unreal${d}/pub`];
    const a = await under([new UnrealEngine(loadBinding())], more);
    expect(a.stats.native).toBe(plannedCalls(more.slice(0, 4)));
    // An engine without a plan in the chain (innermost: it sees the paths as the program gave
    // them): every call to JS, where it sees each one.
    let seen = 0;
    const observer: Engine = {
      name: 'observer',
      interests: CALLS.map((syscall) => ({ syscall })),
      handle: (call, next) => {
        if (call.latin1(NATIVE_CALLS[call.name]!.path)?.startsWith('/unreal/')) seen++;
        return next();
      },
    };
    const b = await under([new UnrealEngine(loadBinding()), observer], more);
    expect(b.stats.native).toBe(0);
    expect(seen).toBe(PER_PATH * more.length);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^stat: OK .* size=7 /m);
    expect(a.stdout).toMatch(/^stat: OK .* size=5 /m);
    expect(a.stdout).toMatch(/^open: OK .* head=bytes\.$/m);
  });

  it('as nobody: the same answers in C++ as natively and as the JS chain (permissions, the umask of creat)', async () => {
    const d = path.join(dir, 'nobody');
    const names = tree(d);
    // Searchable by all; `w` writable by all (nobody creates in it; not itself stat'd: its mtime
    // changes); `file` (0640) unreadable by nobody.
    chmodSync(dir, 0o755);
    chmodSync(d, 0o755);
    mkdirSync(path.join(d, 'w'), { mode: 0o777 });
    chmodSync(path.join(d, 'w'), 0o777);
    // `..` out of a directory nobody may not search: EACCES (the kernel's may_lookup).
    mkdirSync(path.join(d, 'locked'), { mode: 0o700 });
    const paths = [...names, 'w/new', 'locked/../pub'];
    const native = await run(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), NATIVECALLS, ...paths.map((n) => `${d}/${n}`)]);
    expect(native.code).toBe(0);
    expect(native.stdout).toMatch(/^open: EACCES$/m);
    expect(native.stdout).toMatch(/^creat: EACCES$/m);
    expect(native.stdout).toMatch(/^stat: EACCES$/m);
    expect(native.stdout).toMatch(/^creat: OK fd=3 fl=100001 cloexec=0 ino=0 mode=100640 uid=65534 /m);
    expect(native.stdout).toMatch(/^mkdir: EACCES$/m);
    expect(native.stdout).toMatch(/^mkdir: OK mode=40750 uid=65534 mtime=1000000007$/m);

    const planned = await under([new UnrealEngine(loadBinding())], paths.map((n) => `/unreal${d}/${n}`), true);
    expect(planned.stdout).toBe(native.stdout);
    expect(planned.stats.native).toBe(plannedCalls(paths));
    const observer: Engine = { name: 'observer', interests: CALLS.map((syscall) => ({ syscall })), handle: (_call, next) => next() };
    const js = await under([new UnrealEngine(loadBinding()), observer], paths.map((n) => `/unreal${d}/${n}`), true);
    expect(js.stats.native).toBe(0);
    expect(js.stdout).toBe(native.stdout);
    // The opens too, in C++ (the strip engine), as nobody.
    const all = await under([strip('/strip')], paths.map((n) => `/strip${d}/${n}`), true);
    expect(all.stats.native).toBe(plannedCalls(paths));
    expect(all.stdout).toBe(native.stdout);
    expect(js.stats.native).toBe(0);
    expect(js.stdout).toBe(native.stdout);
  });
  it('-e unreal: the files of the opens run in C++ are recorded in order for /proc/self/fd/N (the newest level wins, in a forked child too, nested engines), and the records kept are bounded', async () => {
    const d = path.join(dir, 'opened');
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'f'), 'f\n');
    writeFileSync(path.join(d, 'g'), 'g\n');
    // The same file opened at levels 1 and 2 in turn, each open's link read at once: a record
    // taken late (or one that lost its order) shows the level of the open before. Then 1500 opens
    // with no read between (more than the pump keeps: those go to JS), then 40 processes that
    // open and read one link each (more processes than the pump keeps records of), and a forked
    // child reading its parent's fd.
    const py = `
import os, sys
d = sys.argv[1]
out = []
for i in range(200):
    p = ('/unreal' if i % 2 else '/unreal/unreal') + d + '/f'
    fd = os.open(p, os.O_RDONLY)
    out.append(os.readlink('/proc/self/fd/%d' % fd) == p)
    os.close(fd)
print('order', all(out), len(out))
fds = [os.open('/unreal/unreal' + d + '/g', os.O_RDONLY) for i in range(1500)]
print('many', os.readlink('/proc/self/fd/%d' % fds[-1]))
for fd in fds: os.close(fd)
kids = []
for i in range(40):
    pid = os.fork()
    if pid == 0:
        fd = os.open('/unreal' + d + '/f', os.O_RDONLY)
        ok = os.readlink('/proc/self/fd/%d' % fd) == '/unreal' + d + '/f'
        os._exit(0 if ok else 1)
    kids.append(pid)
print('children', sum(os.waitstatus_to_exitcode(os.waitpid(k, 0)[1]) for k in kids))
fd = os.open('/unreal' + d + '/g', os.O_RDONLY)
pid = os.fork()
if pid == 0:
    print('child', os.readlink('/proc/self/fd/%d' % fd), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
`;
    const outFile = path.join(dir, 'opened-out');
    const unreal = new UnrealEngine(loadBinding());
    const sup = supervise({ command: 'sh', args: ['-c', `exec python3 -c "$1" "$2" > ${outFile}`, 'sh', py, d], engines: [unreal] });
    expect(await sup.done).toMatchObject({ code: 0 });
    const stats = sup.pumpStats()!;
    expect(readFileSync(outFile, 'latin1')).toBe(`order True 200\nmany /unreal/unreal${d}/g\nchildren 0\nchild /unreal${d}/g\n`);
    // The opens ran in C++ (python's own start-up opens are not under /unreal).
    expect(stats.native).toBeGreaterThanOrEqual(200 + 1500 - 1024);
    expect(stats.openRecords).toBeLessThanOrEqual(1024);
    expect(stats.lostFds).toBe(0);
    // What the engine keeps stays within its bounds (64 files per process).
    expect(unreal.held().opened).toBeLessThanOrEqual(4096);

    // Two nested unreal engines, each with its own level (outermost first: /outer, then /unreal).
    const outer = new UnrealEngine(loadBinding(), { prefix: '/outer' });
    const inner = new UnrealEngine(loadBinding());
    const py2 = `
import os, sys
p = '/unreal/unreal/outer' + sys.argv[1] + '/f'
fd = os.open(p, os.O_RDONLY)
print(os.readlink('/proc/self/fd/%d' % fd))
`;
    const sup2 = supervise({ command: 'sh', args: ['-c', `exec python3 -c "$1" "$2" > ${outFile}`, 'sh', py2, d], engines: [outer, inner] });
    expect(await sup2.done).toMatchObject({ code: 0 });
    expect(sup2.pumpStats()!.native).toBeGreaterThanOrEqual(1);
    expect(readFileSync(outFile, 'latin1')).toBe(`/unreal/unreal/outer${d}/f\n`);
  }, 120_000);

  it('as nobody through a directory only root may search: EACCES from every call in C++, as natively (the identity holds during the call)', async () => {
    // Calls without side effects check the tracee's identity when it is given back (tracee.h,
    // CHECK_AFTER): it must have been in force while they ran, or root's answers would show.
    const d = path.join(dir, 'locked');
    const names = tree(d);
    chmodSync(dir, 0o755);
    chmodSync(d, 0o700);
    const paths = names.map((n) => path.join(d, n));
    const native = await run(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), NATIVECALLS, ...paths]);
    expect(native.code).toBe(0);
    const answers = native.stdout.split('\n').filter((l) => l !== '');
    expect(answers.length).toBeGreaterThan(20);
    for (const l of answers) expect(l).toMatch(/^[a-z0-9]+: EACCES$/);
    const planned = await under([strip('/strip')], paths.map((p) => `/strip${p}`), true);
    expect(planned.stats.native).toBe(plannedCalls(paths));
    expect(planned.stdout).toBe(native.stdout);
    // As root the same calls succeed, in C++ as natively: what the identity changed.
    const rootNative = await run(NATIVECALLS, paths);
    const root = await under([strip('/strip')], paths.map((p) => `/strip${p}`));
    expect(root.stdout).toMatch(/^lstat: OK /m);
    expect(root.stdout).toBe(rootNative.stdout);
  });

  it('two tracees of different uids interleaving their calls: each answered as itself, in C++ as natively (ids kept between calls are only ever the caller\'s)', async () => {
    // The receiving thread keeps a tracee's fsuid/fsgid/groups after its call for the next call of
    // the same ids (tracee.h, KeepIdentityOnThisThread). Two tracees, nobody and daemon (uid 1),
    // each with a directory only it may search, each making every planned call on both
    // directories' files, five times, at the same time: any call answered with the other's ids
    // (or root's) shows as an answer that differs from the native one.
    const d = path.join(dir, 'two-uids');
    mkdirSync(d, { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(d, 0o755);
    const users = [65534, 1];
    for (const u of users) {
      const own = path.join(d, `u${u}`);
      mkdirSync(own, { mode: 0o700 });
      writeFileSync(path.join(own, 'file'), `${u}\n`, { mode: 0o600 });
      execFileSync('chown', ['-R', `${u}:${u}`, own]);
    }
    // Files only: the directories change while the other tracee creates and removes names in them.
    const paths = users.map((u) => path.join(d, `u${u}`, 'file'));
    const as = (u: number) => ['setpriv', `--reuid=${u}`, `--regid=${u}`, '--clear-groups', '--'];
    const native = new Map<number, string>();
    for (const u of users) {
      const r = await run('setpriv', [...as(u).slice(1), NATIVECALLS, ...paths]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^stat: EACCES$/m); // the other's directory
      expect(r.stdout).toMatch(/^open: OK .* uid=/m); // its own file
      native.set(u, r.stdout);
    }
    expect(native.get(65534)).not.toBe(native.get(1));
    const rounds = 5;
    // unreal: its calls may use the identity cache (it sees the credential changes), and only those
    // keep ids between calls (the others read the identity from /proc, as the supervisor).
    const loops = users.map((u) => `for i in 1 2 3 4 5; do ${as(u).join(' ')} ${NATIVECALLS} ${paths.map((p) => `/unreal${p}`).join(' ')} > ${d}/out-${u}-$i; done`);
    const sup = supervise({ command: 'sh', args: ['-c', `(${loops[0]}) & (${loops[1]}) & wait`], engines: [new UnrealEngine(loadBinding())] });
    expect(await sup.done).toMatchObject({ code: 0 });
    const stats = sup.pumpStats()!;
    expect(stats.native).toBe(2 * rounds * plannedCalls(paths));
    expect(stats.nativeOnThread).toBeGreaterThan(0);
    for (const u of users) {
      for (let i = 1; i <= rounds; i++) expect(readFileSync(path.join(d, `out-${u}-${i}`), 'latin1').split('\n'), `uid ${u}, round ${i}`).toEqual(native.get(u)!.split('\n'));
    }
  });
});
