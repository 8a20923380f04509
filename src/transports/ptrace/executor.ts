// The executor of the ptrace transport, at the bottom of the onion: the thread is stopped at its
// seccomp stop, so the call as the engines left it is realized by registers, never emulated:
// - unchanged: CONTINUE (the kernel runs it), or, when an engine wants the result, run and wait
//   for its syscall-exit stop;
// - changed numeric arguments: the argument registers are set;
// - changed strings (paths): the new bytes are written below the thread's red zone (the 128 bytes
//   under its stack pointer that the x86-64 ABI leaves to the running function) and the argument
//   points there; the kernel copies the path in at the call's start, so a signal frame pushed
//   there later overwrites nothing the call still needs.
// Either way the call runs as the tracee (its credentials, cwd, root) and the argument registers are
// put back at its syscall-exit stop. Like a rewrite in place under unotify, the result is
// CONTINUED (the kernel's); when an engine wants the result (Syscall.wantResult), the exit stop
// comes back to the chain and its exit halves get the kernel's result as a value.
import { statSync } from 'node:fs';
import { constants as os } from 'node:os';
import { Result } from '../../chain/result.js';
import type { Syscall } from '../../chain/syscall.js';
import { changedSocketPath, composedBacks, putReturnedAddress, returnPlace, SOCKADDR_ARG, sockaddrCount, sunAddress, type ReturnPlace } from '../../chain/emulate/sockaddr.js';
import { NOFOLLOW, syscallInfo, syscallNumber } from '../../syscalls/table.js';
import { execFn, keptArgv } from '../../chain/emulate/process.js';
import { linkBack, linkViews } from '../../chain/emulate/view.js';
import { AT_FDCWD, PATH_ARGS, PATH_DIRFDS } from '../../syscalls/paths.js';
import { O_CREAT } from '../../chain/emulate/open-flags.js';
import type { RawBinding } from '../../native/load.js';

const E = os.errno;
/** Bytes below the stack pointer the thread's own code may use (x86-64 System V red zone). */
const RED_ZONE = 128;
const SYS_EXECVE = syscallNumber('execve')!;
/** Calls whose changed socket path (kept under SOCKADDR_ARG) is a whole sockaddr: its address and length registers. */
const SOCKADDR_REGS: Readonly<Record<string, readonly [number, number]>> = { bind: [1, 2], connect: [1, 2], sendto: [4, 5] };
/** struct msghdr of sendmsg: msg_name (pointer) at 0, msg_namelen (u32) at 8; 56 bytes in all. */
const MSGHDR_BYTES = 56;
/** struct mmsghdr of sendmmsg: a struct msghdr, then msg_len (u32) at 56; 64 bytes in all. */
const MMSGHDR_BYTES = 64;
const MMSG_LEN = 56;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_SYMLINK_FOLLOW = 0x400;
const O_EXCL = 0o200;
const O_NOFOLLOW = 0o400000;
/** struct sockaddr_un: sun_family (u16), then sun_path at 2; 110 bytes in all. */
const AF_UNIX = 1;
const SUN_PATH = 2;
const SOCKADDR_UN_BYTES = 110;
/** struct open_how of openat2: flags (u64) at 0, resolve (u64) at 16. */
const OPEN_HOW_BYTES = 24;
/** placeStrings: the thread runs on its alternate signal stack, with too little room left below it. */
const NO_ROOM = 0x10000; // not an errno

function noRoom(call: Syscall): string {
  return `pid ${call.tid} runs a signal handler on its alternate signal stack with too little room below its red zone for the changed ${call.name}() (the ptrace transport writes it there): the call fails with ENOMEM; use --transport unotify`;
}

