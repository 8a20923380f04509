// Differential transparency suite for `unreal`: each script runs natively on real paths, then through
// /unreal and /unreal/unreal (one `-e unreal`) and through /unreal/unreal/unreal (a nested
// `sysvisor run -e unreal -- sysvisor run -e unreal`), as root and as nobody, each run on a fresh
// copy of the same tree. Output, exit status, errnos (printed by name by `pathop`, which makes the
// calls raw) and the resulting tree must be identical once the paths themselves are named alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CLI, ROOT, run, runArgs, usedTransport, type RunResult } from './helpers.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
// `run` over the transport useTransport chose (unreal-transparency.ptrace.test.ts), in every mode.
const UNREAL = [process.execPath, CLI, ...runArgs(), '-e', 'unreal', '--'];

interface Mode {
  label: string;
  /** The prefix that names the real / in this mode. */
  P: string;
  wrap: string[];
}

const MODES: Mode[] = [
  { label: 'native', P: '', wrap: [] },
  { label: '-e unreal, /unreal', P: '/unreal', wrap: UNREAL },
  { label: '-e unreal, /unreal/unreal', P: '/unreal/unreal', wrap: UNREAL },
  { label: 'nested runs, /unreal/unreal/unreal', P: '/unreal/unreal/unreal', wrap: [...UNREAL, ...UNREAL] },
];

let work: string; // one scratch tree per run
let bin: string; // compiled helpers
let n = 0;

/**
 * The tree as comparable lines: name, type, permissions, owner, and size, target or content. Names
 * and targets are bytes (byte strings: one char per byte), so `x\xe9` and `x\xff` stay apart.
 */
function snapshot(root: string, names: (s: string) => string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const p = Buffer.from(path.join(root, rel), 'latin1');
    const st = lstatSync(p);
    const perm = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} link ${perm} ${st.uid} -> ${names(readlinkSync(p, 'latin1'))}`);
    else if (st.isFile()) out.push(`${rel} file ${perm} ${st.uid} ${createHash('sha1').update(readFileSync(p)).digest('hex').slice(0, 12)}`);
    else if (st.isDirectory()) {
      out.push(`${rel || '.'} dir ${perm} ${st.uid}`);
      for (const e of readdirSync(p, 'latin1').sort()) walk(path.join(rel, e));
    } else out.push(`${rel} other ${perm} ${st.uid}`);
  };
  walk('');
  return out;
}

interface Outcome extends RunResult {
  tree: string[];
}

/**
 * Runs `script(W, P, T)` (W: a fresh copy of the tree made by `setup`, seen through P; T: the
 * helpers' directory) in every mode, as root and as nobody, and expects what the native run gave.
 */
async function differential(
  setup: (W: string, asNobody: boolean) => void,
  script: (W: string, P: string, T: string) => string,
  /** What a virtualized run must give instead of the native outcome, for an intended difference. */
  intended: (native: Outcome) => Outcome = (o) => o,
): Promise<Record<string, Outcome>> {
  const natives: Record<string, Outcome> = {};
  for (const [user, as] of [['root', []], ['nobody', NOBODY]] as const) {
    let native: Outcome | undefined;
    for (const mode of MODES) {
      const W = path.join(work, `t${++n}`);
      mkdirSync(W);
      setup(W, user === 'nobody');
      const names = (s: string) => s.split(mode.P + W).join('W').split(W).join('W').split(`${mode.P}/..`).join('/..');
      const r = await run(mode.wrap[0] ?? as[0] ?? 'sh', [...mode.wrap, ...as, 'sh', '-c', script(mode.P + W, mode.P, bin)].slice(1));
      const got: Outcome = { code: r.code, signal: r.signal, stdout: names(r.stdout), stderr: names(r.stderr), tree: snapshot(W, names) };
      if (!native) native = natives[user] = got;
      else expect({ mode: mode.label, user, ...got }).toEqual({ mode: mode.label, user, ...intended(native) });
    }
  }
  return natives;
}

/** W/x: a file, directories, symlinks (to a dir, a file, `.`, `..`, a loop), and a directory only root may search. */
function tree(W: string, asNobody: boolean): void {
  const x = path.join(W, 'x');
  mkdirSync(path.join(x, 'd'), { recursive: true });
  mkdirSync(path.join(x, 'empty'));
  mkdirSync(path.join(x, 'nx'));
  writeFileSync(path.join(x, 'file'), 'file\n');
  writeFileSync(path.join(x, 'd', 'inner'), 'inner\n');
  writeFileSync(path.join(x, 'nx', 'f'), 'f\n');
  for (const [name, target] of [['dot', '.'], ['up', '..'], ['dl', 'd'], ['fl', 'file'], ['a', 'b'], ['b', 'a'], ['abs', path.join(x, 'd')], ['none', 'missing']])
    execFileSync('ln', ['-s', target!, path.join(x, name!)]);
  if (asNobody) execFileSync('chown', ['-R', '65534:65534', W]);
  chmodSync(path.join(x, 'nx'), 0o700);
  chownSync(path.join(x, 'nx'), 0, 0);
}

beforeAll(() => {
  work = mkdtempSync('/tmp/unreal-diff-');
  bin = mkdtempSync('/tmp/unreal-diff-bin-');
  chmodSync(work, 0o755);
  chmodSync(bin, 0o755);
  // test/programs/pathop.c and uring.c, built by its Makefile; copied where nobody may run them.
  for (const name of ['pathop', 'uring', 'execid']) {
    copyFileSync(path.join(ROOT, 'test', 'build', name), path.join(bin, name));
    chmodSync(path.join(bin, name), 0o755);
  }
});

afterAll(() => {
  for (const d of [work, bin]) if (d) rmSync(d, { recursive: true, force: true });
});

/** One `sysvisor run -e ENGINE -- sh -c SCRIPT` (no nesting), as root. */
async function once(engine: string, script: string): Promise<RunResult> {
  return run(process.execPath, [CLI, ...runArgs(), '-e', engine, '--', 'sh', '-c', script]);
}

const dots = (k: number) => 'dot/'.repeat(k);

describe('unreal transparency: paths resolve as the kernel resolves them', () => {
  it('every component before .. must exist and be a directory (or a symlink to one)', async () => {
    const r = await differential(tree, (W, P, T) => `
${T}/pathop stat ${W}/x/nonexist/../file stat ${W}/x/file/../file lstat ${W}/x/d/../file stat ${W}/x/dl/../file stat ${W}/x/fl/../file \
  stat ${W}/x/none/../file stat ${W}/x/up/../x/file stat ${W}/x/d/inner/../../file stat ${W}/x/abs/../file stat ${W}/x/nx/../file \
  stat ${W}/x/nx/f/../f stat ${W}/x/d/../unreal stat ${P}/..${W.slice(P.length)}/x/file stat ${W}/x/d/..
