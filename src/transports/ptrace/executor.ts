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
import { SOCKADDR_ARG, sunAddress } from '../../chain/emulate/sockaddr.js';
import { syscallNumber } from '../../syscalls/table.js';
import { keptArgv } from '../../chain/emulate/process.js';

const E = os.errno;
/** Bytes below the stack pointer the thread's own code may use (x86-64 System V red zone). */
const RED_ZONE = 128;
const SYS_EXECVE = syscallNumber('execve')!;
/** Calls whose changed socket path (kept under SOCKADDR_ARG) is a whole sockaddr: its address and length registers. */
const SOCKADDR_REGS: Readonly<Record<string, readonly [number, number]>> = { bind: [1, 2], connect: [1, 2], sendto: [4, 5] };
/** struct msghdr of sendmsg: msg_name (pointer) at 0, msg_namelen (u32) at 8; 56 bytes in all. */
const MSGHDR_BYTES = 56;
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
    if (!call.changed) return call.wantsResult ? toExit(call, []) : Result.CONTINUED;
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
    // As a rewrite in place under unotify: CONTINUE (the kernel's result is the program's), unless
    // an engine wants the result.
    return call.wantsResult ? toExit(call, sets) : calls.runWith(call, sets);
  };
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
  // sendmmsg's addresses lie in each message of its vector: not placed here (see unreal's Limits).
  if (call.name === 'sendmmsg') return E.ENOSYS;
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