/** What the executor needs of the transport (transport.ts). */
export interface StoppedCalls {
  /** Runs the stopped call with these argument registers set; resolves at its syscall-exit stop. */
  runToExit(call: Syscall, sets: readonly (readonly [number, number | bigint])[]): Promise<Result>;
  /** Runs the stopped call with these argument registers set (put back at its exit): CONTINUED, or an error when it is gone. */
  runWith(call: Syscall, sets: readonly (readonly [number, number | bigint])[]): Result;
  /** Makes the stopped thread make syscall nr instead, with these argument registers (redo); false once gone. */
  redo(call: Syscall, nr: number, sets: readonly (readonly [number, number | bigint])[]): boolean;
  /** The stopped thread's stack pointer (undefined once gone). */
  stackPointer(tid: number): number | undefined;
  /** The lowest writable address below sp: the bottom of the alternate signal stack holding it, if any. */
  stackFloor(sp: number): number | undefined;
  /** A path resolved in the engines' views as the tracee (binding.viewPath). */
  viewPath: RawBinding['viewPath'];
  /** If the stopped execve succeeds, the new program's AT_EXECFN names `name`; false once gone. */
  execName(call: Syscall, name: string): boolean;
  /** The whole address of socket `fd` of thread `tid`'s process (its peer's with `peer`), or -errno. */
  socketName(tid: number, fd: number, peer: boolean): Buffer | number;
}

export function createPtraceExecutor(calls: StoppedCalls, report: (line: string) => void): (call: Syscall) => Result | Promise<Result> {
  const toExit = (call: Syscall, sets: readonly (readonly [number, number | bigint])[]) =>
    call.name === 'chdir' ? calls.runToExit(call, sets).then((r) => chdirDone(call, r)) : calls.runToExit(call, sets);
  // Per thread, the lowest byte of the strings a redone execve points at: the thread's next call
  // is that execve, whose own changed strings go below them.
  const redone = new Map<number, number>();
  return (call) => {
    const below = redone.get(call.tid);
    redone.delete(call.tid);
    if (call.execInstead) {
      const r = execInstead(call, calls, below, report);
      if (r !== null) {
        if (call.execInstead.at !== undefined) redone.set(call.tid, call.execInstead.at);
        return r;
      }
    }
    const failed = inView(call, calls);
    if (failed !== null) return failed;
    const sets: [number, number | bigint][] = [];
    for (let i = 0; i < 6; i++) if (call.args[i] !== call.original[i]) sets.push([i, BigInt.asUintN(64, BigInt(call.args[i]!))]);
    if (call.strings.size > 0) {
      const placed = placeStrings(call, calls, below);
      if (placed === NO_ROOM) {
        report(noRoom(call));
        return Result.error(E.ENOMEM);
      }
      if (typeof placed === 'number') {
        report(`cannot realize changed ${call.name}(): writing its new path below the stack of pid ${call.tid} failed (${placed === E.EFAULT ? 'EFAULT' : `errno ${placed}`})`);
        return Result.error(placed);
      }
      sets.push(...placed);
    }
    // An execve: the new program's AT_EXECFN names the path the program gave (or the name an
    // engine set), not the one the kernel ran (set by the tracer at the exec stop).
    if (call.name === 'execve' || call.name === 'execveat') {
      const fn = execFn(call, call.name === 'execve' ? 0 : 1);
      if (fn !== undefined) calls.execName(call, fn);
    }
    const after = exitHalf(call, calls, sets);
    if (after !== undefined) return calls.runToExit(call, sets).then(after);
    if (!call.changed) return call.wantsResult ? toExit(call, []) : Result.CONTINUED;
    // As a rewrite in place under unotify: CONTINUE (the kernel's result is the program's), unless
    // an engine wants the result.
    return call.wantsResult ? toExit(call, sets) : calls.runWith(call, sets);
  };
}

// What the executor does at the call's exit, besides what the engines' exit halves do, where
// unotify's executor emulates the call or acts at its syscall-exit stop (rewrite.ts):
// - accept, recvfrom, recvmsg: the peer's address the kernel returns, put into the view;
// - getsockname, getpeername whose result an engine wants (to show its view): the whole address
//   the kernel returned (the caller's buffer may hold less), as returnedAddress gives it;
// - readlink of a procfs link an engine shows in its view (linkBack): the kernel's answer replaced;
// - sendmmsg run on a copy of its vector (the last string placed): each msg_len copied back.
function exitHalf(call: Syscall, calls: StoppedCalls, sets: readonly (readonly [number, number | bigint])[]): ((r: Result) => Result) | undefined {
  switch (call.name) {
    case 'accept':
    case 'accept4':
    case 'recvfrom':
    case 'recvmsg': {
      const pairs = composedBacks(call);
      const place = pairs.length > 0 ? returnPlace(call) : null;
      return place === null ? undefined : (r) => addressBack(call, place, pairs, r);
    }
    case 'getsockname':
    case 'getpeername': {
      if (!call.wantsResult) return undefined;
      const l = call.memory.readBytes(call.args[2]!, 4);
      const size = l === null ? -1 : l.readInt32LE(0);
      return size < 0 ? undefined : (r) => returned(call, calls, size, r);
    }
    case 'readlink':
    case 'readlinkat': {
      const back = linkBack(call);
      if (back.from === undefined || back.to === undefined) return undefined;
      const [buf, size] = call.name === 'readlink' ? [call.args[1]!, call.int(2)] : [call.args[2]!, call.int(3)];
      return (r) => linkBackAt(call, buf, size, back.from!, back.to!, r);
    }
    case 'sendmmsg':
      return call.strings.size === 0 ? undefined : (r) => msgLensBack(call, sets[sets.length - 1]![1] as number, r);
  }
  return undefined;
}