${T}/pathop creat ${W}/x/nonexist/../new1 creat ${W}/x/file/../new2 creat ${W}/x/d/../new3 mkdir ${W}/x/nonexist/../nd mkdir ${W}/x/d/../nd2 \
  symlink t ${W}/x/nonexist/../sl symlink t ${W}/x/dl/../sl2
${T}/pathop rmdir ${W}/x/d/.. rmdir ${W}/x/d/../empty/. unlink ${W}/x/d/.. mkdir ${W}/x/d/.. rmdir ${W}/x/nd2/../empty
${T}/pathop rename ${W}/x/nonexist/../file ${W}/x/moved rename ${W}/x/d/../file ${W}/x/nonexist/../moved rename ${W}/x/d/../file ${W}/x/d/../moved
${T}/pathop chdir ${W}/x/nonexist/.. chdir ${W}/x/moved/.. chdir ${W}/x/d/.. chdir ${W}/x/nx/..
echo hi > ${W}/x/nonexist/../new; echo "rc=$?"
ls ${W}/x/moved/..; echo "rc=$?"
cat ${W}/x/nonexist/../moved; echo "rc=$?"
`);
    // What the kernel says natively, so the comparison above cannot pass by both being lexical.
    expect(r.root!.stdout).toContain('stat W/x/nonexist/../file: ENOENT');
    expect(r.root!.stdout).toContain('stat W/x/file/../file: ENOTDIR');
    expect(r.root!.stdout).toContain('rmdir W/x/d/..: ENOTEMPTY');
    expect(r.nobody!.stdout).toContain('stat W/x/nx/../file: EACCES');
    expect(r.root!.stdout).toContain('stat W/x/nx/../file: OK file');
    expect(r.root!.stdout).toContain('creat W/x/d/../new3: OK');
  });

  it('ELOOP after 40 symlinks, loops included', async () => {
    const r = await differential(tree, (W, _P, T) => `
${T}/pathop stat ${W}/x/a/../file stat ${W}/x/a/d/../file lstat ${W}/x/a/.. \
  stat ${W}/x/${dots(40)}../x/file stat ${W}/x/${dots(41)}../x/file stat ${W}/x/${dots(20)}../x/${dots(21)}file stat ${W}/x/${dots(20)}../x/${dots(20)}file \
  creat ${W}/x/${dots(41)}../new mkdir ${W}/x/${dots(41)}../nd creat ${W}/x/${dots(40)}../new40 \
  chdir ${W}/x/${dots(40)} chdir ${W}/x/${dots(41)} chdir ${W}/x/a
cd ${W}/x/${dots(41)}; echo "rc=$?"
`);
    expect(r.root!.stdout).toContain(`stat W/x/${dots(41)}../x/file: ELOOP`);
    expect(r.root!.stdout).toContain(`stat W/x/${dots(40)}../x/file: OK file`);
    expect(r.root!.stdout).toContain('stat W/x/a/../file: ELOOP');
  });
});

describe('unreal transparency: extended attribute arguments', () => {
  it('setxattr, getxattr, removexattr (and their l* forms) check their flags, the name, the size and the value before the lookup, as the kernel does', async () => {
    const r = await differential(tree, (W, _P, T) => `
${T}/pathop xattrerr ${W}/x/nonexist/y xattrerr ${W}/x/file xattrerr ${W}/x/fl xattrerr ${W}/x/nx/f
`);
    // The kernel's order (setxattr_copy, import_xattr_name): these come before the ENOENT of the lookup.
    for (const [what, errno] of [['setxattr-flags', 'EINVAL'], ['setxattr-empty', 'ERANGE'], ['lsetxattr-256', 'ERANGE'], ['setxattr-e2big', 'E2BIG'],
      ['setxattr-value', 'EFAULT'], ['setxattr-name', 'EFAULT'], ['getxattr-256', 'ERANGE'], ['lgetxattr-empty', 'ERANGE'], ['lremovexattr-empty', 'ERANGE']])
      expect(r.root!.stdout).toContain(`xattrerr-${what} W/x/nonexist/y: ${errno}`);
    expect(r.root!.stdout).toContain('xattrerr-setxattr-255 W/x/nonexist/y: ENOENT');
    expect(r.root!.stdout).toContain('xattrerr-setxattr-255 W/x/file: ENODATA');
    expect(r.nobody!.stdout).toContain('xattrerr-setxattr-255 W/x/nx/f: EACCES');
  });
});

describe('unreal transparency: O_PATH opens', () => {
  it('cp, mv, install and ln into an existing directory named by an absolute path; O_PATH fds work', async () => {
    const r = await differential(tree, (W, _P, T) => `
cd ${W} && mkdir d2 d3 && echo two > d2/f
cp ${W}/x/file ${W}/x/d; echo "cp rc=$?"
mv ${W}/d2 ${W}/x/empty; echo "mv rc=$?"
mv d3 ${W}/x/empty/; echo "mv/ rc=$?"
mkdir ${W}/x/nd && install -m 640 ${W}/x/file ${W}/x/nd; echo "install rc=$?"
ln ${W}/x/d/inner ${W}/x/empty; echo "ln rc=$?"
ln -s ../fl ${W}/x/d; echo "ln -s rc=$?"
${T}/pathop opath ${W}/x/file opathdir ${W}/x/d opathdir ${W}/x/file opath ${W}/x/none opath ${W}/x/missing opathat ${W}/x/d inner opath ${W}/x/d/../fl
`);
    // Natively mv moves d2 INTO the empty directory (it does not replace it).
    expect(r.root!.tree.filter((l) => l.startsWith('x/empty/d'))).toEqual(['x/empty/d2 dir 755 0', expect.stringMatching(/^x\/empty\/d2\/f file 644 0 /), 'x/empty/d3 dir 755 0']);
    expect(r.root!.stdout).toContain('opathdir W/x/d: OK dir O_PATH');
    expect(r.root!.stdout).toContain('opathat inner: OK inner');
  });
});

describe('unreal transparency: absolute paths with a real dirfd', () => {
  it('every *at call but a plain open or stat maps an absolute /unreal path whatever its dirfd; tar -xP -C', async () => {
    const r = await differential(tree, (W, _P, T) => `
cd ${W}/x/d
${T}/pathop renameat ${W}/x/file ${W}/x/moved linkat ${W}/x/moved ${W}/x/hard symlinkat t ${W}/x/sl mkdirat ${W}/x/md mknodat ${W}/x/fifo \
  readlinkat ${W}/x/abs faccessat ${W}/x/moved faccessat2 ${W}/x/nx/f fchmodat ${W}/x/hard fchownat ${W}/x/sl utimensat ${W}/x/md \
  futimens ${W}/x/moved creatat ${W}/x/new opathat1 ${W}/x/dl unlinkat ${W}/x/hard rmdirat ${W}/x/empty renameat ${W}/x/missing ${W}/x/m2
