// strace's -y (`fds=on`): what each file descriptor of a traced process is, printed after its
// number (`read(3</etc/passwd>, ...)`, `openat(...) = 3</etc/passwd>`).
//
// The table is kept from the traced calls themselves, not read from /proc when a line is printed:
// the stream is asynchronous (a line is formatted milliseconds after its call), and by then the
// descriptor may have been closed or reused. Only the first process's descriptors and working
// directory are read from /proc, before its command runs. Paths are joined lexically (symlinks
// are not resolved, as /proc would); descriptors whose object has no path the calls reveal
// (pipes, sockets: their inode is not in any traced call) print as their number alone.
import { readdirSync, readlinkSync } from 'node:fs';
import type { SigInfo } from '../../observe/bpf-trace.js';
import { isErrorReturn, type SyscallRecord } from './format/record.js';
import { signatureOf } from './format/signatures.js';
import { isDupfd } from './format/syscall-args.js';
import type { TracedCall, TraceOutput } from './call.js';

const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;
/** Descriptors kept per process, and processes kept (bounded whatever the traced tree does). */
const MAX_FDS = 1 << 16;
const MAX_PROCS = 1 << 14;

interface Fd {
  path: string;
  cloexec: boolean;
}

class Proc {
  constructor(
    readonly fds: Map<number, Fd>,
    public cwd: string | undefined,
  ) {}
}

/** What an anonymous descriptor is, as /proc names it (the calls that make one). */
const ANON: Readonly<Record<string, string>> = {
  eventfd: 'anon_inode:[eventfd]',
  eventfd2: 'anon_inode:[eventfd]',
  epoll_create: 'anon_inode:[eventpoll]',
  epoll_create1: 'anon_inode:[eventpoll]',
  timerfd_create: 'anon_inode:[timerfd]',
  signalfd: 'anon_inode:[signalfd]',
  signalfd4: 'anon_inode:[signalfd]',
  inotify_init: 'anon_inode:inotify',
  inotify_init1: 'anon_inode:inotify',
  pidfd_open: 'anon_inode:[pidfd]',
  userfaultfd: 'anon_inode:[userfaultfd]',
  perf_event_open: 'anon_inode:[perf_event]',
  io_uring_setup: 'anon_inode:[io_uring]',
  fanotify_init: 'anon_inode:[fanotify]',
};

/** Where the close-on-exec flag of the calls in ANON is: [argument, bit] (pidfds always have it). */
const CLOEXEC_FLAG: Readonly<Record<string, readonly [number, number]>> = {
  eventfd2: [1, O_CLOEXEC],
  epoll_create1: [0, O_CLOEXEC],
  timerfd_create: [1, O_CLOEXEC],
  signalfd4: [3, O_CLOEXEC],
  inotify_init1: [0, O_CLOEXEC],
  userfaultfd: [0, O_CLOEXEC],
  perf_event_open: [4, 8], // PERF_FLAG_FD_CLOEXEC
  fanotify_init: [0, 1], // FAN_CLOEXEC
};

