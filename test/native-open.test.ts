// The mapped open's whole-path lookup (addon/src/emulate/open_as.cc, WholePathOpen): an absolute
// path is opened by one openat2 from the tracee's root as the tracee, refusing symlinks, magic links
// and mount crossings (the walk decides those), with the name looked at first only where the open
// could reach a FIFO, device or socket, which the supervisor never opens itself. Checked
// differentially, natively against unreal's native plans (C++) and the JS chain, as root and as
// nobody: symlinks in the middle and at the end (relative, and naming the view), `..`, trailing
// slashes, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_PATH, a FIFO and a device at the name, mount
// crossings, procfs, directories nobody may not search. And a FIFO's waiting writer stays waiting,
// a blocking open of a FIFO waits for its other end, as natively.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { supervise, type Engine } from '../src/index.js';
import { loadBinding } from '../src/native/load.js';
import { NATIVE_CALLS } from '../src/chain/emulate/native.js';
import { UnrealEngine } from '../src/engines/unreal/unreal.js';
import { run } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-native-open-'));
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
  rmSync(dir, { recursive: true, force: true });
});
/** The system's python (a user's shim may be out of nobody's reach). */
const PYTHON = '/usr/bin/python3';
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

// Opens each path (argv[2:], prefixed by argv[1]) with each flag set; one line each: the errno's
// name, or the file's type, inode (0 for a file the call created, then removed), F_GETFL and first
// bytes. The file's own process's comm for procfs.
const OPENS = `
import errno, fcntl, os, stat, sys
pre = sys.argv[1]
F = os
flagsets = [
  ('rd', F.O_RDONLY), ('rd|nofollow', F.O_RDONLY | F.O_NOFOLLOW), ('dir', F.O_RDONLY | F.O_DIRECTORY),
  ('dir|nofollow', F.O_RDONLY | F.O_DIRECTORY | F.O_NOFOLLOW), ('path', F.O_PATH), ('path|nofollow', F.O_PATH | F.O_NOFOLLOW),
  ('wr|creat', F.O_WRONLY | F.O_CREAT), ('wr|creat|excl', F.O_WRONLY | F.O_CREAT | F.O_EXCL),
  ('rd|nonblock', F.O_RDONLY | F.O_NONBLOCK), ('wr|nonblock', F.O_WRONLY | F.O_NONBLOCK),
]
for name in sys.argv[2:]:
    p = (pre + name).replace('PID', str(os.getpid()))
    for label, fl in flagsets:
        # A FIFO opened blocking waits for its other end: those opens are the other tests'.
        if name.endswith('fifo') and not fl & (F.O_NONBLOCK | F.O_PATH | F.O_DIRECTORY | F.O_EXCL): continue
        try:
            existed = os.path.exists(p)
            fd = os.open(p, fl, 0o640)
        except OSError as e:
            print(name, label, errno.errorcode[e.errno]); continue
        st = os.fstat(fd)
        head = b''
        if stat.S_ISREG(st.st_mode) and not fl & (F.O_WRONLY | F.O_PATH): head = os.pread(fd, 8, 0)
        if stat.S_ISCHR(st.st_mode) and not fl & (F.O_WRONLY | F.O_PATH): head = os.read(fd, 8)
        # Inode numbers of procfs differ between processes.
        ino = st.st_ino if existed and not p.startswith(pre + '/proc/') else 0
        print(name, label, 'OK', stat.filemode(st.st_mode), ino, hex(fcntl.fcntl(fd, fcntl.F_GETFL)), head)
        os.close(fd)
        if not existed and os.path.exists(p): os.unlink(os.path.realpath(p))
`;

/** A tree in `d`: files, directories, symlinks (relative, absolute naming the view, dangling), a FIFO, a device, a directory only root may search. */
function tree(d: string): string[] {
  mkdirSync(path.join(d, 'dir', 'inner'), { recursive: true });
  writeFileSync(path.join(d, 'file'), 'data\n', { mode: 0o644 });
  writeFileSync(path.join(d, 'dir', 'inner', 'deep'), 'deep\n', { mode: 0o644 });
  writeFileSync(path.join(d, 'secret'), 'root\n', { mode: 0o600 });
  symlinkSync('file', path.join(d, 'link'));
  symlinkSync('dir', path.join(d, 'mid'));
  symlinkSync(`/unreal${d}/dir`, path.join(d, 'viewdir'));
  symlinkSync('made', path.join(d, 'dangling'));
  execFileSync('mkfifo', ['-m', '666', path.join(d, 'fifo')]);
  execFileSync('mknod', [path.join(d, 'null'), 'c', '1', '3']);
  chmodSync(path.join(d, 'null'), 0o666);
  mkdirSync(path.join(d, 'locked'), { mode: 0o700 });
  writeFileSync(path.join(d, 'locked', 'in'), 'in\n', { mode: 0o644 });
  mkdirSync(path.join(d, 'w'), { mode: 0o777 });
  chmodSync(path.join(d, 'w'), 0o777);
  chmodSync(d, 0o755);
  return [
    'file', 'dir', 'dir/', 'file/', 'link', 'link/', 'mid/inner/deep', 'mid/inner/../inner/deep', 'dir/inner/../../file', 'dir/../../../..' + d + '/file',
    'nope', 'nope/x', 'file/x', 'dangling', 'w/new', 'w/new/', 'fifo', 'null', 'secret', 'locked/in', 'locked/../file', 'locked/nope',
  ].map((n) => `${d}/${n}`).concat(['/dev/null', '/dev/shm', '/proc/PID/comm', '/proc/self/comm', '/proc/PID/fd', `/proc/${process.pid}/maps`, '/', '/..']);
}

