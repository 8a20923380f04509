// Calls that act on the calling process itself, which the supervisor cannot run in its stead:
// chdir, execve/execveat, bind/connect (a socket's credentials are its caller's). A changed path is
// rewritten in place and the kernel runs the call as the tracee; the original bytes are restored
// when the call returns (rewrite.ts). getcwd is emulated: the kernel's answer, read from
// /proc/TID/cwd, is what the engines then turn into their own view on exit.
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { constants as os } from 'node:os';
import type { RawBinding } from '../../native/load.js';
import { AT_FDCWD } from '../../syscalls/paths.js';
import { syscallNumber } from '../../syscalls/table.js';
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';
import type { Emulator } from './open.js';
import { continueWithAddressBack, continueWithPatches, rewriteStrings, stringPatches, type Patch, type RewriteContext } from './rewrite.js';
import { execName } from './view.js';
import { changedSocketPath, composedBacks, putReturnedAddress, returnPlace, sockaddrBytes, sockaddrCount, sockaddrPlace } from './sockaddr.js';

const E = os.errno;
const AT_EMPTY_PATH = 0x1000;
const STAT_SIZE = 144;

/** Below the stack pointer, past the red zone: scratch memory of a thread blocked in a syscall. */
const RED_ZONE = 128;

export type ProcessBinding = Pick<RawBinding, 'pathAs' | 'EMULATE_FALLBACK' | 'socketName' | 'taskInfo'> & Partial<Pick<RawBinding, 'redoSyscall' | 'socketWaits' | 'cwdIs'>>;

const SYS_EXECVE = syscallNumber('execve')!;
/** Scratch for a redone execve goes this far below the red zone, clear of a signal frame. */
const SIGNAL_FRAME_ROOM = 16384;

/** The kernel's cwd of a thread (what getcwd would return) as a byte string, or an errno. */
export function realCwd(tid: number): string | number {
  let p: string;
  try {
    p = readlinkSync(`/proc/${tid}/cwd`, 'latin1');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? E.ESRCH : E.EACCES;
  }
  if (p.endsWith(' (deleted)')) {
    try {
      if (statSync(`/proc/${tid}/cwd`).nlink === 0) return E.ENOENT;
    } catch {
      return E.ENOENT;
    }
  }
  return p.startsWith('/') ? p : E.ENOENT;
}

