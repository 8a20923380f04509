// The raw native binding (addon/src): one declaration for everything the addon exports.

export interface SpawnedChild {
  pid: number;
  /** A pidfd for the child; the caller owns it. */
  pidfd: number;
  /** The seccomp listener fd, taken from the child; the caller owns it (hand it to a Pump). */
  listener: number;
}

export interface PumpStats {
  received: number;
  fastPath: number;
  pending: number;
}

export declare class Pump {
  /** Takes ownership of listenerFd; calls onBatch(count) once per wake-up with `batch` filled. */
  /** onBatch returns true when it left promises pending (the pump then runs the microtasks). */
  constructor(listenerFd: number, onBatch: (count: number) => boolean, onHangup: () => void);
  /** NOTIF.FIELDS numbers per notification (contract.ts): slot, pid, nr, a0..a5 (signed 64-bit as numbers). */
  readonly batch: Float64Array;
  /** Synchronous answers, REPLY.FIELDS numbers per batch entry (contract.ts): a REPLY kind, its value. */
  readonly replies: Float64Array;
  readonly syncWakeUp: boolean;
  readonly fd: number;
  continue(slot: number): boolean;
  /** errno > 0 answers -errno; otherwise value. False when the notification is gone. */
  reply(slot: number, value: number, errno: number): boolean;
  /** Installs srcFd in the tracee; returns its fd number there, or -errno. `send` also replies. */
  addfd(slot: number, srcFd: number, cloexec: boolean, send: boolean): number;
  idValid(slot: number): boolean;
  /** The path read once by the C++ fast path from argument argIndex of this notification, if any. */
  slotPath(slot: number, argIndex: number): string | undefined;
  readString(slot: number, addr: number, max?: number): string | null;
  readBytes(slot: number, addr: number, length: number): Buffer | null;
  setPathRoute(nr: number, argIndex: number): void;
  /** Answer nr with CONTINUE in C++ (no engine wants it now). */
  setContinue(nr: number, on: boolean): void;
  setPrefixes(prefixes: readonly string[], relativeToJs: boolean): void;
  /** Paths (absolute or relative) holding one of these components go to JS (see Engine.pathComponents). */
  setPathComponents(names: readonly string[]): void;
  stats(): PumpStats;
  close(): void;
}

export interface TraceSessionOptions {
  /** Ring buffer size: a power of two >= a page; default 8 MiB. */
  ringBytes?: number;
  /** Bytes kept of each string argument, NUL included: 1..4096, default 256. */
  maxStr?: number;
  /** Bytes kept of each data buffer (strace -s): 0..4096, default 32. */
  maxBuf?: number;
  /** Bytes handed to JS per call; default 1 MiB. */
  batchBytes?: number;
  /** Backlog that wakes the reader (< ringBytes); default ringBytes/16; 0 wakes on every record. */
  wakeupBytes?: number;
  /** Timer that collects a backlog below wakeupBytes; default 10 ms. */
  flushMs?: number;
  /** Trace children of traced processes, in the kernel; default true. */
  followForks?: boolean;
  /** Traced from attach on. */
  tgids?: number[];
}

/** The eBPF tracer (bpf/trace.bpf.c): raw tracepoints -> ring buffer -> batches for JS. */
export declare class TraceSession {
  constructor(options?: TraceSessionOptions);
  trace(tgid: number): void;
  untrace(tgid: number): boolean;
  isTraced(tgid: number): boolean;
  setSyscallConfig(nr: number, flags: number): void;
  setSyscallConfigs(words: Uint32Array): void;
  start(onBatch: (records: Buffer, count: number) => void): void;
  drain(): number;
  dropped(): number;
  unfollowed(): number;
  missed(): number;
  close(): void;
  readonly closed: boolean;
}

/** One recvmsg of the OCI agent (addon/src/agent/recv_fds.cc). */
export interface ReceivedWithFds {
  /** Bytes received; empty (with no fds) at end of stream. */
  data: Buffer;
  /** Fds passed as SCM_RIGHTS, installed close-on-exec; the caller owns them. */
  fds: number[];
  /** More fds (or control data) were sent than fit: the kernel closed the rest. */
  truncated: boolean;
}

/** Calls onEvent while fd is readable or hung up, on Node's loop; never reads, does not own fd. */
export declare class FdPoll {
  constructor(fd: number, onEvent: (readable: boolean, hangup: boolean) => void);
  /** Stops polling (idempotent): call it before the fd is closed. */
  close(): void;
}

/**
 * The in-kernel syscall counter (bpf/count.bpf.c): sums, per syscall number, the calls the kernel
 * ran in the counted process trees, their errors and their time; nothing per call to user space.
 * The constructor loads and attaches it (throws the addon's one-line error when refused).
 */
export declare class CountSession {
  constructor();
  /** Count this process and every process it creates from now on. */
  trace(tgid: number): void;
  /** Exactly these syscall numbers are counted from now on. */
  setSyscalls(nrs: readonly number[]): void;
  /** COUNT.FIELDS numbers per syscall number nr < MAX_SYSCALLS, at nr * COUNT.FIELDS (contract.ts):
   *  calls, errors, ns, summed over the CPUs. */
  read(): Float64Array;
  /** Detaches and unloads (idempotent). */
  close(): void;
  readonly closed: boolean;
}

