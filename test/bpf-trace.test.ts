// The eBPF observation layer against the real kernel: load bpf/build/trace.bpf.o through the
// addon, trace real child processes, and check what comes out of the ring buffer.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helpers.js';
import { BpfTracer, decodeWaitStatus, type TraceEvent } from '../src/observe/bpf-trace.js';

// x86_64 syscall numbers used here (asm/unistd_64.h).
const NR = { read: 0, write: 1, close: 3, getppid: 110, execve: 59, openat: 257, exit_group: 231, newfstatat: 262 };

const tracers: BpfTracer[] = [];
afterEach(() => {
  for (const t of tracers.splice(0)) t.close();
});

function newTracer(options: ConstructorParameters<typeof BpfTracer>[0] = {}): BpfTracer {
  const t = new BpfTracer(options);
  tracers.push(t);
  return t;
}

/** Spawns `argv` blocked on a start gate (a line on stdin) so it can be traced before it runs. */
function gated(argv: string[]): { child: ChildProcess; go: () => void; exited: Promise<number | null> } {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.on('error', () => {}); // a program that never reads its gate closes the pipe
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return { child, go: () => child.stdin!.end('go\n'), exited };
}

function collect(tracer: BpfTracer): TraceEvent[] {
  const events: TraceEvent[] = [];
  tracer.start((batch) => {
    for (const e of batch) events.push(e);
  });
  return events;
}

/** Enter/exit pairs of syscall `nr` in process `tgid`, in order, matched per thread. */
function calls(events: TraceEvent[], tgid: number, nr: number): { enter: TraceEvent; exit: TraceEvent }[] {
  const open = new Map<number, TraceEvent>();
  const out: { enter: TraceEvent; exit: TraceEvent }[] = [];
  for (const e of events) {
    if (e.tgid !== tgid || e.nr !== nr) continue;
    if (e.kind === 'enter') open.set(e.tid, e);
    else if (e.kind === 'exit') {
      const enter = open.get(e.tid);
      if (enter) out.push({ enter, exit: e });
      open.delete(e.tid);
    }
  }
  return out;
}

/** Everything on, strings and buffers as the trace engine would ask for them. */
function configureCommon(t: BpfTracer): void {
  t.configureAll((nr) => {
    switch (nr) {
      case NR.openat:
        return { enter: true, exit: true, strArgs: [1] };
      case NR.execve:
        return { enter: true, exit: true, strArgs: [0] };
      case NR.read:
        return { enter: true, exitData: { arg: 1, mode: 'buf' } };
      case NR.write:
        return { enter: true, exit: true, enterBuf: { arg: 1, lenArg: 2 } };
      case NR.newfstatat:
        return { enter: true, strArgs: [1], exitData: { arg: 2, mode: 'struct', size: 144 } };
      default:
        return { enter: true, exit: true };
    }
  });
}

function hostname(): string {
  return spawnSync('cat', ['/etc/hostname'], { encoding: 'latin1' }).stdout;
}