export function processEmulators(binding: ProcessBinding, ctx: RewriteContext): Record<string, Emulator> {
  // chdir: checked first as the tracee (directory, search permission) so that engines learn on
  // exit whether it will succeed; then CONTINUE, the path rewritten if an engine changed it.
  const chdir: Emulator = (call) => {
    const path = call.latin1(0);
    if (path === null) return Result.error(E.EFAULT);
    if (path === '') return Result.error(E.ENOENT);
    const st = Buffer.alloc(STAT_SIZE);
    const r = binding.pathAs({ op: 'chdirCheck', tid: call.tid, dirfd: AT_FDCWD, path, out: st, cached: call.credentialsSeen });
    if (r < 0 && r !== binding.EMULATE_FALLBACK) return Result.error(-r);
    if (r === 0) call.chdirTarget = [Number(st.readBigUInt64LE(0)), Number(st.readBigUInt64LE(8))];
    if (!call.changed) return Result.CONTINUED;
    // A chdir to the directory the thread is in (git's to its work tree's top, run from there)
    // changes nothing in the kernel: answered 0 without the rewrite in place and its stop at exit.
    const target = call.chdirTarget;
    if (r === 0 && target && binding.cwdIs?.(call.tid, path, target[0], target[1])) return Result.value(0);
    return rewriteStrings(call, ctx);
  };

  // execve: the kernel execs the real file (AT_EXECFN and /proc/self/exe show the real path). When
  // argv[0] is the path's own buffer (execv(argv[0], argv)), argv[0] is pointed at a copy of the
  // original string put below the thread's stack pointer, so the program still sees its name.
  const exec = (pathArg: number, argvArg: number, flagsArg: number): Emulator => (call) => {
    if (call.execInstead) {
      const r = execInstead(call, binding, ctx, argvArg, argvArg + 1);
      if (r !== null) return r;
    }
    const fn = execFn(call, pathArg);
    const atExit = fn !== undefined ? { execFn: Buffer.from(fn, 'latin1') } : {};
    if (!call.changed) return continueWithPatches(call, ctx, [], true, atExit);
    const flags = flagsArg >= 0 ? call.args[flagsArg]! : 0;
    if (call.latin1(pathArg) === '' && (flags & AT_EMPTY_PATH) === 0) return Result.error(E.ENOENT);
    const patches = stringPatches(call);
    if (patches === null) return rewriteStrings(call, ctx, true); // reports
    const argv0 = keepArgv0(call, pathArg, argvArg);
    return continueWithPatches(call, ctx, [...argv0, ...patches], true, atExit);
  };

  // bind/connect/sendto/sendmsg/sendmmsg to an AF_UNIX path: the engines' new paths (kept as
  // strings, see setSocketPath) written into the sockaddrs in place (for sendmsg, the one msg_name
  // points to; for sendmmsg, each message's).
  const sock: Emulator = (call) => {
    const patches: Patch[] = [];
    for (let i = 0; i < sockaddrCount(call); i++) {
      const path = changedSocketPath(call, i);
      if (path === undefined) continue;
      const place = sockaddrPlace(call, i);
      const bytes = sockaddrBytes(call, path, i);
      if (place === null || bytes === null) return Result.error(E.ENAMETOOLONG);
      patches.push({ addr: place.addr, bytes });
    }
    if (patches.length === 0) return call.changed ? Result.error(E.ENOSYS) : Result.CONTINUED;
    return continueWithPatches(call, ctx, patches);
  };

  // accept/accept4/recvfrom/recvmsg: the peer's address the kernel returns names a socket by the
  // path it was bound by as the kernel saw it; the engines' composed map (addressBacks) is applied
  // at the call's exit (a ptrace stop, see addressBack in addon/src/emulate/rewrite.cc). Armed
  // only for a call that returns at once (data or a connection queued, a non-blocking socket,
  // MSG_DONTWAIT): the stop's pending interrupt would end a wait (the call would restart). A call
  // that will wait, or with MSG_WAITALL, is left to the kernel as it is (see Limits).
  const MSG_DONTWAIT = 0x40;
  const MSG_WAITALL = 0x100;
  const recvAddress: Emulator = (call) => {
    const pairs = composedBacks(call);
    if (pairs.length === 0 || !ctx.killableWait || !binding.socketWaits) return Result.CONTINUED;
    const flags = call.name === 'recvfrom' ? call.int(3) : call.name === 'recvmsg' ? call.int(2) : 0;
    if ((flags & MSG_WAITALL) !== 0) return Result.CONTINUED;
    const place = returnPlace(call);
    const tgid = binding.taskInfo(call.tid)?.tgid;
    if (place === null || tgid === undefined) return Result.CONTINUED;
    if (binding.socketWaits({ tgid, fd: call.int(0), dontwait: (flags & MSG_DONTWAIT) !== 0 }) !== 0) return Result.CONTINUED;
    return continueWithAddressBack(call, ctx, { ...place, pairs });
  };

  // getsockname/getpeername (fd, addr, addrlen): asked of a duplicate of the tracee's socket (the
  // same open file: the same address), returned as the kernel returns it, for the engines to turn
  // into their view on exit.
  const sockName = (peer: boolean): Emulator => (call) => {
    const lb = call.memory.readBytes(call.args[2]!, 4);
    if (lb === null) return Result.error(E.EFAULT);
    const size = lb.readInt32LE(0);
    if (size < 0) return Result.error(E.EINVAL);
    const tgid = binding.taskInfo(call.tid)?.tgid;
    if (tgid === undefined) return Result.error(E.ESRCH);
    const addr = binding.socketName(tgid, call.int(0), peer);
    if (typeof addr === 'number') return Result.error(-addr);
    return putReturnedAddress(call, size, addr, Result.value(0));
  };

  const getcwd: Emulator = (call) => {
    const buf = call.args[0]!;
    const size = call.args[1]!;
    const cwd = realCwd(call.tid);
    if (typeof cwd === 'number') return Result.error(cwd);
    const bytes = Buffer.from(cwd + '\0', 'latin1');
    if (bytes.length > size) return Result.error(E.ERANGE);
    const w = call.memory.writeBytes(buf, bytes);
    return w < 0 ? Result.error(-w) : Result.value(bytes.length);
  };

  // chroot, pivot_root: the process's own root; the kernel must do it (restored at exit).
  const own: Emulator = (call) => (call.changed ? rewriteStrings(call, ctx) : Result.CONTINUED);

  return {
    chdir,
    chroot: own,
    pivot_root: own,
    execve: exec(0, 1, -1),
    execveat: exec(1, 2, 4),
    bind: sock,
    connect: sock,
    sendto: sock,
    sendmsg: sock,
    sendmmsg: sock,
    accept: recvAddress,
    accept4: recvAddress,
    recvfrom: recvAddress,
    recvmsg: recvAddress,
    getsockname: sockName(false),
    getpeername: sockName(true),
    getcwd,
  };
}

// The exec of a script's interpreter instead of the script (call.execInstead): the new path, argv
// strings and pointer array (the original argv[1..] pointers reused) written below the thread's
// stack pointer, clear of the red zone and of a signal frame; the call is answered with an error
// and the addon points the thread back at its syscall instruction as execve(path, argv, envp),
// which the engines then see as a new call. Null when it cannot be armed (no killable wait,
// another tracer, no room on the stack): the call then goes on as it is.
/**
 * The argv pointers of call.execInstead that follow its argv0: the original argv[1..] (argv[0..]
 * when argv0 is null), each 8 bytes as the tracee has it; an error Result when unreadable.
 */