/** OPENS on `paths` under `engines` (as nobody, or root): its output and the pump's counters. */
async function under(engines: Engine[], pre: string, paths: readonly string[], nobody: boolean) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const as = nobody ? AS_NOBODY.join(' ') : '';
  const sup = supervise({ command: 'sh', args: ['-c', `p="$1"; shift; exec ${as} ${PYTHON} -c "$p" "$@" > ${out}`, 'sh', OPENS, pre, ...paths], engines });
  expect(await sup.done).toMatchObject({ code: 0 });
  return { stdout: readFileSync(out, 'latin1'), stats: sup.pumpStats()! };
}

/** An engine without a plan (every call of the table to JS). */
const observer = (): Engine => ({ name: 'observer', interests: Object.keys(NATIVE_CALLS).map((syscall) => ({ syscall })), handle: (_call, next) => next() });

/** /proc/PID/wchan, or '' once the process is gone. */
function wchan(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/wchan`, 'latin1');
  } catch {
    return '';
  }
}

/** Whether a thread of this process (the supervisor's) waits in a FIFO's open. */
function supervisorInFifoOpen(): boolean {
  return readdirSync('/proc/self/task').some((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/wchan`, 'latin1') === 'wait_for_partner';
    } catch {
      return false;
    }
  });
}

