// The `sysvisor run` command as users run it: real processes, real kernel.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROBE, run, sysvisor, CLI, readCountTable } from './helpers.js';

describe('sysvisor run: passthrough', () => {
  it('passes exit status, stdout and stderr through unchanged', async () => {
    const script = 'printf "out\\0bin\\377"; printf "err line\\n" >&2; exit 3';
    const native = await run('sh', ['-c', script]);
    const sup = await sysvisor(['run', '-e', 'count:o=/dev/null', '--', 'sh', '-c', script]);
    expect(sup).toEqual(native);
    expect(sup.code).toBe(3);
  });

  it('passes a megabyte of stdin through to stdout byte for byte', async () => {
    const input = Buffer.alloc(1 << 20);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7919) & 0xff;
    const sup = await sysvisor(['run', '-e', 'count:syscalls=read,write,o=/dev/null', '--', 'cat'], { input });
    expect(sup.code).toBe(0);
    expect(Buffer.from(sup.stdout, 'latin1').equals(input)).toBe(true);
  });

  it('gives the command exactly the fds it would have natively (nothing of the supervisor leaks)', async () => {
    const native = await run('ls', ['/proc/self/fd']);
    const sup = await sysvisor(['run', '-e', 'count:o=/dev/null', '--', 'ls', '/proc/self/fd']);
    expect(sup.stdout).toBe(native.stdout);
    const nested = await sysvisor(['run', '--', process.execPath, CLI, 'run', '-e', 'count:o=/dev/null', '--', 'ls', '/proc/self/fd']);
    expect(nested.stdout).toBe(native.stdout);
  });

  it('reports 128+N when the command is killed by signal N', async () => {
    const kill9 = await sysvisor(['run', '--', 'sh', '-c', 'kill -KILL $$']);
    expect(kill9.code).toBe(137);
    const term = await sysvisor(['run', '-e', 'count:o=/dev/null', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(term.code).toBe(143);
  });

  it('forwards SIGTERM to the command', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--', PROBE, 'sleep-signal'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(15); // the probe's handler exits with the signal number
  });

  it('a run naming its engines, or sealed, notifies nothing it does not need: no EINTR where there is none natively', async () => {
    // A notified call can be interrupted by a signal before the supervisor takes it (EINTR without
    // SA_RESTART); calls nobody intercepts must stay out of the filter. (A bare run is --loadable
    // all: it notifies the built-ins' calls from the start, stat among them.)
    expect((await run(PROBE, ['stat-under-signals'])).stdout).toBe('eintr 0\n');
    expect((await sysvisor(['run', '--sealed', '--', PROBE, 'stat-under-signals'])).stdout).toBe('eintr 0\n');
    expect((await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', PROBE, 'stat-under-signals'])).stdout).toBe('eintr 0\n');
  });

  it('keeps the command options its own (no -- needed)', async () => {
    const r = await sysvisor(['run', 'ls', '-d', '/']);
    expect(r).toMatchObject({ code: 0, stdout: '/\n' });
  });
});

describe('sysvisor run: following the process tree', () => {
  it('follows fork, vfork, clone, threads and exec', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-tree-'));
    try {
      const out = path.join(dir, 'count.txt');
      const r = await sysvisor(['run', '-e', `count:syscalls=getppid,o=${out}`, '--', PROBE, 'tree']);
      expect(r.stdout).toBe('tree done\n');
      expect(r.code).toBe(0);
      expect(readCountTable(out).get('getppid')?.calls).toBe(60);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('serves a multi-threaded tracee', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-threads-'));
    try {
      const out = path.join(dir, 'count.txt');
      const r = await sysvisor(['run', '-e', `count:syscalls=getppid,o=${out}`, '--', PROBE, 'threads', '8', '2000']);
      expect(r).toMatchObject({ code: 0, stdout: 'threads done\n' });
      expect(readCountTable(out).get('getppid')?.calls).toBe(16000);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('waits for orphans that outlive the command, as strace -f does', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-orphan-'));
    try {
      const out = path.join(dir, 'count.txt');
      const marker = path.join(dir, 'orphan-done');
      const r = await sysvisor(['run', '-e', `count:syscalls=getppid,o=${out}`, '--', 'sh', '-c', `(sleep 0.3; ${PROBE} calls 5; touch ${marker}) &`]);
      expect(r.code).toBe(0);
      expect(existsSync(marker)).toBe(true); // sysvisor returned only after the orphan finished
      expect(readCountTable(out).get('getppid')?.calls).toBeGreaterThanOrEqual(5); // + the shell's own
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

const scratch = mkdtempSync(path.join(tmpdir(), 'sv-bad-'));
const NOT_EXECUTABLE = path.join(scratch, 'plain.txt');
const GARBAGE = path.join(scratch, 'garbage');
writeFileSync(NOT_EXECUTABLE, 'hello\n');
chmodSync(NOT_EXECUTABLE, 0o644);
writeFileSync(GARBAGE, 'not a program\0\0\0');
chmodSync(GARBAGE, 0o755);
afterAll(() => rmSync(scratch, { recursive: true }));

describe("strace's and PRoot's options: one line naming sysvisor's way, exit 2", () => {
  it.each([
    [['-o', 'x.txt'], /-o is not a sysvisor option: .*-e trace:o=FILE/],
    [['-c'], /-c is not a sysvisor option: .*-e count/],
    [['-f'], /-f is not a sysvisor option: .*follows the whole process tree/],
    [['-p', '1'], /-p is not a sysvisor option: .*cannot attach to a running process/],
    [['-p1'], /-p is not a sysvisor option: .*cannot attach to a running process/],
    [['-s', '100'], /-s is not a sysvisor option: .*-e trace:s=N/],
    [['-b', '/usr:/x'], /-b is not a sysvisor option: .*-e unreal/],
    [['-r'], /-r is not a sysvisor option: /],
    [['-w'], /-w is not a sysvisor option: /],
  ])('run %j', async (opts, hint) => {
    const r = await sysvisor(['run', ...opts, '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(hint);
  });
});

describe('sysvisor: bad input', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['unknown engine', ['run', '-e', 'nosuch', '--', 'true'], 2, /unknown engine 'nosuch'/],
    ['unknown engine option', ['run', '-e', 'count:frob=1', '--', 'true'], 2, /unknown option 'frob'/],
    ['unknown syscall for count', ['run', '-e', 'count:syscalls=nosuchcall', '--', 'true'], 2, /unknown syscall/],
    ['unknown sysvisor option', ['run', '--frob', '--', 'true'], 2, /Unknown option '--frob'/],
    ['missing command', ['run', '-e', 'count'], 2, /missing COMMAND/],
    ['missing subcommand', [], 2, /missing subcommand/],
    ['command not found', ['run', '--', 'no-such-command-xyz'], 127, /no-such-command-xyz: command not found/],
    ['command not executable', ['run', '--', NOT_EXECUTABLE], 126, /Permission denied/],
    ['command in an unknown format', ['run', '--', GARBAGE], 126, /Exec format error/],
    ['directory as command', ['run', '--', '/tmp'], 126, /Permission denied/],
  ];
  for (const [name, args, code, msg] of cases) {
    it(`${name}: one line on stderr, exit ${code}`, async () => {
      const r = await sysvisor(args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('sysvisor demo (what npm start shows) runs its examples', async () => {
    const r = await sysvisor(['demo']);
    expect(r.code).toBe(0);
    const host = readFileSync('/etc/hostname', 'utf8');
    expect(r.stdout).toContain(`# path virtualization: /unreal/X is /X (same bytes as /etc/hostname)\n${host}/unreal/unreal/etc\n${host}`);
    expect(r.stderr).toMatch(/openat\(AT_FDCWD, "\/unreal\/etc\/hostname", O_RDONLY\) = 3/);
    expect(r.stderr).toMatch(/openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) = 3/);
    expect(r.stderr).toMatch(/100\.00 .* total/);
  });

  it('--help and --version', async () => {
    const h = await sysvisor(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/usage: sysvisor run/);
    const v = await sysvisor(['--version']);
    expect(v.stdout).toMatch(/^sysvisor \d+\.\d+\.\d+\n$/);
  });
});
