// One tracee that gets no CPU must not stall the others. Installing an fd (ADDFD) waits until the
// target thread runs and takes it; that wait runs on a worker thread of the addon, so the thread
// that serves everyone goes on. When its emulated open is answered, tracee A (test/programs/stall.c)
// is moved to a CPU where a real-time task spins, so it cannot run and take its fd (fair tasks get
// that CPU back only after the kernel's real-time limit, sched_rt_runtime_us, 950 ms of each second
// here); the supervisor and tracee B stay on the other CPUs, and B's notified calls are counted
// while A's fd is not installed yet. (A CPU cgroup's quota no longer does it: since Linux 6.18 a
// throttled task runs on in the kernel until it returns to user space, so it installs the fd.)
import { mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { supervise, Result, Reporter, type Engine } from '../src/index.js';
import { ROOT } from './helpers.js';

const STALL = path.join(ROOT, 'test', 'build', 'stall');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

/** The CPUs a process may run on, as taskset's list ("0,1" or "0-3"). */
function cpuList(pid: number): string {
  return execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' }).trim().split(': ')[1]!;
}

/** Pins every thread of `pid` to `cpus`. */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
}

/** The scheduling policy and CPU of a running process (/proc/PID/stat fields 41 and 39). */
function schedOf(pid: number): { policy: number; cpu: number } | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { policy: Number(rest[38]), cpu: Number(rest[36]) };
  } catch {
    return undefined;
  }
}

describe('a tracee without CPU does not stall the others', () => {
  it('while A (starved by a real-time task on its CPU) has not taken its emulated open\'s fd, B\'s calls are served', async () => {
    const ours = cpuList(process.pid);
    const cpus = ours.split(',').flatMap((r) => {
      const [a, b] = r.split('-').map(Number);
      return b === undefined ? [a!] : Array.from({ length: b - a! + 1 }, (_, i) => a! + i);
    });
    // Probed, not skipped: this machine kind has 2 CPUs.
    expect(cpus.length, 'needs two CPUs: one to starve A on, one for the rest').toBeGreaterThanOrEqual(2);
    const hogCpu = cpus[cpus.length - 1]!;
    const others = cpus.slice(0, -1).join(',');
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-stall-'));
    const outFile = path.join(dir, 'out');
    const reports: string[] = [];
    const reporter = new Reporter();
    reporter.line = (l: string) => void reports.push(l);
    let aPid = 0;
    let fdsAtAnswer = -1;
    let servedWhileAWaits = 0;
    let hog: ChildProcess | undefined;
    const stopHog = () => {
      hog?.kill('SIGKILL');
      hog = undefined;
    };
    const engine: Engine = {
      name: 'stall',
      interests: [{ syscall: 'openat' }, { syscall: 'getppid' }],
      handle: async (call, next) => {
        if (call.name === 'openat' && call.string(1) === '/stall/target') {
          aPid = call.tid; // A's main thread: its pid
          pin(aPid, String(hogCpu));
          // A spinner at real-time priority on A's CPU (it ends by itself after 5 s at the latest).
          hog = spawn('taskset', ['-c', String(hogCpu), 'chrt', '-f', '50', process.execPath, '-e', 'const end = Date.now() + 5000; while (Date.now() < end);'], { stdio: 'ignore' });
          for (;;) {
            const s = hog.pid === undefined ? undefined : schedOf(hog.pid);
            if (s && s.policy === 1 && s.cpu === hogCpu) break; // SCHED_FIFO, running on A's CPU
            await sleep(5);
          }
          fdsAtAnswer = fdCount(aPid);
          return Result.fd(openSync('/etc/hostname', 'r'), true);
        }
        if (call.name === 'getppid') {
          if (fdsAtAnswer >= 0 && fdCount(aPid) === fdsAtAnswer && ++servedWhileAWaits === 100) stopHog();
          return Result.value(1);
        }
        return next();
      },
    };
    // The supervisor (and so the launcher and the tracees it starts) on the other CPUs.
    pin(process.pid, others);
    try {
      const sup = supervise({ command: STALL, args: ['/stall/target', '/etc/hostname'], engines: [engine], reporter, env: { ...process.env, PROBE_OUT: outFile } });
      const st = await sup.done;
      const out = readFileSync(outFile, 'utf8');
      expect(out).toContain('A ok\n');
      expect(reports).toEqual([]);
      expect(st.code).toBe(0);
      expect(fdsAtAnswer).toBeGreaterThan(0);
      // Before the wait moved off Node's thread, no call of anyone was served while A was stalled.
      expect(servedWhileAWaits).toBeGreaterThan(0);
    } finally {
      stopHog();
      pin(process.pid, ours);
      rmSync(dir, { recursive: true });
    }
  }, 120_000);
});

