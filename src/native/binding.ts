// The raw native binding (addon/src): one declaration for everything the addon exports.

export interface PumpStats {
  received: number;
  fastPath: number;
  /** Received by Node's thread itself (the receiving thread parked: see receiver.h). */
  receivedOnLoop: number;
  /** Run in C++ under native plans (never entered JS). */
  native: number;
  /** Of those, run on the receiving threads (the rest on Node's thread, when it receives itself). */
  nativeOnThread: number;
  /** Times a stand-in took over receiving from a receiving thread whose plan had not ended (receiver.h). */
  standInTakeovers: number;
  /** Calls Node's thread found while polling after a call (setSpin), and its polls that found none. */
  spinHits: number;
  spinMisses: number;
  /** Spins skipped while backing off after spins that ran out, and turns ended by the turn bound (1 ms). */
  spinSkips: number;
  spinCuts: number;
  pending: number;
  /** fds installed in a tracee whose call was gone before the answer (it left the call). */
  lostFds: number;
  /** Answers in flight on the worker threads (replyFd). */
  replying: number;
  /** Files opened under plans that record them, not taken yet (takeOpened; bounded). */
  openRecords: number;
}

/**
 * Where the operands of a call the pump runs under native plans are among its arguments (-1: none;
 * no dirfd is AT_FDCWD): the emulation's operation, as NATIVE_CALLS (chain/emulate/native.ts) lists them.
 */
export interface NativeCall {
  /** pathAs's operation, or open (openAs: the fd installed by ADDFD). */
  op: 'stat' | 'statx' | 'access' | 'readlink' | 'getxattr' | 'listxattr' | 'setxattr' | 'removexattr' | 'chown' | 'mkdir' | 'utimens' | 'open';
  dirfd: number;
  path: number;
  /** The output buffer (struct stat, struct statx, the link's target, the attribute's value). */
  out: number;
  /** readlink's and getxattr's buffer size. */
  size: number;
  /** A name read from the tracee (getxattr's and removexattr's attribute name). */
  name: number;
  flags: number;
  mode: number;
  mask: number;
  /** chown's owner and group. */
  uid: number;
  gid: number;
  /** An input read from the tracee: utimensat's struct timespec[2] (NULL: now); setxattr's value (`size` bytes). */
  input: number;
  /** setxattr's XATTR_CREATE/XATTR_REPLACE flags (apart from `flags`, whose AT_SYMLINK_NOFOLLOW tells lsetxattr). */
  xflags: number;
  /** Flags the call always has (lstat: AT_SYMLINK_NOFOLLOW; open: O_LARGEFILE; creat: O_CREAT|O_WRONLY|O_TRUNC too). */
  fixedFlags: number;
  /** A call with a flag outside these goes to JS (open: O_PATH, O_TMPFILE, bits the kernel drops). */
  plainFlags: number;
}

/** The pump's fast path (Pump.setFastPath). */
export interface FastPathConfig {
  /** Syscalls in the filter for engines that may be loaded later, wanted by none now: continued. */
  continued: readonly number[];
  /** (nr, argIndex) pairs, flat: that argument is read as a path in C++, and the call continued when the path is outside every prefix. */
  routes: readonly number[];
  /** The absolute prefixes some engine maps, as byte strings (one char per byte, 'latin1'). */
  prefixes: readonly string[];
  /** Relative paths always go to JS (an engine keeps a virtual cwd). */
  relativeToJs: boolean;
  /** Paths (absolute or relative) holding one of these components go to JS (see Engine.pathComponents). */
  components: readonly string[];
  /**
   * Calls run in C++ under the native plans of their whole chain (chain/plan.ts), without entering
   * JS: where the operands are (NATIVE_CALLS), the plans innermost first as [prefix, levels, ...],
   * and whether the identity cache may serve them. Only routed calls (their path read in C++).
   * nofollow: the syscall table's NOFOLLOW fact (a final symlink never followed, whatever the flags).
   */
  native?: readonly (NativeCall & { nr: number; chain: readonly (string | number)[]; cached: boolean; recordOpens?: number; nofollow?: boolean })[];
}