export function keptArgv(call: Syscall, argvArg: number): Buffer[] | Result {
  const rest: Buffer[] = [];
  const argv = call.args[argvArg]!;
  if (argv === 0) return rest;
  for (let i = call.execInstead!.argv0 === null ? 0 : 1; ; i++) {
    const slot = call.memory.readBytes(argv + 8 * i, 8);
    if (slot === null) return Result.error(E.EFAULT);
    if (slot.readBigUInt64LE(0) === 0n) return rest;
    rest.push(slot);
    if (i > 1 << 20) return Result.error(E.E2BIG);
  }
}

function execInstead(call: Syscall, binding: ProcessBinding, ctx: RewriteContext, argvArg: number, envpArg: number): Result | null {
  const ins = call.execInstead!;
  if (!binding.redoSyscall || !ctx.killableWait) return null;
  const rest = keptArgv(call, argvArg);
  if (rest instanceof Result) return rest;
  const argv0 = ins.argv0 ?? [];
  const strings = [ins.path, ...argv0].map((s) => Buffer.from(s + '\0', 'latin1'));
  const strBytes = strings.reduce((n, b) => n + b.length, 0);
  const ptrs = argv0.length + rest.length + 1;
  const size = Math.ceil(strBytes / 8) * 8 + ptrs * 8;
  const sp = stackPointer(call.tid);
  if (sp === null) return null;
  let at = -1;
  for (const room of [SIGNAL_FRAME_ROOM, 0]) {
    const a = Math.floor((Math.min(sp - RED_ZONE - room, ins.below ?? Infinity) - size) / 16) * 16;
    if (a > 0 && call.memory.readBytes(a, size) !== null) {
      at = a;
      break;
    }
  }
  if (at < 0) return null;
  const buf = Buffer.alloc(size);
  const addrs: number[] = [];
  let off = 0;
  for (const b of strings) {
    addrs.push(at + off);
    b.copy(buf, off);
    off += b.length;
  }
  off = Math.ceil(off / 8) * 8;
  const argvAt = at + off;
  for (const a of addrs.slice(1)) off = buf.writeBigUInt64LE(BigInt(a), off);
  for (const p of rest) off += p.copy(buf, off);
  if (call.memory.writeBytes(at, buf) < 0) return null;
  const r = binding.redoSyscall({ tid: call.tid, nr: SYS_EXECVE, args: [addrs[0]!, argvAt, call.args[envpArg]!], killableWait: true });
  if (r !== 1) {
    ctx.report(`cannot exec the interpreter of a #! script for ${call.name}(): the thread cannot be stopped (traced by another tracer?)`);
    return null;
  }
  ins.at = addrs[0]!;
  // Never seen by the thread: it makes the new execve instead.
  return Result.error(E.ENOENT);
}

// The name the new program must find as AT_EXECFN when the kernel is given another path: an
// engine's (a script's name, its interpreter exec'd instead), or the path as the program gave it
// when it was rewritten (the kernel names the program by the path it was given, or /dev/fd/N/PATH
// relative to a directory fd: alloc_bprm in fs/exec.c). Undefined when the kernel's is right.
export function execFn(call: Syscall, pathArg: number): string | undefined {
  const named = execName(call).name;
  if (named !== undefined) return named;
  if (!call.strings.has(pathArg)) return undefined;
  const given = call.traceeLatin1(pathArg);
  if (given === null) return undefined;
  const dirfd = pathArg === 1 ? call.int(0) : AT_FDCWD;
  if (dirfd === AT_FDCWD || given.startsWith('/')) return given;
  return given === '' ? `/dev/fd/${dirfd}` : `/dev/fd/${dirfd}/${given}`;
}

// When argv[0] and the path are the same buffer, the rewrite would rename the program: copy the
// original string below the stack pointer and point argv[0] there (both restored if execve fails).
function keepArgv0(call: Syscall, pathArg: number, argvArg: number): Patch[] {
  const pathAddr = call.original[pathArg]!;
  const argv = call.original[argvArg]!;
  if (argv === 0) return [];
  const slot = call.memory.readBytes(argv, 8);
  if (slot === null || Number(slot.readBigUInt64LE(0)) !== pathAddr) return [];
  const orig = call.traceeLatin1(pathArg);
  const sp = stackPointer(call.tid);
  if (orig === null || sp === null) return [];
  const copy = Buffer.from(orig + '\0', 'latin1');
  const at = Math.floor((sp - RED_ZONE - copy.length) / 16) * 16;
  // The copy must be writable: below the stack pointer the stack may not be mapped yet.
  if (call.memory.readBytes(at, copy.length) === null) return [];
  const ptr = Buffer.alloc(8);
  ptr.writeBigUInt64LE(BigInt(at));
  return [
    { addr: at, bytes: copy },
    { addr: argv, bytes: ptr },
  ];
}

// The stack pointer of a thread blocked in a syscall, from /proc/TID/syscall ("nr a0..a5 sp pc").
function stackPointer(tid: number): number | null {
  try {
    const f = readFileSync(`/proc/${tid}/syscall`, 'latin1').trim().split(' ');
    if (f.length < 9) return null;
    const sp = Number.parseInt(f[7]!, 16);
    return Number.isFinite(sp) && sp > 4096 ? sp : null;
  } catch {
    return null;
  }
}
