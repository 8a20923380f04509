// The `unreal` engine with real programs on the real kernel: every command runs natively on real
// paths and under `sysvisor run -e unreal` through /unreal and /unreal/unreal; outputs and exit
// statuses must be identical once the paths themselves are named alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, run, sysvisor, type RunResult } from './helpers.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const LEVELS = ['/unreal', '/unreal/unreal'];

let base: string; // the test tree (read-only for the tests)
let work: string; // scratch directories, one per run
let bin: string; // compiled helpers
let n = 0;

/** A new scratch directory (real path). */
function scratch(mode = 0o755): string {
  const d = path.join(work, `w${++n}`);
  mkdirSync(d);
  chmodSync(d, mode);
  return d;
}

// The same names for the same things: the scratch dir W, the tree B, at any level.
function norm(r: RunResult, names: [string, string][]): RunResult {
  const fix = (s: string) => names.reduce((acc, [from, to]) => acc.split(from).join(to), s);
  return { ...r, stdout: fix(r.stdout), stderr: fix(r.stderr) };
}

async function sh(script: string, engines: string[] | null, wrap: string[] = [], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const cmd = [...wrap, 'sh', '-c', script];
  if (engines === null) return run(cmd[0]!, cmd.slice(1), env ? { env } : {});
  return sysvisor(['run', ...engines.flatMap((e) => ['-e', e]), '--', ...cmd], env ? { env } : {});
}

/**
 * Runs script(B, W, P) natively (B = the tree, W = a fresh scratch dir, P = '') and under one
 * `unreal` through each level (B and W seen through P = /unreal or /unreal/unreal); expects the
 * same exit status, stdout and stderr.
 */
async function same(
  script: (B: string, W: string, P: string) => string,
  opts: { wrap?: string[]; scratchMode?: number; names?: (P: string) => [string, string][] } = {},
): Promise<RunResult> {
  const w0 = scratch(opts.scratchMode);
  const native = norm(await sh(script(base, w0, ''), null, opts.wrap), [[w0, 'W'], [base, 'B']]);
  for (const P of LEVELS) {
    const w = scratch(opts.scratchMode);
    const virt = norm(await sh(script(P + base, P + w, P), ['unreal'], opts.wrap), [
      [P + w, 'W'],
      [P + base, 'B'],
      [w, 'W'],
      [base, 'B'],
      ...(opts.names?.(P) ?? []),
    ]);
    expect({ level: P, ...virt }).toEqual({ level: P, ...native });
  }
  return native;
}

beforeAll(() => {
  base = mkdtempSync('/tmp/unreal-tree-');
  work = mkdtempSync('/tmp/unreal-work-');
  bin = mkdtempSync('/tmp/unreal-bin-');
  chmodSync(base, 0o755);
  chmodSync(work, 0o755);
  chmodSync(bin, 0o755);
  const src = path.join(base, 'src');
  mkdirSync(path.join(src, 'sub', 'deep'), { recursive: true });
  writeFileSync(path.join(src, 'a.txt'), 'alpha\n');
  const blob = Buffer.alloc(70000);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 131 + (i >> 8)) & 0xff;
  writeFileSync(path.join(src, 'b.bin'), blob);
  writeFileSync(path.join(src, 'sub', 'c.txt'), 'gamma\n');
  writeFileSync(path.join(src, 'sub', 'deep', 'd.txt'), 'delta\n');
  writeFileSync(path.join(src, 'with space.txt'), 'spaced\n');
  symlinkSync('a.txt', path.join(src, 'link-rel'));
  symlinkSync('/etc/hostname', path.join(src, 'link-abs'));
  symlinkSync('sub', path.join(src, 'dirlink'));
  symlinkSync('../src/sub/deep', path.join(src, 'sub', 'up-and-down'));
  writeFileSync(path.join(base, 's.sh'), '#!/bin/sh\necho "script $0 $*"\ncat "$(dirname "$0")/src/a.txt"\n', { mode: 0o755 });
  writeFileSync(path.join(bin, 'pathcalls.c'), PATHCALLS_C);
  writeFileSync(path.join(bin, 'toctou.c'), TOCTOU_C);
  execFileSync('cc', ['-O2', '-o', path.join(bin, 'pathcalls'), path.join(bin, 'pathcalls.c')]);
  execFileSync('cc', ['-O2', '-pthread', '-o', path.join(bin, 'toctou'), path.join(bin, 'toctou.c')]);
});