export declare class Pump {
  /** Takes ownership of listenerFd; calls onBatch(count) once per wake-up with `batch` filled. */
  /** onBatch returns true when it left promises pending (the pump then runs the microtasks). */
  /** onError gets failures of answers completed off the loop thread (replyFd). */
  /**
   * receivedIds: the received-ids page (a memfd, launcher/protocol.h), owned by the pump from then
   * on: before its first receive, the pump starts storing the id of every notification it receives
   * there, so that whoever keeps the listener when this process dies (the launcher left in continue
   * mode, the agent's fd holder) can find the calls received and never answered.
   */
  constructor(listenerFd: number, onBatch: (count: number) => boolean, onHangup: () => void, onError?: (message: string) => void, receivedIds?: number);
  /** NOTIF.FIELDS numbers per notification (contract.ts): slot, pid, nr, a0..a5 (signed 64-bit as numbers). */
  readonly batch: Float64Array;
  /** Synchronous answers, REPLY.FIELDS numbers per batch entry (contract.ts): a REPLY kind, its value. */
  readonly replies: Float64Array;
  readonly syncWakeUp: boolean;
  readonly fd: number;
  /**
   * After the calls Node's thread received itself, it polls the listener for up to `us` µs more
   * (0 to 1000; 0: off, the default) before it returns to the event loop, with sched_yield between
   * polls when `yieldBetween` (default) or a pause instruction. Armed by a call: idle, it never polls.
   */
  setSpin(us: number, yieldBetween?: boolean): void;
  continue(slot: number): boolean;
  /** errno > 0 answers -errno; otherwise value. False when the notification is gone. */
  reply(slot: number, value: number, errno: number): boolean;
  /**
   * Installs srcFd in the tracee; returns its fd number there, or -errno (-ENOENT: the call is
   * gone). `send` also answers the call, with the fd or the errno of a failed install (the slot is
   * freed); it throws only when the answer itself failed.
   */
  addfd(slot: number, srcFd: number, cloexec: boolean, send: boolean): number;
  /**
   * Answers the call with srcFd installed in the tracee (or the errno of a failed install). The
   * install waits for the tracee, so a worker thread does it and the answer completes later. srcFd
   * is the pump's from the call on, in every case: it is closed once installed, before the answer,
   * so that the tracee's close is the file's last (flocks, ETXTBSY, a pipe's EOF). The slot is
   * freed now.
   */
  replyFd(slot: number, srcFd: number, cloexec: boolean): void;
  idValid(slot: number): boolean;
  /** The path read once by the C++ fast path from argument argIndex of this notification, if any (a byte string: one char per byte, 'latin1'). */
  slotPath(slot: number, argIndex: number): string | undefined;
  /** Argument `index` (0..5) of the pending notification exactly, as an unsigned 64-bit bigint. */
  arg64(slot: number, index: number): bigint;
  /** A C string from the tracee as a byte string (one char per byte, 'latin1'); null when unreadable or gone. */
  readString(slot: number, addr: number, max?: number): string | null;
  readBytes(slot: number, addr: number, length: number): Buffer | null;
  /**
   * What the pump's receiving thread answers without JS (CONTINUE), replacing the whole previous
   * configuration at once: a call it decides meanwhile sees the old one or the new one, never a
   * mix. Until the first call, every notified call goes to JS. Throws RangeError for a syscall
   * number or argument index out of range (nothing changed then).
   */
  setFastPath(config: FastPathConfig): void;
  /**
   * The files opened under plans that record them (FastPathConfig.native's recordOpens: bit i, the
   * chain's plan i) since the last take, of processes still alive, oldest first, flat:
   * [nr, chain position, tgid, start time, level, dev, ino]...
   */
  takeOpened(): number[];
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
export interface HoldPacket {
  op: number;
  key: bigint;
  record: Buffer;
  fds: number[];
}

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
  /** Count this process and every process it creates from now on; `fromExec` (a process held
   *  before its exec): from its execve on, as strace counts a command. */
  trace(tgid: number, fromExec?: boolean): void;
  /** Exactly these syscall numbers are counted from now on. */
  setSyscalls(nrs: readonly number[]): void;
  /** COUNT.FIELDS numbers per syscall number nr < MAX_SYSCALLS, at nr * COUNT.FIELDS (contract.ts):
   *  calls, errors, ns, summed over the CPUs. */
  read(): Float64Array;
  /** Detaches and unloads (idempotent). */
  close(): void;
  readonly closed: boolean;
}

export interface TracerStats {
  /** Calls stopped for the engines (seccomp stops, or entry stops the filter would trace). */
  stops: number;
  /** Of those, the ones resumed without JS (setFastPath). */
  fastPath: number;
  /** Calls answered (continued, skipped with a value or errno, or run with changed arguments). */
  answered: number;
  /** Threads stopped in a call JS holds. */
  pending: number;
  /** Calls whose path the tracer thread mapped under their chain's native plans (never in JS; addon/src/ptrace/plans.h). */
  native: number;
}

