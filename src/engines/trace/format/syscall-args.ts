// strace-style decoding of x86_64 syscall arguments. Pure: the input is a SyscallRecord
// (name, the six raw argument registers, the memory contents that were captured for some
// arguments, the return value); where memory was not captured, the argument prints as its
// address, as strace prints a pointer it could not read.
//
// Each argument prints by its kind (signatures.ts, from the syscall table); the calls whose
// arguments depend on each other have their own decoders (decode/, one file per subsystem as in
// strace's src/). Constants by name: xlat.ts; structs: structs.ts; numbers, strings: values.ts.
import { formatErrno } from './errno.js';
import { TRACE } from '../../../native/contract.js';
import type { Arg, ArgKind } from '../../../syscalls/kinds.js';
import { isErrorReturn, type ArgsDecoder, type FormatOptions, type ReturnDecoder, type SyscallRecord } from './record.js';
import { SIGNATURES } from './signatures.js';
import { bytesOf, dirfd, fd, hex, i32, le32, octal, ptr, quoteBytes, strArray, u32, u64 } from './values.js';
import {
  AMODE, ARCH_PRCTL, AT_FLAGS, atFlags, CLOCKS, CLONE_FLAGS, DOMAINS, FADVICE, FCNTL, flags, futexOp, GRND, IOCTLS, lookup,
  MADVICE, mapFlags, OPEN_FLAGS, openFlags, PROT, RENAME_FLAGS, RLIMITS, SIGHOW, signalName, sockType, statxMask, WAIT_OPTS, WHENCE,
  EPOLL_CTL, EPOLL_FLAGS, EFD_FLAGS, SOCK_FLAGS, TFD_FLAGS, IN_FLAGS, MSG_FLAGS, IPPROTOS, NETLINK_PROTOS, SOCK_LEVELS,
} from './xlat.js';
import {
  cloneArgs, cpuMask, selectParts, timeval, epollEvent, epollEvents, pollFds, sigevent, itimerspec, timespec, fileMode, makedev, rlimitSummary, sigaction, sigset, sockaddr, stackT, statfs, statSummary, statxSummary,
  sysinfo, utsname, waitStatus,
} from './structs.js';
import { cloneDecoders } from './decode/clone.js';
import { fcntlDecoders, fcntlReturns } from './decode/fcntl.js';
import { fileDecoders } from './decode/file.js';
import { futexDecoders } from './decode/futex.js';
import { ioctlDecoders } from './decode/ioctl.js';
import { netDecoders } from './decode/net.js';

type Kind = ArgKind;

/** The calls with a decoder of their own. */
const ARGS_DECODERS: Readonly<Record<string, ArgsDecoder>> = { ...fileDecoders, ...fcntlDecoders, ...futexDecoders, ...cloneDecoders, ...netDecoders, ...ioctlDecoders };

/** select's result as strace shows it: `0 (Timeout)`, `2 (in [3], out [4], left {tv_sec=0, tv_usec=5})`:
 *  the ready descriptors (as many as it returns) and the time left, from what the kernel left in
 *  the sets (the exit's capture, under argument 2). */
const selectReturn = (spec: boolean): ReturnDecoder => (ret, args, strs) => {
  if (ret === 0) return '0 (Timeout)';
  const data = strs?.[2];
  const parts = data !== undefined ? selectParts(data, args) : undefined;
  if (parts === undefined) return undefined;
  const out: string[] = [];
  let ready = ret;
  parts.sets.forEach((fds, i) => {
    if (fds === undefined || ready <= 0 || fds.length === 0) return;
    const shown = fds.slice(0, ready);
    ready -= shown.length;
    out.push(`${['in', 'out', 'except'][i]} [${shown.join(' ')}]`);
  });
  const left = parts.timeout !== undefined ? (spec ? timespec(parts.timeout) : timeval(parts.timeout)) : undefined;
  if (left !== undefined) out.push(`left ${left}`);
  return `${ret} (${out.join(', ')})`;
};

const RETURN_DECODERS: Readonly<Record<string, ReturnDecoder>> = { ...fcntlReturns, poll: pollReturn, ppoll: pollReturn, select: selectReturn(false), pselect6: selectReturn(true) };