tar -cPf ${W}/a.tar ${W}/x/d ${W}/x/moved && rm -r ${W}/x/d ${W}/x/moved && mkdir ${W}/c && tar -xPf ${W}/a.tar -C ${W}/c; echo "tar rc=$?"; rm ${W}/a.tar
`);
    // Natively the kernel ignores the dirfd for an absolute path (else this would not compare).
    expect(r.root!.stdout).toContain('renameat W/x/file: OK W/x/moved');
    expect(r.root!.stdout).toContain('readlinkat W/x/abs: OK W/x/d');
    expect(r.root!.stdout).toContain('tar rc=0');
    expect(r.root!.tree).toEqual(expect.arrayContaining(['x/fifo other 644 0', 'x/md dir 755 0', 'x/sl link 777 0 -> t']));
    expect(r.root!.tree.some((l) => l.startsWith('x/moved file 600 0 '))).toBe(true);
  });
});

describe('unreal transparency: #! interpreters under /unreal', () => {
  it('scripts run with argv as binfmt_script builds it, nested interpreters up to the kernel depth, its errnos', async () => {
    const r = await differential(tree, (W, P, T) => {
      const real = W.slice(P.length); // the same directory named without the view (natively W)
      const mk = (name: string, line: string, body = '') => `printf '%s\\n%s\\n' "${line}" '${body}' > ${name} && chmod +x ${name}`;
      return `
cd ${W}
${mk('s1', `#!${P}/bin/sh`, 'echo "s1: 0=$0 args=$*"')}
${mk('s2', `#!${P}/usr/bin/printf [%s]`)}
${mk('s3', `#!  ${P}/usr/bin/printf \t%s %s|\t `)}
${mk('s4', `#!${W}/s1 -x`)}
${mk('m1', `#!${real}/s1`)}
${mk('r1', '#!/bin/sh', `[ "$0" = "${W}/r1" ] && echo "r1: 0 is the path as given" || echo "r1: 0=$0"`)}
${mk('bad', `#!${P}/nonexistent/sh`)}
${mk('noexec', `#!${W}/x/file`)}
${mk('empty', '#!   ')}
${mk('c0', `#!${P}/bin/sh`, 'echo "c0: $0 $*"')}
for i in 1 2 3 4 5 6; do ${mk('c$i', `#!${W}/c$((i-1)) a$i`)}; done
printf '#!${P}/bin/sh\\necho hidden\\n' > plain
./s1 a 'b c'; echo "rc=$?"
${W}/s1 a; echo "rc=$?"
./s2 a b; echo " rc=$?"
./s3 a b; echo " rc=$?"
./s4 a; echo "rc=$?"
./m1 a; echo "rc=$?"
PATH=${W}:$PATH s1 via-path; echo "rc=$?"
${W}/r1; ./r1
for s in s1 s4 bad noexec empty plain c4 c5 c6; do ${T}/pathop exec ./$s; done
rm s1 s2 s3 s4 m1 r1 bad noexec empty plain c0 c1 c2 c3 c4 c5 c6
`;
    });
    // What the kernel does natively, so that the comparison cannot pass by both failing alike.
    expect(r.root!.stdout).toContain("s1: 0=./s1 args=a b c\nrc=0");
    expect(r.root!.stdout).toContain('[./s2][a][b] rc=0');
    expect(r.root!.stdout.split('\n')).toContain('./s3 a|b | rc=0');
    expect(r.root!.stdout).toContain('s1: 0=W/s1 args=-x ./s4 a');
    expect(r.root!.stdout).toContain('r1: 0 is the path as given\nr1: 0=./r1');
    expect(r.root!.stdout).toContain('exec ./bad: ENOENT');
    expect(r.root!.stdout).toContain('exec ./noexec: EACCES');
    expect(r.root!.stdout).toContain('exec ./empty: ENOEXEC');
    expect(r.root!.stdout).toContain('exec ./plain: EACCES');
    expect(r.root!.stdout).toContain('c0: W/c0 a1 W/c1 a2 W/c2 a3 W/c3 a4 ./c4 x');
    expect(r.root!.stdout).toContain('exec ./c5: ELOOP');
  });
});

describe('unreal transparency: execute-only #! scripts', () => {
  it('a mode 0111 script runs as natively: its interpreter (under the view or not) starts, and reads it as root; as nobody it fails to read it as natively', async () => {
    const r = await differential(tree, (W, P) => `
printf '#!${P}/bin/sh\\necho ran "$0" "$@"\\n' > ${W}/xo && chmod 0111 ${W}/xo
printf '#!/bin/sh\\necho plain "$0" "$@"\\n' > ${W}/xp && chmod 0111 ${W}/xp
${W}/xo a 'b c' 2>/dev/null; echo "rc=$?"
${W}/xp a 2>/dev/null; echo "rc=$?"
rm ${W}/xo ${W}/xp
`);
    expect(r.root!.stdout).toBe('ran W/xo a b c\nrc=0\nplain W/xp a\nrc=0\n');
    expect(r.nobody!.stdout).toBe('rc=2\nrc=2\n');
    // The paths exactly: $0 is the script's path as given.
    const W = path.join(work, `t${++n}`);
    mkdirSync(W);
    writeFileSync(`${W}/xo`, '#!/unreal/bin/sh\necho ran "$0"\n', { mode: 0o111 });
    for (const P of ['/unreal', '/unreal/unreal']) {
      const r1 = await once('unreal', `${P}${W}/xo; ${W}/xo`);
      expect(r1.stdout).toBe(`ran ${P}${W}/xo\nran ${W}/xo\n`);
    }
  });
});

describe('unreal transparency: #! scripts by execveat with a real dirfd', () => {
  it('the script is named /dev/fd/N/PATH as the kernel names it, and a close-on-exec dirfd is ENOENT', async () => {
    const py = path.join(bin, 'execveat.py');
    writeFileSync(py, `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
args = (ctypes.c_char_p * 4)(b'xs', b'a', b'b c', None)
env = (ctypes.c_char_p * 1)(None)
for inheritable in (False, True):
    os.set_inheritable(fd, inheritable)
    sys.stdout.flush()
    r = libc.syscall(322, fd, sys.argv[2].encode(), args, env, 0)
    print('execveat', inheritable, r, os.strerror(ctypes.get_errno()), flush=True)
`);
    const r = await differential(tree, (W, P) => `