/**
 * The ptrace transport's stop loop (addon/src/ptrace/tracer.cc): a native thread seizes a process
 * (PTRACE_SEIZE, its tree followed) and hands its seccomp stops (SECCOMP_RET_TRACE) to JS in
 * batches; each stopped thread is answered by its tid.
 */
export declare class Tracer {
  /**
   * Seizes pid (throws the ptrace error, e.g. EPERM) and calls onBatch(count) once per wake-up with
   * `batch` filled. With entryFilter (the struct sock_filter[] pid installs), calls are caught at
   * their syscall-entry stops, before seccomp, where that filter would TRACE them (a foreign
   * listener's USER_NOTIF beats TRACE): every call of the tree stops twice, entry and exit.
   */
  constructor(pid: number, onBatch: (count: number) => boolean, entryFilter?: Buffer);
  /**
   * NOTIF.FIELDS numbers per stop (contract.ts): tid (as slot and pid), nr, a0..a5 (signed 64-bit as
   * numbers). An entry with nr PTRACE.EXIT_NR is the syscall-exit stop of a call continued with
   * awaitExit: a0 its return value, a1 1 when the thread is gone instead.
   */
  readonly batch: Float64Array;
  /** Synchronous answers, REPLY.FIELDS numbers per batch entry (contract.ts): a REPLY kind, its value. */
  readonly replies: Float64Array;
  /** Runs the call (arguments as setArgs left them); awaitExit: its syscall-exit stop comes back to JS. False when the thread holds no call. */
  continue(tid: number, awaitExit?: boolean): boolean;
  /** errno > 0 answers -errno, else value: the call is skipped (at an exit stop, its result replaced). */
  reply(tid: number, value: number, errno: number): boolean;
  /** Argument registers to set when the call continues (index, value pairs); put back at its exit. */
  setArgs(tid: number, ...indexValuePairs: (number | bigint)[]): boolean;
  /** Whatever the answer, the thread makes syscall nr instead (arguments as setArgs left them), re-executing its syscall instruction. */
  redoAs(tid: number, nr: number): boolean;
  /** The held call is an execve: if it succeeds, the new program's AT_EXECFN names `name` (a byte string). False when the thread holds no call. */
  execName(tid: number, name: string): boolean;
  /** Does the thread hold a call (stopped, not answered)? */
  valid(tid: number): boolean;
  /** Argument `index` of the held call exactly (unsigned 64-bit); undefined when none is held. */
  arg64(tid: number, index: number): bigint | undefined;
  /** Stack pointer of the stopped thread; undefined when none is held. */
  stackPointer(tid: number): number | undefined;
  /** A C string of the stopped thread as a byte string ('latin1'), or null when unreadable. */
  readString(tid: number, addr: number, max?: number): string | null;
  readBytes(tid: number, addr: number, length: number): Buffer | null;
  stats(): TracerStats;
  /** What the tracer thread resumes without JS, and the calls it maps under native plans (FastPathConfig), replacing the previous configuration. */
  setFastPath(config: FastPathConfig): void;
  /** The thread leaves (a tracee still traced is killed: PTRACE_O_EXITKILL). Idempotent. */
  close(): void;
}