// A readlink the kernel answered: its answer, if it is `from` (whole, or the beginning of it that
// fits the buffer), becomes `to` as readlink returns it (at most `size` bytes, no NUL).
function linkBackAt(call: Syscall, buf: number, size: number, from: string, to: string, r: Result): Result {
  if (r.kind !== 'value' || r.value !== Math.min(from.length, size)) return r;
  const got = r.value > 0 ? call.memory.readBytes(buf, r.value) : Buffer.alloc(0);
  if (got === null || got.toString('latin1') !== from.slice(0, r.value)) return r;
  const n = Math.min(to.length, size);
  return call.memory.writeBytes(buf, Buffer.from(to.slice(0, n), 'latin1')) < 0 ? r : Result.ran(n);
}

// The exec of a script's interpreter instead of the script (call.execInstead, see Syscall): the
// new path and argv (argv0, then the original argv[1..]) are written below the red zone (and below
// an earlier step's strings), and the thread makes execve so, through the filter and the engines
// again, as binfmt_script would. Null when the thread is gone (the call is then let through).
function execInstead(call: Syscall, calls: StoppedCalls, below: number | undefined, report: (line: string) => void): Result | null {
  const ins = call.execInstead!;
  const argvArg = call.name === 'execveat' ? 2 : 1;
  const rest = keptArgv(call, argvArg);
  if (rest instanceof Result) return rest;
  const sp = calls.stackPointer(call.tid);
  if (sp === undefined) return null;
  const argv0 = ins.argv0 ?? [];
  const strings = [ins.path, ...argv0].map((s) => Buffer.from(s + '\0', 'latin1'));
  const strBytes = strings.reduce((n, b) => n + b.length, 0);
  const size = Math.ceil(strBytes / 8) * 8 + (argv0.length + rest.length + 1) * 8;
  const at = Math.floor((Math.min(sp - RED_ZONE, ins.below ?? Infinity, below ?? Infinity) - size) / 16) * 16;
  if (at < (calls.stackFloor(sp) ?? -Infinity)) {
    report(noRoom(call));
    return Result.error(E.ENOMEM);
  }
  const buf = Buffer.alloc(size);
  const addrs: number[] = [];
  let off = 0;
  for (const b of strings) {
    addrs.push(at + off);
    off += b.copy(buf, off);
  }
  off = Math.ceil(off / 8) * 8;
  const argvAt = at + off;
  for (const a of addrs.slice(1)) off = buf.writeBigUInt64LE(BigInt(a), off);
  for (const p of rest) off += p.copy(buf, off);
  const w = call.memory.writeBytes(at, buf);
  if (w < 0) return Result.error(-w);
  if (!calls.redo(call, SYS_EXECVE, [[0, addrs[0]!], [1, argvAt], [2, call.args[argvArg + 1]!]])) return null;
  ins.at = addrs[0]!;
  // Never seen by the thread: it makes the new execve instead.
  return Result.error(E.ENOENT);
}

// A chdir that succeeded: (st_dev, st_ino) of the thread's new cwd, for engines that track it
// (Syscall.chdirTarget; under unotify the executor learns it by checking the chdir first).
function chdirDone(call: Syscall, r: Result): Result {
  if (!r.failed) {
    try {
      const st = statSync(`/proc/${call.tid}/cwd`, { bigint: true });
      call.chdirTarget = [Number(st.dev), Number(st.ino)];
    } catch {
      // gone: nothing to track
    }
  }
  return r;
}