printf '#!${P}/bin/sh\\necho ran "$0" "$@"\\n' > ${W}/xs && chmod 755 ${W}/xs
/usr/bin/python3 ${py} ${W} xs; echo "rc=$?"
/usr/bin/python3 ${py} ${W} none; echo "rc=$?"
rm ${W}/xs
`);
    expect(r.root!.stdout).toBe('execveat False -1 No such file or directory\nran /dev/fd/3/xs a b c\nrc=0\nexecveat False -1 No such file or directory\nexecveat True -1 No such file or directory\nrc=0\n');
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
  });
});

describe('unreal transparency: #! scripts by fexecve (execveat of the fd itself)', () => {
  it('a script opened through the view whose interpreter is under it runs by its fd, named /dev/fd/N; O_PATH fds, close-on-exec fds (ENOENT), programs, errnos', async () => {
    const py = path.join(bin, 'fexec.py');
    writeFileSync(py, `
import os, sys
flags = {'rd': os.O_RDONLY, 'path': os.O_PATH, 'cloexec': os.O_RDONLY}[sys.argv[1]]
try:
    fd = os.open(sys.argv[2], flags)
except OSError as e:
    print('open', os.strerror(e.errno), flush=True); sys.exit(1)
os.set_inheritable(fd, sys.argv[1] != 'cloexec')
try:
    os.execve(fd, ['x', 'a', 'b c'], {'PATH': '/usr/bin:/bin'})
except OSError as e:
    print('fexecve', sys.argv[1], os.strerror(e.errno), flush=True)
`);
    const r = await differential(tree, (W, P) => `
printf '#!${P}/bin/sh\necho ran "$0" "$@"\n' > ${W}/xs && chmod 755 ${W}/xs
printf '#!${W}/xs -i\n' > ${W}/xs2 && chmod 755 ${W}/xs2
cp /usr/bin/echo ${W}/echo
for m in rd path cloexec; do for f in xs xs2 echo x/file none; do /usr/bin/python3 ${py} $m ${W}/$f; echo "$m $f rc=$?"; done; done
chmod 644 ${W}/xs; /usr/bin/python3 ${py} rd ${W}/xs; echo "rc=$?"
chmod 755 ${W}/xs; cd ${W} && /usr/bin/python3 ${py} rd xs; echo "rc=$?"
rm ${W}/xs ${W}/xs2 ${W}/echo
`);
    const runs = (m: string) =>
      `ran /dev/fd/3 a b c\n${m} xs rc=0\nran W/xs -i /dev/fd/3 a b c\n${m} xs2 rc=0\na b c\n${m} echo rc=0\nfexecve ${m} Permission denied\n${m} x/file rc=0\nopen No such file or directory\n${m} none rc=1\n`;
    // A script by a close-on-exec fd is ENOENT (its interpreter could not open /dev/fd/N); a program is not.
    const cloexec = 'fexecve cloexec No such file or directory\ncloexec xs rc=0\nfexecve cloexec No such file or directory\ncloexec xs2 rc=0\na b c\ncloexec echo rc=0\n';
    const rest = 'fexecve cloexec Permission denied\ncloexec x/file rc=0\nopen No such file or directory\ncloexec none rc=1\n';
    expect(r.root!.stdout).toBe(`${runs('rd')}${runs('path')}${cloexec}${rest}fexecve rd Permission denied\nrc=0\nran /dev/fd/3 a b c\nrc=0\n`);
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
  });
});

describe('unreal transparency: symlinks naming /unreal', () => {
  it('a venv-like tree whose bin/python3 links into the view runs: by absolute and relative path, through a second link, as a #! interpreter', async () => {
    const r = await differential(tree, (W, P) => `
mkdir -p ${W}/venv/bin && ln -s ${P}/usr/bin/python3 ${W}/venv/bin/python3 && ln -s python3 ${W}/venv/bin/python && echo 'home = ${P}/usr/bin' > ${W}/venv/pyvenv.cfg
printf '%s\\n%s\\n' '#!${W}/venv/bin/python -u' 'import sys; print("tool", sys.argv, sys.prefix == "${W}/venv")' > ${W}/venv/bin/tool && chmod +x ${W}/venv/bin/tool
${W}/venv/bin/python -c 'import sys; print(sys.argv, sys.prefix == "${W}/venv")'; echo "rc=$?"
cd ${W}/venv/bin && ./python3 -c 'import sys; print("rel", sys.prefix == "${W}/venv")'; echo "rc=$?"
${W}/venv/bin/tool a 'b c'; echo "rc=$?"
cd ${W} && rm -r venv
`);
    expect(r.root!.stdout).toBe("['-c'] True\nrc=0\nrel True\nrc=0\ntool ['W/venv/bin/tool', 'a', 'b c'] True\nrc=0\n");
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
  });
});

describe('unreal transparency: symlinks naming /unreal in emulated calls', () => {
  it('stat, open, create, access and chmod follow a link (final or on the way) whose target names the view, as under a real /unreal', async () => {
    const r = await differential(tree, (W, P, T) => `
ln -s ${P}/etc/hostname ${W}/hl; ln -s hl ${W}/hl2; ln -s ${W}/x ${W}/xl; ln -s ${W}/nothere ${W}/dang
ln -s ${W}/xl ${W}/xl2; ln -s ${P}/ ${W}/root
${T}/pathop stat ${W}/hl stat ${W}/hl2 lstat ${W}/hl stat ${W}/xl/file stat ${W}/xl/d/inner stat ${W}/dang stat ${W}/xl2/d/inner stat ${W}/root${W.slice(P.length)}/x/file stat ${W}/xl/none/x
${T}/pathop open ${W}/hl open ${W}/xl/d/inner creat ${W}/xl/made creat ${W}/dang
cat ${W}/xl/file ${W}/xl2/d/inner; echo new > ${W}/xl/d/new && cat ${W}/x/d/new
test -r ${W}/xl/file && echo readable; chmod 600 ${W}/xl/file && ls -l ${W}/x/file | cut -c1-10
ls ${W}/xl/d; cd ${W}/xl/d && pwd && ls
cd / && rm ${W}/hl ${W}/hl2 ${W}/xl ${W}/xl2 ${W}/dang ${W}/root
`);
    expect(r.root!.stdout).toContain('stat W/hl: OK file\nstat W/hl2: OK file\nlstat W/hl: OK link\nstat W/xl/file: OK file\nstat W/xl/d/inner: OK file\nstat W/dang: ENOENT\nstat W/xl2/d/inner: OK file\nstat W/rootW/x/file: OK file\n');
    expect(r.root!.stdout).toContain('file\ninner\nnew\nreadable\n-rw-------\n');
  });
});

describe('unreal transparency: the cwd in procfs', () => {
  it('readlink of /proc/self/cwd and /proc/thread-self/cwd shows the cwd in the view, as getcwd does', async () => {
    const r = await differential(tree, (W, _P, T) => `