afterAll(() => {
  for (const d of [base, work, bin]) if (d) rmSync(d, { recursive: true, force: true });
});

describe('unreal: real programs see /unreal and /unreal/unreal as /', () => {
  it('cat', async () => {
    const r = await same((B) => `cat ${B}/src/a.txt ${B}/src/b.bin ${B}/src/link-rel ${B}/src/link-abs "${B}/src/with space.txt"; cat ${B}/src/missing`);
    expect(r.code).toBe(1);
    expect(r.stdout.startsWith('alpha\n')).toBe(true);
  });

  it('ls -la', async () => {
    const r = await same((B) => `ls -la ${B}/src ${B}/src/sub; ls -la ${B}/src/link-abs ${B}/src/dirlink ${B}/src/dirlink/; ls -d ${B}/src/*`);
    expect(r.code).toBe(0);
  });

  it('stat', async () => {
    await same((B) => `stat -c '%n|%s|%a|%U|%G|%F|%Y|%h|%i|%N' ${B}/src/a.txt ${B}/src/sub ${B}/src/link-rel ${B}/src/link-abs ${B}/src/dirlink; stat -L -c '%n %s %F' ${B}/src/dirlink ${B}/src/link-abs; stat -f -c '%T' ${B}`);
  });

  it('find', async () => {
    const r = await same((B) => `find ${B}/src -printf '%p %y %s %m %l\\n'; find ${B}/src -name '*.txt' -type f; find -L ${B}/src -type f | sort; cd ${B} && find src -newer src/a.txt -o -name c.txt`);
    expect(r.stdout).toContain('B/src/sub/deep/d.txt');
  });

  it('cp -r', async () => {
    await same((B, W) => `cp -r ${B}/src ${W}/copy && find ${W}/copy -printf '%P %y %s %m %l\\n' | sort && diff -r ${B}/src ${W}/copy && cmp ${B}/src/b.bin ${W}/copy/b.bin && echo same`);
  });

  it('mv', async () => {
    await same((B, W) => `cp -r ${B}/src ${W}/m && mv ${W}/m/a.txt ${W}/m/moved.txt && mv ${W}/m/sub ${W}/m/sub2 && mv ${W}/m ${W}/m2 && ls -R ${W} && cat ${W}/m2/moved.txt && mv ${W}/m2/nothing ${W}/x`);
  });

  it('ln -s and ln', async () => {
    await same((B, W) => `mkdir ${W}/l && echo hi > ${W}/l/t && ln -s t ${W}/l/rel && ln -s ${B}/src/a.txt ${W}/l/abs-real && ln -s /etc/hostname ${W}/l/abs && ln ${W}/l/t ${W}/l/hard && readlink ${W}/l/rel ${W}/l/abs && cat ${W}/l/rel ${W}/l/abs ${W}/l/hard && stat -c '%n %F %h' ${W}/l/* && ln -s t ${W}/l/rel`);
  });

  it('mkdir and rm', async () => {
    await same((B, W) => `mkdir -p ${W}/a/b/c && touch ${W}/a/b/c/f ${W}/a/top && mkdir ${W}/a/b; rm ${W}/a/b; rm -r ${W}/a/b && ls -A ${W}/a && rmdir ${W}/a; rm ${W}/a/top && rmdir ${W}/a && ls -A ${W}; rmdir ${W}/nope`);
  });

  it('tar c and x', async () => {
    await same((B, W) => `tar -C ${B} -cf ${W}/t.tar src && tar -tvf ${W}/t.tar | awk '{print $1, $2, $3, $6}' && mkdir ${W}/x && tar -C ${W}/x -xf ${W}/t.tar && diff -r ${B}/src ${W}/x/src && cd ${W} && tar -cf - -C ${B}/src . | tar -tf - | sort && echo ok`);
  });

  it('sh: cd, pwd, relative paths', async () => {
    await same((B) => `cd ${B}/src && pwd && /bin/pwd && cat a.txt && cd sub && cat ../a.txt c.txt deep/d.txt && cd deep && /bin/pwd && cd ../.. && ls && cd dirlink && pwd && /bin/pwd && cat c.txt && cd up-and-down && /bin/pwd && cd - >/dev/null && cd .. && pwd; cd ${B}/missing; cd ${B}/src/a.txt; pwd`);
  });

  it('python3: os.walk, open, chdir, getcwd', async () => {
    await same(
      (B, W) => `python3 -c '
import os, sys
r = sys.argv[1]
for d, ds, fs in sorted(os.walk(r)):
    print(d, sorted(ds), sorted(fs))
print(open(r + "/a.txt").read(), end="")
d = r + "/sub"
os.chdir(d)
print(os.getcwd(), d)
print(open("../a.txt").read(), end="")
print(os.path.realpath("../link-rel"), os.path.realpath("up-and-down"))
os.chdir("..")
print(os.getcwd())
with open(sys.argv[2] + "/new.txt", "w") as f:
    f.write("written\\n")
print(open(sys.argv[2] + "/new.txt").read(), end="", flush=True)
os.execv(sys.argv[3] + "/bin/echo", ["echo", "exec", os.getcwd()])
' ${B}/src ${W} "$0"`,
    );
  });

  it('realpath and readlink -f', async () => {
    await same((B) => `realpath ${B}/src/link-rel ${B}/src/dirlink/c.txt ${B}/src/sub/../a.txt ${B}/src/sub/up-and-down; readlink -f ${B}/src/link-abs ${B}/src/dirlink; cd ${B}/src/sub && realpath ../link-rel deep . ..; realpath -e ${B}/src/none`);
  });

  it('exec of /unreal/bin/ls, a #! script and the dynamic loader', async () => {
    // The program keeps the name it was started with (argv[0]): ls complains as /unreal/bin/ls.
    const r = await same((B, _W, P) => `${P}/bin/ls -d /etc ${B}/src; ${P}/bin/ls ${B}/nothing; ${B}/s.sh one two; cd ${B} && ./s.sh three && ${P}/lib64/ld-linux-x86-64.so.2 ${P}/bin/echo loader; ${P}/usr/bin/env sh -c 'echo $0'`, {
      names: (P) => [[`${P}/bin/ls:`, '/bin/ls:']],
    });
    expect(r.stderr).toBe("/bin/ls: cannot access 'B/nothing': No such file or directory\n");
  });

  it('every path syscall, made raw (pathcalls), as root and as nobody', async () => {
    const pc = path.join(bin, 'pathcalls');
    const r = await same((_B, W) => `${pc} ${W}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('socket says ping');
    expect(r.stdout).toContain('chdir arg after intact');
    await same((_B, W) => `${pc} ${W}`, { wrap: NOBODY, scratchMode: 0o777 });
  });
});

describe('unreal: levels', () => {
  it('/unreal alone is /, /unrealx is not mapped', async () => {
    const native = await run('ls', ['/']);
    const virt = await sysvisor(['run', '-e', 'unreal', '--', 'ls', '/unreal', '/unreal/', '/unreal/unreal']);
    expect(virt.stdout).toBe(`/unreal:\n${native.stdout}\n/unreal/:\n${native.stdout}\n/unreal/unreal:\n${native.stdout}`);
    const x = await sysvisor(['run', '-e', 'unreal', '--', 'ls', '/unrealx']);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('No such file or directory');
  });

  it('one instance: three levels are ENOENT', async () => {
    const r = await sysvisor(['run', '-e', 'unreal', '--', 'cat', '/unreal/unreal/unreal/etc/hostname']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('cat: /unreal/unreal/unreal/etc/hostname: No such file or directory\n');
  });

  it('two instances give four levels; five levels are ENOENT', async () => {
    const native = await run('cat', ['/etc/passwd']);
    const four = await sysvisor(['run', '-e', 'unreal', '-e', 'unreal', '--', 'cat', '/unreal/unreal/unreal/unreal/etc/passwd']);
    expect(four).toEqual(native);
    const five = await sysvisor(['run', '-e', 'unreal', '-e', 'unreal', '--', 'cat', '/unreal/unreal/unreal/unreal/unreal/etc/passwd']);
    expect(five.code).toBe(1);
    expect(five.stderr).toContain('No such file or directory');
  });

  it('the cwd keeps its levels: cd and .. through four levels', async () => {
    const r = await sysvisor([
      'run', '-e', 'unreal', '-e', 'unreal', '--', 'python3', '-c',
      `import os
for d in ["/unreal/unreal/unreal/etc", "..", "..", "..", "..", "..", "unreal/unreal/usr", "../..", "unreal/unreal/lib", "/"]:
    os.chdir(d)
    print(os.getcwd())
print(open("unreal/unreal/unreal/etc/hostname").read() == open("/etc/hostname").read())
print(open("/etc/../unreal/unreal/etc/hostname").read() == open("/etc/hostname").read())`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual([
      '/unreal/unreal/unreal/etc',
      '/unreal/unreal/unreal',
      '/unreal/unreal',
      '/unreal',
      '/',
      '/',
      '/unreal/unreal/usr',
      '/unreal',
      '/unreal/unreal/unreal/usr/lib',
      '/',
      'True',
      'True',
      '',
    ]);
  });

  it('nested runs: each `sysvisor run -e unreal` gives two more levels', async () => {
    const native = await run('cat', ['/etc/passwd']);
    const nested = await sysvisor(['run', '-e', 'unreal', '--', process.execPath, CLI, 'run', '-e', 'unreal', '--', 'cat', '/unreal/unreal/unreal/unreal/etc/passwd']);
    expect(nested).toEqual(native);
    const cwd = await sysvisor([
      'run', '-e', 'unreal', '--', process.execPath, CLI, 'run', '-e', 'unreal', '--', 'python3', '-c',
      'import os\nfor d in ["/unreal/unreal/unreal/etc", "..", "..", "..", "..", "unreal/usr"]:\n    os.chdir(d)\n    print(os.getcwd())',
    ]);
    expect(cwd.stdout).toBe('/unreal/unreal/unreal/etc\n/unreal/unreal/unreal\n/unreal/unreal\n/unreal\n/\n/unreal/usr\n');
  });

  it('threads changing the cwd concurrently: the last one wins, with its levels', async () => {
    const r = await sysvisor([
      'run', '-e', 'unreal', '--', 'python3', '-c',
      `import os, threading
dirs = ["/unreal/tmp", "/unreal/unreal/etc", "/usr", "/unreal/usr/share"]
def work(d):
    for _ in range(200):
        os.chdir(d)
ts = [threading.Thread(target=work, args=(d,)) for d in dirs]
[t.start() for t in ts]
[t.join() for t in ts]
for d in dirs + ["/unreal/unreal/etc"]:
    os.chdir(d)
    print(os.getcwd(), d, flush=True)
fd = os.open(".", os.O_RDONLY)
os.chdir("/tmp")
os.fchdir(fd)
print(os.getcwd())`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/unreal/tmp /unreal/tmp\n/unreal/unreal/etc /unreal/unreal/etc\n/usr /usr\n/unreal/usr/share /unreal/usr/share\n/unreal/unreal/etc /unreal/unreal/etc\n/unreal/unreal/etc\n');
  });

  it('a shell started through /unreal/unreal keeps its name and its view', async () => {
    const r = await sysvisor(['run', '-e', 'unreal', '--', '/unreal/unreal/bin/sh', '-c', 'echo $0; cd /unreal/unreal/tmp && /bin/pwd && cd / && /bin/pwd']);
    expect(r.stdout).toBe('/unreal/unreal/bin/sh\n/unreal/unreal/tmp\n/\n');
  });
});

describe('unreal: the tracee acts with its own permissions', () => {
  it('nobody cannot read /unreal/etc/shadow nor write where it could not natively', async () => {
    const script = (P: string) =>
      `cat ${P}/etc/shadow; echo x > ${P}/etc/sysvisor-forbidden; touch ${P}/etc/passwd; mkdir ${P}/root/x; ls ${P}/root; cd ${P}/root; rm -f ${P}/etc/hostname; ln -s x ${P}/etc/l; chmod 777 ${P}/etc/hostname; echo done`;
    const native = await sh(script(''), null, NOBODY);
    for (const P of LEVELS) {
      const virt = await sh(script(P), ['unreal'], NOBODY);
      expect(virt.code).toBe(native.code);
      expect(virt.stdout).toBe(native.stdout);
      expect(virt.stderr).toBe(native.stderr.replace(/(^|[^\w/])\/(etc|root)\b/g, `$1${P}/$2`));
      expect(virt.stderr).toContain(`cat: ${P}/etc/shadow: Permission denied`);
    }
  });

  it('files nobody creates belong to nobody, with its umask', async () => {
    const script = (W: string) => `umask 027; mkdir ${W}/d && touch ${W}/d/f && mkfifo ${W}/d/p && ln -s f ${W}/d/l && stat -c '%n %U %G %a %F' ${W}/d ${W}/d/f ${W}/d/p && stat -c '%U' ${W}/d/l`;
    const w0 = scratch(0o777);
    const native = norm(await sh(script(w0), null, NOBODY), [[w0, 'W']]);
    expect(native.stdout).toContain('W/d/f nobody nogroup 640 regular empty file');
    for (const P of LEVELS) {
      const w = scratch(0o777);
      expect(norm(await sh(script(P + w), ['unreal'], NOBODY), [[P + w, 'W']])).toEqual(native);
    }
  });

  it('a thread flipping the path buffer never makes the supervisor open what nobody may not', async () => {
    const allowed = path.join(scratch(0o755), 'x-allowed');
    writeFileSync(allowed, 'allowed\n', { mode: 0o644 });
    const toctou = path.join(bin, 'toctou');
    for (const P of LEVELS) {
      const r = await sysvisor(['run', '-e', 'unreal', '--', ...NOBODY, toctou, P + allowed, `${P}/etc/shadow`, '20000']);
      expect(r.stdout).toMatch(/^opened=\d+ secret=0 denied=\d+\n$/);
      expect(r.code).toBe(0);
      const opened = Number(/opened=(\d+)/.exec(r.stdout)![1]);
      const denied = Number(/denied=(\d+)/.exec(r.stdout)![1]);
      expect(opened).toBeGreaterThan(0); // both paths were really tried
      expect(denied).toBeGreaterThan(0);
    }
  });
});

const TOCTOU_C = String.raw`
// One thread flips a path buffer between two paths; the main thread opens and reads it.
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static char buf[256];
static volatile int stop;
static const char *a, *b;
static void* flip(void* x) {
  (void)x;
  while (!stop) { strcpy(buf, a); strcpy(buf, b); }
  return 0;
}
int main(int argc, char** argv) {
  a = argv[1]; b = argv[2];
  int n = argc > 3 ? atoi(argv[3]) : 20000;
  strcpy(buf, a);
  pthread_t t;
  pthread_create(&t, 0, flip, 0);
  long opened = 0, secret = 0, denied = 0;
  for (int i = 0; i < n; i++) {
    int fd = open(buf, O_RDONLY);
    if (fd < 0) { denied++; continue; }
    char c[512] = {0};
    ssize_t r = read(fd, c, sizeof c - 1);
    close(fd);
    if (r > 0 && strstr(c, "root:")) secret++; else opened++;
  }
  stop = 1;
  pthread_join(t, 0);
  printf("opened=%ld secret=%ld denied=%ld\n", opened, secret, denied);
  return secret ? 1 : 0;
}
`;

const PATHCALLS_C = String.raw`
// Every path syscall of the x86_64 table, made raw (no libc translation), on a scratch directory
// given as argv[1]; prints one line per call with the result and what can be compared between a
// native and a virtualized run (no inode numbers, no times other than those set here).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <utime.h>

static char R[4096];
static char buf[8192];

static const char* P(const char* rel) {
  static char out[8][4096];
  static int i;
  i = (i + 1) % 8;
  snprintf(out[i], sizeof out[i], "%s/%s", R, rel);
  return out[i];
}

static void show(const char* what, long r) {
  printf("%-18s %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

static void showstat(const char* what, long r, struct stat* st) {
  if (r < 0) show(what, r);
  else printf("%-18s %ld mode=%o size=%ld nlink=%ld uid=%u gid=%u\n", what, r, st->st_mode, (long)st->st_size,
              (long)st->st_nlink, st->st_uid, st->st_gid);
}

int main(int argc, char** argv) {
  snprintf(R, sizeof R, "%s", argv[1]);
  struct stat st;
  long r;
  umask(022);

  r = syscall(SYS_mkdir, P("d"), 0777); show("mkdir", r);
  r = syscall(SYS_mkdirat, AT_FDCWD, P("d/e"), 0700); show("mkdirat", r);
  r = syscall(SYS_open, P("d/f"), O_CREAT | O_WRONLY | O_TRUNC, 0666); show("open creat", r >= 0 ? 0 : r);
  if (r >= 0) { (void)!write((int)r, "hello\n", 6); close((int)r); }
  r = syscall(SYS_creat, P("d/g"), 0600); show("creat", r >= 0 ? 0 : r); if (r >= 0) close((int)r);
  r = syscall(SYS_openat, AT_FDCWD, P("d/f"), O_RDONLY); show("openat", r >= 0 ? 0 : r);
  if (r >= 0) { ssize_t n = read((int)r, buf, sizeof buf); printf("read %zd %.*s", n, (int)(n > 0 ? n : 0), buf); close((int)r); }
  struct open_how how = {.flags = O_RDONLY, .resolve = 0};
  r = syscall(SYS_openat2, AT_FDCWD, P("d/f"), &how, sizeof how); show("openat2", r >= 0 ? 0 : r); if (r >= 0) close((int)r);
  how.resolve = RESOLVE_NO_SYMLINKS;
  r = syscall(SYS_openat2, AT_FDCWD, P("d/f"), &how, sizeof how); show("openat2 resolve", r >= 0 ? 0 : r); if (r >= 0) close((int)r);
  r = syscall(SYS_open, P("d/missing"), O_RDONLY); show("open missing", r);
  r = syscall(SYS_open, P("d/f/x"), O_RDONLY); show("open notdir", r);

  r = syscall(SYS_stat, P("d/f"), &st); showstat("stat", r, &st);
  r = syscall(SYS_symlink, "f", P("d/l")); show("symlink", r);
  r = syscall(SYS_symlinkat, "/nonexistent-target", AT_FDCWD, P("d/dangling")); show("symlinkat", r);
  r = syscall(SYS_lstat, P("d/l"), &st); printf("lstat islnk=%d size=%ld\n", S_ISLNK(st.st_mode), (long)st.st_size);
  r = syscall(SYS_stat, P("d/l"), &st); showstat("stat via link", r, &st);
  r = syscall(SYS_newfstatat, AT_FDCWD, P("d/l"), &st, AT_SYMLINK_NOFOLLOW); printf("newfstatat nofollow islnk=%d\n", S_ISLNK(st.st_mode));
  r = syscall(SYS_newfstatat, AT_FDCWD, P("d/dangling"), &st, 0); show("newfstatat dangling", r);
  struct statx sx;
  r = syscall(SYS_statx, AT_FDCWD, P("d/f"), 0, STATX_BASIC_STATS, &sx); printf("statx %ld size=%llu mode=%o\n", r, (unsigned long long)sx.stx_size, sx.stx_mode);
  r = syscall(SYS_statx, AT_FDCWD, P("d/l"), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx); printf("statx nofollow %ld islnk=%d\n", r, S_ISLNK(sx.stx_mode));

  r = syscall(SYS_access, P("d/f"), R_OK | W_OK); show("access", r);
  r = syscall(SYS_access, P("d/f"), X_OK); show("access x", r);
  r = syscall(SYS_faccessat, AT_FDCWD, P("d/e"), X_OK); show("faccessat", r);
  r = syscall(SYS_faccessat2, AT_FDCWD, P("d/l"), R_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS); show("faccessat2", r);

  memset(buf, 0, sizeof buf);
  r = syscall(SYS_readlink, P("d/l"), buf, sizeof buf); printf("readlink %ld %s\n", r, r > 0 ? buf : strerror(errno));
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_readlinkat, AT_FDCWD, P("d/dangling"), buf, 4); printf("readlinkat %ld %.4s\n", r, buf);
  r = syscall(SYS_readlink, P("d/f"), buf, sizeof buf); show("readlink notlink", r);

  r = syscall(SYS_link, P("d/f"), P("d/hard")); show("link", r);
  r = syscall(SYS_linkat, AT_FDCWD, P("d/l"), AT_FDCWD, P("d/hard2"), AT_SYMLINK_FOLLOW); show("linkat follow", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("nlink %ld\n", (long)st.st_nlink);
  r = syscall(SYS_rename, P("d/hard"), P("d/hard3")); show("rename", r);
  r = syscall(SYS_renameat, AT_FDCWD, P("d/hard3"), AT_FDCWD, P("d/e/hard4")); show("renameat", r);
  r = syscall(SYS_renameat2, AT_FDCWD, P("d/e/hard4"), AT_FDCWD, P("d/g"), RENAME_NOREPLACE); show("renameat2 noreplace", r);
  r = syscall(SYS_renameat2, AT_FDCWD, P("d/e/hard4"), AT_FDCWD, P("d/g"), RENAME_EXCHANGE); show("renameat2 exchange", r);
  r = syscall(SYS_stat, P("d/g"), &st); printf("exchanged size=%ld\n", (long)st.st_size);

  r = syscall(SYS_chmod, P("d/f"), 0640); show("chmod", r);
  r = syscall(SYS_fchmodat, AT_FDCWD, P("d/l"), 0604); show("fchmodat via link", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mode %o\n", st.st_mode & 07777);
  r = syscall(SYS_chown, P("d/f"), -1, -1); show("chown", r);
  r = syscall(SYS_lchown, P("d/l"), -1, -1); show("lchown", r);
  r = syscall(SYS_fchownat, AT_FDCWD, P("d/f"), getuid(), getgid(), 0); show("fchownat", r);

  struct utimbuf ub = {1000000, 2000000};
  r = syscall(SYS_utime, P("d/f"), &ub); show("utime", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mtime %ld atime %ld\n", (long)st.st_mtime, (long)st.st_atime);
  struct timeval tv[2] = {{3000000, 5}, {4000000, 7}};
  r = syscall(SYS_utimes, P("d/f"), tv); show("utimes", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mtime %ld.%09ld\n", (long)st.st_mtime, st.st_mtim.tv_nsec);
  tv[1].tv_sec = 5000000;
  r = syscall(SYS_futimesat, AT_FDCWD, P("d/f"), tv); show("futimesat", r);
  struct timespec ts[2] = {{0, UTIME_OMIT}, {6000000, 9}};
  r = syscall(SYS_utimensat, AT_FDCWD, P("d/f"), ts, 0); show("utimensat", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("mtime %ld.%09ld atime %ld\n", (long)st.st_mtime, st.st_mtim.tv_nsec, (long)st.st_atime);
  struct timeval bad[2] = {{1, 2000000}, {1, 0}};
  r = syscall(SYS_utimes, P("d/f"), bad); show("utimes einval", r);

  r = syscall(SYS_truncate, P("d/f"), 3); show("truncate", r);
  r = syscall(SYS_stat, P("d/f"), &st); printf("size %ld\n", (long)st.st_size);
  struct statfs sf;
  r = syscall(SYS_statfs, P("d"), &sf); printf("statfs %ld type=%lx\n", r, (long)sf.f_type);

  r = syscall(SYS_mknod, P("d/fifo"), S_IFIFO | 0600, 0); show("mknod fifo", r);
  r = syscall(SYS_mknodat, AT_FDCWD, P("d/fifo2"), S_IFIFO | 0666, 0); show("mknodat fifo", r);
  r = syscall(SYS_stat, P("d/fifo2"), &st); printf("fifo isfifo=%d mode=%o\n", S_ISFIFO(st.st_mode), st.st_mode & 07777);

  r = syscall(SYS_setxattr, P("d/f"), "user.k", "value", 5, 0); show("setxattr", r);
  r = syscall(SYS_lsetxattr, P("d/e"), "user.j", "v2", 2, XATTR_CREATE); show("lsetxattr", r);
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_getxattr, P("d/l"), "user.k", buf, sizeof buf); printf("getxattr %ld %s\n", r, r > 0 ? buf : strerror(errno));
  r = syscall(SYS_getxattr, P("d/f"), "user.k", NULL, 0); show("getxattr size", r);
  r = syscall(SYS_lgetxattr, P("d/l"), "user.k", buf, sizeof buf); show("lgetxattr link", r);
  r = syscall(SYS_getxattr, P("d/f"), "user.k", buf, 2); show("getxattr erange", r);
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_listxattr, P("d/f"), buf, sizeof buf); printf("listxattr %ld %s\n", r, buf);
  r = syscall(SYS_llistxattr, P("d/e"), buf, sizeof buf); printf("llistxattr %ld %s\n", r, buf);
  r = syscall(SYS_removexattr, P("d/f"), "user.k"); show("removexattr", r);
  r = syscall(SYS_lremovexattr, P("d/e"), "user.j"); show("lremovexattr", r);
  r = syscall(SYS_removexattr, P("d/f"), "user.k"); show("removexattr again", r);

  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  r = syscall(SYS_inotify_add_watch, in, P("d"), IN_CREATE); show("inotify_add_watch", r);
  r = syscall(SYS_inotify_add_watch, in, P("d/missing"), IN_CREATE); show("inotify missing", r);
  int t = (int)syscall(SYS_open, P("d/new"), O_CREAT | O_WRONLY, 0644); close(t);
  ssize_t n = read(in, buf, sizeof buf);
  struct inotify_event* ev = (struct inotify_event*)buf;
  printf("inotify event %d %s\n", n > 0 && (ev->mask & IN_CREATE) != 0, n > 0 ? ev->name : "");
  close(in);

  struct { unsigned int handle_bytes; int handle_type; unsigned char h[128]; } fh = {128, 0, {0}};
  int mnt = -1;
  r = syscall(SYS_name_to_handle_at, AT_FDCWD, P("d/f"), &fh, &mnt, 0); printf("name_to_handle_at %ld bytes=%u mnt_ok=%d\n", r, fh.handle_bytes, mnt >= 0);
  fh.handle_bytes = 0;
  r = syscall(SYS_name_to_handle_at, AT_FDCWD, P("d/f"), &fh, &mnt, 0); printf("name_to_handle_at small %ld %s bytes_needed=%u\n", r, strerror(errno), fh.handle_bytes);

  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", P("d/sock"));
  int s1 = socket(AF_UNIX, SOCK_STREAM, 0);
  r = bind(s1, (struct sockaddr*)&sa, sizeof sa); show("bind", r);
  printf("sockaddr after bind %s\n", strcmp(sa.sun_path, P("d/sock")) == 0 ? "intact" : sa.sun_path);
  listen(s1, 1);
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  r = connect(s2, (struct sockaddr*)&sa, sizeof sa); show("connect", r);
  printf("sockaddr after connect %s\n", strcmp(sa.sun_path, P("d/sock")) == 0 ? "intact" : sa.sun_path);
  int s3 = accept(s1, NULL, NULL);
  (void)!write(s2, "ping", 4);
  memset(buf, 0, 8);
  (void)!read(s3, buf, 4);
  printf("socket says %s\n", buf);
  r = syscall(SYS_stat, P("d/sock"), &st); printf("socket file issock=%d\n", S_ISSOCK(st.st_mode));
  close(s1), close(s2), close(s3);

  char path[4096];
  snprintf(path, sizeof path, "%s", P("d"));
  r = syscall(SYS_chdir, path); show("chdir", r);
  printf("chdir arg after %s\n", strcmp(path, P("d")) == 0 ? "intact" : path);
  memset(buf, 0, sizeof buf);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd %d %s\n", r == (long)strlen(buf) + 1, buf);
  r = syscall(SYS_getcwd, buf, 5); show("getcwd small", r);
  r = syscall(SYS_chdir, "e"); show("chdir rel", r);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd %s\n", buf);
  r = syscall(SYS_stat, "../f", &st); showstat("stat rel", r, &st);
  r = syscall(SYS_chdir, ".."); show("chdir ..", r);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd %s\n", buf);
  r = syscall(SYS_chdir, P("d/missing")); show("chdir missing", r);
  r = syscall(SYS_chdir, P("d/f")); show("chdir notdir", r);
  r = syscall(SYS_getcwd, buf, sizeof buf); printf("getcwd still %s\n", buf);

  r = syscall(SYS_unlink, P("d/hard2")); show("unlink", r);
  r = syscall(SYS_unlinkat, AT_FDCWD, P("d/e"), 0); show("unlinkat dir", r);
  r = syscall(SYS_unlinkat, AT_FDCWD, P("d/e/hard4"), 0); show("unlinkat", r);
  r = syscall(SYS_rmdir, P("d/e")); show("rmdir", r);
  r = syscall(SYS_rmdir, P("d")); show("rmdir notempty", r);
  return 0;
}
`;