/** poll's result as strace shows it: `0 (Timeout)`, `1 ([{fd=5, revents=POLLOUT}])`. */
function pollReturn(ret: number, args: readonly number[], strs?: readonly (string | undefined)[]): string | undefined {
  if (ret === 0) return '0 (Timeout)';
  const data = strs?.[0];
  const fds = data !== undefined ? pollFds(data, u32(args[1] ?? 0), true) : undefined;
  return fds === undefined ? undefined : `${ret} (${fds})`;
}

/**
 * An iovec array as captured (bpf/trace.h, SV_CFG_ENTER_IOV: per iovec its iov_len, the number of
 * its bytes captured, the bytes) as strace prints it: `[{iov_base="...", iov_len=N}, ...]`, each
 * base with the bytes it holds up to `left` in all (a read's return value), at most `strSize`
 * shown; `more`: iovecs were left out.
 */
function iovecs(data: string, more: boolean, left: number, strSize: number): string {
  const b = bytesOf(data);
  const out: string[] = [];
  for (let off = 0; off + 12 <= b.length; ) {
    const len = Number(b.readBigUInt64LE(off));
    const n = b.readUInt32LE(off + 8);
    const holds = Math.max(0, Math.min(len, left));
    left -= holds;
    const shown = Math.min(holds, strSize, n);
    out.push(`{iov_base=${quoteBytes(data.slice(off + 12, off + 12 + shown), holds > shown)}, iov_len=${len}}`);
    off += 12 + n;
  }
  if (more) out.push('...');
  return `[${out.join(', ')}]`;
}

const SCM_RIGHTS = 1;
const SCM_CREDENTIALS = 2;
const SOL_SOCKET = 1;

/** Control messages as strace prints them: `[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}]`. */
function cmsgs(b: Buffer): string {
  const out: string[] = [];
  for (let off = 0; off + 16 <= b.length; ) {
    const len = Number(b.readBigUInt64LE(off));
    const level = b.readInt32LE(off + 8);
    const type = b.readInt32LE(off + 12);
    const data = b.subarray(off + 16, Math.min(b.length, off + Math.max(16, len)));
    const lvl = lookup(level, SOCK_LEVELS) ?? String(level);
    let t = String(type);
    let d: string | undefined;
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      t = 'SCM_RIGHTS';
      const fds: number[] = [];
      for (let k = 0; k + 4 <= data.length; k += 4) fds.push(data.readInt32LE(k));
      d = `[${fds.join(', ')}]`;
    } else if (level === SOL_SOCKET && type === SCM_CREDENTIALS && data.length >= 12) {
      t = 'SCM_CREDENTIALS';
      d = `{pid=${data.readInt32LE(0)}, uid=${data.readUInt32LE(4)}, gid=${data.readUInt32LE(8)}}`;
    }
    out.push(`{cmsg_len=${len}, cmsg_level=${lvl}, cmsg_type=${t}${d === undefined ? '' : `, cmsg_data=${d}`}}`);
    if (len < 16) break;
    off += (len + 7) & ~7;
  }
  return `[${out.join(', ')}]`;
}

/**
 * A struct msghdr as captured (bpf/trace.h, SV_CFG_MODE_MSGHDR: the sizes of the name and control
 * data read, the msghdr, the name, the control data, the iovecs) as strace prints it:
 * `{msg_name=..., msg_namelen=N, msg_iov=[...], msg_iovlen=N, msg_control=[...], msg_controllen=N,
 * msg_flags=...}`. `roomNamelen`: recvmsg's msg_namelen at entry (`110 => 0` when the kernel
 * changed it); `left`: the bytes the iovecs hold (a receive's return value).
 */