cd ${W}/x/d
for l in /proc/self/cwd /proc/thread-self/cwd; do [ "$(readlink $l)" = "${W}/x/d" ] && echo "$l same" || echo "$l differs: $(readlink $l)"; done
[ "$(${T}/pathop readlink /proc/self/cwd)" = "readlink /proc/self/cwd: OK ${W}/x/d" ] && echo raw same
ls -l /proc/self/cwd | grep -q -- "-> ${W}/x/d$" && echo "ls same"
`);
    expect(r.root!.stdout).toBe('/proc/self/cwd same\n/proc/thread-self/cwd same\nraw same\nls same\n');
  });
});

describe('unreal transparency: fchdir', () => {
  it('fchdir into a directory opened through the view (find -execdir, at any depth; python os.fchdir) gives the cwd its level; into a real one, none', async () => {
    const r = await differential(tree, (W, P) => `
mkdir -p ${W}/x/d/e/f && touch ${W}/x/d/e/f/g
find ${W}/x/d -execdir pwd \\;
cd ${W}/x && find d -name g -execdir /bin/pwd \\; && cd /
/usr/bin/python3 -c "
import os
os.chdir('/')
os.fchdir(os.open('${W}/x/d/e', os.O_RDONLY)); print(os.getcwd())
os.chdir('f'); print(os.getcwd())
os.fchdir(os.open('/tmp', os.O_RDONLY)); print(os.getcwd())
"
`);
    expect(r.root!.stdout).toBe('W/x\nW/x/d\nW/x/d\nW/x/d/e\nW/x/d/e/f\nW/x/d/e/f\nW/x/d/e\nW/x/d/e/f\n/tmp\n');
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
    // The comparison above names both the real and the /unreal path W: here the exact paths shown.
    const W = path.join(work, `t${++n}`);
    mkdirSync(path.join(W, 'a', 'b'), { recursive: true });
    for (const P of ['/unreal', '/unreal/unreal']) {
      // After `cd /unreal`, a real directory is not in the view for being below its root.
      const r1 = await once('unreal', `find ${P}${W}/a -execdir pwd \\;; find ${W}/a -execdir pwd \\;; cd ${P}/ && find ${W}/a -execdir pwd \\;`);
      expect(r1.stdout).toBe(`${P}${W}\n${P}${W}/a\n${W}\n${W}/a\n${W}\n${W}/a\n`);
    }
  });
});

describe('unreal transparency: the program in procfs', () => {
  it('readlink of /proc/self/exe shows the program as it was exec\'d through the view: by absolute and relative path, after a fork, and not after an exec of a real path', async () => {
    const r = await differential(tree, (W, P) => `
cp /usr/bin/readlink ${W}/rl && ${W}/rl /proc/self/exe && ${W}/rl /proc/thread-self/exe
cd ${W} && ./rl /proc/self/exe && cd /
/usr/bin/env ${W}/rl /proc/self/exe
sh -c 'exec ${W}/rl /proc/self/exe'
rm ${W}/rl
`);
    expect(r.root!.stdout).toBe('W/rl\n'.repeat(5));
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
    // The comparison above names both the real and the /unreal path W: here the exact paths shown.
    const W = path.join(work, `t${++n}`);
    mkdirSync(W);
    copyFileSync('/usr/bin/readlink', `${W}/rl`);
    chmodSync(`${W}/rl`, 0o755);
    for (const P of ['/unreal', '/unreal/unreal']) {
      const r1 = await once('unreal', `${P}${W}/rl /proc/self/exe; cd ${P}${W} && ./rl /proc/self/exe; ${W}/rl /proc/self/exe`);
      expect(r1.stdout).toBe(`${P}${W}/rl\n${P}${W}/rl\n${W}/rl\n`);
    }
  });
});

describe('unreal transparency: open files in procfs', () => {
  it('readlink of /proc/self/fd/N (and /proc/PID/fd/N, fd/N relative to an open /proc/self) shows a file opened through the view by its path there: redirected, inherited, deleted; /proc/self/exe after fexecve of such a file', async () => {
    const py = path.join(bin, 'fdlinks.py');
    writeFileSync(py, `
import os, sys
fd = os.open('/proc/self', os.O_RDONLY | os.O_DIRECTORY)
print(os.readlink('fd/0', dir_fd=fd), flush=True)
exe = os.open(sys.argv[1], os.O_RDONLY)
os.execve(exe, ['rl', '/proc/self/exe'], {})
`);
    const r = await differential(tree, (W, P) => `
check() { [ "$2" = "$3" ] && echo "$1 same" || echo "$1 differs: $2, not $3"; }
cd ${W}/x && cp /usr/bin/readlink ${W}/rl
check "fd 0" "$(readlink /proc/self/fd/0 < ${W}/x/file)" "${W}/x/file"
check "thread-self" "$(readlink /proc/thread-self/fd/0 < ${W}/x/file)" "${W}/x/file"
check "ls -l" "$(ls -l /proc/self/fd/0 < ${W}/x/file | sed 's/.*-> //')" "${W}/x/file"
check "realpath stdin" "$(realpath /dev/stdin < ${W}/x/d/inner)" "${W}/x/d/inner"
exec 3< ${W}/x/d 4> ${W}/x/gone
rm ${W}/x/gone
check "dir" "$(readlink /proc/self/fd/3)" "${W}/x/d"
check "parent's" "$(readlink /proc/$$/fd/3)" "${W}/x/d"
check "deleted" "$(readlink /proc/self/fd/4)" "${W}/x/gone (deleted)"
check "real path" "$(readlink /proc/self/fd/0 < ${P}/dev/null)" "/dev/null"
check "pipe" "$(echo | readlink /proc/self/fd/0 | sed 's/:.*//')" "pipe"
/usr/bin/python3 ${py} ${W}/rl < ${W}/x/file
setpriv --reuid=12345 --regid=12345 --clear-groups readlink -v /proc/$$/fd/3 2>&1 | sed "s/.*: //"
exec 3<&- 4>&-
rm ${W}/rl
`);
    const same = ['fd 0', 'thread-self', 'ls -l', 'realpath stdin', 'dir', "parent's", 'deleted', 'real path', 'pipe'].map((c) => `${c} same\n`).join('');
    // Another user may not read them (the kernel says so, as natively); nobody cannot become another.
    expect(r.root!.stdout).toBe(`${same}W/x/file\nW/rl\nPermission denied\n`);
    expect(r.nobody!.stdout).toBe(`${same}W/x/file\nW/rl\nOperation not permitted\n`);
    // The comparison above names both the real and the /unreal path W: here the exact paths shown.
    const W = path.join(work, `t${++n}`);
    mkdirSync(W);
    writeFileSync(`${W}/f`, 'f\n');
    copyFileSync('/usr/bin/readlink', `${W}/rl`);
    chmodSync(`${W}/rl`, 0o755);
    for (const P of ['/unreal', '/unreal/unreal']) {
      const r1 = await once('unreal', `readlink /proc/self/fd/0 < ${P}${W}/f; /usr/bin/python3 ${py} ${P}${W}/rl < ${P}${W}/f`);
      expect(r1.stdout).toBe(`${P}${W}/f\n${P}${W}/f\n${P}${W}/rl\n`);
    }
    // By its real path (in a process that never opened it through the view): as it is.
    const r2 = await once('unreal', `readlink /proc/self/fd/0 < ${W}/f; /usr/bin/python3 ${py} ${W}/rl < ${W}/f`);
    expect(r2.stdout).toBe(`${W}/f\n${W}/f\n${W}/rl\n`);
  });
});

describe('unreal transparency: programs not named in the issue', () => {
  it('make -C, git worktree, zip/unzip, sqlite3 (WAL, .backup), perl (Cwd, File::Temp), python3 -m venv, patch, sed -i, install -D, gcc, python shutil, node fs', async () => {
    const r = await differential(tree, (W) => `