export interface RawBinding {
  Tracer: typeof Tracer;
  /**
   * Could a process started now get a seccomp listener? 0, or the errno a child got for
   * seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER): EBUSY when a listener above holds the slot.
   */
  probeListener(): number;
  /**
   * The ptrace transport's path resolution in the engines' views (addon/src/ptrace/view_path.cc):
   * the path walked as the tracee; when a symlink on the way names a view, the real path it
   * reaches (a byte string: its directory resolved, its last component followed only with
   * `follow`), or -errno when the walk then fails; null when the kernel may resolve it as it is.
   */
  viewPath(request: { tid: number; dirfd: number; path: string; follow: boolean; view: readonly (readonly [string, number])[]; cached?: boolean }): string | number | null;
  TraceSession: typeof TraceSession;
  CountSession: typeof CountSession;
  /** One non-blocking recvmsg (MSG_CMSG_CLOEXEC) with up to maxFds SCM_RIGHTS fds; null on EAGAIN. */
  recvWithFds(socketFd: number, maxBytes: number, maxFds: number): ReceivedWithFds | null;
  FdPoll: typeof FdPoll;
  /** The fd holder of `sysvisor agent --hold` (addon/src/agent/hold.cc, holder.c, hold_protocol.h). */
  holderPath(): string;
  holdConnect(path: string): number;
  holdSend(fd: number, op: number, key: bigint, record: Buffer, fds: readonly number[]): void;
  /** One packet; null when none is there yet (wait false); op 0 at end of stream or for a malformed packet. */
  holdRecv(fd: number, wait: boolean): HoldPacket | null;
  readonly holdOps: { PUT: number; DROP: number; OK: number; NO: number; ENTRY: number; END: number; BUSY: number; MAX_RECORD: number };
  /** A received-ids page for the Pump constructor (a memfd). */
  createIdsPage(): number;
  dupFd(fd: number): number;
  /** PTRACE_SEIZE + PTRACE_INTERRUPT of a thread: 0 or -errno. */
  interruptTask(tid: number): number;
  /** Detaches a thread interrupted by interruptTask once it stopped: 1 done (or gone), 0 not stopped yet, -errno. */
  releaseTask(tid: number): number;
  /** The ids in [last - below, last + above) of calls received on `listener` and not answered. */
  receivedIds(listener: number, last: bigint, below: number, above: number): bigint[];
  /** Answers call `id` with -ERESTARTNOINTR: 0 or -errno. */
  answerRestart(listener: number, id: bigint): number;
  /** Starts the launcher process (addon/src/launcher/launcher.c) for a command: its pid, a pidfd and
   * our end of its control socket; `fds` are handed on to the command at the same numbers. A Buffer
   * is passed as its bytes exactly, a string as UTF-8; one holding a NUL is a TypeError. */
  launch(file: string | Buffer, argv: readonly (string | Buffer)[], env: readonly (string | Buffer)[], fds: readonly number[]): { pid: number; pidfd: number; socket: number };
  /** A pidfd of any process (close it with closeFd), or -errno. */
  pidfdOpen(pid: number): number;
  /** A duplicate of fd `fd` of process `pid` (pidfd_getfd). */
  grabFd(pid: number, fd: number): number;
  /**
   * The address of socket `fd` of process `pid`, as getsockname (getpeername with `peer`) gives it
   * to that process: the whole address, or -errno (EBADF, ENOTSOCK, ENOTCONN; ESRCH: gone).
   */
  socketName(pid: number, fd: number, peer: boolean): Buffer | number;
  /** The control call of a nested sysvisor (see src/scopes/protocol.ts): ret < 0 is -errno. */
  control(op: number, request: Buffer, responseCapacity: number): { ret: number; response: Buffer };
  /** Counts signal `sig` by origin from now on (wraps the handler process.on installed). */
  watchSignalOrigin(sig: number): void;
  /** Origin of one counted, not yet taken `sig`: sent by the kernel (a terminal) or a process. */
  takeSignalOrigin(sig: number): 'kernel' | 'user' | null;
  /** Reaps the child of this pidfd (waitid P_PIDFD) when it exits; the pidfd stays the caller's. */
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
  openAs(request: OpenRequest): number;
  /** Returned by openAs/pathAs when the call must be run by the kernel as the tracee. */
  EMULATE_FALLBACK: number;
  /**
   * Runs one path operation as the tracee (see PathRequest): its result, -errno, or
   * EMULATE_FALLBACK. Throws a TypeError when a field of the request is missing or mistyped.
   */
  pathAs(request: PathRequest): number;
  /**
   * Empties the identity cache that emulated calls made with `cached` fill and read. Calls are
   * `cached` only when an engine on their way sees every credential change of their thread and
   * calls forgetTracee(tid) on entry of each (the setuid family, setgroups, capset, execve/execveat,
   * unshare, setns: CRED_SYSCALLS); the transport empties it whenever its engines change.
   */
  resetTraceeCache(): void;
  /**
   * `wholeProcess` for execve: every thread of tid's process is forgotten; `rootChange` for
   * chroot, pivot_root, unshare, setns: the process's root is never again assumed to be ours.
   */
  forgetTracee(request: { tid: number; wholeProcess?: boolean; rootChange?: boolean; identity?: TraceeIdentity }): void;
  /**
   * The identity of thread `tid` read once from /proc (-errno when it cannot be: -ESRCH, gone),
   * for a call that may not use the identity cache (execve: it may change the credentials): every
   * step of that same call takes it as `identity` instead of reading /proc again. Only the thread
   * changes its credentials, and not while its call is pending; keep it on the call (Syscall.memo),
   * never for another call.
   */
  traceeIdentity(tid: number): TraceeIdentity | number;
  /**
   * What the identity cache holds: thread identities, and processes alive whose root changed
   * (pruned of the dead whenever it doubles). For the tests of its bounds.
   */
  traceeCacheSizes(): { cached: number; rootChanged: number };
  /**
   * Writes into the tracee's memory (process_vm_writev: its page protections apply, as to the
   * kernel's own copy to user space): 0, -EFAULT where it could not write (nothing or part written),
   * or -errno (-ESRCH: gone). `length` bytes of `bytes` (default all).
   */
  writeTracee(tid: number, addr: number, bytes: Buffer, length?: number): number;
  /** The pump's interpreter of a path plan (chain/plan.ts), for the tests: null when the engine must see the path. */
  planPath(plan: { prefix: string; levels: number }, path: string, walked?: boolean): { path: string; changed: boolean } | null;
  /** What /proc says about a thread, or null when it is gone. */
  taskInfo(tid: number, identity?: TraceeIdentity): TaskInfo | null;
  /**
   * Whether thread `tid`'s cwd already is the directory `path` names (a chdir to it would change
   * nothing): `path` is the cwd's canonical path as read from /proc/TID/cwd (the thread's root
   * ours), the directory (dev, ino) a chdir check found as the thread is the cwd, and `path` from
   * the thread's root is on the cwd's own mount.
   */
  cwdIs(tid: number, path: string, dev: number, ino: number): boolean;
  /**
   * Writes each region's new bytes over the tracee's memory for a CONTINUE, and puts the old ones
   * back when the call returns (ptrace stop at syscall exit; polling when the thread cannot be
   * seized, or without a killable wait: `killableWait` false). Returns 1 (ptrace), 2 (polling) or
   * -errno (nothing written).
   */
  rewriteContinue(request: RewriteRequest): number;
  /**
   * The first 256 bytes of the file behind the supervisor's O_PATH fd `fd` (from openAs), as the
   * kernel reads a program: only if the thread may execute it (a regular file, exec permission
   * checked as the thread on that file), whatever its read permission. -errno otherwise.
   */
  scriptHead(request: { tid: number; fd: number; cached?: boolean; identity?: TraceeIdentity }): Buffer | number;
  /**
   * For a call about to be answered with an error: stops the thread when it returns to user space
   * and points it back at its `syscall` instruction with number `nr` and first arguments `args`, so
   * that it makes that call next. 1 when armed, -errno when it cannot be (another tracer, no
   * killable wait): then nothing happens.
   */
  redoSyscall(request: RedoRequest): number;
  /**
   * 1 when a receive or accept on socket `fd` of process `tgid` would sleep now (a blocking socket
   * with nothing queued, and no MSG_DONTWAIT), 0 when it returns at once, -errno (EBADF...).
   */
  socketWaits(request: { tgid: number; fd: number; dontwait: boolean }): number;
}