// Writes the changed strings below the red zone (and below `below`: a redone execve's strings),
// 16-byte aligned, and returns the argument registers to set; an errno when the memory could not be read or written. A changed socket path
// (bind, connect, sendto, sendmsg) is a whole AF_UNIX address, its length register set with it;
// sendmsg's address lies in its msghdr, so a copy of the msghdr points at it.
function placeStrings(call: Syscall, calls: StoppedCalls, below = Infinity): [number, number][] | number {
  const sp = calls.stackPointer(call.tid);
  if (sp === undefined) return E.ESRCH;
  const out: [number, number][] = [];
  let at = Math.min(sp - RED_ZONE, below);
  const floor = calls.stackFloor(sp) ?? -Infinity;
  const place = (bytes: Buffer): number => {
    at = Math.floor((at - bytes.length) / 16) * 16; // addresses exceed 32 bits: no bitwise ops
    if (at < floor) return -NO_ROOM;
    const r = call.memory.writeBytes(at, bytes);
    return r < 0 ? r : at;
  };
  if (call.name === 'sendmmsg') return placeVector(call, place);
  for (const [i, s] of call.strings) {
    const sockRegs = i === SOCKADDR_ARG ? SOCKADDR_REGS[call.name] : undefined;
    if (sockRegs !== undefined || (i === SOCKADDR_ARG && call.name === 'sendmsg')) {
      const addr = sunAddress(s);
      const where = place(addr);
      if (where < 0) return -where;
      if (sockRegs !== undefined) {
        out.push([sockRegs[0], where], [sockRegs[1], addr.length]);
        continue;
      }
      const hdr = call.memory.readBytes(call.original[1]!, MSGHDR_BYTES);
      if (hdr === null) return E.EFAULT;
      hdr.writeBigUInt64LE(BigInt(where), 0);
      hdr.writeUInt32LE(addr.length, 8);
      const h = place(hdr);
      if (h < 0) return -h;
      out.push([1, h]);
      continue;
    }
    const where = place(Buffer.from(s + '\0', 'latin1'));
    if (where < 0) return -where;
    out.push([i, where]);
  }
  return out;
}

// sendmmsg(fd, msgvec, vlen, flags) with changed addresses: a copy of its vector of struct mmsghdr
// goes below the red zone, each changed message's msg_name pointing at its new address (placed
// below it); register 1 points at the copy. The program's own vector is left as it is.
function placeVector(call: Syscall, place: (bytes: Buffer) => number): [number, number][] | number {
  const n = sockaddrCount(call);
  const vec = call.memory.readBytes(call.original[1]!, n * MMSGHDR_BYTES);
  if (vec === null) return E.EFAULT;
  for (let i = 0; i < n; i++) {
    const path = changedSocketPath(call, i);
    if (path === undefined) continue;
    const addr = sunAddress(path);
    const where = place(addr);
    if (where < 0) return -where;
    vec.writeBigUInt64LE(BigInt(where), i * MMSGHDR_BYTES);
    vec.writeUInt32LE(addr.length, i * MMSGHDR_BYTES + 8);
  }
  const at = place(vec);
  if (at < 0) return -at;
  return [[1, at]];
}

// After sendmmsg ran on the copy of its vector at `copy`: the msg_len the kernel wrote for each of
// the messages it sent (the value it returned) go to the program's vector, as natively.
function msgLensBack(call: Syscall, copy: number, r: Result): Result {
  const sent = r.kind === 'value' ? r.value : 0;
  for (let i = 0; i < sent; i++) {
    const len = call.memory.readBytes(copy + i * MMSGHDR_BYTES + MMSG_LEN, 4);
    if (len === null || call.memory.writeBytes(call.original[1]! + i * MMSGHDR_BYTES + MMSG_LEN, len) < 0) break;
  }
  return r;
}

