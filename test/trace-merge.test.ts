// The merge of eBPF events and chain records (src/engines/trace/merge.ts), on synthetic streams:
// order per thread, what a chain record claims, what is never shown, signals and exits. Also the
// formatter pieces the engine added (sigaction, argv, fcntl results).
import { describe, expect, it } from 'vitest';
import type { SigInfo, TraceEvent } from '../src/observe/bpf-trace.js';
import { TracedCall, type TraceOutput } from '../src/engines/trace/call.js';
import { TraceMerger } from '../src/engines/trace/merge.js';
import { TextOutput } from '../src/engines/trace/outputs.js';
import { formatArgs, formatReturn } from '../src/engines/trace/format/syscall-args.js';
import type { SyscallRecord } from '../src/engines/trace/format/record.js';
import { sigaction } from '../src/engines/trace/format/structs.js';
import { strArray } from '../src/engines/trace/format/values.js';
import { unfinishedLine } from '../src/engines/trace/format/line.js';
import { selectSyscalls } from '../src/syscalls/select.js';
import { syscallNumber } from '../src/syscalls/table.js';

const NR = { getppid: 110, openat: 257, read: 0, execve: 59, close: 3, clone: 56, wait4: 61 };

function ev(kind: TraceEvent['kind'], tid: number, ts: number, extra: Partial<TraceEvent> = {}): TraceEvent {
  return { kind, tid, tgid: extra.tgid ?? tid, ts, nr: -1, ret: 0, args: [], strs: [], trunc: 0, fault: 0, ...extra };
}
const enter = (tid: number, ts: number, nr: number, args: number[] = [0, 0, 0, 0, 0, 0], strs: (string | undefined)[] = []) => ev('enter', tid, ts, { nr, args, strs });
const exit = (tid: number, ts: number, nr: number, ret: number) => ev('exit', tid, ts, { nr, ret });

/** An output that records what it is told, as short strings. */
class Log implements TraceOutput {
  lines: string[] = [];
  entered(): void {}
  finished(c: TracedCall): void {
    this.lines.push(`${c.tid} ${c.name} ${c.strs.filter((s) => s !== undefined).join(',')} = ${c.ret ?? '?'}${c.fromChain ? ' (chain)' : ''}`);
  }
  exited(tid: number, _tgid: number, status: number): void {
    this.lines.push(`${tid} exit ${status}`);
  }
  signal(tid: number, _tgid: number, sig: number): void {
    this.lines.push(`${tid} signal ${sig}`);
  }
  exec(): void {}
  forked(): void {}
  flush(): void {}
  close(): void {}
}

function chain(tid: number, ts: number, nr: number, name: string, strs: (string | undefined)[] = []): TracedCall {
  return new TracedCall(tid, 0, nr, name, [0, 0, 0, 0, 0, 0], strs, 0, ts, true);
}

describe('TraceMerger', () => {
  it('shows eBPF calls per thread, and skips exits that nothing entered (clone in the child)', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    m.onEvents([enter(1, 10, NR.getppid), exit(2, 11, NR.clone, 0), exit(1, 12, NR.getppid, 7), enter(2, 13, NR.close, [3]), exit(2, 14, NR.close, 0)]);
    expect(log.lines).toEqual(['1 getppid  = 7', '2 close  = 0']);
  });

  it('a continued chain call: its layer\'s arguments, the kernel\'s return, its sys_enter not shown twice', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    // The chain saw openat("/unreal/x") at ts 20 (an inner engine's view); the kernel ran it with
    // the rewritten path at 21 (sys_enter) and returned 3 at 22. An older event of the thread
    // (ts 15) arrives after the record: it comes first.
    m.chainEntered(chain(1, 20, NR.openat, 'openat', [undefined, '/unreal/x']));
    m.onEvents([enter(1, 15, NR.getppid), exit(1, 16, NR.getppid, 5)]);
    m.onEvents([enter(1, 21, NR.openat, [0, 0, 0, 0, 0, 0], [undefined, '/x']), exit(1, 22, NR.openat, 3)]);
    expect(log.lines).toEqual(['1 getppid  = 5', '1 openat /unreal/x = 3 (chain)']);
  });

  it('an answered chain call keeps its layer\'s result and claims the kernel\'s sys_exit', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    const c = chain(1, 30, NR.getppid, 'getppid');
    m.chainEntered(c);
    c.ret = 4242;
    c.known = true;
    m.onEvents([exit(1, 31, NR.getppid, 99), enter(1, 32, NR.close, [3]), exit(1, 33, NR.close, 0)]);
    expect(log.lines).toEqual(['1 getppid  = 4242 (chain)', '1 close  = 0']);
  });

  it('a call answered inside the tracer (a sys_exit alone) is not shown', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    m.onEvents([exit(1, 40, NR.getppid, 4242), enter(1, 41, NR.close, [3]), exit(1, 42, NR.close, 0)]);
    expect(log.lines).toEqual(['1 close  = 0']);
  });

  it('a held root shows nothing before its execve; the execve path comes from the exec event when unread', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    m.setRoot(5, true);
    m.onEvents([
      exit(5, 1, 317, 0), // the launcher's seccomp()
      enter(5, 2, NR.execve, [0x1000, 0, 0, 0, 0, 0]), // its path faulted: not read
      ev('exec', 5, 3, { ret: 5, strs: ['/bin/true'] }),
      exit(5, 4, NR.execve, 0),
      ev('exit_process', 5, 5, { ret: 0 }),
    ]);
    expect(log.lines).toEqual(['5 execve /bin/true = 0', '5 exit 0']);
  });

  it('a thread that dies in a call ends it with ?, then its exit; a fatal signal never delivered shows before the death', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    const info: SigInfo = { signo: 15, errno: 0, code: 0, pid: 1, uid: 0, status: 0, addr: 0, utime: 0, stime: 0 };
    m.onEvents([
      enter(7, 1, NR.read, [0, 0, 10]),
      ev('signal', 7, 2, { nr: 2, ret: 15, siginfo: info }), // queued
      ev('exit_process', 7, 3, { ret: 15 }),
    ]);
    expect(log.lines).toEqual(['7 read  = ?', '7 signal 15', '7 exit 15']);
  });

  it('an ignored signal sent during a call shows after it returns; a delivered one is not shown twice', () => {
    const log = new Log();
    const m = new TraceMerger(log);
    m.onEvents([
      enter(8, 1, NR.wait4),
      ev('signal', 8, 2, { nr: 1, ret: 17 }), // SIGCHLD, ignored by the parent
      exit(8, 3, NR.wait4, 9),
      ev('signal', 8, 4, { nr: 2, ret: 10 }), // SIGUSR1 queued...
      ev('signal', 8, 5, { nr: 0, ret: 10 }), // ...and delivered
      ev('exit_process', 8, 6, { ret: 0 }),
    ]);
    expect(log.lines).toEqual(['8 wait4  = 9', '8 signal 17', '8 signal 10', '8 exit 0']);
  });

  it('text output cuts a call interleaved with another thread\'s as strace does', () => {
    let text = '';
    const out = new TextOutput({ fd: -1, write: (t) => (text += t), close: () => {} });
    const m = new TraceMerger(out);
    m.onEvents([enter(1, 1, NR.wait4, [-1, 0x1000, 0, 0, 0, 0]), enter(2, 2, NR.getppid), exit(2, 3, NR.getppid, 1), exit(1, 4, NR.wait4, 2)]);
    m.finish();
    out.close(0);
    expect(text.split('\n')).toEqual([
      '1     wait4(-1,  <unfinished ...>',
      '2     getppid()                         = 1',
      '1     <... wait4 resumed>0x1000, 0, NULL) = 2',
      '',
    ]);
  });
});