export interface RawBinding {
  TraceSession: typeof TraceSession;
  CountSession: typeof CountSession;
  /** One non-blocking recvmsg (MSG_CMSG_CLOEXEC) with up to maxFds SCM_RIGHTS fds; null on EAGAIN. */
  recvWithFds(socketFd: number, maxBytes: number, maxFds: number): ReceivedWithFds | null;
  FdPoll: typeof FdPoll;
  /** Forks, installs the filter with a new listener in the child, takes the listener. With hold, the
   * child waits before exec until release(pid). */
  spawn(file: string, argv: readonly string[], env: readonly string[], filter: Buffer, flags: number, hold?: boolean): SpawnedChild;
  release(pid: number): boolean;
  /** A duplicate of fd `fd` of process `pid` (pidfd_getfd). */
  grabFd(pid: number, fd: number): number;
  /** The control call of a nested sysvisor (see src/scopes/protocol.ts): ret < 0 is -errno. */
  control(op: number, request: Buffer, responseCapacity: number): { ret: number; response: Buffer };
  setSubreaper(): void;
  /** Reaps every child until none is left, then calls back (start after the command was reaped). */
  reapChildren(callback: () => void): void;
  watchExit(pidfd: number, callback: (code: number, signal: number) => void): void;
  pidfdSignal(pidfd: number, signal: number): boolean;
  closeFd(fd: number): void;
  Pump: typeof Pump;
  /** The numbers of the addon boundary (addon/src/contract.cc); src/native/contract.ts is generated from it. */
  contract: Record<string, number | Record<string, number>>;
  /**
   * Opens as the tracee would (its fsuid/fsgid/groups/capabilities, cwd or dirfd, root, umask):
   * a supervisor fd, -errno, or EMULATE_FALLBACK when the kernel must open it as the tracee
   * (devices, FIFOs, paths through procfs, openat2 resolve flags, another user namespace).
   */
  openAs(pid: number, dirfd: number, path: string, flags: number, mode: number, resolve?: number, cached?: boolean): number;
  /** Returned by openAs/pathAs when the call must be run by the kernel as the tracee. */
  EMULATE_FALLBACK: number;
  /**
   * Runs path operation `op` (PATH_OP) as the tracee on (dirfd, path): result, -errno or
   * EMULATE_FALLBACK. `nums`, `str`, `input` are the operation's arguments; `output` receives its
   * data (struct stat, link target...). rename and link take a second (dirfd2, path2). `cached`:
   * the identity cache may be used (the call came through an engine that sees credential changes).
   */
  pathAs(tid: number, op: number, dirfd: number, path: string, nums: readonly number[], str?: string | null, input?: Buffer | null, output?: Buffer | null, dirfd2?: number, path2?: string, cached?: boolean): number;
  PATH_OP: Readonly<Record<PathOpName, number>>;
  /**
   * Cache tracee identities between emulated calls (off by default; used only by calls made with
   * `cached`). Whoever turns it on must call forgetTracee(tid) when thread tid enters a call that
   * changes its credentials: the setuid family, setgroups, capset, execve/execveat, unshare, setns
   * (see CRED_SYSCALLS). Turning it on or off empties it.
   */
  emulateCache(enabled: boolean): void;
  /**
   * `wholeProcess` for execve: every thread of tid's process is forgotten; `rootChange` for
   * chroot, pivot_root, unshare, setns: the process's root is never again assumed to be ours.
   */
  forgetTracee(tid: number, wholeProcess?: boolean, rootChange?: boolean): void;
  /**
   * Writes into the tracee's memory (process_vm_writev: its page protections apply, as to the
   * kernel's own copy to user space): 0, -EFAULT where it could not write (nothing or part written),
   * or -errno (-ESRCH: gone). `length` bytes of `bytes` (default all).
   */
  writeTracee(tid: number, addr: number, bytes: Buffer, length?: number): number;
  /** [tgid, ppid, starttime of its process, cwdDev, cwdIno] of a thread (cwd fields -1 if unreadable), or null when gone. */
  taskInfo(tid: number): [number, number, number, number, number] | null;
  /**
   * Writes each region's new bytes over the tracee's memory for a CONTINUE, and puts the old ones
   * back when the call returns (ptrace stop at syscall exit; polling when the thread cannot be
   * seized, or without a killable wait: `killableWait` false). Returns 1 (ptrace), 2 (polling) or
   * -errno (nothing written).
   */
  rewriteContinue(tid: number, regions: readonly (readonly [number, Buffer, Buffer])[], exec: boolean, killableWait: boolean): number;
}

export type PathOpName =
  | 'stat' | 'statx' | 'access' | 'readlink' | 'mkdir' | 'mknod' | 'unlink' | 'chmod' | 'chown'
  | 'utimens' | 'truncate' | 'statfs' | 'setxattr' | 'getxattr' | 'listxattr' | 'removexattr'
  | 'inotify' | 'nameToHandle' | 'symlink' | 'rename' | 'link' | 'chdirCheck';
