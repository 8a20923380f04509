// Differential transparency suite for `unreal`: each script runs natively on real paths, then through
// /unreal and /unreal/unreal (one `-e unreal`) and through /unreal/unreal/unreal (a nested
// `sysvisor run -e unreal -- sysvisor run -e unreal`), as root and as nobody, each run on a fresh
// copy of the same tree. Output, exit status, errnos (printed by name by `pathop`, which makes the
// calls raw) and the resulting tree must be identical once the paths themselves are named alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { CLI, run, type RunResult } from './helpers.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const UNREAL = [process.execPath, CLI, 'run', '-e', 'unreal', '--'];

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

/** The tree as comparable lines: name, type, permissions, owner, and size, target or content. */
function snapshot(root: string, names: (s: string) => string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const p = path.join(root, rel);
    const st = lstatSync(p);
    const perm = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} link ${perm} ${st.uid} -> ${names(readlinkSync(p))}`);
    else if (st.isFile()) out.push(`${rel} file ${perm} ${st.uid} ${createHash('sha1').update(readFileSync(p)).digest('hex').slice(0, 12)}`);
    else if (st.isDirectory()) {
      out.push(`${rel || '.'} dir ${perm} ${st.uid}`);
      for (const e of readdirSync(p).sort()) walk(path.join(rel, e));
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
async function differential(setup: (W: string, asNobody: boolean) => void, script: (W: string, P: string, T: string) => string): Promise<Record<string, Outcome>> {
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
      else expect({ mode: mode.label, user, ...got }).toEqual({ mode: mode.label, user, ...native });
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
  writeFileSync(path.join(bin, 'pathop.c'), PATHOP_C);
  execFileSync('cc', ['-O2', '-Wall', '-o', path.join(bin, 'pathop'), path.join(bin, 'pathop.c')]);
});

afterAll(() => {
  for (const d of [work, bin]) if (d) rmSync(d, { recursive: true, force: true });
});

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

const PATHOP_C = String.raw`
// Path calls made raw, one per pair of arguments: OP PATH [PATH2]. Prints "OP PATH: OK ..." or
// "OP PATH: ERRNO" (the errno's name), so that a native and a virtualized run compare exactly.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char* type(mode_t m) {
  return S_ISDIR(m) ? "dir" : S_ISREG(m) ? "file" : S_ISLNK(m) ? "link" : "other";
}

static void result(const char* op, const char* p, long r, const char* extra) {
  if (r < 0) printf("%s %s: %s\n", op, p, strerrorname_np(errno));
  else printf("%s %s: OK%s%s\n", op, p, extra ? " " : "", extra ? extra : "");
}

int main(int argc, char** argv) {
  struct stat st;
  char buf[4096];
  for (int i = 1; i + 1 < argc; i += 2) {
    const char* op = argv[i];
    const char* p = argv[i + 1];
    long r;
    if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
      r = syscall(SYS_newfstatat, AT_FDCWD, p, &st, op[0] == 'l' ? AT_SYMLINK_NOFOLLOW : 0);
      result(op, p, r, r == 0 ? type(st.st_mode) : NULL);
    } else if (!strcmp(op, "open") || !strcmp(op, "creat") || !strcmp(op, "opath") || !strcmp(op, "opathdir")) {
      int flags = !strcmp(op, "open") ? O_RDONLY : !strcmp(op, "creat") ? O_CREAT | O_WRONLY : !strcmp(op, "opath") ? O_PATH : O_PATH | O_DIRECTORY;
      r = syscall(SYS_openat, AT_FDCWD, p, flags, 0644);
      if (r >= 0) {
        int fd = (int)r;
        int fl = fcntl(fd, F_GETFL);
        fstat(fd, &st);
        snprintf(buf, sizeof buf, "%s%s", type(st.st_mode), (fl & O_PATH) ? " O_PATH" : "");
        close(fd);
        result(op, p, 0, buf);
      } else result(op, p, r, NULL);
    } else if (!strcmp(op, "mkdir")) {
      result(op, p, syscall(SYS_mkdir, p, 0755), NULL);
    } else if (!strcmp(op, "rmdir")) {
      result(op, p, syscall(SYS_rmdir, p), NULL);
    } else if (!strcmp(op, "unlink")) {
      result(op, p, syscall(SYS_unlink, p), NULL);
    } else if (!strcmp(op, "readlink")) {
      r = syscall(SYS_readlink, p, buf, sizeof buf - 1);
      if (r >= 0) buf[r] = 0;
      result(op, p, r, r >= 0 ? buf : NULL);
    } else if (!strcmp(op, "chdir")) {
      r = syscall(SYS_chdir, p);
      result(op, p, r, r == 0 && getcwd(buf, sizeof buf) ? buf : NULL);
    } else if (!strcmp(op, "access")) {
      result(op, p, syscall(SYS_access, p, F_OK), NULL);
    } else if (!strcmp(op, "rename") && i + 2 < argc) {
      result(op, p, syscall(SYS_rename, p, argv[i + 2]), argv[i + 2]);
      i++;
    } else if (!strcmp(op, "symlink") && i + 2 < argc) {
      result(op, argv[i + 2], syscall(SYS_symlink, p, argv[i + 2]), p);
      i++;
    } else {
      fprintf(stderr, "pathop: unknown op %s\n", op);
      return 2;
    }
  }
  return 0;
}
`;