describe('formatter additions', () => {
  it('struct sigaction, argv and envp, fcntl results, AT_EACCESS', () => {
    const act = Buffer.alloc(32);
    act.writeBigUInt64LE(0x5560d3252dc0n, 0);
    act.writeUInt32LE(0x04000000, 8);
    act.writeBigUInt64LE(0x7fed6185c050n, 16);
    act.writeBigUInt64LE(0xfffffffe7fffffffn, 24);
    expect(sigaction(act.toString('latin1'))).toBe('{sa_handler=0x5560d3252dc0, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER, sa_restorer=0x7fed6185c050}');
    expect(sigaction(Buffer.alloc(32).toString('latin1'))).toBe('{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}');
    expect(strArray('sh\0-c\0echo hello world, this is longer than 32\0', false, 32)).toBe('["sh", "-c", "echo hello world, this is longer"...]');
    expect(strArray('a\0', true, 32)).toBe('["a", ...]');
    const exec: SyscallRecord = { name: 'execve', args: [1, 2, 0x7ffd0000], strs: ['/bin/ls', 'ls\0-l\0'], counts: [undefined, undefined, 35], ret: 0 };
    expect(formatArgs(exec)).toBe('"/bin/ls", ["ls", "-l"], 0x7ffd0000 /* 35 vars */');
    expect(formatReturn('fcntl', 0x8002, [3, 3])).toBe('0x8002 (flags O_RDWR|O_LARGEFILE)');
    expect(formatReturn('fcntl', 1, [3, 1])).toBe('0x1 (flags FD_CLOEXEC)');
    expect(formatReturn('fcntl', 0, [3, 1])).toBe('0');
    expect(formatArgs({ name: 'faccessat2', args: [-100, 1, 1, 0x200], strs: [undefined, '/bin/sh'] })).toBe('AT_FDCWD, "/bin/sh", X_OK, AT_EACCESS');
    expect(unfinishedLine(1, { name: 'newfstatat', args: [-100, 1, 2, 0], strs: [undefined, '/x'] })).toBe('newfstatat(AT_FDCWD, "/x",  <unfinished ...>');
  });

  it('e= selects names, numbers, classes and exclusions', () => {
    const has = (set: Uint8Array, n: string) => set[syscallNumber(n)!] === 1;
    const file = selectSyscalls(['%file']);
    expect(has(file, 'openat') && has(file, 'execve') && !has(file, 'read')).toBe(true);
    const notMem = selectSyscalls(['!%memory']);
    expect(has(notMem, 'read') && !has(notMem, 'mmap')).toBe(true);
    const some = selectSyscalls(['read', '257']);
    expect(has(some, 'read') && has(some, 'openat') && !has(some, 'write')).toBe(true);
    expect(() => selectSyscalls(['nosuch'])).toThrow(/unknown syscall 'nosuch'/);
  });
});