function msghdr(data: string, more: boolean, left: number, strSize: number, roomNamelen?: number): string | undefined {
  const b = bytesOf(data);
  if (b.length < 4 + TRACE.MSGHDR_BYTES) return undefined;
  const nb = b.readUInt16LE(0);
  const cb = b.readUInt16LE(2);
  const h = 4;
  const name = Number(b.readBigUInt64LE(h));
  const namelen = b.readUInt32LE(h + 8);
  const iov = Number(b.readBigUInt64LE(h + 16));
  const iovlen = b.readBigUInt64LE(h + 24);
  const control = Number(b.readBigUInt64LE(h + 32));
  const controllen = b.readBigUInt64LE(h + 40);
  const msgFlags = b.readUInt32LE(h + 48);
  const at = h + TRACE.MSGHDR_BYTES;
  const parts: string[] = [];
  const nameText = name === 0 ? 'NULL' : nb > 0 ? (sockaddr(data.slice(at, at + nb), namelen) ?? ptr(name)) : ptr(name);
  parts.push(`msg_name=${nameText}`);
  parts.push(`msg_namelen=${roomNamelen !== undefined && roomNamelen !== namelen ? `${roomNamelen} => ${namelen}` : namelen}`);
  parts.push(`msg_iov=${iov === 0 ? 'NULL' : iovecs(data.slice(at + nb + cb), more, left, strSize)}`);
  parts.push(`msg_iovlen=${iovlen}`);
  if (controllen > 0n) parts.push(`msg_control=${cb > 0 ? cmsgs(b.subarray(at + nb, at + nb + cb)) : ptr(control)}`);
  parts.push(`msg_controllen=${controllen}`, `msg_flags=${flags(msgFlags, MSG_FLAGS)}`);
  return `{${parts.join(', ')}}`;
}

/** The options as the formatters use them (defaults filled in). */
interface Opts {
  strSize: number;
  fdPath: FormatOptions['fdPath'];
}

/** Formats one argument: its register `v`, its captured memory `data`, the whole record. */
type ArgFormatter = (v: number, data: string | undefined, rec: SyscallRecord, i: number, ok: boolean, truncated: number, o: Opts) => string;

/** fcntl's F_DUPFD and F_DUPFD_CLOEXEC (they return a descriptor). */
export const isDupfd = (cmd: number): boolean => cmd === 0 || cmd === 1030;

/** A descriptor, with what it is when -y asks (`3</etc/passwd>`). */
function fdWithPath(v: number, rec: SyscallRecord, o: Opts, returned = false): string {
  const n = i32(v);
  const path = o.fdPath !== undefined && n >= 0 ? o.fdPath(rec, n, returned) : undefined;
  return path === undefined ? String(n) : `${n}<${path}>`;
}

const str = (v: number): string => String(v);