describe('BpfTracer on the real kernel', () => {
  it('sees exec, the openat of /etc/hostname with its path and fd, its data, and the exit', async () => {
    const t = newTracer();
    configureCommon(t);
    const events = collect(t);
    const { child, go, exited } = gated(['sh', '-c', 'read x; exec cat /etc/hostname']);
    const pid = child.pid!;
    t.trace(pid);
    expect(t.isTraced(pid)).toBe(true);
    go();
    expect(await exited).toBe(0);
    t.drain();

    const mine = events.filter((e) => e.tgid === pid);
    // exec: the execve entry carries its path; the exec event names the file actually run.
    // (sh tries each $PATH directory: only the last execve succeeds.)
    const execve = calls(events, pid, NR.execve).filter((c) => c.exit.ret === 0);
    expect(execve.length).toBe(1);
    expect(execve[0]!.enter.strs[0]).toMatch(/\/cat$/);
    expect(execve[0]!.exit.ret).toBe(0);
    const exec = mine.find((e) => e.kind === 'exec');
    expect(exec?.strs[0]).toMatch(/\/cat$/);
    expect(exec?.ret).toBe(pid);

    // openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = fd
    const opens = calls(events, pid, NR.openat).filter((c) => c.enter.strs[1] === '/etc/hostname');
    expect(opens.length).toBe(1);
    const open = opens[0]!;
    // AT_FDCWD: dirfd is an int, so only the register's low 32 bits count (libc zero-extends).
    expect(open.enter.args[0]! | 0).toBe(-100);
    expect(open.exit.ret).toBeGreaterThanOrEqual(3);
    const fd = open.exit.ret;

    // The read of that fd returns the file: its first bytes were captured at exit.
    const reads = calls(events, pid, NR.read).filter((c) => c.enter.args[0] === fd && c.enter.ts > open.exit.ts);
    const content = hostname();
    expect(reads[0]!.exit.ret).toBe(content.length);
    expect(reads[0]!.exit.strs[1]).toBe(content.slice(0, 32));
    // ...and cat writes it to stdout: the buffer was captured at entry.
    const writes = calls(events, pid, NR.write).filter((c) => c.enter.args[0] === 1);
    expect(writes[0]!.enter.strs[1]).toBe(content.slice(0, 32));
    expect(writes[0]!.exit.ret).toBe(content.length);
    // newfstatat(fd, "", &st, AT_EMPTY_PATH): the empty path at entry, the struct stat
    // (144 bytes) at exit; st_size is at offset 48.
    const fstat = calls(events, pid, NR.newfstatat).find((c) => c.enter.args[0] === fd && c.enter.ts > open.exit.ts);
    expect(fstat).toBeDefined();
    expect(fstat!.enter.strs[1]).toBe('');
    const st = Buffer.from(fstat!.exit.strs[2]!, 'latin1');
    expect(st.length).toBe(144);
    expect(Number(st.readBigInt64LE(48))).toBe(content.length);

    // The end: exit_group(0), then the process is gone and no longer traced.
    const eg = mine.filter((e) => e.kind === 'enter' && e.nr === NR.exit_group);
    expect(eg.map((e) => e.args[0])).toEqual([0]);
    const last = mine[mine.length - 1]!;
    expect(last.kind).toBe('exit_process');
    expect(decodeWaitStatus(last.ret)).toEqual({ code: 0 });
    expect(t.isTraced(pid)).toBe(false);

    // Timestamps are monotonic per thread.
    for (let i = 1; i < mine.length; i++) expect(mine[i]!.ts).toBeGreaterThanOrEqual(mine[i - 1]!.ts);
    expect(t.dropped).toBe(0);
  });

  it('follows forks in the kernel: a grandchild is traced from its first instruction', async () => {
    const t = newTracer();
    configureCommon(t);
    const events = collect(t);
    // sh forks a child that runs cat (node's grandchild), then a subshell that exits 7.
    const { child, go, exited } = gated(['sh', '-c', 'read x; cat /etc/hostname; (exit 7); exit 3']);
    const pid = child.pid!;
    t.trace(pid);
    go();
    expect(await exited).toBe(3);
    t.drain();

    const forks = events.filter((e) => e.kind === 'fork' && e.tgid === pid);
    expect(forks.length).toBe(2);
    const [catChild, subshell] = forks.map((f) => f.child!.tgid) as [number, number];
    expect(catChild).not.toBe(pid);

    // The child's exec of cat, and its open of /etc/hostname with the fd it got.
    const exec = events.find((e) => e.kind === 'exec' && e.tgid === catChild);
    expect(exec?.strs[0]).toMatch(/\/cat$/);
    const opens = calls(events, catChild, NR.openat).filter((c) => c.enter.strs[1] === '/etc/hostname');
    expect(opens.length).toBe(1);
    expect(opens[0]!.exit.ret).toBeGreaterThanOrEqual(3);

    // The first thing the child does after the fork is to return 0 from the clone it was born in.
    const firstOfChild = events.find((e) => e.tgid === catChild);
    expect(firstOfChild?.kind).toBe('exit');
    expect(firstOfChild?.ret).toBe(0);

    // Exits in order: each process reports its own status and is forgotten by the kernel side.
    const ends = events.filter((e) => e.kind === 'exit_process');
    const status = (tgid: number) => decodeWaitStatus(ends.find((e) => e.tgid === tgid)!.ret);
    expect(status(catChild)).toEqual({ code: 0 });
    expect(status(subshell)).toEqual({ code: 7 });
    expect(status(pid)).toEqual({ code: 3 });
    for (const tgid of [pid, catChild, subshell]) expect(t.isTraced(tgid)).toBe(false);
    expect(t.dropped).toBe(0);
  });

  it('delivers a trickle of events from the event loop without drain()', async () => {
    const t = newTracer();
    configureCommon(t);
    // A few records stay far below the wake-up threshold: the flush timer must bring them.
    const seen = new Promise<TraceEvent>((resolve) => {
      t.start((batch) => {
        const open = batch.find((e) => e.kind === 'enter' && e.nr === NR.openat && e.strs[1] === '/etc/hostname');
        if (open) resolve(open);
      });
    });
    const child = spawn('sh', ['-c', 'read x; cat /etc/hostname; read y'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.resume();
    t.trace(child.pid!);
    child.stdin.write('go\n');
    const open = await seen; // while the child still waits for its second line
    expect(open.tgid).not.toBe(child.pid); // cat ran in a child of sh
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdin.end('done\n');
    await exited;
  });

  it('can be closed from inside its own batch callback', async () => {
    const t = newTracer();
    configureCommon(t);
    let batches = 0;
    const closed = new Promise<void>((resolve) => {
      t.start(() => {
        batches++;
        t.close();
        resolve();
      });
    });
    const { child, go, exited } = gated(['sh', '-c', 'read x; cat /etc/hostname']);
    t.trace(child.pid!);
    go();
    await closed;
    await exited;
    expect(t.closed).toBe(true);
    expect(batches).toBe(1);
  });

  it('reports a process killed by a signal, and threads exiting before their process', async () => {
    const t = newTracer();
    t.configureAll(() => undefined); // no syscalls: lifecycle events only
    const events = collect(t);
    // A background sleep that the shell then kills with SIGKILL.
    const { child, go, exited } = gated(['sh', '-c', 'read x; sleep 100 & kill -9 $!; wait $!; exit 0']);
    t.trace(child.pid!);
    go();
    expect(await exited).toBe(0);
    t.drain();
    const fork = events.find((e) => e.kind === 'fork' && e.tgid === child.pid)!;
    const end = events.find((e) => e.kind === 'exit_process' && e.tgid === fork.child!.tgid)!;
    expect(decodeWaitStatus(end.ret)).toEqual({ signal: 9, core: false });
    expect(events.every((e) => e.kind !== 'enter' && e.kind !== 'exit')).toBe(true);
  });

  it('sees every thread of a multi-threaded process, each exiting on its own', async () => {
    const t = newTracer();
    t.configureAll(() => undefined);
    const events = collect(t);
    // node itself: a process with several threads (libuv pool, V8 workers).
    const { child, go, exited } = gated([process.execPath, '-e', 'process.stdin.once("data", () => process.exit(5))']);
    t.trace(child.pid!);
    go();
    expect(await exited).toBe(5);
    t.drain();
    const mine = events.filter((e) => e.tgid === child.pid);
    const threads = mine.filter((e) => e.kind === 'exit_thread');
    expect(threads.length).toBeGreaterThan(0);
    expect(threads.every((e) => e.tid !== child.pid || e.kind === 'exit_thread')).toBe(true);
    const end = mine.filter((e) => e.kind === 'exit_process');
    expect(end.length).toBe(1);
    expect(decodeWaitStatus(end[0]!.ret)).toEqual({ code: 5 });
  });
});

describe('burst of 1M syscalls: nothing is lost silently', () => {
  const N = 1_000_000;

  // test/programs/burst.c: waits for the gate, then makes exactly argv[1] getppid syscalls.
  function buildBurst(): string {
    return path.join(ROOT, 'test', 'build', 'burst');
  }

  /** Runs the burst with only getppid reported; returns what arrived and what was dropped. */
  async function run(t: BpfTracer, startLate: boolean) {
    t.configureAll((nr) => (nr === NR.getppid ? { enter: true, exit: true } : undefined));
    let received = 0;
    let lifecycle = 0;
    let pid = 0;
    const onEvents = (batch: TraceEvent[]) => {
      for (const e of batch) {
        if (e.tgid !== pid) continue;
        if (e.nr === NR.getppid) received++;
        else if (e.kind === 'exit_process') lifecycle++;
      }
    };
    if (!startLate) t.start(onEvents);
    const { child, go, exited } = gated([buildBurst(), String(N)]);
    pid = child.pid!;
    t.trace(pid);
    const t0 = process.hrtime.bigint();
    go();
    expect(await exited).toBe(0);
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
    if (startLate) t.start(onEvents);
    t.drain();
    expect(t.missed).toBe(0);
    return { received, lifecycle, dropped: t.dropped, elapsed };
  }

  it('with an 8 MiB ring read live: events + drops account for all 2M records', async () => {
    const t = newTracer();
    const r = await run(t, false);
    // 2 records per getppid and one exit_process, each either delivered or counted as dropped.
    expect(r.received + r.lifecycle + r.dropped).toBe(2 * N + 1);
    console.log(
      `burst live: ${N} syscalls in ${r.elapsed.toFixed(2)} s, ${r.received} records received, ${r.dropped} dropped ` +
        `(${((r.received + r.lifecycle) / r.elapsed / 1e6).toFixed(2)} M records/s delivered)`,
    );
  }, 120_000);

  it('with a 64 KiB ring read only afterwards: drops are certain and counted exactly', async () => {
    const t = newTracer({ ringBytes: 64 * 1024 });
    const r = await run(t, true);
    expect(r.dropped).toBeGreaterThan(0);
    expect(r.received + r.lifecycle + r.dropped).toBe(2 * N + 1);
    // The ring held only what fit: the smallest record is 40 bytes (32 + the ring's own 8).
    expect(r.received + r.lifecycle).toBeLessThanOrEqual((64 * 1024) / 40);
    console.log(`burst late: ${r.received + r.lifecycle} records kept, ${r.dropped} dropped`);
  }, 120_000);
});

describe('resources and errors', () => {
  const fds = () => readdirSync('/proc/self/fd').sort().join(',');

  it('close() releases every fd and is idempotent', async () => {
    const before = fds();
    const t = new BpfTracer();
    t.configure(NR.getppid, { enter: true, exit: true });
    t.start(() => {});
    const { child, go, exited } = gated(['true']);
    t.trace(child.pid!);
    go();
    await exited;
    t.drain();
    expect(fds()).not.toBe(before); // programs, maps, links, epoll fd are open now
    t.close();
    t.close();
    expect(t.closed).toBe(true);
    expect(fds()).toBe(before);
    expect(() => t.trace(process.ppid)).toThrow(/closed/);
  });

  it('refuses bad options with a clear error', () => {
    expect(() => new BpfTracer({ ringBytes: 12345 })).toThrow(/ringBytes.*power of two/);
    expect(() => new BpfTracer({ maxStr: 0 })).toThrow(/maxStr/);
    const t = newTracer();
    expect(() => t.trace(process.pid)).toThrow(/supervisor itself/);
    expect(() => t.configure(512, 1)).toThrow(/nr/);
    expect(() => t.configure(1, { strArgs: [6] })).toThrow(/argument index/);
  });

  it('says in one line what is missing when the kernel refuses to load (no capabilities)', () => {
    // The same addon file that loadBinding() picks, in a root process whose capability
    // bounding set is empty (so bpf() answers EPERM).
    const addon = [
      process.env['SYSVISOR_ADDON'],
      path.resolve('addon/build/Release/sysvisor.node'),
      path.resolve('addon/build/Debug/sysvisor.node'),
    ].find((f) => f && existsSync(f))!;
    const script = `
      const { TraceSession } = require(${JSON.stringify(addon)});
      try { new TraceSession({}); console.log('loaded'); }
      catch (e) { console.log(JSON.stringify({ message: e.message, code: e.code, errno: e.errno, syscall: e.syscall })); }`;
    const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, '-e', script], {
      encoding: 'utf8',
    });
    const line = r.stdout.trim();
    expect(line).not.toBe('loaded');
    const err = JSON.parse(line) as { message: string; code: string; errno: number; syscall: string };
    expect(err.message).toBe('load trace.bpf.o: Operation not permitted');
    expect(err.code).toBe('EPERM');
    expect(err.errno).toBe(-1);
    expect(err.syscall).toBe('bpf');
  });
});
