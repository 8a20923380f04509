// Per syscall, how each argument prints (its signature, from the syscall table) and which memory a
// data source captures for it: C strings at entry, a buffer at entry, data at exit.
import { TRACE } from '../../../native/contract.js';
import { TABLE } from '../../../syscalls/table.js';
import { argClass, type Arg, type ArgKind, type RetKind } from '../../../syscalls/kinds.js';
import { IOCTL_ARG_SIZE, EPOLL_EVENT_SIZE, EPOLL_EVENTS_SIZE, ITIMERSPEC_SIZE, TIMESPEC_SIZE, SIGEVENT_SIZE, POLLFDS_SIZE, CLONE_ARGS_SIZE, SIGACTION_SIZE, SOCKADDR_MAX, SOCKOPT_MAX, STACK_T_SIZE, STATFS_SIZE, SYSINFO_SIZE, UTSNAME_SIZE } from './structs.js';

type Kind = ArgKind;

export interface Signature {
  args: readonly Arg[];
  ret?: RetKind;
}

/** Signatures of the syscalls the table gives arguments for (argument order as the kernel takes them). */
export const SIGNATURES: Readonly<Record<string, Signature>> = Object.fromEntries(
  TABLE.flatMap((s) => (s.args ? [[s.name, { args: s.args, ...(s.ret && { ret: s.ret }) }] as const] : [])),
);

/** The arguments a syscall is decoded with (undefined: unknown syscall, printed raw). */
export function signatureOf(name: string): Signature | undefined {
  return SIGNATURES[name];
}

/** Which memory of a syscall's arguments a data source should capture for this formatter.
 *  Field names match SyscallCapture in src/observe/bpf-trace.ts. */
export interface ArgMemory {
  /** Argument indexes of C strings to read at entry. */
  strArgs: number[];
  /** A buffer read at entry and the index of its length argument (or a fixed-size struct, or
   *  rt_sigreturn's signal frame). */
  enterBuf?: { arg: number; lenArg: number; iov?: boolean } | { arg: number; size: number } | { arg: 0; sigframe: true } | { arg: number; fdsets: true } | { arg: number; msghdr: true };
  /** Memory read at exit when the call succeeded. */
  exitData?: { arg: number; mode: 'buf' | 'str' | 'struct' | 'dirents' | 'sockaddr' | 'iov' | 'fdsets' | 'msghdr'; size?: number };
  /** execve-like: argv (after the file name) read at entry, envp counted. */
  argv?: boolean;
}

/** Size of what a struct-kind output argument points to (x86_64). */
const STRUCT_SIZE: Partial<Record<Kind, number>> = {
  stat: 144,
  statx: 256,
  pipefds: 8,
  sigsetOut: 8,
  waitstatus: 4,
  rlimitOut: 16,
  sigactOut: SIGACTION_SIZE,
  stackOut: STACK_T_SIZE,
  utsname: UTSNAME_SIZE,
  sysinfo: SYSINFO_SIZE,
  statfs: STATFS_SIZE,
  // Read with the size of the struct read at entry (one size per call in the capture word).
  timerid: SIGEVENT_SIZE,
  itimerspecOut: ITIMERSPEC_SIZE,
  epolleventsOut: EPOLL_EVENTS_SIZE,
  ioctlarg: IOCTL_ARG_SIZE,
};

/** Size of what a struct-kind input argument points to (x86_64), read at entry. A sockaddr is
 *  read whole (sockaddr_un's size) and cut at its length argument when printed. */
const IN_STRUCT_SIZE: Partial<Record<Kind, number>> = {
  sigactIn: SIGACTION_SIZE,
  sockaddrIn: SOCKADDR_MAX,
  rlimitIn: 16,
  stackIn: STACK_T_SIZE,
  cloneargs: CLONE_ARGS_SIZE,
  sigeventIn: SIGEVENT_SIZE,
  itimerspecIn: ITIMERSPEC_SIZE,
  timespecIn: TIMESPEC_SIZE,
  epolleventIn: EPOLL_EVENT_SIZE,
};