// One function per argument kind (a table rather than a switch on ~50 strings: the formatter runs
// for every argument of every call, often before the JIT has optimized it).
const KIND_FORMATTERS: Readonly<Record<Kind, ArgFormatter>> = {
  int: (v) => str(i32(v)),
  uint: (v) => str(u32(v)),
  long: (v) => (Math.abs(v) <= Number.MAX_SAFE_INTEGER ? str(v) : BigInt(v).toString()),
  ulong: (v) => (v >= 0 && v <= Number.MAX_SAFE_INTEGER ? str(v) : u64(v).toString()),
  hex: (v) => hex(v),
  bits: (v) => (v === 0 ? '0' : hex(v)),
  ptr: (v) => ptr(v),
  fd: (v, _d, rec, _i, _ok, _t, o) => (o.fdPath === undefined ? fd(v) : fdWithPath(v, rec, o)),
  dirfd: (v, _d, rec, _i, _ok, _t, o) => {
    if (o.fdPath === undefined) return dirfd(v);
    if (i32(v) !== -100) return fdWithPath(v, rec, o);
    const cwd = o.fdPath(rec, -100); // strace -y: AT_FDCWD</etc>
    return cwd === undefined ? 'AT_FDCWD' : `AT_FDCWD<${cwd}>`;
  },
  pid: (v) => str(i32(v)),
  path: (v, data, _r, _i, _ok, truncated) => (data === undefined ? ptr(v) : quoteBytes(data, truncated === 1)),
  str: (v, data, _r, _i, _ok, truncated) => (data === undefined ? ptr(v) : quoteBytes(data, truncated === 1)),
  bufOut: (v, data, rec, _i, ok, _t, o) => bufOut(v, data, rec, ok, o, false),
  bufOutHex: (v, data, rec, _i, ok, _t, o) => bufOut(v, data, rec, ok, o, true),
  strOut: (v, data, _r, _i, ok, truncated) => (ok && data !== undefined ? quoteBytes(data, truncated === 1) : ptr(v)),
  oflags: (v) => openFlags(v),
  fdflags: (v) => flags(u32(v), OPEN_FLAGS),
  mode: (v) => octal(u32(v) & 0o7777),
  umask: (v) => octal(u32(v) & 0o777),
  fmode: (v) => fileMode(u32(v)),
  dev: (v) => makedev(u32(v)),
  atflags: (v, _d, rec) => {
    // faccessat2's 0x200 is AT_EACCESS (AT_REMOVEDIR elsewhere).
    if ((rec.name === 'faccessat2' || rec.name === 'faccessat') && u32(v) & 0x200) {
      const rest = atFlags(u32(v) & ~0x200);
      return rest === '0' ? 'AT_EACCESS' : `AT_EACCESS|${rest}`;
    }
    return atFlags(v, rec.name === 'statx');
  },
  unlinkflags: (v) => flags(u32(v), AT_FLAGS),
  renameflags: (v) => flags(u32(v), RENAME_FLAGS),
  prot: (v) => flags(u32(v), PROT, 'PROT_NONE'),
  mapflags: (v) => mapFlags(v),
  mapoff: (v) => (v === 0 ? '0' : hex(v)),
  stat: (v, data, _r, _i, ok) => (ok && data !== undefined ? (statSummary(data) ?? ptr(v)) : ptr(v)),
  statx: (v, data, _r, _i, ok) => (ok && data !== undefined ? (statxSummary(data) ?? ptr(v)) : ptr(v)),
  statxmask: (v) => statxMask(v),
  rlimitOut: (v, data, _r, _i, ok) => (ok && data !== undefined ? (rlimitSummary(data) ?? ptr(v)) : ptr(v)),
  sig: (v) => signalName(i32(v)),
  sighow: (v) => SIGHOW[i32(v)] ?? str(i32(v)),
  sigsetIn: (v, data) => (data !== undefined && data.length >= 8 ? sigset(data.slice(0, 8)) : ptr(v)),
  sigsetOut: (v, data, _r, _i, ok) => (ok && data !== undefined && data.length >= 8 ? sigset(data.slice(0, 8)) : ptr(v)),
  whence: (v) => WHENCE[i32(v)] ?? str(i32(v)),
  amode: (v) => (u32(v) === 0 ? 'F_OK' : flags(u32(v), AMODE)),
  fcntlcmd: (v) => lookup(i32(v), FCNTL) ?? str(i32(v)),
  futexop: (v) => futexOp(v),
  sockdomain: (v) => lookup(i32(v), DOMAINS) ?? str(i32(v)),
  socktype: (v) => sockType(v),
  ioctl: (v) => lookup(u32(v), IOCTLS) ?? hex(u32(v)),
  rlimres: (v) => RLIMITS[i32(v)] ?? str(i32(v)),
  archprctl: (v) => lookup(i32(v), ARCH_PRCTL) ?? hex(i32(v)),
  fadvice: (v) => FADVICE[i32(v)] ?? str(i32(v)),
  madvice: (v) => lookup(i32(v), MADVICE) ?? str(i32(v)),
  grndflags: (v) => flags(u32(v), GRND),
  clockid: (v) => CLOCKS[i32(v)] ?? str(i32(v)),
  pipefds: (v, data, _r, _i, ok) => {
    if (!ok || data === undefined || data.length < 8) return ptr(v);
    const b = bytesOf(data);
    return `[${b.readInt32LE(0)}, ${b.readInt32LE(4)}]`;
  },
  waitstatus: (v, data, rec, _i, ok) => {
    if (v === 0) return 'NULL';
    return ok && rec.ret !== 0 && data !== undefined && data.length >= 4 ? waitStatus(bytesOf(data).readInt32LE(0)) : ptr(v);
  },
  waitopts: (v) => flags(u32(v), WAIT_OPTS),
  cloneflags: (v) => flags(u32(v), CLONE_FLAGS),
  dirents: (v, data, _r, _i, ok) => (ok && data !== undefined && data.length >= 4 ? `${ptr(v)} /* ${le32(data, 0)} entries */` : ptr(v)),
  sockaddrOut: (v, data, _r, _i, ok) => {
    // The length the kernel wrote back, then the address.
    if (!ok || v === 0 || data === undefined || data.length < 4) return ptr(v);
    return sockaddr(data.slice(4), le32(data, 0) | 0) ?? ptr(v);
  },
  sockoptOut: (v, data, _r, _i, ok, _t, o) => (ok && v !== 0 && data !== undefined && data.length >= 4 ? quoteBytes(data.slice(4, 4 + Math.max(0, le32(data, 0) | 0)).slice(0, o.strSize), (le32(data, 0) | 0) > o.strSize) : ptr(v)),
  iovIn: (v, data, _r, _i, _ok, truncated, o) => (data === undefined ? ptr(v) : iovecs(data, truncated === 1, Infinity, o.strSize)),
  iovOut: (v, data, rec, _i, ok, truncated, o) => (ok && data !== undefined ? iovecs(data, truncated === 1, rec.ret ?? 0, o.strSize) : ptr(v)),
  socklen: (v, data, rec, i, ok) => {
    if (v === 0 || data === undefined || data.length < 4) return ptr(v);
    const room = le32(data, 0) | 0;
    const addr = rec.strs?.[i - 1];
    const got = ok && addr !== undefined && addr.length >= 4 ? le32(addr, 0) | 0 : room;
    return got === room ? `[${room}]` : `[${room} => ${got}]`;
  },
  sigframe: (_v, data) => (data !== undefined && data.length >= 8 ? `{mask=${sigset(data.slice(0, 8))}}` : '{mask=?}'),
  strarray: (v, data, _r, _i, _ok, truncated, o) => (data === undefined ? ptr(v) : strArray(data, truncated === 1, o.strSize)),
  envarray: (v, _d, rec, i) => {
    const n = rec.counts?.[i];
    return n !== undefined && n >= 0 ? `${ptr(v)} /* ${n} var${n === 1 ? '' : 's'} */` : ptr(v);
  },
  sigactIn: (v, data) => (v !== 0 && data !== undefined ? (sigaction(data) ?? ptr(v)) : ptr(v)),
  sigactOut: (v, data, _r, _i, ok) => (v !== 0 && ok && data !== undefined ? (sigaction(data) ?? ptr(v)) : ptr(v)),
  epollflags: (v) => flags(u32(v), EPOLL_FLAGS),
  efdflags: (v) => flags(u32(v), EFD_FLAGS),
  tfdflags: (v) => flags(u32(v), TFD_FLAGS),
  inflags: (v) => flags(u32(v), IN_FLAGS),
  msgflags: (v) => flags(u32(v), MSG_FLAGS),
  sockflags: (v) => flags(u32(v), SOCK_FLAGS),
  sigeventIn: (v, data) => (v !== 0 && data !== undefined ? (sigevent(data) ?? ptr(v)) : ptr(v)),
  itimerspecIn: (v, data) => (v !== 0 && data !== undefined ? (itimerspec(data) ?? ptr(v)) : ptr(v)),
  ioctlarg: (v) => ptr(v), // (decoded with its request: decode/ioctl.ts)
  epollop: (v) => EPOLL_CTL[i32(v)] || str(i32(v)),
  // (EPOLL_CTL_DEL ignores the event: strace prints its address)
  epolleventIn: (v, data, rec) => (v !== 0 && data !== undefined && i32(rec.args[1] ?? 0) !== 2 ? (epollEvent(data) ?? ptr(v)) : ptr(v)),
  epolleventsOut: (v, data, rec, _i, ok) => (ok && data !== undefined ? (epollEvents(data, rec.ret ?? 0) ?? ptr(v)) : ptr(v)),
  timespecIn: (v, data) => (v !== 0 && data !== undefined ? (timespec(data) ?? ptr(v)) : ptr(v)),
  itimerspecOut: (v, data, _r, _i, ok) => (v !== 0 && ok && data !== undefined ? (itimerspec(data) ?? ptr(v)) : ptr(v)),
  timerid: (v, data, _r, _i, ok) => (v !== 0 && ok && data !== undefined && data.length >= 4 ? `[${le32(data, 0) | 0}]` : ptr(v)),
  // (the sets and the timeout as the call got them: one item, under the first set's index)
  msghdrIn: (v, data, _r, _i, _ok, truncated, o) => (v !== 0 && data !== undefined ? (msghdr(data, truncated === 1, Infinity, o.strSize) ?? ptr(v)) : ptr(v)),
  // (the msghdr at entry under this index, what the kernel left in it under the next one)
  msghdrOut: (v, data, rec, i, ok, _t, o) => {
    if (v === 0 || data === undefined || data.length < TRACE.MSGHDR_BYTES) return ptr(v);
    const room = le32(data, 8);
    const got = rec.strs?.[i + 1];
    if (!ok || got === undefined) return `{msg_namelen=${room}}`;
    return msghdr(got, (((rec.trunc ?? 0) >> (i + 1)) & 1) === 1, rec.ret ?? 0, o.strSize, room) ?? ptr(v);
  },
  fdset: (v, _d, rec, i) => {
    if (v === 0) return 'NULL';
    const data = rec.strs?.[1];
    const fds = data !== undefined ? selectParts(data, rec.args)?.sets[i - 1] : undefined;
    return fds === undefined ? ptr(v) : `[${fds.join(' ')}]`;
  },
  selsigmask: (v, _d, rec) => {
    if (v === 0) return 'NULL';
    const data = rec.strs?.[1];
    return (data !== undefined ? selectParts(data, rec.args)?.sigmask : undefined) ?? ptr(v);
  },
  seltimeout: (v, _d, rec) => {
    if (v === 0) return 'NULL';
    const data = rec.strs?.[1];
    const t = data !== undefined ? selectParts(data, rec.args)?.timeout : undefined;
    return t === undefined ? ptr(v) : rec.name === 'select' ? (timeval(t) ?? ptr(v)) : (timespec(t) ?? ptr(v));
  },
  pollfds: (v, data, rec, i) => (v !== 0 && data !== undefined ? (pollFds(data, u32(rec.args[i + 1] ?? 0), false) ?? ptr(v)) : ptr(v)),
  sockproto: (v, _d, rec) => {
    const domain = i32(rec.args[0] ?? 0);
    const table = domain === 2 || domain === 10 ? IPPROTOS : domain === 16 ? NETLINK_PROTOS : undefined;
    return (table && lookup(i32(v), table)) ?? str(i32(v));
  },
  socklevel: (v) => lookup(i32(v), SOCK_LEVELS) ?? str(i32(v)),
  sockaddrIn: (v, data, rec, i) => (v !== 0 && data !== undefined ? (sockaddr(data, i32(rec.args[i + 1] ?? 0)) ?? ptr(v)) : ptr(v)),
  rlimitIn: (v, data) => (v !== 0 && data !== undefined ? (rlimitSummary(data) ?? ptr(v)) : ptr(v)),
  stackIn: (v, data) => (v !== 0 && data !== undefined ? (stackT(data) ?? ptr(v)) : ptr(v)),
  stackOut: (v, data, _r, _i, ok) => (v !== 0 && ok && data !== undefined ? (stackT(data) ?? ptr(v)) : ptr(v)),
  cloneargs: (v, data, rec) => (v !== 0 && data !== undefined ? (cloneArgs(data, rec.ret) ?? ptr(v)) : ptr(v)),
  utsname: (v, data, _r, _i, ok) => (ok && data !== undefined ? (utsname(data) ?? ptr(v)) : ptr(v)),
  sysinfo: (v, data, _r, _i, ok) => (ok && data !== undefined ? (sysinfo(data) ?? ptr(v)) : ptr(v)),
  statfs: (v, data, _r, _i, ok) => (ok && data !== undefined ? (statfs(data) ?? ptr(v)) : ptr(v)),
  cpumask: (v, data, rec, _i, ok) => (ok && data !== undefined ? cpuMask(data.slice(0, rec.ret)) : ptr(v)),
};