/** Resolves once `pid` waits in `wait_for_partner` (for the other end), is gone (''), or a thread of the supervisor waits there ('supervisor'). */
async function inFifoOpen(pid: number): Promise<string> {
  for (;;) {
    const w = wchan(pid);
    if (w === '' || w === 'wait_for_partner') return w;
    if (supervisorInFifoOpen()) return 'supervisor';
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the mapped open, whole path', () => {
  for (const nobody of [false, true]) {
    it(`as ${nobody ? 'nobody' : 'root'}: every open answers as natively, in C++ and in JS (symlinks, .., trailing slashes, O_CREAT/O_EXCL/O_NOFOLLOW/O_DIRECTORY/O_PATH, FIFO, device, mounts, procfs, permissions)`, async () => {
      const d = path.join(dir, nobody ? 'nobody' : 'root');
      mkdirSync(d);
      chmodSync(dir, 0o755);
      const paths = tree(d);
      const py = [PYTHON, '-c', OPENS, '', ...paths];
      const native = nobody ? await run(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), ...py]) : await run(py[0]!, py.slice(1));
      expect(native.code, native.stderr).toBe(0);
      // The cases mean what they say (natively).
      expect(native.stdout).toMatch(/\/dir\/inner\/\.\.\/\.\.\/file rd OK -rw-r--r-- \d+ .* b'data\\n'$/m);
      expect(native.stdout).toMatch(/\/mid\/inner\/deep rd OK .* b'deep\\n'$/m);
      expect(native.stdout).toMatch(/\/link rd\|nofollow ELOOP$/m);
      expect(native.stdout).toMatch(/\/link wr\|creat\|excl EEXIST$/m);
      expect(native.stdout).toMatch(/\/file\/ rd ENOTDIR$/m);
      expect(native.stdout).toMatch(/\/w\/new\/ wr\|creat EISDIR$/m);
      expect(native.stdout).toMatch(/\/w\/new wr\|creat\|excl OK -rw-r----- 0 /m);
      expect(native.stdout).toMatch(/\/fifo wr\|nonblock ENXIO$/m);
      expect(native.stdout).toMatch(/\/fifo dir ENOTDIR$/m);
      expect(native.stdout).toMatch(/\/null rd OK crw-rw-rw- /m);
      expect(native.stdout).toMatch(/^\/proc\/PID\/comm rd OK .* b'python3\\n'$/m);
      expect(native.stdout).toMatch(nobody ? /\/locked\/in rd EACCES$/m : /\/locked\/in rd OK /m);
      expect(native.stdout).toMatch(nobody ? /\/secret rd EACCES$/m : /\/secret rd OK /m);
      // The supervisor's own procfs entries (here this process's): only it may read its maps
      // (ptrace_may_access lets a thread group read its own): the kernel must open them.
      expect(native.stdout).toMatch(nobody ? /\/maps rd EACCES$/m : /\/maps rd OK /m);

      const planned = await under([new UnrealEngine(loadBinding())], '/unreal', paths, nobody);
      expect(planned.stdout).toBe(native.stdout);
      expect(planned.stats.native).toBeGreaterThan(50);
      expect(planned.stats.lostFds).toBe(0);
      const js = await under([new UnrealEngine(loadBinding()), observer()], '/unreal', paths, nobody);
      expect(js.stats.native).toBe(0);
      expect(js.stdout).toBe(native.stdout);

      // Through the view's own symlink (an absolute target naming /unreal: dangling natively), in
      // the middle and at the end: C++ as JS.
      const view = [`${d}/viewdir/inner/deep`, `${d}/viewdir`, `${d}/viewdir/`, `${d}/viewdir/../file`];
      const a = await under([new UnrealEngine(loadBinding())], '/unreal', view, nobody);
      const b = await under([new UnrealEngine(loadBinding()), observer()], '/unreal', view, nobody);
      expect(a.stdout).toBe(b.stdout);
      expect(a.stdout).toMatch(/\/viewdir\/inner\/deep rd OK .* b'deep\\n'$/m);
      expect(a.stdout).toMatch(/\/viewdir dir OK d/m);
    }, 120_000);
  }

  it('a blocking open of a FIFO through the view waits for its other end, as natively; a writer waiting in open is not released by opens that do not open it', async () => {
    const d = path.join(dir, 'fifo');
    mkdirSync(d);
    const f1 = path.join(d, 'f1');
    const f2 = path.join(d, 'f2');
    execFileSync('mkfifo', [f1, f2]);
    // A writer waiting for a reader of f2.
    const writer = spawn('sh', ['-c', `echo late > ${f2}`], { stdio: 'ignore' });
    cleanups.push(() => writer.kill());
    expect(await inFifoOpen(writer.pid!)).toBe('wait_for_partner');
    // The tracee: opens of f2 that never open it (O_DIRECTORY, O_CREAT|O_EXCL, O_PATH), and one with
    // O_NONBLOCK for writing (ENXIO: the waiting writer is no reader); then a blocking open of f1
    // for writing, which must wait for a reader (the supervisor's own O_NONBLOCK open would give
    // ENXIO), then writes to it.
    const py = `
import os, sys, errno
pre, f1, f2 = sys.argv[1], sys.argv[2], sys.argv[3]
for label, fl in [('dir', os.O_RDONLY | os.O_DIRECTORY), ('excl', os.O_RDONLY | os.O_CREAT | os.O_EXCL), ('path', os.O_PATH), ('wr|nonblock', os.O_WRONLY | os.O_NONBLOCK)]:
    try:
        fd = os.open(pre + f2, fl, 0o600); print(label, 'OK'); os.close(fd)
    except OSError as e: print(label, errno.errorcode[e.errno])
print('ready', flush=True)
try:
    fd = os.open(pre + f1, os.O_WRONLY); os.write(fd, b'hello\\n'); os.close(fd); print('f1 OK')
except OSError as e: print('f1', errno.errorcode[e.errno])
`;
    const out = path.join(d, 'out');
    const pidFile = path.join(d, 'pid');
    const sup = supervise({ command: 'sh', args: ['-c', `echo $$ > ${pidFile}; exec ${PYTHON} -c "$1" /unreal ${f1} ${f2} > ${out}`, 'sh', py], engines: [new UnrealEngine(loadBinding())] });
    const read = (f: string) => {
      try {
        return readFileSync(f, 'latin1');
      } catch {
        return '';
      }
    };
    const tick = () => new Promise((r) => setTimeout(r, 20));
    while (!read(out).includes('ready\n')) await tick();
    const pid = Number(read(pidFile).trim());
    // The tracee's open of f1 is under way: it waits in the kernel for a reader, or (the fallback's
    // restart at the rewrite's stop, see rewrite.cc) its call comes back again and again; or it
    // answered (a wrong ENXIO), or a supervisor's thread waits in the FIFO's open itself.
    const at = sup.pumpStats()!.received;
    let waited = '';
    for (;;) {
      const w = wchan(pid);
      if (w === 'wait_for_partner' || sup.pumpStats()!.received >= at + 3) waited = 'tracee';
      else if (w === '' || read(out) !== 'dir ENOTDIR\nexcl EEXIST\npath OK\nwr|nonblock ENXIO\nready\n') waited = 'answered';
      else if (supervisorInFifoOpen()) waited = 'supervisor';
      if (waited !== '') break;
      await tick();
    }
    // A reader that waits for nothing (O_NONBLOCK): the tracee's open then succeeds; what it wrote
    // stays in the pipe while the reader is open.
    const reader = openSync(f1, constants.O_RDONLY | constants.O_NONBLOCK);
    expect(await sup.done).toMatchObject({ code: 0 });
    const got = Buffer.alloc(64);
    let n = 0;
    try {
      n = readSync(reader, got);
    } catch {
      n = 0;
    }
    closeSync(reader);
    expect(waited).toBe('tracee');
    expect(got.subarray(0, n).toString()).toBe('hello\n');
    expect(read(out)).toBe('dir ENOTDIR\nexcl EEXIST\npath OK\nwr|nonblock ENXIO\nready\nf1 OK\n');
    // The writer still waits for its reader.
    expect(wchan(writer.pid!)).toBe('wait_for_partner');
    const late = await run('cat', [f2]);
    expect(late.stdout).toBe('late\n');
  }, 60_000);
});
