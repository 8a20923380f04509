// The ptrace transport through the command line, on real processes: engines run unchanged over
// it, a program sees what it sees natively (exit statuses, signals, stops, its tree), and `auto`
// falls back to it under a seccomp listener that is not a sysvisor's.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, PROBE, ROOT, parseCountTable, readCountTable, run, sysvisor } from './helpers.js';
import { ptraceRefusal, readPtraceFacts } from '../src/transports/ptrace/refusal.js';

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
        // One argument, by the view's path: the redone execve's own path, rewritten, goes below the
        // strings it points at (it once overwrote its argv: EFAULT).
        './s1 a; echo rc=$?',
        `/unreal${dir}/s1 a; echo rc=$?`,
        './c2 x; echo rc=$?',
        './bad; echo rc=$?',
      ].join('\n');
      const over = (t: string) => sysvisor(['run', '--transport', t, '-e', 'unreal', '--', 'sh', '-c', script]);
      const pt = await over('ptrace');
      expect(pt.stdout).toContain('s1: 0=./s1 args=a b c\nrc=0\n');
      expect(pt.stdout).toContain(`s1: 0=./s1 args=a\nrc=0\ns1: 0=/unreal${dir}/s1 args=a\nrc=0\n`);
      expect(pt.stdout).toContain(`c0: /unreal${dir}/c0 a1 /unreal${dir}/c1 a2 ./c2 x\nrc=0\n`);
      const un = await over('unotify');
      expect({ code: pt.code, stdout: pt.stdout, stderr: pt.stderr }).toEqual({ code: un.code, stdout: un.stdout, stderr: un.stderr });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('ptrace transport: memory below the stack pointer', () => {
  it('a path written below the red zone stays on the alternate signal stack a handler runs on (sigaltstack), never below it', async () => {
    const ALT = path.join(ROOT, 'test', 'build', 'altstack');
    // The handler's stack pointer 64 bytes above the bottom of its alternate stack; the program's
    // data below it. Natively and over unotify nothing is written there.
    expect((await run(ALT, ['/etc/hostname', '64'])).stdout).toBe('open=OK data=intact\n');
    expect((await sysvisor(['run', '--transport', 'unotify', '-e', 'unreal', '--', ALT, '/unreal/etc/hostname', '64'])).stdout).toBe('open=OK data=intact\n');
    // Over ptrace the rewritten path has no room there: the call fails, said in one line (it once
    // overwrote the program's data).
    const low = await sysvisor([...PT, '-e', 'unreal', '--', ALT, '/unreal/etc/hostname', '64']);
    expect(low.stdout).toBe('open=ENOMEM data=intact\n');
    expect(low.stderr).toMatch(/^sysvisor: pid \d+ runs a signal handler on its alternate signal stack with too little room below its red zone for the changed openat\(\) \(the ptrace transport writes it there\): the call fails with ENOMEM; use --transport unotify\n$/);
    expect(low.code).toBe(0);
    // With room on the alternate stack, the path goes there and the call runs.
    const roomy = await sysvisor([...PT, '-e', 'unreal', '--', ALT, '/unreal/etc/hostname', '4000']);
    expect({ code: roomy.code, stdout: roomy.stdout, stderr: roomy.stderr }).toEqual({ code: 0, stdout: 'open=OK data=intact\n', stderr: '' });
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

const FALLBACK = 'sysvisor: a seccomp listener above this process holds the slot (EBUSY): using the ptrace transport, with syscall-entry stops';

/** stderr without the foreign listener's own last line. */
const ours = (stderr: string) => stderr.replace(/^foreign-listener: notified=\d+\n/m, '');

/** What unreal's view gives a script under a foreign listener, beside what the script gives natively. */
async function underForeign(script: (P: string) => string, opts: { notify?: string; sysvisor?: string[] } = {}) {
  const native = await run('sh', ['-c', script('')]);
  const r = await run(FOREIGN, ['--notify', opts.notify ?? 'all', process.execPath, CLI, 'run', ...(opts.sysvisor ?? []), '-e', 'unreal', '--', 'sh', '-c', script('/unreal')]);
  const lines = r.stderr.split('\n');
  const notified = Number(/^foreign-listener: notified=(\d+)$/m.exec(r.stderr)?.[1]);
  const stderr = lines.filter((l) => l !== FALLBACK && !l.startsWith('foreign-listener: ')).join('\n');
  return { native, virt: { code: r.code, stdout: r.stdout, stderr }, first: lines[0], notified };
}

describe('--transport', () => {
  it('auto falls back to ptrace under a foreign seccomp listener, with one line; the engines run', async () => {
    const r = await run(FOREIGN, [process.execPath, CLI, 'run', '-e', 'count:syscalls=getppid,kernel=off', '--', PROBE, 'calls', '12']);
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(FALLBACK);
    expect(parseCountTable(r.stderr).get('getppid')?.calls).toBe(12);
    expect(r.stderr).toMatch(/^foreign-listener: notified=\d+$/m);
  });

  // The foreign listener is notified of every call (and lets each run): its USER_NOTIF beats the
  // TRACE of sysvisor's filter, so no seccomp stop comes; the calls are caught at their entry stops.
  const VIEW = (P: string) =>
    [
      `cat ${P}/etc/hostname`, // openat with a rewritten path
      `ls ${P}/etc/ssl | head -3`, // a directory read
      `cd ${P}/tmp && d=$(pwd -P) && echo "\${d#${P}}"`, // getcwd's result replaced at its exit
      `stat -c %s ${P}/etc/passwd`, // a stat
      `x=$(${P}/usr/bin/readlink /proc/self/exe) && echo "\${x#${P}}"`, // readlink answered with a value (the call skipped)
      `readlink ${P}/etc/no-such-file; echo "readlink: $?"`, // an errno answer
      `printf '#!/bin/sh\\necho script \${0#${P}}\\n' > /tmp/sv-pt-foreign-${process.pid} && chmod +x /tmp/sv-pt-foreign-${process.pid} && ${P}/tmp/sv-pt-foreign-${process.pid}; rm -f /tmp/sv-pt-foreign-${process.pid}`, // #!: redone as the interpreter's execve
    ].join('; ');

  it('under a foreign listener notified of every call, unreal over ptrace gives what the commands give natively', async () => {
    const { native, virt, first, notified } = await underForeign(VIEW);
    expect(native.code).toBe(0);
    expect(native.stdout).toMatch(/^script \/tmp\/sv-pt-foreign-\d+$/m);
    expect(virt).toEqual({ code: native.code, stdout: native.stdout, stderr: native.stderr });
    expect(first).toBe(FALLBACK);
    expect(notified).toBeGreaterThan(100); // the listener saw the calls, rewritten paths included
  });

  it('... and with --complete (a skipped call passes seccomp as nr -1, which that filter answers ENOSYS: the value is set at the exit stop)', async () => {
    const { native, virt } = await underForeign(VIEW, { sysvisor: ['--complete'] });
    expect(virt).toEqual({ code: native.code, stdout: native.stdout, stderr: native.stderr });
  });

  it("under sysvisor's own unotify supervisor (sealed: it answers no nested run), the ptrace fallback works beneath it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-pt-outer-'));
    try {
      const counts = path.join(dir, 'counts');
      const r = await sysvisor(['run', '--transport', 'unotify', '--sealed', '-e', `count:syscalls=openat,kernel=off,o=${counts}`, '--', process.execPath, CLI, 'run', '-e', 'unreal', '--', 'cat', '/unreal/etc/hostname']);
      // The outer one says that a call of its tree got EBUSY (auto's probe), then the inner one falls back.
      expect(r.stderr).toMatch(new RegExp(`^sysvisor: pid \\d+: its seccomp listener \\(SECCOMP_FILTER_FLAG_NEW_LISTENER\\) gets EBUSY: .*\n${FALLBACK.replace(/[()]/g, '\\$&')}\n$`));
      expect(r.stdout).toBe(readFileSync('/etc/hostname', 'latin1'));
      expect(r.code).toBe(0);
      expect(readCountTable(counts).get('openat')?.calls).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('ptrace refused (the command is traced already, by strace -f above): one line naming the tracer', async () => {
    const r = await run('strace', ['-f', '-o', '/dev/null', process.execPath, CLI, ...PT, '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sysvisor: unsupported: ptrace: the kernel refuses to trace the command \(EPERM\): it is traced already, by pid \d+ \(strace\), and a process has one tracer; use --transport unotify\n$/);
  });

  it('ptrace denied by a container profile (seccomp EPERM for ptrace): one line; under auto with the slot taken, one line for both', async () => {
    const SYS_PTRACE = '101';
    const pt = await run(FOREIGN, ['--deny', SYS_PTRACE, process.execPath, CLI, ...PT, '--', 'true']);
    expect(pt.code).toBe(1);
    expect(ours(pt.stderr)).toBe('sysvisor: unsupported: ptrace: the kernel refuses to trace the command (EPERM): sysvisor runs under 1 seccomp filter (a container profile?) that may deny ptrace(2); use --transport unotify\n');
    const auto = await run(FOREIGN, ['--deny', SYS_PTRACE, process.execPath, CLI, 'run', '--', 'true']);
    expect(auto.code).toBe(1);
    expect(ours(auto.stderr)).toBe('sysvisor: unsupported: ptrace: a seccomp listener above this process holds the slot (EBUSY) and the kernel refuses to trace the command (EPERM): sysvisor runs under 1 seccomp filter (a container profile?) that may deny ptrace(2); use --transport unotify\n');
  });

  it('the refusal line names Yama where the kernel has it (the wording from the facts; this kernel has no Yama)', () => {
    const none = { tracerPid: 0, capSysPtrace: true, seccompFilters: 0 };
    expect(existsSync('/proc/sys/kernel/yama/ptrace_scope')).toBe(readPtraceFacts(process.pid).yamaScope !== undefined);
    expect(ptraceRefusal({ ...none, yamaScope: 3 })).toBe('Yama ptrace_scope is 3: no process may trace another (until reboot); use --transport unotify');
    expect(ptraceRefusal({ ...none, yamaScope: 2, capSysPtrace: false })).toBe('Yama ptrace_scope is 2: tracing needs CAP_SYS_PTRACE, which sysvisor lacks; use --transport unotify');
    expect(ptraceRefusal({ ...none, yamaScope: 2 })).toBe('an LSM (AppArmor, SELinux) or a container profile denies ptrace; use --transport unotify');
    expect(ptraceRefusal({ ...none, yamaScope: 1, tracerPid: 42, tracerName: 'gdb' })).toBe('it is traced already, by pid 42 (gdb), and a process has one tracer; use --transport unotify');
    expect(readPtraceFacts(process.pid).capSysPtrace).toBe(true); // root here
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