function bufOut(v: number, data: string | undefined, rec: SyscallRecord, ok: boolean, o: Opts, asHex: boolean): string {
  if (!ok || data === undefined) return ptr(v);
  const total = rec.ret!;
  const shown = Math.min(total, o.strSize, data.length);
  return quoteBytes(data.slice(0, shown), total > shown, asHex);
}

/** Formats argument `i` of `rec` according to `kind`. */
function formatArg(rec: SyscallRecord, i: number, a: Arg, o: Opts): string {
  const v = rec.args[i];
  if (v === undefined) return '?';
  const data = rec.strs?.[i];
  if (typeof a === 'object') {
    // Buffer read at entry: `strSize` bytes of it, "..." when it is longer.
    if (data === undefined) return ptr(v);
    const total = Math.max(0, rec.args[a.len] ?? data.length);
    const shown = Math.min(total, o.strSize, data.length);
    return quoteBytes(data.slice(0, shown), total > shown);
  }
  const truncated = ((rec.trunc ?? 0) >> i) & 1;
  const ok = rec.ret !== undefined && !isErrorReturn(rec.ret);
  return KIND_FORMATTERS[a](v, data, rec, i, ok, truncated, o);
}

/** The argument list of a call, without the parentheses: `AT_FDCWD, "/etc/passwd", O_RDONLY`. */
export function formatArgs(rec: SyscallRecord, options: FormatOptions = {}): string {
  return formatArgList(rec, options).join(', ');
}