/** A pending call's identity (traceeIdentity): opaque, made by the addon (addon/src/emulate/tracee.h). */
export interface TraceeIdentity {
  readonly __traceeIdentity: unique symbol;
}

/** A thread as /proc shows it (addon/src/emulate/task.cc). */
export interface TaskInfo {
  tgid: number;
  ppid: number;
  /** Effective uid. */
  euid: number;
  /** Start time of its process (clock ticks since boot): tells a reused process id. */
  start: number;
  /** (st_dev, st_ino) of its cwd, -1 when unreadable. */
  cwdDev: number;
  cwdIno: number;
}

/**
 * What every path operation names: the thread, and the path as it gave it (relative to dirfd).
 * Paths, symlink targets and xattr names are byte strings (one char per byte, 'latin1').
 */
interface PathTarget {
  tid: number;
  dirfd: number;
  path: string;
  /** The identity cache may be used: the call came through an engine that sees credential changes. */
  cached?: boolean;
  /** The call's identity, read once for its steps (traceeIdentity); taken unless the umask is needed. */
  identity?: TraceeIdentity;
  /**
   * The views of the engines on the call's way, innermost first: [prefix, levels]. An absolute
   * symlink target met by the walk is what the program wrote, so each engine's prefix is stripped
   * from it (up to `levels` leading copies) before the walk goes on (see src/chain/emulate/view.ts).
   */
  view?: readonly (readonly [string, number])[];
}

/** An open run as the tracee by the addon (addon/src/emulate/open_as.cc): open(2)/openat2's fields. */
export interface OpenRequest extends PathTarget {
  /** O_* flags, as the kernel cleaned them (build_open_flags). */
  flags: number;
  /** The creation mode (before the tracee's umask). */
  mode: number;
  /** openat2's RESOLVE_* flags; non-zero: the kernel must open it (EMULATE_FALLBACK). */
  resolve?: number;
}

