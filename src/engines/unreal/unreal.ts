// `unreal`: path virtualization. `/unreal/X` and `/unreal/unreal/X` are `/X` (whole components;
// `/unreal` alone is `/`); two instances give four levels. On entry each path argument is mapped
// and handed outward (the next engine out maps what is left); the executor then realizes the call
// as the tracee (see src/chain/emulate and README.md next to this file). The kernel's cwd follows
// the virtual one (chdir is rewritten), and the levels above it are kept per process, so relative
// paths need no help and getcwd is the only call changed on exit.
import { closeSync, constants as fsc, fstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { Engine, EngineContext, EngineFactory, EngineOptions, Next } from '../../chain/engine.js';
import type { Interest } from '../../filter/plan.js';
import { Result } from '../../chain/result.js';
import { textToLatin1, type Syscall } from '../../chain/syscall.js';
import { UsageError } from '../../chain/errors.js';
import { addressBacks, CRED_SYSCALLS, execName, linkBack, linkViews, putReturnedAddress, realCwd, returnedAddress, ROOT_SYSCALLS, setSocketPath, sockaddrCount, socketPath, sunAddress, sunPath, xattrErrnoBeforeLookup } from '../../chain/emulate/index.js';
import { loadBinding, type RawBinding } from '../../native/load.js';
import { AT_FDCWD, PATH_ARGS, PATH_DIRFDS } from '../../syscalls/paths.js';
import { EMULATED, syscallInfo, syscallsWith, WALK } from '../../syscalls/table.js';
import { CwdLevels } from './levels.js';
import { MAX_LEVELS, PathMap, type Lookup, type Mapped, type Place, type Probe } from './map.js';
import { MAX_SCRIPT_DEPTH, parseShebang } from './script.js';
import type { NativeOpened, NativePlan } from '../../chain/plan.js';
import type { TaskInfo, TraceeIdentity } from '../../native/binding.js';
import { NATIVE_CALLS } from '../../chain/emulate/native.js';
import { O_PATH } from '../../chain/emulate/open-flags.js';

/**
 * What `unreal` intercepts besides the credential calls: every call the executor can realize as
 * the tracee (the table's EMULATED calls: the path calls, and the cwd and AF_UNIX socket
 * addresses, which are part of the view too).
 */
export const UNREAL_SYSCALLS: readonly string[] = syscallsWith(EMULATED);

const ENOENT = 2;
const EINVAL = 22;
const ERANGE = 34;
const ELOOP = 40;
const AT_EMPTY_PATH = 0x1000;
const O_CLOEXEC = 0o2000000;
const O_NOFOLLOW = 0o400000;
/** Sockets bound through the view remembered for getsockname/getpeername (the oldest go first). */
const MAX_SOCKETS = 1024;
/** Every bit of a 64-bit argument: anyBits of it holds for a non-NULL pointer. */
const NON_NULL = 0xffff_ffff_ffff_ffffn;
/**
 * Socket calls notified only when their address pointer (this argument) is not NULL: sendto's
 * destination (a send on a connected socket never leaves the kernel), the peer address accept,
 * accept4 and recvfrom return. sendmsg, sendmmsg and recvmsg always (cBPF cannot read a msghdr).
 */
const ADDRESS_ARG: Readonly<Record<string, number>> = { sendto: 4, accept: 1, accept4: 1, recvfrom: 4 };
const ENOSYS = 38;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STAT_SIZE = 144;
const ST_MODE = 24; // offset of st_mode in struct stat (x86_64)
const { S_IFMT, S_IFDIR, S_IFLNK } = fsc;

export type UnrealBinding = Pick<RawBinding, 'pathAs' | 'openAs' | 'EMULATE_FALLBACK' | 'taskInfo' | 'forgetTracee'> & Partial<Pick<RawBinding, 'scriptHead' | 'grabFd' | 'traceeIdentity'>>;

const CRED = new Set<string>(CRED_SYSCALLS);
/**
 * Whether lookups made while handling `call` may use the addon's identity cache: not during a call
 * that changes what it holds (CRED_SYSCALLS: forgotten on entry, and an entry made before the
 * call runs, e.g. before an execve drops or gains capabilities, would outlive it).
 */
const cacheable = (call: Syscall): boolean => !CRED.has(call.name);
/** The key of a call's identity on the call (see identity). */
const IDENTITY = Symbol('unreal: the identity of a call that may not use the cache');

/** procfs links to the caller's own cwd, whose target readlink shows in the view. */
const CWD_LINKS = ['/proc/self/cwd', '/proc/thread-self/cwd'];
/** procfs links to the caller's own program, whose target readlink shows in the view. */
const EXE_LINKS = ['/proc/self/exe', '/proc/thread-self/exe'];
/**
 * procfs links to a process's (or thread's) cwd, program and open files:
 * /proc/{self,thread-self,PID}[/task/TID]/{cwd,exe,fd/N}.
 */
const PROC_LINK = /^\/proc\/(self|thread-self|[1-9][0-9]*)(?:\/task\/([1-9][0-9]*))?\/(cwd|exe|fd\/(?:0|[1-9][0-9]*))$/;
/** A path that may name an fd's link (…/fd/N), absolute or relative to an open /proc/PID. */
const FD_LINK = /(?:^|\/)fd\/[0-9]+$/;
/** The open family: an fd the supervisor opened through the view is recorded (see opened). */
const OPENS = new Set(['open', 'openat', 'creat', 'openat2']);
/** The calls of NATIVE_CALLS the pump may run for this engine (the opens recording their files). */
const PLANNED: readonly string[] = Object.keys(NATIVE_CALLS);
/**
 * The calls whose handling reads the files recorded as opened through the view (opened): readlink
 * of an fd's link (procLink), fchdir, fexecve (execveat), and the opens that reach JS (recorded
 * after those the pump ran before them).
 */
const OPENED_READERS: readonly string[] = [...OPENS, 'readlink', 'readlinkat', 'fchdir', 'execveat'];

/** Whether thread `tid` is in the supervisor's pid namespace (its /proc/PID names the same process as ours). */
function samePidNamespace(tid: number): boolean {
  try {
    const a = statSync(`/proc/${tid}/ns/pid`);
    const b = statSync('/proc/self/ns/pid');
    return a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}
/** Programs remembered per process (the last execs: one may have failed), and ancestors looked at. */
const EXE_HISTORY = 4;
const MAX_EXE_PROCESSES = 4096;
const MAX_ANCESTORS = 16;
/** Parent directories looked at for the level of a directory fchdir enters. */
const MAX_PARENTS = 64;
/** Files opened through the view remembered per process (the newest first). */
const OPENED_HISTORY = 64;
/** Script chains kept before the first look for threads that are gone. */
const MIN_PRUNE = 64;

/** A program a process exec'd through the view: its levels, and the file (to tell it from a later one). */
interface ExeEntry {
  start: number;
  level: number;
  dev: number;
  ino: number;
}
const ROOT = new Set<string>(ROOT_SYSCALLS);

export interface UnrealOptions {
  /** The mapped name, one absolute component (default `/unreal`). */
  prefix?: string;
  /**
   * 'walk' (default): opens and stats relative to an open directory run natively (so `find`,
   * `tar c` walking a tree cost nothing), and an absolute /unreal path passed to them with a real
   * dirfd is not mapped; every other *at call is seen whatever its dirfd (see unrealInterests).
   * 'all': every *at call.
   */
  dirfds?: 'walk' | 'all';
  /**
   * 'enosys' (default): io_uring_setup fails with ENOSYS, so programs (and libuv) fall back to
   * plain syscalls, which seccomp sees: operations submitted through io_uring (IORING_OP_OPENAT...)
   * would act on real paths, unmapped. 'allow': io_uring is left to the program.
   */
  ioUring?: 'enosys' | 'allow';
}

export class UnrealEngine implements Engine {
  readonly name = 'unreal';
  readonly interests: readonly Interest[];
  readonly pathPrefixes: readonly string[];
  readonly pathComponents: readonly string[];
  /**
   * Always seen in JS: chdir (the level of the new cwd is recorded, mapped or not), and the path
   * calls that change what the identity cache holds (execve: credentials; chroot, pivot_root: the
   * root).
   */
  readonly unrouted = ['chdir', ...CRED_SYSCALLS.filter((s) => PATH_ARGS[s])];
  /**
   * The calls of NATIVE_CALLS (PLANNED: stat, access, readlink, xattr, chown, mkdir, utimensat,
   * open): all handle() does to them is map the path by the prefix strip (mapPath's fast case; the
   * rest needs the walk, readlink of /proc/self/cwd or exe is not under the prefix), with the view's
   * symlinks (linkViews) and the credentials seen; and, for an open, record the file it gives (open,
   * opened): the pump hands those of the opens it runs to nativeOpened.
   */
  readonly nativePlan: NativePlan;
  readonly map: PathMap;
  private readonly levels: CwdLevels;
  private readonly ioUring: 'enosys' | 'allow';
  /**
   * Threads made to exec a script's interpreter instead of the script (call.execInstead): the
   * address of the new path in their memory and the scripts in the chain so far, so that the
   * execve that follows is known as the next step of the same chain (the kernel's depth limit).
   */
  private readonly scriptChains = new Map<number, { at: number; depth: number; start: number; execFn: string }>();
  /**
   * A thread killed between two steps never makes the next execve: its entry is dropped when the
   * map reaches this size and the thread is gone (its process's start time tells a reused id).
   */
  private chainsPruneAt = MIN_PRUNE;
  /** Programs exec'd through the view, per process (tgid): for readlink of /proc/self/exe. */
  private readonly exes = new Map<number, ExeEntry[]>();
  /**
   * Files opened through the view, per process (tgid): their levels and dev/ino, for readlink of
   * /proc/self/fd/N (and an inherited or dup'd fd: the file is the same) and fexecve.
   */
  private readonly opened = new Map<number, ExeEntry[]>();
  /** Sockets bound through the view: real path (as the engines further out show it) -> the path given. */
  private readonly sockets = new Map<string, string>();

  constructor(private readonly binding: UnrealBinding, opts: UnrealOptions = {}) {
    // The map works on byte strings (see Syscall.latin1); the pump takes the prefix as text.
    const prefix = opts.prefix ?? '/unreal';
    this.map = new PathMap(textToLatin1(prefix));
    // The cwd and exe links of procfs reach JS too: readlink of them shows the view (procLink).
    this.pathPrefixes = [prefix, ...CWD_LINKS, ...EXE_LINKS];
    this.pathComponents = [prefix.slice(1)];
    this.nativePlan = { syscalls: PLANNED, path: this.map.plan, seesCredentials: true, opens: { readers: OPENED_READERS } };
    this.levels = new CwdLevels(binding);
    this.ioUring = opts.ioUring ?? 'enosys';
    this.interests = unrealInterests(opts.dirfds ?? 'walk', this.ioUring);
    // And /proc/PID/cwd, /proc/PID/exe, or `cwd` relative to an open /proc/PID: any path with such
    // a component reaches JS (a round trip for a file named `exe` elsewhere; nothing changes for it).
    // The same for /proc/PID/fd/N (a round trip for other paths with an `fd` component: /dev/fd/N).
    this.pathComponents = [...this.pathComponents, 'cwd', 'exe', 'fd'];
  }

  /**
   * The identity of the thread making `call`, when the call may not use the identity cache (an
   * execve, chroot...: see cacheable): read from /proc once, at the first step that needs it, and
   * shared by every later step of the same call (forgetTracee, taskInfo, the probes, the `#!`
   * look-up), on the call itself (Syscall.memo), so never reused for another call, whose ids may
   * differ. Shared with the unreal engines further out (the same call). Undefined for a cacheable
   * call (the cache serves it), or when it cannot be read (each step then reads, and fails, alone).
   */
  private identity(call: Syscall): TraceeIdentity | undefined {
    if (cacheable(call) || !this.binding.traceeIdentity) return undefined;
    const read = this.binding.traceeIdentity;
    const id = call.memo(IDENTITY, () => read(call.tid));
    return typeof id === 'number' ? undefined : id;
  }

  /** taskInfo of the caller, with its identity when it has one read (see identity). */
  private callerInfo(call: Syscall): TaskInfo | null {
    const id = this.identity(call);
    return id ? this.binding.taskInfo(call.tid, id) : this.binding.taskInfo(call.tid);
  }

  /**
   * The `unreal` engines further out on this call's way (outermost first): in this stack or in the
   * scopes around it. A relative path starts from the cwd as they show it (the kernel's cwd under
   * their levels), so that `..` climbs out of their levels before this engine's own. One that never
   * served a process shows it as it is.
   */
  private outer(call: Syscall): UnrealEngine[] {
    return call
      .furtherOut(this)
      .filter((e): e is UnrealEngine => e instanceof UnrealEngine)
      .reverse();
  }

  handle(call: Syscall, next: Next): Result | Promise<Result> {
    // This engine sees every credential change of the threads it serves (CRED_SYSCALLS).
    call.seeCredentials();
    if (CRED.has(call.name)) {
      const exec = call.name === 'execve' || call.name === 'execveat';
      // A call with a path is looked at further (the identity is needed anyway): read it once here.
      const identity = PATH_ARGS[call.name] ? this.identity(call) : undefined;
      this.binding.forgetTracee({ tid: call.tid, wholeProcess: exec, rootChange: ROOT.has(call.name), ...(identity ? { identity } : {}) });
      if (!PATH_ARGS[call.name]) return next();
    }
    switch (call.name) {
      case 'io_uring_setup':
        return this.ioUring === 'enosys' ? Result.error(ENOSYS) : next();
      case 'getcwd':
        return this.getcwd(call, next);
      case 'chdir':
        return this.chdir(call, next);
      case 'fchdir':
        return this.fchdir(call, next);
      case 'readlink':
      case 'readlinkat': {
        const r = this.procLink(call, next);
        if (r !== null) return r;
        break;
      }
      case 'bind':
      case 'connect':
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg': {
        for (let i = 0; i < sockaddrCount(call); i++) {
          const p = socketPath(call, i);
          if (p === null) continue;
          const m = this.mapPath(call, p, AT_FDCWD, false);
          if (m.errno !== undefined) return Result.error(m.errno);
          if (m.changed) setSocketPath(call, i, m.path);
          if (call.name === 'bind') this.boundAs(m.changed ? m.path : null, p);
        }
        return next();
      }
      case 'getsockname':
      case 'getpeername':
        return this.sockName(call, next);
      case 'accept':
      case 'accept4':
      case 'recvfrom':
      case 'recvmsg':
        // The peer's address the kernel returns: mapped back at the call's exit by the executor,
        // through the maps of every engine on the way (only while some socket was bound through one).
        if (this.sockets.size > 0) {
          addressBacks(call).push(this.sockets);
          call.wantResult();
        }
        return next();
    }
    const args = PATH_ARGS[call.name];
    // An exec's program: the path as this engine got it, and as it hands it on.
    let program: { given: string; mapped: Mapped } | undefined;
    // The level of an open's path (see opened).
    let openLevel = 0;
    if (args) {
      // Symlink targets an emulated call follows are in the program's view (see linkViews).
      linkViews(call).push([this.map.prefix, MAX_LEVELS]);
      const dirfds = PATH_DIRFDS[call.name];
      for (const i of args) {
        const p = call.latin1(i);
        if (p === null || p === '') continue;
        const dirfd = dirfds?.[i] !== undefined ? call.args[dirfds[i]!]! | 0 : AT_FDCWD;
        const m = this.mapPath(call, p, dirfd, false);
        // An xattr call's name, size and value are the kernel's to refuse before the lookup.
        if (m.errno !== undefined) return Result.error(xattrErrnoBeforeLookup(call) ?? m.errno);
        if (m.changed) call.setLatin1(i, m.path);
        if (i === (call.name === 'execve' ? 0 : 1)) program = { given: p, mapped: m };
        openLevel = m.level;
      }
    }
    if (call.name === 'execve' || call.name === 'execveat') {
      if (program) this.execLevel(call, program.given, program.mapped);
      else if (call.name === 'execveat' && call.latin1(1) === '' && (call.args[4]! & AT_EMPTY_PATH) !== 0) this.fexecLevel(call);
      return this.exec(call, next);
    }
    if (OPENS.has(call.name) && openLevel > 0) return this.open(call, next, openLevel);
    return next();
  }

  // An open through the view (a path this engine stripped `level` prefixes from): the file the
  // supervisor opened for the tracee (an fd result) is recorded with its level, so that readlink of
  // /proc/self/fd/N shows it in the view, as a file opened through a bind mount shows its path
  // there. Opens the kernel runs (O_PATH, the fallbacks), and relative paths (the kernel's cwd is
  // the real one: the fast path continues them), are not seen. The opens the pump runs under this
  // engine's plan are recorded the same way (nativeOpened).
  private open(call: Syscall, next: Next, level: number): Result | Promise<Result> {
    // The open file: the fd the executor opened for the tracee, or (over ptrace, where the kernel
    // opens it) the fd the kernel returned, found in the tracee's fd table.
    const record = (r: Result): Result => {
      const installed = r.kind === 'fd' && r.localFd >= 0;
      if (!installed && !(r.kind === 'value' && r.value >= 0)) return r;
      const info = this.binding.taskInfo(call.tid);
      if (!info) return r;
      let st;
      try {
        st = r.kind === 'fd' ? fstatSync(r.localFd) : statSync(`/proc/${call.tid}/fd/${r.kind === 'value' ? r.value : -1}`);
      } catch {
        return r;
      }
      // As under unotify, whose executor leaves devices and FIFOs to the kernel: files and directories only.
      if (!installed && !st.isFile() && !st.isDirectory()) return r;
      this.remember(this.opened, info, { start: info.start, level, dev: st.dev, ino: st.ino }, OPENED_HISTORY);
      return r;
    };
    call.wantResult();
    const r = next();
    return r instanceof Result ? record(r) : r.then(record);
  }

  /** The files opens the pump ran through the view gave (NativePlan.opens), recorded as open() does. */
  nativeOpened(files: readonly NativeOpened[]): void {
    for (const f of files) this.remember(this.opened, f, { start: f.start, level: f.level, dev: f.dev, ino: f.ino }, OPENED_HISTORY);
  }

  // Keeps `entry` first in its process's list (one entry per file), the list and the map bounded.
  private remember(map: Map<number, ExeEntry[]>, info: { tgid: number; start: number }, entry: ExeEntry, keep: number): void {
    const list = (map.get(info.tgid) ?? []).filter((e) => e.start === info.start && (e.dev !== entry.dev || e.ino !== entry.ino));
    list.unshift(entry);
    if (!map.has(info.tgid) && map.size >= MAX_EXE_PROCESSES) map.delete(map.keys().next().value!);
    map.set(info.tgid, list.slice(0, keep));
  }

  // fexecve (execveat(fd, "", AT_EMPTY_PATH)) of a file opened through the view: the program's
  // level is the file's (/proc/self/exe shows the path it was opened by, as natively).
  private fexecLevel(call: Syscall): void {
    const fd = call.int(0);
    if (fd < 0 || this.opened.size === 0) return;
    const info = this.callerInfo(call);
    if (!info) return;
    let st;
    try {
      st = statSync(`/proc/${call.tid}/fd/${fd}`);
    } catch {
      return;
    }
    const level = this.fileLevel(this.opened, call.tid, st);
    if (level > 0) this.remember(this.exes, info, { start: info.start, level, dev: st.dev, ino: st.ino }, EXE_HISTORY);
  }

  // The level of the program an execve names (before it runs: if it fails, the process's exe is
  // another file, which the look-up tells by its dev/ino). A program exec'd at level 0 needs no entry.
  // `given`: the program's path as this engine got it (the engines nearer the program have mapped
  // their levels), `mapped`: as this engine hands it on.
  private execLevel(call: Syscall, given: string, mapped: Mapped): void {
    const at = call.name === 'execve' ? 0 : 1;
    if (at === 1 && (call.args[0]! | 0) !== AT_FDCWD && !given.startsWith('/')) return;
    let m: { path: string; level: number } | null;
    if (given.startsWith('/')) m = mapped;
    else {
      // Relative to the cwd: at the cwd's level (the kernel's cwd is the real one).
      const cwd = realCwd(call.tid);
      m = this.map.relativeNeedsWalk(given, false) || typeof cwd !== 'string' ? null : { path: `${this.outerView(call, cwd)}/${given}`, level: this.levels.used ? this.levels.level(call.tid) : 0 };
    }
    if (!m) return;
    let real = m.path;
    for (const e of this.outer(call).reverse()) real = e.map.strip(real)[0];
    let st;
    try {
      st = statSync(real, { bigint: false });
    } catch {
      return; // no such program (a PATH search's miss): nothing to remember, nothing more to read
    }
    const info = this.callerInfo(call);
    if (!info) return;
    this.remember(this.exes, info, { start: info.start, level: m.level, dev: st.dev, ino: st.ino }, EXE_HISTORY);
  }

  /**
   * The level of a file recorded in `map` for thread tid's process, or an ancestor's (a forked
   * child has its parent's program and fds), 0 if none.
   */
  private fileLevel(map: Map<number, ExeEntry[]>, tid: number, file: { dev: number; ino: number }): number {
    if (map.size === 0) return 0;
    let pid = tid;
    for (let i = 0; i < MAX_ANCESTORS && pid > 1; i++) {
      const info = this.binding.taskInfo(pid);
      if (!info) return 0;
      for (const e of map.get(info.tgid) ?? []) if (e.start === info.start && e.dev === file.dev && e.ino === file.ino) return e.level;
      pid = info.ppid;
    }
    return 0;
  }

  /**
   * A program path (kind 'exe') or an open file's (kind 'fd'), `inner` in the view of the engines
   * further out, as this engine shows it.
   */
  fileView(kind: 'exe' | 'fd', tid: number, inner: string, file: { dev: number; ino: number }): string {
    const level = this.fileLevel(kind === 'exe' ? this.exes : this.opened, tid, file);
    return level === 0 ? inner : this.map.prefix.repeat(level) + (inner === '/' ? '' : inner);
  }

  // An execve of a `#!` script through the view. The kernel would open the script's interpreter
  // itself, on the real tree (one named under the view fails), and pass the interpreter the path
  // it was given, which is the real one once rewritten ($0 would show it). As binfmt_script does,
  // the engine reads the script's first line (as the tracee) and makes the thread exec the
  // interpreter instead, argv = [interpreter, optional argument, the script's path as given,
  // argv[1]...]; that execve comes back through the engines (which map the interpreter) and, if
  // the interpreter is a script too, is handled the same way, up to the kernel's depth. Scripts
  // named by real paths whose interpreters are all real are left to the kernel.
  private exec(call: Syscall, next: Next): Result | Promise<Result> {
    const at = call.name === 'execve' ? 0 : 1;
    const chain = this.scriptChains.get(call.tid);
    this.scriptChains.delete(call.tid);
    // An engine nearer the program already turned it into another exec.
    if (call.execInstead) return next();
    // The execve a previous step made the thread make: its strings are below this address.
    const step = chain && chain.at === call.original[at] && chain.start === this.callerInfo(call)?.start ? chain : undefined;
    const depth = step?.depth ?? 0;
    // The new program's AT_EXECFN names the script the chain began with, as binfmt_script leaves it.
    // (The executor must see it even when no argument changes.)
    if (step) {
      execName(call).name = step.execFn;
      call.wantResult();
    }
    const given = call.traceeLatin1(at);
    let path = call.latin1(at);
    // execveat of the fd itself (AT_EMPTY_PATH and an empty path: fexecve): the kernel names the
    // program /dev/fd/N. Relative to a real directory fd, it names it /dev/fd/N/PATH (alloc_bprm in
    // fs/exec.c). Either way it refuses to run a script by that name when the interpreter could not
    // open it, the fd being close-on-exec (BINPRM_FLAGS_PATH_INACCESSIBLE: ENOENT).
    if (at === 1 && given === '' && (call.args[4]! & AT_EMPTY_PATH) !== 0) return this.execFd(call, next, step, depth);
    if (given === null || given === '' || path === null) return next();
    const dirfd = at === 1 && !given.startsWith('/') ? call.int(0) : AT_FDCWD;
    const looked = dirfd === AT_FDCWD ? this.lookProgram(call, path) : null;
    const linked = looked?.linked ?? null;
    if (linked !== null) path = linked;
    // The program's own lookup failed, or names a directory: the walk and open for `#!` would fail
    // the same way (as the tracee, same identity, no link to follow), and the kernel gives the
    // error itself. A PATH search's misses (execvp trying each directory) end here.
    if (linked === null && (looked?.kind === 'error' || looked?.kind === 'dir')) return next();
    // A program that is no symlink: its `#!` is read through the look-up's own fd (one walk).
    const script = looked?.fd !== undefined ? this.headOf(call, looked.fd) : this.shebang(call, path, dirfd);
    if (script === null || (depth === 0 && path === given && !this.chainInView(call, script.interp, 1))) {
      if (linked === null) return next();
      // The real program in place of the link's name, if it fits in the tracee's buffer; else
      // exec'd instead, argv unchanged, by its real path, which every engine leaves as it is (one
      // naming none of their prefixes; else the rewrite reports ENAMETOOLONG).
      const outer = this.outer(call);
      let real = linked;
      for (let i = outer.length - 1; i >= 0; i--) real = outer[i]!.map.strip(real)[0];
      const plain = [this, ...outer].every((e) => e.map.fast(real)?.changed === false);
      if (Buffer.byteLength(linked, 'latin1') <= Buffer.byteLength(given, 'latin1') || !plain) {
        call.setLatin1(at, linked);
        return next();
      }
      return this.instead(call, next, { path: real, argv0: null, ...(step ? { below: step.at } : {}) }, depth, step?.execFn ?? given);
    }
    if (depth >= MAX_SCRIPT_DEPTH) return Result.error(ELOOP);
    let name = given;
    if (dirfd !== AT_FDCWD) {
      if (closeOnExec(call.tid, dirfd)) return Result.error(ENOENT);
      name = `/dev/fd/${dirfd}/${given}`;
    }
    const argv0 = [script.interp, ...(script.arg !== null ? [script.arg] : []), name];
    return this.instead(call, next, { path: script.interp, argv0, ...(step ? { below: step.at } : {}) }, depth + 1, step?.execFn ?? name);
  }

  // fexecve of a script (execveat(fd, "", AT_EMPTY_PATH)) whose interpreter is under the view (or
  // one further down its chain): the script is read through the tracee's own fd, and its
  // interpreter exec'd instead with the script named /dev/fd/N, as binfmt_script would. Anything
  // else (a program, a script whose interpreters are all real) is the kernel's.
  private execFd(call: Syscall, next: Next, step: { at: number; execFn: string } | undefined, depth: number): Result | Promise<Result> {
    const fd = call.int(0);
    const tgid = fd >= 0 ? this.callerInfo(call)?.tgid : undefined;
    if (tgid === undefined || !this.binding.grabFd) return next();
    let dup: number;
    try {
      dup = this.binding.grabFd(tgid, fd);
    } catch {
      return next(); // not an fd of the process: the kernel says EBADF
    }
    const script = this.headOf(call, dup);
    if (script === null || (depth === 0 && !this.chainInView(call, script.interp, 1))) return next();
    if (depth >= MAX_SCRIPT_DEPTH) return Result.error(ELOOP);
    if (closeOnExec(call.tid, fd)) return Result.error(ENOENT);
    const argv0 = [script.interp, ...(script.arg !== null ? [script.arg] : []), `/dev/fd/${fd}`];
    return this.instead(call, next, { path: script.interp, argv0, ...(step ? { below: step.at } : {}) }, depth + 1, step?.execFn ?? `/dev/fd/${fd}`);
  }

  // Has the executor make the thread exec `ins` instead of this call (call.execInstead), and
  // remembers where, so that the execve that follows is known as step `depth` of the same chain.
  // `below`: the previous step's strings, which the original argv of this step may point to.
  // `execFn`: the name the chain began with (the program's AT_EXECFN in the end).
  private instead(call: Syscall, next: Next, ins: NonNullable<Syscall['execInstead']>, depth: number, execFn: string): Result | Promise<Result> {
    call.execInstead = ins;
    call.wantResult(); // the executor must see it even when no argument changed
    const record = (r: Result): Result => {
      const a = call.execInstead?.at;
      const start = this.binding.taskInfo(call.tid)?.start;
      if (a !== undefined && start !== undefined) {
        this.scriptChains.set(call.tid, { at: a, depth, start, execFn });
        if (this.scriptChains.size >= this.chainsPruneAt) this.pruneChains();
      }
      return r;
    };
    const r = next();
    return r instanceof Result ? record(r) : r.then(record);
  }

  // Drops the chains of threads that are gone; the next prune comes when the map has doubled.
  private pruneChains(): void {
    for (const [tid, e] of this.scriptChains) if (this.binding.taskInfo(tid)?.start !== e.start) this.scriptChains.delete(tid);
    this.chainsPruneAt = Math.max(MIN_PRUNE, 2 * this.scriptChains.size);
  }

  /** What this instance holds per process or thread (bounded: see resource-bounds.test.ts). */
  held(): { scriptChains: number; exes: number; opened: number; sockets: number } {
    return { scriptChains: this.scriptChains.size, exes: this.exes.size, opened: this.opened.size, sockets: this.sockets.size };
  }

  // The program's name looked up once as the tracee (its walk, O_PATH|O_NOFOLLOW): a failure or a
  // directory as the probe's lstat would find it, and a file that is no symlink with that fd
  // (`fd`, the caller's to close), which the `#!` look-up then reads instead of walking the same
  // path again. A symlink, or a path the emulation leaves to the kernel, goes to throughLinks.
  private lookProgram(call: Syscall, path: string): { linked: string | null; kind: Lookup['kind']; fd?: number } {
    const identity = this.identity(call);
    const fd = this.binding.openAs({ tid: call.tid, dirfd: AT_FDCWD, path: this.realOf(call, path), flags: O_PATH | O_NOFOLLOW | O_CLOEXEC, mode: 0, cached: false, ...(identity ? { identity } : {}) });
    if (fd === this.binding.EMULATE_FALLBACK) return this.throughLinks(call, path);
    if (fd < 0) return { linked: null, kind: 'error' };
    let st;
    try {
      st = fstatSync(fd);
    } catch {
      closeSync(fd);
      return this.throughLinks(call, path);
    }
    if (st.isFile() || (!st.isSymbolicLink() && !st.isDirectory())) return { linked: null, kind: 'other', fd };
    closeSync(fd);
    return st.isDirectory() ? { linked: null, kind: 'dir' } : this.throughLinks(call, path);
  }

  // `path` (in the view of the engines further out) with their prefixes stripped: the real path.
  private realOf(call: Syscall, path: string): string {
    const outer = this.outer(call);
    for (let i = outer.length - 1; i >= 0; i--) path = outer[i]!.map.strip(path)[0];
    return path;
  }

  // The program named through a symlink whose target (or a later one's) names the view (a venv's
  // bin/python3 -> /unreal/usr/bin/python3): the kernel would follow it on the real tree, where it
  // dangles, so the walk follows it in the view and the kernel gets the real file. One lstat when
  // the program's own name is not a symlink; linked null when there is nothing to change, and
  // kind: what that lstat found.
  private throughLinks(call: Syscall, path: string): { linked: string | null; kind: Lookup['kind'] } {
    const probe = this.probe(call);
    const { kind } = probe(path);
    const none = { linked: null, kind };
    if (kind !== 'link') return none;
    const base = path.startsWith('/') ? { level: 0, real: '/' } : this.base(call, AT_FDCWD);
    if (!base) return none;
    const m = this.map.walk(path, base, probe, true);
    if (m.errno !== undefined || !m.changed) return none;
    // Links the kernel follows to the same file (/bin/sh -> dash) need nothing: the engines
    // further out then map the program's name as given (and see its levels).
    const outer = this.outer(call);
    const real = (p: string) => {
      for (let i = outer.length - 1; i >= 0; i--) p = outer[i]!.map.strip(p)[0];
      return Buffer.from(p, 'latin1');
    };
    try {
      const a = statSync(real(path));
      const b = statSync(real(m.path));
      if (a.dev === b.dev && a.ino === b.ino) return none;
    } catch {
      // The kernel cannot follow it (it dangles on the real tree): the walk's path is needed.
    }
    return { linked: m.path, kind };
  }

  // Whether an interpreter (named by a script at `level` of a chain) is one this engine maps, or
  // is a script whose chain reaches one within the kernel's depth.
  private chainInView(call: Syscall, interp: string, level: number): boolean {
    const m = interp.startsWith('/') ? this.map.fast(interp) : this.map.relativeNeedsWalk(interp, false) ? null : { changed: false };
    if (m === null || m.changed) return true;
    if (level >= MAX_SCRIPT_DEPTH) return false;
    const next = this.shebang(call, interp);
    return next !== null && this.chainInView(call, next.interp, level + 1);
  }

  // The interpreter and argument of a script the tracee may execute (a regular file it has exec
  // permission on, read as the tracee), or null: not a script, not readable, or an error the kernel
  // gives by itself when it runs the call. `path` is in the view of the engines further out.
  private shebang(call: Syscall, path: string, dirfd = AT_FDCWD): { interp: string; arg: string | null } | null {
    let real = path;
    const outer = this.outer(call);
    for (let i = outer.length - 1; i >= 0; i--) real = outer[i]!.map.strip(real)[0];
    // Never from the identity cache: an execve may change credentials (capabilities, setuid), and an
    // entry made now, before it runs, would outlive it (see cacheable). The file is walked and
    // opened (O_PATH) as the tracee, then read as the kernel reads a program: if the tracee may
    // execute it, whatever its read permission (an execute-only script runs natively).
    const identity = this.identity(call);
    const fd = this.binding.openAs({ tid: call.tid, dirfd, path: real, flags: O_PATH | O_CLOEXEC, mode: 0, cached: false, ...(identity ? { identity } : {}) });
    if (fd < 0 || fd === this.binding.EMULATE_FALLBACK) return null;
    return this.headOf(call, fd);
  }

  // The interpreter and argument of the script behind the supervisor's fd `fd` (closed here), if
  // the tracee may execute it (see shebang).
  private headOf(call: Syscall, fd: number): { interp: string; arg: string | null } | null {
    let head: Buffer | number = -1;
    try {
      const identity = this.identity(call);
      head = this.binding.scriptHead?.({ tid: call.tid, fd, cached: false, ...(identity ? { identity } : {}) }) ?? -1;
    } finally {
      closeSync(fd);
    }
    if (typeof head === 'number') return null;
    const sb = parseShebang(head);
    if (sb === null || 'errno' in sb) return null;
    return { interp: sb.interp.toString('latin1'), arg: sb.arg === null ? null : sb.arg.toString('latin1') };
  }

  // The view's path -> the path for the engines further out.
  private mapPath(call: Syscall, path: string, dirfd: number, chdir: boolean): Mapped {
    if (path.startsWith('/')) {
      if (!chdir) {
        const m = this.map.fast(path);
        if (m) return m;
      }
      return this.map.walk(path, { level: 0, real: '/' }, this.probe(call), chdir);
    }
    if (!chdir && !this.map.relativeNeedsWalk(path, false)) return { path, level: 0, changed: false };
    const base = this.base(call, dirfd);
    if (!base) return { path, level: 0, changed: false };
    return this.map.walk(path, base, this.probe(call), chdir);
  }

  // Where a relative path starts: the cwd (with its level) or an open directory (level 0).
  private base(call: Syscall, dirfd: number): Place | null {
    if (dirfd === AT_FDCWD) {
      const real = realCwd(call.tid);
      if (typeof real !== 'string') return null;
      // The cwd as the engines further out show it.
      const view = this.outerView(call, real);
      return { level: this.levels.used ? this.levels.level(call.tid) : 0, real: view };
    }
    try {
      const real = readlinkSync(`/proc/${call.tid}/fd/${dirfd}`, 'latin1');
      return real.startsWith('/') && !real.endsWith(' (deleted)') ? { level: 0, real } : null;
    } catch {
      return null;
    }
  }

  // The cwd `real` of thread `tid` (the caller by default) as the engines further out show it.
  private outerView(call: Syscall, real: string, tid = call.tid): string {
    let view = real;
    for (const e of this.outer(call)) view = e.cwdView(tid, view);
    return view;
  }

  /** A cwd `inner` (in the view of the engines further out) as this engine shows it. */
  cwdView(tid: number, inner: string): string {
    const level = this.levels.used ? this.levels.level(tid) : 0;
    return level === 0 ? inner : this.map.prefix.repeat(level) + (inner === '/' ? '' : inner);
  }

  // Looks a path up as the tracee, as the kernel's walk would (permission checks, errors), without
  // following a final symlink: lstat, then readlink for a symlink. The path is in the view of the
  // engines further out: their prefixes are stripped first.
  private probe(call: Syscall): Probe {
    const cached = cacheable(call);
    const identity = this.identity(call);
    const as = identity ? { cached, identity } : { cached };
    const st = Buffer.alloc(STAT_SIZE);
    const buf = Buffer.alloc(4096);
    return (path: string): Lookup => {
      let real = path;
      const outer = this.outer(call);
      for (let i = outer.length - 1; i >= 0; i--) real = outer[i]!.map.strip(real)[0];
      const r = this.binding.pathAs({ op: 'stat', tid: call.tid, dirfd: AT_FDCWD, path: real, flags: AT_SYMLINK_NOFOLLOW, out: st, ...as });
      if (r === this.binding.EMULATE_FALLBACK) return { kind: 'unknown' };
      if (r < 0) return { kind: 'error', errno: -r };
      const type = st.readUInt32LE(ST_MODE) & S_IFMT;
      if (type === S_IFDIR) return { kind: 'dir' };
      if (type !== S_IFLNK) return { kind: 'other' };
      const n = this.binding.pathAs({ op: 'readlink', tid: call.tid, dirfd: AT_FDCWD, path: real, out: buf, ...as });
      if (n === this.binding.EMULATE_FALLBACK) return { kind: 'unknown' };
      return n < 0 ? { kind: 'error', errno: -n } : { kind: 'link', target: buf.toString('latin1', 0, n) };
    };
  }

  // A socket bound through the view: the kernel knows it by its real path (as the engines further
  // out show it), the program by the path it gave. Kept for getsockname/getpeername, bounded.
  private boundAs(real: string | null, view: string): void {
    if (real === null) {
      // Bound by a path that is its own name: a later socket there shows as it is.
      this.sockets.delete(view);
      return;
    }
    this.sockets.delete(real);
    if (this.sockets.size >= MAX_SOCKETS) this.sockets.delete(this.sockets.keys().next().value!);
    this.sockets.set(real, view);
  }

  // getsockname/getpeername: the address of a socket bound through the view shows the path it was
  // bound by (the executor asks the kernel, this engine maps the answer back on exit).
  private sockName(call: Syscall, next: Next): Result | Promise<Result> {
    if (this.sockets.size === 0) return next();
    call.wantResult();
    const back = (r: Result): Result => {
      const out = r.kind === 'value' ? returnedAddress(call) : undefined;
      const real = out ? sunPath(out.addr) : null;
      const view = real !== null ? this.sockets.get(real) : undefined;
      return view === undefined ? r : putReturnedAddress(call, out!.size, sunAddress(view), r);
    };
    const r = next();
    return r instanceof Result ? back(r) : r.then(back);
  }

  private chdir(call: Syscall, next: Next): Result | Promise<Result> {
    const p = call.latin1(0);
    if (p === null || p === '') return next();
    const m = this.mapPath(call, p, AT_FDCWD, true);
    if (m.errno !== undefined) return Result.error(m.errno);
    if (m.changed) call.setLatin1(0, m.path);
    // The executor checks the chdir as the tracee: an error means the cwd stays.
    call.wantResult();
    const record = (r: Result): Result => {
      if (r.kind !== 'error') this.levels.chdir(call.tid, m.level, call.chdirTarget);
      return r;
    };
    const r = next();
    return r instanceof Result ? record(r) : r.then(record);
  }

  // fchdir into a directory fd: the new cwd is at the directory's level, as natively the cwd is the
  // file's path (a directory opened through the view: `find /unreal/x -execdir pwd`). The level is
  // the directory's own if it was opened or entered through the view by this process or an ancestor
  // (see opened, levels), else that of its nearest ancestor directory that was (the root aside): the
  // subdirectories a tree walk opens relative to a directory fd are not seen (see unrealInterests).
  // 0 if none.
  private fchdir(call: Syscall, next: Next): Result | Promise<Result> {
    const fd = call.int(0);
    if (fd < 0 || (this.opened.size === 0 && !this.levels.used)) return next();
    let st;
    let real: string;
    try {
      st = statSync(`/proc/${call.tid}/fd/${fd}`);
      real = readlinkSync(`/proc/${call.tid}/fd/${fd}`, 'latin1');
    } catch {
      return next(); // not an open fd: the kernel says EBADF
    }
    if (!st.isDirectory() || !real.startsWith('/')) return next();
    const target: [number, number] = [st.dev, st.ino];
    const root = `/proc/${call.tid}/root`;
    let level = 0;
    for (let dir = real, i = 0; i < MAX_PARENTS; i++) {
      // The root as a parent tells nothing: after `cd /unreal` every real directory is below it.
      if (i > 0 && dir === '/') break;
      const at = this.fileLevel(this.opened, call.tid, st);
      const known = at > 0 ? at : this.levels.known(call.tid, st.dev, st.ino);
      if (known !== undefined) {
        level = known;
        break;
      }
      if (dir === '/') break;
      dir = dir.slice(0, Math.max(1, dir.lastIndexOf('/')));
      try {
        st = statSync(Buffer.from(root + dir, 'latin1'));
      } catch {
        break;
      }
    }
    this.levels.chdir(call.tid, level, target);
    return next();
  }

  // readlink of a procfs link to a process's cwd or program (/proc/self/cwd, /proc/PID/exe,
  // /proc/thread-self/cwd, /proc/PID/task/TID/exe, or `cwd`/`exe` relative to an open /proc/PID):
  // the cwd as getcwd shows it, or the program as it was exec'd through the view, with this
  // engine's levels and those of the engines further out. The caller's own process: answered here
  // (it may always read its own links). Another process: the kernel answers (it alone says whether
  // the caller may read them), and the executor puts the view's path in place of the real one at
  // the call's exit (linkBack). Null (the call goes on) when no level is above it or the link is
  // not one of these.
  private procLink(call: Syscall, next: Next): Result | Promise<Result> | null {
    const at = call.name === 'readlink' ? 0 : 1;
    const link = this.procTarget(call, at);
    if (link === null) return null;
    const { tid, kind, fd } = link;
    let real: string;
    let view: string;
    if (kind === 'cwd') {
      if (!this.levels.used && this.outer(call).every((e) => !e.levels.used)) return null;
      const r = realCwd(tid);
      if (typeof r !== 'string') return null;
      real = r;
      view = this.cwdView(tid, this.outerView(call, real, tid));
    } else {
      const map = (e: UnrealEngine) => (kind === 'exe' ? e.exes : e.opened);
      if (map(this).size === 0 && this.outer(call).every((e) => map(e).size === 0)) return null;
      const link = `/proc/${tid}/${kind === 'exe' ? 'exe' : `fd/${fd}`}`;
      let st;
      try {
        real = readlinkSync(link, 'latin1');
        st = statSync(link);
      } catch {
        return null;
      }
      // Pipes, sockets and anonymous inodes have no path to show in the view.
      if (!real.startsWith('/')) return null;
      const file = { dev: st.dev, ino: st.ino };
      view = real;
      for (const e of this.outer(call)) view = e.fileView(kind, tid, view, file);
      view = this.fileView(kind, tid, view, file);
    }
    if (view === real) return null;
    const size = call.args[at + 2]! | 0;
    if (size <= 0) return Result.error(EINVAL);
    if (!link.own) {
      const back = linkBack(call);
      if (back.to !== undefined) return next(); // an engine nearer the program made the whole view
      back.from = real;
      back.to = view;
      call.wantResult();
      return next();
    }
    const bytes = Buffer.from(view, 'latin1');
    const n = Math.min(bytes.length, size);
    const w = call.memory.writeBytes(call.args[at + 1]!, bytes.subarray(0, n));
    return w < 0 ? Result.error(-w) : Result.value(n);
  }

  // The thread whose cwd, program or open file a readlink names, or null:
  // /proc/{self,thread-self,PID}[/task/TID]/{cwd,exe,fd/N}, absolute or relative to the cwd or a
  // directory fd (e.g. an open /proc/self, which names /proc/PID). A pid counts only in the
  // supervisor's pid namespace (the tracee's /proc/PID is then the same process). `own`: a thread
  // of the caller's process.
  private procTarget(call: Syscall, at: number): { tid: number; kind: 'cwd' | 'exe' | 'fd'; fd: number; own: boolean } | null {
    let p = call.latin1(at);
    if (p === null || (!p.endsWith('/cwd') && !p.endsWith('/exe') && p !== 'cwd' && p !== 'exe' && !FD_LINK.test(p))) return null;
    if (!p.startsWith('/')) {
      const dirfd = at === 1 ? call.int(0) : AT_FDCWD;
      let base: string;
      try {
        base = dirfd === AT_FDCWD ? readlinkSync(`/proc/${call.tid}/cwd`, 'latin1') : readlinkSync(`/proc/${call.tid}/fd/${dirfd}`, 'latin1');
      } catch {
        return null;
      }
      p = `${base}/${p}`;
    }
    const m = PROC_LINK.exec(p);
    if (m === null) return null;
    const [, who, task, name] = m;
    const kind = name!.startsWith('fd/') ? 'fd' : (name as 'cwd' | 'exe');
    const me = this.binding.taskInfo(call.tid);
    if (!me) return null;
    let tid: number;
    if (who === 'self' || who === 'thread-self') {
      if (task !== undefined && who === 'thread-self') return null;
      tid = who === 'thread-self' ? call.tid : task !== undefined ? Number(task) : call.tid;
    } else {
      if (!samePidNamespace(call.tid)) return null;
      tid = task !== undefined ? Number(task) : Number(who);
    }
    const it = tid === call.tid ? me : this.binding.taskInfo(tid);
    if (!it) return null;
    return { tid, kind, fd: kind === 'fd' ? Number(name!.slice(3)) : -1, own: it.tgid === me.tgid && (who === 'self' || who === 'thread-self' || Number(who) === me.tgid) };
  }

  private getcwd(call: Syscall, next: Next): Result | Promise<Result> {
    if (!this.levels.used) return next();
    const level = this.levels.level(call.tid);
    if (level === 0) return next();
    call.wantResult();
    const kept = this.keepCwdBuffer(call, level);
    const add = (r: Result): Result => (r.kind === 'value' && r.value > 0 ? this.prefixCwd(call, r.value, level, kept) : r);
    const r = next();
    return r instanceof Result ? add(r) : r.then(add);
  }

  // The view's cwd is longer than the kernel's: a buffer that the kernel's cwd (as the engines
  // further out show it) fits in but this engine's view does not gets ERANGE, after they wrote
  // theirs into it, where natively getcwd writes nothing on ERANGE. The bytes they may write are
  // read first, only then, and put back with the ERANGE (prefixCwd). Undefined: no ERANGE to come
  // from this engine, or nothing readable (their write fails with EFAULT too).
  private keepCwdBuffer(call: Syscall, level: number): Buffer | undefined {
    const size = call.args[1]!;
    const real = realCwd(call.tid);
    if (typeof real !== 'string') return undefined;
    const inner = this.outerView(call, real);
    const view = this.map.prefix.length * Math.min(level, MAX_LEVELS) + (inner === '/' ? 0 : inner.length) + 1;
    if (view <= size) return undefined;
    const n = Math.min(size, inner.length + 1);
    return n > 0 ? (call.memory.readBytes(call.args[0]!, n) ?? undefined) : undefined;
  }

  // On exit: the cwd the engines further out produced, with this engine's levels in front.
  // `kept`: the buffer's bytes before they wrote it (keepCwdBuffer), put back on ERANGE.
  private prefixCwd(call: Syscall, len: number, level: number, kept: Buffer | undefined): Result {
    const buf = call.args[0]!;
    const size = call.args[1]!;
    const got = call.memory.readBytes(buf, len);
    if (got === null) return Result.error(14);
    const inner = got.toString('latin1', 0, Math.max(0, len - 1));
    const virt = this.map.prefix.repeat(Math.min(level, MAX_LEVELS)) + (inner === '/' ? '' : inner);
    const bytes = Buffer.from(virt + '\0', 'latin1');
    if (bytes.length > size) {
      if (kept) call.memory.writeBytes(buf, kept);
      return Result.error(ERANGE);
    }
    const w = call.memory.writeBytes(buf, bytes);
    return w < 0 ? Result.error(-w) : Result.value(bytes.length);
  }
}

/** Whether fd `fd` of thread `tid` is close-on-exec (its fdinfo flags); false when unknown. */
function closeOnExec(tid: number, fd: number): boolean {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${tid}/fdinfo/${fd}`, 'latin1'));
    return m !== null && (parseInt(m[1]!, 8) & O_CLOEXEC) !== 0;
  } catch {
    return false;
  }
}

/** Flags of an open that creates, writes or makes an O_PATH fd: such opens are always seen. */
const O_WRITE_BITS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o10000000; // O_WRONLY O_RDWR O_CREAT O_TRUNC O_PATH
const ALL_BITS = 0xffffffffffffffffn;

/**
 * What an instance intercepts: the credential calls always (see CRED_SYSCALLS); io_uring_setup, to
 * refuse it, unless allowed; and every path call the executor can realize, derived from the table:
 * - without a dirfd, or with dirfds 'all': always;
 * - a WALK call (open, stat: what tree walks make per entry relative to their directory fd): when
 *   its dirfd is AT_FDCWD (sign- or zero-extended), or when its open flags (kind `oflags`) create,
 *   write or ask for O_PATH. A plain open or stat with a real dirfd stays in the kernel, so walks
 *   cost nothing; an absolute /unreal path given to one with a real dirfd is not mapped.
 * - any other *at call (rename, link, unlink, mkdir, mknod, symlink, chmod, chown, utimes,
 *   readlink, access, execveat, name_to_handle_at...): when a dirfd is AT_FDCWD or a path pointer
 *   is not NULL. Only `utimensat(fd, NULL, ...)` (futimens: it acts on the fd, no path to map)
 *   stays in the kernel.
 */
export function unrealInterests(dirfds: 'walk' | 'all', ioUring: 'enosys' | 'allow'): Interest[] {
  const interests: Interest[] = ioUring === 'enosys' ? [{ syscall: 'io_uring_setup' }] : [];
  // fchdir gives the cwd the level of its directory (rare: a round trip each).
  interests.push({ syscall: 'fchdir' });
  for (const name of new Set<string>([...UNREAL_SYSCALLS, ...CRED_SYSCALLS])) {
    const address = ADDRESS_ARG[name];
    if (address !== undefined) {
      interests.push({ syscall: name, when: [{ arg: address, anyBits: NON_NULL }] });
      continue;
    }
    const fds = PATH_DIRFDS[name];
    if (!fds || dirfds === 'all' || CRED.has(name)) {
      interests.push({ syscall: name });
      continue;
    }
    for (const d of new Set(Object.values(fds))) {
      interests.push({ syscall: name, when: [{ arg: d, eq: AT_FDCWD }] });
      interests.push({ syscall: name, when: [{ arg: d, eq: 0xffffff9c }] });
    }
    const info = syscallInfo(name)!;
    if (info.facts & WALK) {
      const flags = info.args?.indexOf('oflags') ?? -1;
      if (flags >= 0) interests.push({ syscall: name, when: [{ arg: flags, anyBits: O_WRITE_BITS }] });
    } else {
      for (const p of PATH_ARGS[name] ?? []) interests.push({ syscall: name, when: [{ arg: p, anyBits: ALL_BITS }] });
    }
  }
  return interests;
}

export const unrealFactory: EngineFactory = {
  name: 'unreal',
  summary: 'path virtualization: /unreal/X and /unreal/unreal/X are /X',
  example: 'sysvisor run -e unreal -- ls /unreal/unreal/etc',
  options: {
    prefix: 'the mapped directory, one absolute component (default /unreal)',
    dirfds: 'walk (default: opens and stats relative to an open directory run natively; other *at calls are mapped whatever their dirfd) or all',
    io_uring: 'enosys (default: io_uring_setup fails, programs fall back to syscalls the engine maps) or allow',
  },
  // Loadable from inside (`sysvisor load unreal`, a nested `-e unreal`): the outermost filter
  // notifies these from the start; while no scope has an unreal, the pump continues them in C++.
  // `--sealed` leaves them out.
  loadableInterests: () => unrealInterests('walk', 'enosys'),
  create(options: EngineOptions, _ctx: EngineContext): Engine {
    const prefix = options['prefix'];
    const dirfds = options['dirfds'];
    const ioUring = options['io_uring'];
    if (prefix && (prefix.length !== 1 || !/^\/[^/]+$/.test(prefix[0]!) || prefix[0] === '/.' || prefix[0] === '/..'))
      throw new UsageError(`engine unreal: prefix must be one absolute component like /unreal, got '${prefix.join(',')}'`);
    if (dirfds && (dirfds.length !== 1 || (dirfds[0] !== 'walk' && dirfds[0] !== 'all')))
      throw new UsageError(`engine unreal: dirfds must be walk or all, got '${dirfds.join(',')}'`);
    if (ioUring && (ioUring.length !== 1 || (ioUring[0] !== 'enosys' && ioUring[0] !== 'allow')))
      throw new UsageError(`engine unreal: io_uring must be enosys or allow, got '${ioUring.join(',')}'`);
    return new UnrealEngine(loadBinding(), {
      ...(prefix ? { prefix: prefix[0]! } : {}),
      ...(dirfds ? { dirfds: dirfds[0] as 'walk' | 'all' } : {}),
      ...(ioUring ? { ioUring: ioUring[0] as 'enosys' | 'allow' } : {}),
    });
  },
};