/** The arguments of a call, each formatted. */
export function formatArgList(rec: SyscallRecord, options: FormatOptions = {}): string[] {
  const o: Opts = { strSize: options.strSize ?? 32, fdPath: options.fdPath };
  const sig = SIGNATURES[rec.name];
  if (!sig) {
    // Unknown to the decoder: the six registers in hex.
    return rec.args.slice(0, 6).map((v) => hex(v));
  }
  let n = sig.args.length;
  const decode = ARGS_DECODERS[rec.name];
  if (decode !== undefined) {
    const d = decode(rec, n);
    if (typeof d !== 'number') {
      // The decoders print a leading descriptor as its number (fcntl, ioctl, setsockopt...).
      if (o.fdPath !== undefined && sig.args[0] === 'fd' && d.length > 0) d[0] = fdWithPath(rec.args[0] ?? 0, rec, o);
      return d;
    }
    n = d;
  }
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(formatArg(rec, i, sig.args[i]!, o));
  return parts;
}

/** The text after `= `: the value, `-1 ENOENT (No such file or directory)`, or `?`. With the
 *  arguments (`args`), the returns strace decodes: fcntl's F_GETFD and F_GETFL flags. */
export function formatReturn(
  name: string,
  ret: number | undefined,
  args?: readonly number[],
  strs?: readonly (string | undefined)[],
  options?: FormatOptions,
  rec?: SyscallRecord,
): string {
  const kind = SIGNATURES[name]?.ret ?? 'int';
  if (ret === undefined || kind === 'none') return '?';
  if (isErrorReturn(ret)) return formatErrno(-ret);
  if (kind === 'hex') return hex(ret);
  if (options?.fdPath !== undefined && rec !== undefined && (kind === 'fd' || (name === 'fcntl' && isDupfd(args?.[1] ?? -1)))) {
    return fdWithPath(ret, rec, { strSize: 0, fdPath: options.fdPath }, true);
  }
  if (kind === 'umask') return octal(u32(ret) & 0o777);
  const decode = RETURN_DECODERS[name];
  if (decode !== undefined && args !== undefined) {
    const text = decode(ret, args, strs);
    if (text !== undefined) return text;
  }
  return String(ret);
}

/** Name and arguments: `openat(AT_FDCWD, "/etc/passwd", O_RDONLY)`. */
export function formatCall(rec: SyscallRecord, options: FormatOptions = {}): string {
  return `${rec.name}(${formatArgs(rec, options)})`;
}
