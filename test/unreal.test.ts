// The `unreal` engine with real programs on the real kernel: every command runs natively on real
// paths and under `sysvisor run -e unreal` through /unreal and /unreal/unreal; outputs and exit
// statuses must be identical once the paths themselves are named alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, ROOT, run, sysvisor, type RunResult } from './helpers.js';

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
  // test/programs/pathcalls.c and toctou.c, built by its Makefile.
  for (const name of ['pathcalls', 'toctou']) {
    copyFileSync(path.join(ROOT, 'test', 'build', name), path.join(bin, name));
    chmodSync(path.join(bin, name), 0o755);
  }
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