cd ${W} && mkdir m && printf 'all: out\\nout: in\\n\\tcp in out; echo $(CURDIR) $(abspath in) $(realpath in)\\n' > m/Makefile && echo x > m/in
make -C ${W}/m; make -s -C ${W}/m; cd / && make -s -C ${W}/m -f ${W}/m/Makefile all; cd ${W}
export GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z GIT_AUTHOR_NAME=n GIT_AUTHOR_EMAIL=a@b GIT_COMMITTER_NAME=n GIT_COMMITTER_EMAIL=a@b GIT_CONFIG_NOSYSTEM=1 HOME=${W}
git init -q -b main ${W}/r && git -C ${W}/r commit -q --allow-empty -m m && git -C ${W}/r worktree add -q ${W}/wt2 && git -C ${W}/r worktree list --porcelain
(cd ${W}/wt2 && git rev-parse --show-toplevel --git-dir --git-common-dir && git status --short); git -C ${W}/r worktree remove ${W}/wt2; echo "worktree remove rc=$?"; rm -rf ${W}/r ${W}/.gitconfig
zip -qr ${W}/z.zip m && unzip -q ${W}/z.zip -d ${W}/un && unzip -Z1 ${W}/z.zip; rm ${W}/z.zip
sqlite3 ${W}/db "pragma journal_mode=wal; create table t(a); insert into t values(1),(2); select count(*) from t;" && sqlite3 ${W}/db ".backup ${W}/b" && sqlite3 ${W}/b "select sum(a) from t"; rm -f ${W}/db* ${W}/b
perl -MCwd -MFile::Temp=tempfile -e 'chdir "${W}/m" or die; print Cwd::getcwd(), "\\n", Cwd::abs_path("../m/in"), "\\n"; my ($fh, $n) = tempfile(DIR => "${W}"); print index($n, "${W}/") == 0 ? "temp ok\\n" : "temp $n\\n"; unlink $n; symlink("in", "${W}/m/l") or die; print readlink("${W}/m/l"), "\\n"; rename("${W}/m/l", "${W}/m/l2") or die; print -l "${W}/m/l2" ? "renamed\\n" : "not renamed\\n"'
/usr/bin/python3 -m venv --without-pip ${W}/v && ${W}/v/bin/python -c 'import sys, os; print(sys.prefix, os.path.realpath(sys.executable))'; rm -rf ${W}/v
mkdir -p ${W}/a/b && echo hello > ${W}/a/f && ln -s b ${W}/a/lb
sed -i s/hello/bye/ ${W}/a/f; cat ${W}/a/f; install -D -m 600 ${W}/a/f ${W}/n/e/w; mv -t ${W}/a/b ${W}/n/e/w; ls ${W}/a/b
printf -- '--- a/f\\n+++ a/f\\n@@ -1 +1 @@\\n-bye\\n+patched\\n' > ${W}/p.diff && patch -s -p0 -d ${W} < ${W}/p.diff && cat ${W}/a/f
cd ${W}/a/lb && pwd && pwd -P && /bin/pwd && cd -P ../lb && pwd && cd ${W}
printf 'int main(void) { return 3; }' > ${W}/c.c && gcc -o ${W}/c.out ${W}/c.c && ${W}/c.out; echo "gcc'd rc=$?"; rm -f ${W}/c.out
/usr/bin/python3 -c "
import os, shutil, pathlib, glob, tempfile
print(pathlib.Path('${W}/a/lb').resolve(), os.path.realpath('${W}/a/lb/../f'))
shutil.copytree('${W}/a', '${W}/cp', symlinks=True)
print(sorted(glob.glob('${W}/cp/**', recursive=True)))
shutil.rmtree('${W}/cp'); print(os.path.exists('${W}/cp'))
d = tempfile.mkdtemp(dir='${W}'); print(d.startswith('${W}/')); os.rmdir(d)
"
${process.execPath} -e "const fs = require('fs'); fs.mkdirSync('${W}/nd/x', { recursive: true }); fs.writeFileSync('${W}/nd/x/f', 'n'); console.log(fs.readdirSync('${W}/nd/x'), fs.realpathSync('${W}/a/lb')); fs.rmSync('${W}/nd', { recursive: true }); fs.promises.readFile('${W}/a/f', 'utf8').then((s) => console.log(s.trim()))"
`);
    // What each program gave natively (the comparison above is against it).
    for (const line of ['W/m W/m/in W/m/in', 'worktree W/wt2', 'W/r/.git/worktrees/wt2', 'worktree remove rc=0', 'm/Makefile', 'wal', '3', 'temp ok', 'renamed', 'patched', "gcc'd rc=3", 'W/a/b W/a/f', 'False', 'True', "[ 'f' ] W/a/b"])
      expect(r.root!.stdout.split('\n')).toContain(line);
    expect(r.root!.stdout).toMatch(/^W\/v \/usr\/bin\/python3/m);
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
  });
});

describe('unreal transparency: AT_EXECFN', () => {
  it("a program's AT_EXECFN is the path it was exec'd by: absolute, relative, through a symlink naming the view, a #! script's (nested) name, a script by a dirfd", async () => {
    const py = path.join(bin, 'execat.py');
    writeFileSync(py, `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
os.set_inheritable(fd, True)
want = ('/dev/fd/%d/%s' % (fd, sys.argv[2])).encode()
args = (ctypes.c_char_p * 3)(b'xa', want, None)
libc.syscall(322, fd, sys.argv[2].encode(), args, (ctypes.c_char_p * 1)(None), 0)
print('execveat', os.strerror(ctypes.get_errno()), flush=True)
`);
    const r = await differential(tree, (W, _P, T) => `
