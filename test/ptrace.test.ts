// The ptrace transport through the command line, on real processes: engines run unchanged over
// it, a program sees what it sees natively (exit statuses, signals, stops, its tree), and `auto`
// falls back to it under a seccomp listener that is not a sysvisor's.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, PROBE, ROOT, parseCountTable, run, sysvisor } from './helpers.js';

const FOREIGN = path.join(ROOT, 'test', 'build', 'foreign-listener');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}
const PT = ['run', '--transport', 'ptrace'];

describe('ptrace transport: engines', () => {
  it('count counts every intercepted call of a tree: fork, vfork+exec, clone, thread, exec', async () => {
    const r = await sysvisor([...PT, '-e', 'count:syscalls=getppid,kernel=off', '--', PROBE, 'tree']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('tree done\n');
    expect(parseCountTable(r.stderr).get('getppid')?.calls).toBe(60);
  });

  it('trace sees the calls and their results', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-pt-trace-'));
    try {
      const out = path.join(dir, 'trace');
      const r = await sysvisor([...PT, '-e', `trace:o=${out},e=openat`, '--', 'cat', '/etc/hostname']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(readFileSync('/etc/hostname', 'latin1'));
      expect(readFileSync(out, 'utf8')).toMatch(/openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) = 3/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('ptrace transport: unreal', () => {
  it('#! scripts whose interpreter is under the view, chained, run as over unotify (the thread makes the interpreter\'s execve)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-pt-script-'));
    try {
      const mk = (name: string, line: string, body = '') => `printf '%s\\n%s\\n' "${line}" '${body}' > ${name} && chmod +x ${name}`;
      const script = [
        `cd /unreal${dir}`,
        mk('s1', '#!/unreal/bin/sh', 'echo "s1: 0=$0 args=$*"'),
        mk('c0', '#!/unreal/unreal/bin/sh', 'echo "c0: $0 $*"'),
        mk('c1', `#!/unreal${dir}/c0 a1`),
        mk('c2', `#!/unreal${dir}/c1 a2`),
        mk('bad', '#!/unreal/nonexistent/sh'),
        './s1 a "b c"; echo rc=$?',
        './c2 x; echo rc=$?',
        './bad; echo rc=$?',
      ].join('\n');
      const over = (t: string) => sysvisor(['run', '--transport', t, '-e', 'unreal', '--', 'sh', '-c', script]);
      const pt = await over('ptrace');
      expect(pt.stdout).toContain('s1: 0=./s1 args=a b c\nrc=0\n');
      expect(pt.stdout).toContain(`c0: /unreal${dir}/c0 a1 /unreal${dir}/c1 a2 ./c2 x\nrc=0\n`);
      const un = await over('unotify');
      expect({ code: pt.code, stdout: pt.stdout, stderr: pt.stderr }).toEqual({ code: un.code, stdout: un.stdout, stderr: un.stderr });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('ptrace transport: what the program sees', () => {
  it('a tracer inside (strace) gets EPERM, and sysvisor says why in one line', async () => {
    const native = await run('strace', ['-o', '/dev/null', 'true']);
    expect(native.code).toBe(0);
    const r = await sysvisor([...PT, '--', 'strace', '-o', '/dev/null', 'true']);
    expect(r.code).not.toBe(0);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('sysvisor: '));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^sysvisor: pid \d+: ptrace\((PTRACE_TRACEME|PTRACE_SEIZE, \d+|PTRACE_ATTACH, \d+)\) gets EPERM: under --transport ptrace sysvisor is the tracer of every process of the tree, and a process has one tracer \(use --transport unotify\)$/);
  });

  it('exit statuses, and the signal that killed it (128+N)', async () => {
    expect((await sysvisor([...PT, '--', 'sh', '-c', 'exit 7'])).code).toBe(7);
    expect((await sysvisor([...PT, '--', 'sh', '-c', 'kill -TERM $$'])).code).toBe(143);
  });

  it('signals reach their handlers (signal-delivery stops are re-injected)', async () => {
    const r = await sysvisor([...PT, '-e', 'count:syscalls=getppid,kernel=off', '--', 'sh', '-c', 'trap "echo got USR1" USR1; kill -USR1 $$; echo after']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('got USR1\nafter\n');
  });

  it('a stopped child stays stopped until SIGCONT, and its parent sees the stop (group-stop, as natively)', async () => {
    // The child stops itself; the parent sees it stopped (waitpid WUNTRACED: python's os.waitpid),
    // continues it, and reaps its exit.
    const py = [
      'import os, signal',
      'pid = os.fork()',
      'if pid == 0:',
      '    os.kill(os.getpid(), signal.SIGSTOP)',
      '    os._exit(5)',
      '_, st = os.waitpid(pid, os.WUNTRACED)',
      'print("stopped", os.WIFSTOPPED(st), os.WSTOPSIG(st))',
      'os.kill(pid, signal.SIGCONT)',
      '_, st = os.waitpid(pid, 0)',
      'print("exited", os.WEXITSTATUS(st))',
    ].join('\n');
    const native = await run('python3', ['-c', py]);
    const r = await sysvisor([...PT, '-e', 'count:syscalls=getppid,kernel=off', '--', 'python3', '-c', py]);
    expect(native.stdout).toBe('stopped True 19\nexited 5\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.code).toBe(0);
  });

  it('a thread that calls execve: the program it runs is traced on (its calls intercepted)', async () => {
    const py = [
      'import os, threading, sys',
      `t = threading.Thread(target=lambda: os.execv("${PROBE}", ["probe", "calls", "5"]))`,
      't.start()',
      't.join()',
    ].join('\n');
    // The same count as over unotify (python makes getppid calls of its own; the probe 5).
    const counted = async (transport: string) => {
      const r = await sysvisor(['run', '--transport', transport, '-e', 'count:syscalls=getppid,kernel=off', '--', 'python3', '-c', py]);
      expect(r.code).toBe(0);
      return parseCountTable(r.stderr).get('getppid')?.calls;
    };
    const overPtrace = await counted('ptrace');
    expect(overPtrace).toBeGreaterThanOrEqual(5);
    expect(overPtrace).toBe(await counted('unotify'));
  });
});

describe('ptrace transport: when sysvisor dies', () => {
  it('SIGKILL of sysvisor kills the whole tree (PTRACE_O_EXITKILL, and the launcher)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-pt-death-'));
    try {
      const script = `sleep 1000 & echo $$ $! > ${dir}/pids; while :; do cat /unreal/etc/hostname > /dev/null; done`;
      const sv = spawn(process.execPath, [CLI, ...PT, '-e', 'unreal', '--', 'sh', '-c', script], { stdio: 'ignore' });
      const exited = new Promise<void>((r) => sv.on('exit', () => r()));
      while (!existsSync(`${dir}/pids`) || readFileSync(`${dir}/pids`, 'utf8').trim().split(' ').length < 2) await sleep(20);
      const tree = readFileSync(`${dir}/pids`, 'utf8').trim().split(' ').map(Number);
      sv.kill('SIGKILL');
      await exited;
      // The kernel kills the tracees as the tracer exits; they are gone once the launcher reaped them.
      while (tree.some(alive)) await sleep(20);
      expect(tree.filter(alive)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('--transport', () => {
  it('auto falls back to ptrace under a foreign seccomp listener, with one line; the engines run', async () => {
    const r = await run(FOREIGN, [process.execPath, CLI, 'run', '-e', 'count:syscalls=getppid,kernel=off', '--', PROBE, 'calls', '12']);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('sysvisor: a seccomp listener above this process holds the slot (EBUSY): using the ptrace transport');
    expect(parseCountTable(r.stderr).get('getppid')?.calls).toBe(12);
    expect(r.stderr).toMatch(/^foreign-listener: notified=\d+$/m);
  });

  it('ptrace refused (the command is traced already, by strace -f above): one line', async () => {
    const r = await run('strace', ['-f', '-o', '/dev/null', process.execPath, CLI, ...PT, '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sysvisor: unsupported: ptrace: the kernel refuses to trace the command (EPERM: it is traced already, by a strace or gdb above; or Yama ptrace_scope 2 or 3, or a container profile, denies ptrace)\n');
  });

  it('a bad value, or continue with ptrace: one line, exit status 2', async () => {
    const bad = await sysvisor(['run', '--transport', 'carrier-pigeon', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("sysvisor: --transport must be unotify, ptrace or auto, got 'carrier-pigeon'\n");
    const cont = await sysvisor([...PT, '--on-supervisor-exit=continue', '--', 'true']);
    expect(cont.code).toBe(2);
    expect(cont.stderr.trim().split('\n')).toHaveLength(1);
  });
});