export function argMemory(name: string): ArgMemory {
  const sig = SIGNATURES[name];
  const mem: ArgMemory = { strArgs: [] };
  if (!sig) return mem;
  sig.args.forEach((a, i) => {
    if (typeof a === 'object') mem.enterBuf ??= { arg: i, lenArg: a.len };
    else if (a === 'path' || a === 'str') mem.strArgs.push(i);
    else if (a === 'strarray') mem.argv = true;
    else if (a === 'sigsetIn') mem.enterBuf ??= { arg: i, lenArg: sig.args.indexOf('ulong', i + 1) };
    else if (IN_STRUCT_SIZE[a] !== undefined) mem.enterBuf ??= { arg: i, size: IN_STRUCT_SIZE[a] };
    else if (a === 'sigframe') mem.enterBuf ??= { arg: 0, sigframe: true };
    else if (a === 'pollfds') {
      // The array as the call gets it (unless the entry buffer is the sigset of ppoll), and again
      // at exit with the revents: POLLFDS_MAX of them at most.
      if (!sig.args.includes('sigsetIn')) mem.enterBuf ??= { arg: i, size: POLLFDS_SIZE };
      mem.exitData ??= { arg: i, mode: 'struct', size: POLLFDS_SIZE };
    }
    else if (a === 'bufOut' || a === 'bufOutHex' || a === 'cpumask') mem.exitData ??= { arg: i, mode: 'buf' };
    else if (a === 'dirents') mem.exitData ??= { arg: i, mode: 'dirents' };
    else if (a === 'sockaddrOut') mem.exitData ??= { arg: i, mode: 'sockaddr', size: SOCKADDR_MAX };
    // An option's value is read as an address is: its length at the next argument, then the bytes.
    // iovec arrays, their count at the next argument: the data written at entry, read at exit.
    else if (a === 'iovIn') mem.enterBuf ??= { arg: i, lenArg: i + 1, iov: true };
    else if (a === 'iovOut') mem.exitData ??= { arg: i, mode: 'iov' };
    // A msghdr: sent, read whole at entry; received, its entry (the room for the name) and what
    // the kernel left in it at exit (under the next argument's index, as select's sets).
    else if (a === 'msghdrIn') mem.enterBuf ??= { arg: i, msghdr: true };
    else if (a === 'msghdrOut') {
      mem.enterBuf ??= { arg: i, size: TRACE.MSGHDR_BYTES };
      mem.exitData ??= { arg: i + 1, mode: 'msghdr' };
    }
    else if (a === 'fdset' && mem.enterBuf === undefined) {
      // select: the sets and the timeout as one item, at entry (under the first set's index) and
      // at exit (under the second's: the entry's stay for the call's line, the exit's for its result).
      mem.enterBuf = { arg: i, fdsets: true };
      mem.exitData = { arg: i + 1, mode: 'fdsets' };
    }
    else if (a === 'sockoptOut') mem.exitData ??= { arg: i, mode: 'sockaddr', size: SOCKOPT_MAX };
    else if (a === 'strOut') mem.exitData ??= { arg: i, mode: 'str' };
    else if (STRUCT_SIZE[a] !== undefined) mem.exitData ??= { arg: i, mode: 'struct', size: STRUCT_SIZE[a] };
  });
  return mem;
}

/** Kinds strace prints at entry and completes at exit, in place (clone3's struct, then
 *  ` => {parent_tid=[42]}`): its decoder stops at such an argument on entry and goes on from it on
 *  exit, so a split line's entry half ends with it and its resumed half starts with the completion. */
const COMPLETED_AT_EXIT: ReadonlySet<string> = new Set(['cloneargs']);

/** Where strace cuts an `<unfinished ...>` line: at the first argument that is only known when the
 *  call returns (`index`, the argument count when there is none), or just after an argument it
 *  completes at exit (`completes`: the entry half ends with that argument, index). */
export function splitPoint(name: string): { index: number; completes: boolean } {
  const sig = SIGNATURES[name];
  if (!sig) return { index: 6, completes: false };
  const i = sig.args.findIndex((a) => argClass(a) === 'out' || (typeof a === 'string' && COMPLETED_AT_EXIT.has(a)));
  if (i < 0) return { index: sig.args.length, completes: false };
  return { index: i, completes: argClass(sig.args[i]!) !== 'out' };
}