describe('a stopped tracee does not stall the others', () => {
  it('A, SIGSTOPped again and again in the middle of emulated opens, while B makes 2000 of them: B is served, every result right', async () => {
    const EINTR = path.join(ROOT, 'bench', 'build', 'eintr');
    // A opens /unreal/etc/hostname in a loop (each answer an fd installed by ADDFD); B does 2000
    // while A is stopped and continued 200 times, and left stopped at the end.
    const script = `${EINTR} 1000000000 open /unreal/etc/hostname > /dev/null & a=$!
i=0; while [ $i -lt 200 ]; do kill -STOP $a; kill -CONT $a; i=$((i+1)); done
kill -STOP $a
${EINTR} 2000 open /unreal/etc/hostname
${EINTR} 2000 stat /unreal/etc/hostname
echo B-done; kill -KILL $a`;
    const { sysvisor } = await import('./helpers.js');
    const r = await sysvisor(['run', '-e', 'unreal', '--', 'sh', '-c', script]);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines.slice(0, 2)) expect(l).toMatch(/^eintr \d+ calls 2000 signals \d+ wrong 0 ns \d+$/);
    expect(lines[2]).toBe('B-done');
  }, 120_000);
});

// The lease holder: a write lease (no other open of the file may exist); on the break's SIGIO it
// says so, then lets go when told on stdin.
const HOLDER = `import fcntl, os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGIO])
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.fcntl(fd, 1024, fcntl.F_WRLCK)
print("held", flush=True)
signal.sigwait([signal.SIGIO])
print("breaking", flush=True)
sys.stdin.readline()
fcntl.fcntl(fd, 1024, fcntl.F_UNLCK)
print("released", flush=True)
`;