cp ${T}/execid ${W}/ei && ln -s ${W}/ei ${W}/eil
printf '#!${W}/ei -x\\n' > ${W}/xs && printf '#!${W}/xs\\n' > ${W}/xs2 && chmod 755 ${W}/xs ${W}/xs2
${W}/ei ${W}/ei
cd ${W}/x && ../ei ../ei && ./../eil ./../eil
${W}/xs ${W}/xs; ${W}/xs2 ${W}/xs2; cd ${W} && ./xs2 ./xs2
/usr/bin/python3 ${py} ${W} ei; /usr/bin/python3 ${py} ${W} xs
rm ${W}/ei ${W}/eil ${W}/xs ${W}/xs2
`);
    expect(r.root!.stdout).toBe(
      [
        'AT_EXECFN same\nargv: W/ei|W/ei\n',
        'AT_EXECFN same\nargv: ../ei|../ei\n',
        'AT_EXECFN same\nargv: ./../eil|./../eil\n',
        'AT_EXECFN same\nargv: W/ei|-x|W/xs|W/xs\n',
        'AT_EXECFN same\nargv: W/ei|-x|W/xs|W/xs2|W/xs2\n',
        'AT_EXECFN same\nargv: W/ei|-x|W/xs|./xs2|./xs2\n',
        'AT_EXECFN same\nargv: xa|/dev/fd/3/ei\n',
        'AT_EXECFN same\nargv: W/ei|-x|/dev/fd/3/xs|/dev/fd/3/xs\n',
      ].join(''),
    );
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
  });
});

describe('unreal transparency: cwd and program links of other processes in procfs', () => {
  it('readlink of /proc/PID/cwd, /proc/PID/exe (another process, or the caller by its pid), cwd relative to an open /proc/self show the view; the kernel still says who may read them', async () => {
    const py = path.join(bin, 'procat.py');
    writeFileSync(py, `
import os
fd = os.open('/proc/self', os.O_RDONLY | os.O_DIRECTORY)
print(os.readlink('cwd', dir_fd=fd), flush=True)
`);
    const r = await differential(tree, (W, P) => `
check() { [ "$2" = "$3" ] && echo "$1 same" || echo "$1 differs: $2, not $3"; }
cd ${W}/x && mkfifo ${W}/f1 ${W}/f2
${P}/bin/sh -c 'echo > ${W}/f1; read x < ${W}/f2' & read x < ${W}/f1
check "child cwd" "$(readlink /proc/$!/cwd)" "${W}/x"
check "child exe" "$(readlink /proc/$!/exe)" "${P}$(readlink -f /bin/sh)"
check "task cwd" "$(readlink /proc/$!/task/$!/cwd)" "${W}/x"
check "parent cwd" "$(readlink /proc/$$/cwd)" "${W}/x"
check "self by pid" "$(${P}/usr/bin/readlink -f /proc/self/exe)" "${P}/usr/bin/readlink"
check "realpath cwd" "$(realpath /proc/self/cwd)" "${W}/x"
check "at cwd" "$(/usr/bin/python3 ${py})" "${W}/x"
setpriv --reuid=12345 --regid=12345 --clear-groups sh -c 'for l in cwd exe; do readlink -v /proc/$0/$l 2>&1 | sed "s/.*: //"; done' $!
echo > ${W}/f2; wait; rm ${W}/f1 ${W}/f2
`);
    const same = ['child cwd', 'child exe', 'task cwd', 'parent cwd', 'self by pid', 'realpath cwd', 'at cwd'].map((c) => `${c} same\n`).join('');
    // Another user may not read them (the kernel says so, as natively); nobody cannot become another.
    expect(r.root!.stdout).toBe(`${same}Permission denied\nPermission denied\n`);
    expect(r.nobody!.stdout).toBe(same);
  });
});

describe('unreal transparency: io_uring', () => {
  it('io_uring_setup is ENOSYS by default (programs fall back to calls the engine maps); io_uring=allow leaves it', async () => {
    const script = (W: string, _P: string, T: string) => `${T}/uring ${W}/x/file; ${T}/uring ${W}/x/missing`;
    const r = await differential(tree, script, (native) => ({
      ...native,
      stdout: native.stdout.split('io_uring_setup: OK').join('io_uring_setup: ENOSYS, falling back'),
    }));
    // io_uring works natively here (else this names the missing feature).
    expect(r.root!.stdout).toBe('io_uring_setup: OK\nopen W/x/file: file\nio_uring_setup: OK\nopen W/x/missing: ENOENT\n');
    expect(r.nobody!.stdout).toBe(r.root!.stdout);
    // Allowed, io_uring's own openat acts on the real tree, where /unreal does not exist.
    const W = path.join(work, `t${++n}`);
    mkdirSync(W);
    tree(W, false);
    const allowed = await once('unreal:io_uring=allow', `${bin}/uring /unreal${W}/x/file`);
    expect(allowed.stdout).toBe(`io_uring_setup: OK\nopen /unreal${W}/x/file: ENOENT\n`);
    const bad = await once('unreal:io_uring=maybe', 'true');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('io_uring must be enosys or allow');
  });
});

describe('unreal transparency: names are bytes', () => {
  it('names and symlink targets holding \\351, \\377, \\001 and a newline keep their bytes', async () => {
    // Each name made with printf (octal escapes), so the script itself is ASCII.
    const r = await differential(tree, (W, P, T) => `
e=$(printf 'x\\351'); f=$(printf 'x\\377'); c=$(printf 'x\\001'); nl=$(printf 'a\\nb'); t=$(printf 't\\351\\377\\001\\nz')
echo one > "${W}/$e"; echo two > "${W}/$f"; echo three > "${W}/$c"; echo four > "${W}/$nl"
cat "${W}/$e" "${W}/$f" "${W}/$c" "${W}/$nl"
ls ${W}
${T}/pathop symlink "$t" "${W}/l$e" symlink "${W.slice(P.length)}/d$f" "${W}/abs$e" readlink "${W}/l$e" readlink "${W}/abs$e"
mkdir "${W}/d$f" "${W}/d$e" && echo in > "${W}/d$f/in"
${T}/pathop stat "${W}/d$e/../$e" stat "${W}/d$f/../$e" stat "${W}/abs$e/../$f" stat "${W}/abs$e/in" stat "${W}/$f/../$e"
mv "${W}/$e" "${W}/$e.moved"; rm "${W}/$c"; rmdir "${W}/d$e"; echo "rc=$?"
cd "${W}/d$f" && pwd && /bin/pwd && cat in
`);
    // Natively: two files (\\351 and \\377 are two names), the target as written.
    expect(r.root!.stdout).toMatch(/^one\ntwo\nthree\nfour\n/);
    expect(r.root!.tree).toContain('x\xe9.moved file 644 0 ' + createHash('sha1').update('one\n').digest('hex').slice(0, 12));
    expect(r.root!.tree).toContain('lx\xe9 link 777 0 -> t\xe9\xff\x01\nz');
    expect(r.root!.tree).toContain('a\nb file 644 0 ' + createHash('sha1').update('four\n').digest('hex').slice(0, 12));
  });
});

describe('unreal transparency: AF_UNIX socket addresses', () => {
  // Python's socket module makes the calls: sendto, sendmsg (datagram), bind, connect, accept,
  // getsockname, getpeername (stream); each address printed as the program sees it. Non-blocking:
// an AF_UNIX datagram or connection is queued by the sending call itself, so nothing waits.
  const PY = `