/** `base/rel` with `.`, `..` and repeated slashes folded, as bytes (latin1). */
export function joinPath(base: string, rel: string): string {
  const parts: string[] = [];
  for (const p of (rel.startsWith('/') ? rel : `${base}/${rel}`).split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

const arg = (c: SyscallRecord, i: number): number => c.args[i] ?? 0;
const i32 = (v: number): number => v | 0;

/** The descriptor tables of the traced processes, and the output that keeps them as calls pass. */
export class FdPaths {
  private readonly procs = new Map<number, Proc>();
  /** The call being printed and the descriptor it returns (its table entry is made after). */
  private current: TracedCall | undefined = undefined;
  private currentRet: Fd | undefined = undefined;

  /** The first process: its descriptors and working directory as /proc shows them now. */
  seed(pid: number): void {
    const fds = new Map<number, Fd>();
    let cwd: string | undefined;
    try {
      cwd = Buffer.from(readlinkSync(`/proc/${pid}/cwd`, { encoding: 'buffer' })).toString('latin1');
      for (const name of readdirSync(`/proc/${pid}/fd`)) {
        try {
          const path = Buffer.from(readlinkSync(`/proc/${pid}/fd/${name}`, { encoding: 'buffer' })).toString('latin1');
          fds.set(Number(name), { path, cloexec: false });
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone, or not ours to read: its descriptors print as numbers
    }
    this.procs.set(pid, new Proc(fds, cwd));
  }

  /** The FormatOptions.fdPath of the trace outputs. */
  readonly lookup = (rec: SyscallRecord, fd: number, returned = false): string | undefined => {
    if (returned && rec === this.current) return this.currentRet?.path;
    const tgid = (rec as TracedCall).tgid;
    const p = tgid === undefined ? undefined : this.procs.get(tgid);
    return fd === AT_FDCWD ? p?.cwd : p?.fds.get(fd)?.path;
  };

  private proc(tgid: number): Proc | undefined {
    return this.procs.get(tgid);
  }

  /** Before `c` prints: the descriptor it returns, if it makes one. */
  prepare(c: TracedCall): void {
    this.current = c;
    this.currentRet = undefined;
    if (c.ret === undefined || isErrorReturn(c.ret)) return;
    if (c.name === 'fcntl' && isDupfd(i32(arg(c, 1)))) {
      const f = this.proc(c.tgid)?.fds.get(i32(arg(c, 0)));
      this.currentRet = f && { path: f.path, cloexec: i32(arg(c, 1)) === 1030 };
      return;
    }
    if (signatureOf(c.name)?.ret !== 'fd') return;
    const p = this.proc(c.tgid);
    if (!p) return;
    this.currentRet = this.made(c, p);
  }

  // What the descriptor a call returned is.
  private made(c: TracedCall, p: Proc): Fd | undefined {
    const str = (i: number) => c.strs[i];
    const at = (dirfdArg: number, pathArg: number): string | undefined => {
      const rel = str(pathArg);
      if (rel === undefined) return undefined;
      if (rel.startsWith('/')) return joinPath('/', rel);
      const d = i32(arg(c, dirfdArg));
      const base = d === AT_FDCWD ? p.cwd : p.fds.get(d)?.path;
      return base === undefined ? undefined : joinPath(base, rel);
    };
    const fd = (path: string | undefined, cloexec: boolean): Fd | undefined => (path === undefined ? undefined : { path, cloexec });
    switch (c.name) {
      case 'open':
        return fd(at(AT_FDCWD, 0), (arg(c, 1) & O_CLOEXEC) !== 0);
      case 'creat':
        return fd(at(AT_FDCWD, 0), false);
      case 'openat':
        return fd(at(0, 1), (arg(c, 2) & O_CLOEXEC) !== 0);
      case 'openat2':
        return fd(at(0, 1), false); // (its flags are in the struct, not captured)
      case 'dup':
      case 'dup2':
        return fd(p.fds.get(i32(arg(c, 0)))?.path, false);
      case 'dup3':
        return fd(p.fds.get(i32(arg(c, 0)))?.path, (arg(c, 2) & O_CLOEXEC) !== 0);
      case 'memfd_create': {
        const name = str(0);
        return fd(name === undefined ? undefined : `/memfd:${name} (deleted)`, (arg(c, 1) & 1) !== 0);
      }
      default: {
        const anon = ANON[c.name];
        if (anon === undefined) return undefined;
        const bit = CLOEXEC_FLAG[c.name];
        return { path: anon, cloexec: c.name === 'pidfd_open' || (bit !== undefined && (arg(c, bit[0]) & bit[1]) !== 0) };
      }
    }
  }

  /** After `c` printed: the table as the call left it. */
  apply(c: TracedCall): void {
    const made = this.current === c ? this.currentRet : undefined;
    this.current = undefined;
    this.currentRet = undefined;
    if (c.ret === undefined || isErrorReturn(c.ret)) return;
    const p = this.proc(c.tgid);
    if (!p) return;
    if (made !== undefined && p.fds.size < MAX_FDS) p.fds.set(c.ret, made);
    else if (signatureOf(c.name)?.ret === 'fd') p.fds.delete(c.ret); // something the table cannot name
    switch (c.name) {
      case 'close':
        p.fds.delete(i32(arg(c, 0)));
        break;
      case 'close_range': {
        const first = arg(c, 0) >>> 0;
        const last = arg(c, 1) >>> 0;
        const cloexec = (arg(c, 2) & 4) !== 0; // CLOSE_RANGE_CLOEXEC
        for (const [n, f] of p.fds) {
          if (n < first || n > last) continue;
          if (cloexec) f.cloexec = true;
          else p.fds.delete(n);
        }
        break;
      }
      case 'fcntl': {
        const cmd = i32(arg(c, 1));
        const f = p.fds.get(i32(arg(c, 0)));
        if (cmd === 2 && f) f.cloexec = (arg(c, 2) & 1) !== 0; // F_SETFD
        else if (isDupfd(cmd)) {
          if (made !== undefined && p.fds.size < MAX_FDS) p.fds.set(c.ret, made);
          else p.fds.delete(c.ret);
        }
        break;
      }
      case 'pipe':
      case 'pipe2':
      case 'socketpair': {
        // New descriptors without a path to name: no entry (none may stay from a descriptor
        // closed in a way the table did not see).
        const d = c.strs[c.name === 'socketpair' ? 3 : 0];
        if (d !== undefined && d.length >= 8) {
          const b = Buffer.from(d, 'latin1');
          p.fds.delete(b.readInt32LE(0));
          p.fds.delete(b.readInt32LE(4));
        }
        break;
      }
      case 'chdir': {
        const rel = c.strs[0];
        if (rel !== undefined && p.cwd !== undefined) p.cwd = joinPath(p.cwd, rel);
        else p.cwd = rel?.startsWith('/') ? joinPath('/', rel) : undefined;
        break;
      }
      case 'fchdir':
        p.cwd = p.fds.get(i32(arg(c, 0)))?.path;
        break;
    }
  }

  /** A process created another: its copy of the table (a thread shares its process's). */
  forked(tgid: number, childTgid: number): void {
    if (childTgid === tgid || this.procs.has(childTgid) || this.procs.size >= MAX_PROCS) return;
    const p = this.procs.get(tgid);
    if (!p) return;
    const fds = new Map<number, Fd>();
    for (const [n, f] of p.fds) fds.set(n, { ...f });
    this.procs.set(childTgid, new Proc(fds, p.cwd));
  }

  /** A process executed a program: its close-on-exec descriptors are gone. */
  exec(tgid: number): void {
    const p = this.procs.get(tgid);
    if (!p) return;
    for (const [n, f] of p.fds) if (f.cloexec) p.fds.delete(n);
  }

  exited(tgid: number): void {
    this.procs.delete(tgid);
  }
}

/** The output of a trace with `fds=on`: keeps the table as the stream passes, then prints. */
export class FdTrackingOutput implements TraceOutput {
  constructor(
    private readonly inner: TraceOutput,
    private readonly fds: FdPaths,
  ) {}
  entered(c: TracedCall): void {
    this.inner.entered(c);
  }
  finished(c: TracedCall): void {
    this.fds.prepare(c);
    this.inner.finished(c);
    this.fds.apply(c);
  }
  exited(tid: number, tgid: number, status: number, ts: number, last: boolean): void {
    this.inner.exited(tid, tgid, status, ts, last);
    if (last) this.fds.exited(tgid);
  }
  signal(tid: number, tgid: number, sig: number, info: SigInfo | undefined, ts: number): void {
    this.inner.signal(tid, tgid, sig, info, ts);
  }
  exec(tid: number, tgid: number, file: string, ts: number): void {
    this.fds.exec(tgid);
    this.inner.exec(tid, tgid, file, ts);
  }
  forked(tid: number, tgid: number, childTid: number, childTgid: number, ts: number): void {
    this.fds.forked(tgid, childTgid);
    this.inner.forked(tid, tgid, childTid, childTgid, ts);
  }
  flush(): void {
    this.inner.flush();
  }
  close(lost: number): void {
    this.inner.close(lost);
  }
}