/** A syscall a thread is made to make instead of the one answered (addon/src/emulate/rewrite.cc). */
export interface RedoRequest {
  tid: number;
  /** The syscall the thread makes instead (execve). */
  nr: number;
  /** Its first three arguments. */
  args: readonly [number, number, number];
  /** The kernel has a killable wait for notified calls (else nothing is armed: -EPERM). */
  killableWait: boolean;
}

/** Argument bytes written over the tracee's for a CONTINUE and restored at its exit (addon/src/emulate/rewrite.cc). */
export interface RewriteRequest {
  tid: number;
  /** [address, new bytes, old bytes] (old and new of the same length). */
  regions: readonly (readonly [number, Buffer, Buffer])[];
  /** The call is an execve: restore in a vfork parent that shares the memory too. */
  exec: boolean;
  /** The kernel has a killable wait for notified calls: the thread may be ptrace-stopped at exit. */
  killableWait: boolean;
  /**
   * The call returns a peer's socket address (accept, recvfrom, recvmsg): at the exit stop, an
   * AF_UNIX address whose path is a pair's real path becomes the pair's view address (family + path
   * + NUL), written as the kernel would (at most `size` bytes at `addr`, the length at `lenAddr`).
   * Only when the thread is ptrace-stopped at exit; arm it only for a call that will not sleep.
   */
  addressBack?: { addr: number; size: number; lenAddr: number; pairs: readonly (readonly [Buffer, Buffer])[] };
  /**
   * A readlink the kernel answers into `size` bytes at `addr`: at the exit stop, an answer that is
   * `from` (whole, or as much of it as fits) becomes `to` (at most `size` bytes; the return value
   * its length). Only when the thread is ptrace-stopped at exit.
   */
  linkBack?: { addr: number; size: number; from: Buffer; to: Buffer };
  /** For an execve: the new program's AT_EXECFN names this (see PutExecFn in addon/src/emulate/rewrite.cc). */
  execFn?: Buffer;
}

/**
 * One path operation run as the tracee by the addon (addon/src/emulate/path_as.cc), with the fields
 * the kernel's call takes. `out` receives the call's output (struct stat, statx, statfs, a link
 * target, an xattr value or list, a file handle); the caller writes it back to the tracee.
 */
export type PathRequest = PathTarget &
  (
    | { op: 'stat'; /** AT_SYMLINK_NOFOLLOW, AT_NO_AUTOMOUNT */ flags: number; out: Buffer }
    | { op: 'statx'; flags: number; mask: number; out: Buffer }
    | { op: 'access'; /** R_OK... */ mode: number; /** AT_EACCESS, AT_SYMLINK_NOFOLLOW */ flags: number }
    | { op: 'readlink'; out: Buffer }
    | { op: 'mkdir'; mode: number }
    | { op: 'mknod'; mode: number; dev: number }
    | { op: 'unlink'; /** AT_REMOVEDIR */ flags: number }
    | { op: 'chmod'; mode: number; flags: number }
    | { op: 'chown'; uid: number; gid: number; flags: number }
    | { op: 'utimens'; /** struct timespec[2], or null for now */ times: Buffer | null; flags: number }
    | { op: 'truncate'; length: number }
    | { op: 'statfs'; out: Buffer }
    | { op: 'setxattr'; follow: boolean; name: string; value: Buffer; /** XATTR_CREATE, XATTR_REPLACE */ flags: number }
    | { op: 'getxattr'; follow: boolean; name: string; /** null: ask the size */ out: Buffer | null }
    | { op: 'listxattr'; follow: boolean; out: Buffer | null }
    | { op: 'removexattr'; follow: boolean; name: string }
    | { op: 'inotify'; /** the tracee's inotify fd */ fd: number; mask: number }
    | { op: 'nameToHandle'; /** AT_SYMLINK_FOLLOW, AT_HANDLE_* */ flags: number; /** struct file_handle + 8 bytes of mount id */ out: Buffer }
    | { op: 'symlink'; target: string }
    | { op: 'rename'; /** RENAME_* */ flags: number; dirfd2: number; path2: string }
    | { op: 'link'; /** AT_SYMLINK_FOLLOW */ flags: number; dirfd2: number; path2: string }
    | { op: 'chdirCheck'; /** receives the directory's struct stat */ out: Buffer }
  );