describe('a native plan that blocks does not stall the others', () => {
  // Native plans run on the receiving thread. Tracee A opens, through /unreal, a file on which
  // another process (outside the tree) holds a write lease: the open, run as A on that thread, waits
  // for the lease's break as A's own open would. While it waits, B's calls through /unreal (native
  // plans: stat, and opens whose fds are installed inline) must be served: a stand-in thread takes
  // over receiving. When the holder lets go, A's open gets its one answer: the file's bytes.
  it('while A\'s open waits for a lease break, B is served; then A reads the file', async () => {
    // Probed, not skipped: the kernel breaks a lease by itself after lease-break-time seconds, which
    // must be longer than this test may take (else A would be answered without the stand-in).
    const breakTime = Number(readFileSync('/proc/sys/fs/lease-break-time', 'utf8'));
    expect(breakTime, 'lease-break-time longer than the test\'s timeout').toBeGreaterThan(40);
    expect(readFileSync('/proc/sys/fs/leases-enable', 'utf8').trim(), 'leases enabled').toBe('1');
    const EINTR = path.join(ROOT, 'bench', 'build', 'eintr');
    const { CLI } = await import('./helpers.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-lease-'));
    const file = path.join(dir, 'leased');
    const go = path.join(dir, 'go');
    writeFileSync(file, 'the leased bytes\n');
    execFileSync('mkfifo', [go]);
    const events: string[] = [];
    const lines = (child: ChildProcess, tag: string) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) events.push(`${tag}: ${buf.slice(0, i)}`);
      });
    };
    const until = async (event: string) => {
      while (!events.includes(event)) await sleep(10);
    };
    const holder = spawn('python3', ['-c', HOLDER, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    lines(holder, 'holder');
    let tree: ChildProcess | undefined;
    try {
      await until('holder: held');
      const script = `cat /unreal${file} > ${dir}/a.out & a=$!
read x < ${go}
${EINTR} 2000 stat /unreal/etc/hostname
${EINTR} 200 open /unreal/etc/hostname
echo B-done
wait $a; echo "A-status $?"`;
      tree = spawn(process.execPath, [CLI, 'run', '-e', 'unreal', '--', 'sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      tree.stderr!.on('data', (d: Buffer) => void (stderr += d.toString('latin1')));
      lines(tree, 'tree');
      const exited = new Promise<number | null>((r) => tree!.on('close', (code) => r(code)));
      await until('holder: breaking'); // A's open waits in the supervisor now
      writeFileSync(go, 'go\n');
      await until('tree: B-done');
      // A has had no answer yet: its open still waits for the lease.
      expect(readFileSync(path.join(dir, 'a.out'), 'utf8')).toBe('');
      expect(events.some((e) => e.startsWith('tree: A-status'))).toBe(false);
      holder.stdin!.write('release\n');
      expect(await exited).toBe(0);
      expect(stderr).toBe('');
      const b = events.filter((e) => e.startsWith('tree: eintr'));
      expect(b).toHaveLength(2);
      for (const l of b) expect(l).toMatch(/^tree: eintr \d+ calls (2000|200) signals \d+ wrong 0 ns \d+$/);
      expect(events.filter((e) => e.startsWith('tree: ')).slice(-2)).toEqual(['tree: B-done', 'tree: A-status 0']);
      expect(readFileSync(path.join(dir, 'a.out'), 'utf8')).toBe('the leased bytes\n');
    } finally {
      holder.kill('SIGKILL');
      tree?.kill('SIGKILL');
      rmSync(dir, { recursive: true });
    }
  }, 40_000);

  // Where no stand-in covers the thread that runs the emulation (Node's thread: the chain has an
  // engine without a plan, trace, so the open goes to JS), the kernel runs such an open as the
  // tracee: it waits there, and reads the file. (The emulation opens with O_NONBLOCK, which made it
  // EAGAIN.)
  it('through JS, an open through /unreal of a leased file waits for the break as natively', async () => {
    expect(readFileSync('/proc/sys/fs/leases-enable', 'utf8').trim(), 'leases enabled').toBe('1');
    const { CLI } = await import('./helpers.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-lease-'));
    const file = path.join(dir, 'leased');
    writeFileSync(file, 'the leased bytes\n');
    const holder = spawn('python3', ['-c', HOLDER, file], { stdio: ['pipe', 'pipe', 'inherit'] });
    let said = '';
    holder.stdout!.on('data', (d: Buffer) => void (said += d.toString('latin1')));
    try {
      while (!said.includes('held\n')) await sleep(10);
      const tree = spawn(process.execPath, [CLI, 'run', '-e', 'trace:o=/dev/null', '-e', 'unreal', '--', 'sh', '-c', `cat /unreal${file}; echo "cat-status $?"`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      tree.stdout!.on('data', (d: Buffer) => void (out += d.toString('latin1')));
      tree.stderr!.on('data', (d: Buffer) => void (err += d.toString('latin1')));
      const exited = new Promise<number | null>((r) => tree.on('close', (code) => r(code)));
      while (!said.includes('breaking\n') && !out.includes('cat-status')) await sleep(10);
      holder.stdin!.write('release\n');
      expect(await exited).toBe(0);
      expect(err).toBe('');
      expect(out).toBe('the leased bytes\ncat-status 0\n');
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true });
    }
  }, 40_000);
});