// The paths of a call that an engine with a view saw (linkViews), resolved in that view as the
// tracee: a symlink on the way whose target names the view (a venv's bin/python3 ->
// /unreal/usr/bin/python3) is followed there, as unotify's emulation follows it, and the kernel
// gets the real path reached instead (placed below the red zone as any changed path). Its
// execve is the engine's (it execs such a program by its real path itself). An errno Result when
// the walk in the view fails, else null.
function inView(call: Syscall, calls: StoppedCalls): Result | null {
  const args = PATH_ARGS[call.name];
  if (args === undefined || call.name === 'execve' || call.name === 'execveat') return null;
  const view = linkViews(call);
  if (view.length === 0) return null;
  const dirfds = PATH_DIRFDS[call.name];
  for (const i of args) {
    const path = call.latin1(i);
    if (path === null || path === '') continue;
    const follow = followsLast(call, i === args[0]);
    if (follow === undefined) continue;
    const dirfd = dirfds?.[i] !== undefined ? call.args[dirfds[i]!]! | 0 : AT_FDCWD;
    const r = calls.viewPath({ tid: call.tid, dirfd, path, follow, view, cached: call.credentialsSeen });
    if (typeof r === 'number') return Result.error(-r);
    if (r !== null) call.setLatin1(i, r);
  }
  return null;
}

// Whether the call follows a final symlink of its (first) path, from the table's NOFOLLOW fact and
// its flags; undefined for an openat2 with resolve flags (the kernel's rules for links: left to it).
function followsLast(call: Syscall, first: boolean): boolean | undefined {
  const info = syscallInfo(call.nr)!;
  const kinds = info.args ?? [];
  const at = kinds.indexOf('atflags');
  const atFlags = at >= 0 ? call.args[at]! : 0;
  if ((info.facts & NOFOLLOW) !== 0) return first && (atFlags & AT_SYMLINK_FOLLOW) !== 0;
  if ((atFlags & AT_SYMLINK_NOFOLLOW) !== 0) return false;
  let oflags: number | undefined = kinds.includes('oflags') ? call.args[kinds.indexOf('oflags')]! : undefined;
  if (call.name === 'openat2') {
    const how = call.memory.readBytes(call.args[2]!, OPEN_HOW_BYTES);
    if (how === null || how.readBigUInt64LE(16) !== 0n) return undefined;
    oflags = Number(how.readBigUInt64LE(0) & 0xffffffffn);
  }
  if (oflags !== undefined && ((oflags & O_NOFOLLOW) !== 0 || (oflags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL))) return false;
  return true;
}

// At the exit of an accept, recvfrom or recvmsg that succeeded: the AF_UNIX address the kernel
// returned, when it names a socket bound through a view (by its real path: some pair's first), as
// the view shows it (the pair's second), written as the kernel writes it (at most the caller's
// buffer; the whole length in *addrlen). A buffer smaller than the address holds its beginning.
function addressBack(call: Syscall, place: ReturnPlace, pairs: readonly (readonly [Buffer, Buffer])[], r: Result): Result {
  if (r.kind !== 'value') return r;
  const l = call.memory.readBytes(place.lenAddr, 4);
  const klen = l === null ? 0 : l.readUInt32LE(0); // family + path + NUL
  if (klen <= SUN_PATH || klen > SOCKADDR_UN_BYTES || place.size <= SUN_PATH) return r;
  const got = call.memory.readBytes(place.addr, Math.min(klen, place.size));
  if (got === null || got.readUInt16LE(0) !== AF_UNIX || got[SUN_PATH] === 0) return r;
  const end = got.indexOf(0, SUN_PATH);
  const shown = got.subarray(SUN_PATH, end < 0 ? got.length : end);
  const whole = klen <= place.size;
  for (const [real, view] of pairs) {
    if (whole ? !real.equals(shown) : real.length + SUN_PATH + 1 !== klen || !real.subarray(0, shown.length).equals(shown)) continue;
    const len = Buffer.alloc(4);
    len.writeUInt32LE(view.length);
    if (call.memory.writeBytes(place.addr, view.subarray(0, Math.min(place.size, view.length))) >= 0) call.memory.writeBytes(place.lenAddr, len);
    break;
  }
  return r;
}

// A getsockname or getpeername the kernel answered: the whole address it returned, kept on the
// call (returnedAddress) for the engines' exit halves.
function returned(call: Syscall, calls: StoppedCalls, size: number, r: Result): Result {
  if (r.kind !== 'value' || r.value !== 0) return r;
  const addr = calls.socketName(call.tid, call.int(0), call.name === 'getpeername');
  return typeof addr === 'number' ? r : putReturnedAddress(call, size, addr, r);
}