import socket, sys
W = sys.argv[1]
def show(what, f):
    try: print(what, f())
    except OSError as e: print(what, type(e).__name__, e.errno)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(W + '/dg'); s.setblocking(False)
show('dgram getsockname', s.getsockname)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
show('sendto', lambda: c.sendto(b'hello', W + '/dg'))
show('recv', lambda: s.recv(100))
show('sendmsg', lambda: c.sendmsg([b'msg'], [], 0, W + '/dg'))
show('recv', lambda: s.recv(100))
show('sendto missing', lambda: c.sendto(b'x', W + '/none'))
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); l.bind(W + '/st'); l.listen(1); l.setblocking(False)
k = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); k.connect(W + '/st')
a, addr = l.accept()
print('accept', repr(addr))
show('listener getsockname', l.getsockname)
show('client getpeername', k.getpeername)
show('accepted getsockname', a.getsockname)
show('client getsockname', k.getsockname)
show('accepted getpeername', a.getpeername)
show('getpeername unconnected', c.getpeername)
# Addresses the kernel returns: of a sender and a client bound through the same path as natively.
b = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); b.bind(W + '/cl')
b.sendto(b'from', W + '/dg')
show('recvfrom', lambda: s.recvfrom(100))
b.sendto(b'again', W + '/dg')
show('recvmsg', lambda: s.recvmsg(100)[::3])
s.setblocking(True)
b.sendto(b'blocking', W + '/dg')
show('recvfrom blocking', lambda: s.recvfrom(100))
show('recvfrom empty', lambda: s.recvfrom(100, socket.MSG_DONTWAIT))
kb = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); kb.bind(W + '/kc'); kb.connect(W + '/st')
a2, addr2 = l.accept()
print('accept bound', repr(addr2))
show('accepted peer', a2.getpeername)
l.setblocking(True)
kb2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); kb2.bind(W + '/kc2'); kb2.connect(W + '/st')
print('accept4 blocking', repr(l.accept()[1]))
# A small buffer: the address truncated, its whole length returned, as the kernel does.
import ctypes, ctypes.util
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
b.sendto(b'small', W + '/dg')
buf = ctypes.create_string_buffer(8); n = ctypes.c_uint32(8); data = ctypes.create_string_buffer(16)
r = libc.recvfrom(s.fileno(), data, 16, 0, buf, ctypes.byref(n))
Wb = W.encode('utf-8', 'surrogateescape')
print('recvfrom small', r, n.value - len(Wb), buf.raw[2:8] == Wb[:6])
# sendmmsg: two messages, each to an address given by path.
class iovec(ctypes.Structure): _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]
class msghdr(ctypes.Structure): _fields_ = [('name', ctypes.c_void_p), ('namelen', ctypes.c_uint32), ('iov', ctypes.POINTER(iovec)), ('iovlen', ctypes.c_size_t), ('control', ctypes.c_void_p), ('controllen', ctypes.c_size_t), ('flags', ctypes.c_int)]
class mmsghdr(ctypes.Structure): _fields_ = [('hdr', msghdr), ('len', ctypes.c_uint32)]
def sun(p):
    raw = (1).to_bytes(2, 'little') + p.encode('utf-8', 'surrogateescape') + b'\\0'
    return ctypes.create_string_buffer(raw, len(raw))
names = [sun(W + '/dg'), sun(W + '/dg')]
texts = [ctypes.create_string_buffer(b'mm1', 3), ctypes.create_string_buffer(b'mm2', 3)]
iovs = [iovec(ctypes.cast(t, ctypes.c_void_p), 3) for t in texts]
vec = (mmsghdr * 2)(*[mmsghdr(msghdr(ctypes.cast(names[i], ctypes.c_void_p), len(names[i]), ctypes.pointer(iovs[i]), 1, None, 0, 0), 0) for i in range(2)])
print('sendmmsg', libc.sendmmsg(c.fileno(), vec, 2, 0), ctypes.get_errno(), names[0].raw[2:-1] == (W + '/dg').encode('utf-8', 'surrogateescape'))
show('recv', lambda: s.recv(100))
show('recv', lambda: s.recv(100))
`;
  it('sendto/sendmsg/sendmmsg reach a socket named by a /unreal path; getsockname/getpeername, accept, recvfrom, recvmsg show the path it was bound by', async () => {
    const py = path.join(bin, 'sock.py');
    writeFileSync(py, PY);
    const r = await differential(tree, (W, _P) => `/usr/bin/python3 ${py} ${W}`);
    expect(r.root!.stdout).toBe(
      [
        'dgram getsockname W/dg',
        'sendto 5',
        "recv b'hello'",
        'sendmsg 3',
        "recv b'msg'",
        'sendto missing FileNotFoundError 2',
        "accept ''",
        'listener getsockname W/st',
        'client getpeername W/st',
        'accepted getsockname W/st',
        "client getsockname ",
        "accepted getpeername ",
        'getpeername unconnected OSError 107',
        "recvfrom (b'from', 'W/cl')",
        "recvmsg (b'again', 'W/cl')",
        "recvfrom blocking (b'blocking', 'W/cl')",
        'recvfrom empty BlockingIOError 11',
        "accept bound 'W/kc'",
        'accepted peer W/kc',
        "accept4 blocking 'W/kc2'",
        'recvfrom small 5 6 True',
        'sendmmsg 2 0 True',
        "recv b'mm1'",
        "recv b'mm2'",
        '',
      ].join('\n'),
    );
    // The comparison above names both the real and the /unreal path W: here the exact paths shown.
    const W = path.join(work, `t${++n}`);
    mkdirSync(W);
    for (const P of ['/unreal', '/unreal/unreal']) {
      mkdirSync(`${W}/${P.length}`);
      const r1 = await once('unreal', `/usr/bin/python3 ${py} ${P}${W}/${P.length}`);
      expect(r1.stdout).toContain(`dgram getsockname ${P}${W}/${P.length}/dg\n`);
      expect(r1.stdout).toContain(`listener getsockname ${P}${W}/${P.length}/st\nclient getpeername ${P}${W}/${P.length}/st\naccepted getsockname ${P}${W}/${P.length}/st\n`);
      // The peers' addresses accept, recvfrom and recvmsg return (sockets bound through the view).
      const X = `${P}${W}/${P.length}`;
      expect(r1.stdout).toContain(`recvfrom (b'from', '${X}/cl')\nrecvmsg (b'again', '${X}/cl')\nrecvfrom blocking (b'blocking', '${X}/cl')\n`);
      expect(r1.stdout).toContain(`accept bound '${X}/kc'\naccepted peer ${X}/kc\naccept4 blocking '${X}/kc2'\n`);
    }
  });
});
