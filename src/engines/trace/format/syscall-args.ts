// strace-style decoding of x86_64 syscall arguments. Pure: the input is a SyscallRecord
// (name, the six raw argument registers, the memory contents that were captured for some
// arguments, the return value); where memory was not captured, the argument prints as its
// address, as strace prints a pointer it could not read.
//
// SIGNATURES says, per syscall, how each argument prints; argMemory(name) derives from it which
// memory a data source should capture (C strings at entry, a buffer at entry, data at exit).
import { formatErrno, MAX_ERRNO } from './errno.js';
import { TABLE } from '../../../syscalls/table.js';
import type { Arg, ArgKind, RetKind } from '../../../syscalls/kinds.js';

/** What a formatter needs to know about one call. */
export interface SyscallRecord {
  name: string;
  /** Raw argument registers (signed 64-bit as numbers). Fewer than needed: missing ones print '?'. */
  args: readonly number[];
  /** Captured memory of argument i as a byte string (latin1: one char per byte). */
  strs?: readonly (string | undefined)[];
  /** Bit i: the C string of argument i was cut by the capture limit. */
  trunc?: number;
  /** Return value; undefined while the call has not returned (or never returns). */
  ret?: number;
  /** Element counts of array arguments that were counted rather than read (execve's envp). */
  counts?: readonly (number | undefined)[];
}

export interface FormatOptions {
  /** strace's -s: bytes of a data buffer printed before "...". Default 32. */
  strSize?: number;
}

// ---- argument kinds ------------------------------------------------------------------------

type Kind = ArgKind;

interface Signature {
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

// ---- memory to capture -------------------------------------------------------------------

/** Which memory of a syscall's arguments a data source should capture for this formatter.
 *  Field names match SyscallCapture in src/observe/bpf-trace.ts. */
export interface ArgMemory {
  /** Argument indexes of C strings to read at entry. */
  strArgs: number[];
  /** A buffer read at entry and the index of its length argument (or a fixed-size struct). */
  enterBuf?: { arg: number; lenArg: number } | { arg: number; size: number };
  /** Memory read at exit when the call succeeded. */
  exitData?: { arg: number; mode: 'buf' | 'str' | 'struct'; size?: number };
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
  sigactOut: 32,
};

/** The kernel's struct sigaction on x86_64 (rt_sigaction): handler, flags, restorer, mask. */
const SIGACTION_SIZE = 32;

export function argMemory(name: string): ArgMemory {
  const sig = SIGNATURES[name];
  const mem: ArgMemory = { strArgs: [] };
  if (!sig) return mem;
  sig.args.forEach((a, i) => {
    if (typeof a === 'object') mem.enterBuf ??= { arg: i, lenArg: a.len };
    else if (a === 'path' || a === 'str') mem.strArgs.push(i);
    else if (a === 'strarray') mem.argv = true;
    else if (a === 'sigsetIn') mem.enterBuf ??= { arg: i, lenArg: 3 };
    else if (a === 'sigactIn') mem.enterBuf ??= { arg: i, size: SIGACTION_SIZE };
    else if (a === 'bufOut' || a === 'bufOutHex') mem.exitData ??= { arg: i, mode: 'buf' };
    else if (a === 'strOut') mem.exitData ??= { arg: i, mode: 'str' };
    else if (STRUCT_SIZE[a] !== undefined) mem.exitData ??= { arg: i, mode: 'struct', size: STRUCT_SIZE[a] };
  });
  return mem;
}

// ---- strings -------------------------------------------------------------------------------

const ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

/**
 * Quotes bytes (a latin1 string) as strace does: printable ASCII as is, \t \n \v \f \r \" \\,
 * every other byte in octal with as few digits as possible, three when an octal digit follows.
 * `hex`: every byte as \xNN (strace's style for random data). `more`: append the "..." that
 * says the data goes on.
 */
export function quoteBytes(bytes: string, more = false, hex = false): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i) & 0xff;
    if (hex) {
      out += '\\x' + c.toString(16).padStart(2, '0');
      continue;
    }
    const esc = ESCAPES[c];
    if (esc) out += esc;
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else {
      const next = i + 1 < bytes.length ? bytes.charCodeAt(i + 1) : 0;
      const oct = c.toString(8);
      out += '\\' + (next >= 0x30 && next <= 0x37 ? oct.padStart(3, '0') : oct);
    }
  }
  return out + '"' + (more ? '...' : '');
}

// ---- numbers and flags -----------------------------------------------------------------------

const u32 = (v: number): number => v >>> 0;
const i32 = (v: number): number => v | 0;

/** Unsigned 64-bit view of a signed 64-bit number (exact for |v| < 2^53 and for small negatives). */
function u64(v: number): bigint {
  return BigInt.asUintN(64, BigInt(Math.trunc(v)));
}

export function hex(v: number): string {
  // Numbers are exact up to 2^53: the common case (pointers, flags) needs no BigInt.
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) return '0x' + Math.trunc(v).toString(16);
  return '0x' + u64(v).toString(16);
}

/** A pointer: NULL or its address in hex. */
export function ptr(v: number): string {
  return v === 0 ? 'NULL' : hex(v);
}

/** printf's %#03o, as strace prints modes: 0644, 01777, 000. */
export function octal(v: number): string {
  const n = v >>> 0;
  return n === 0 ? '000' : ('0' + n.toString(8)).padStart(3, '0');
}

type FlagTable = readonly (readonly [number, string])[];

// Flag words repeat (O_RDONLY|O_CLOEXEC, PROT_READ|PROT_WRITE...): their text is cached per
// table (bounded), since a tracer formats them for every call.
const FLAG_CACHE = new Map<FlagTable, Map<string, Map<number, string>>>();
const FLAG_CACHE_MAX = 512;

/** Names of the bits in `value` in table order, unknown bits in hex, or `zero` when none. */
function flags(value: number, table: FlagTable, zero = '0'): string {
  let byZero = FLAG_CACHE.get(table);
  if (byZero === undefined) FLAG_CACHE.set(table, (byZero = new Map()));
  let cache = byZero.get(zero);
  if (cache === undefined) byZero.set(zero, (cache = new Map()));
  let text = cache.get(value);
  if (text === undefined) {
    text = flagsUncached(value, table, zero);
    if (cache.size >= FLAG_CACHE_MAX) cache.clear();
    cache.set(value, text);
  }
  return text;
}

function flagsUncached(value: number, table: FlagTable, zero: string): string {
  let rest = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  const parts: string[] = [];
  for (const [bit, name] of table) {
    const b = BigInt(bit);
    if (b !== 0n && (rest & b) === b) {
      parts.push(name);
      rest &= ~b;
    }
  }
  if (rest !== 0n) parts.push('0x' + rest.toString(16));
  return parts.length ? parts.join('|') : zero;
}

function lookup(value: number, table: FlagTable): string | undefined {
  for (const [v, name] of table) if (v === value) return name;
  return undefined;
}

// Order as strace prints them (O_SYNC before its O_DSYNC part, O_TMPFILE before O_DIRECTORY).
const OPEN_FLAGS: FlagTable = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'], [0o4000, 'O_NONBLOCK'], [0o4010000, 'O_SYNC'], [0o10000, 'O_DSYNC'],
  [0o40000, 'O_DIRECT'], [0o100000, 'O_LARGEFILE'], [0o400000, 'O_NOFOLLOW'],
  [0o1000000, 'O_NOATIME'], [0o2000000, 'O_CLOEXEC'], [0o10000000, 'O_PATH'],
  [0o20200000, 'O_TMPFILE'], [0o200000, 'O_DIRECTORY'], [0o20000, 'FASYNC'],
];
const ACC_MODES = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', '0x3'];

/** open(2) flags: the access mode, then the flags. */
export function openFlags(v: number): string {
  const f = u32(v);
  const rest = f & ~3;
  const acc = ACC_MODES[f & 3]!;
  return rest ? `${acc}|${flags(rest, OPEN_FLAGS)}` : acc;
}

const AT_FLAGS: FlagTable = [
  [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'],
  [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH'], [0x2000, 'AT_STATX_FORCE_SYNC'],
  [0x4000, 'AT_STATX_DONT_SYNC'], [0x8000, 'AT_RECURSIVE'],
];
function atFlags(v: number, statx = false): string {
  const f = u32(v);
  const s = flags(f, AT_FLAGS, '');
  if (!statx) return s || '0';
  // statx's sync type 0 has a name of its own.
  return f & 0x6000 ? s : s ? `AT_STATX_SYNC_AS_STAT|${s}` : 'AT_STATX_SYNC_AS_STAT';
}

const PROT: FlagTable = [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'], [0x8, 'PROT_SEM'], [0x01000000, 'PROT_GROWSDOWN'], [0x02000000, 'PROT_GROWSUP']];

const MAP_TYPES = ['0', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'];
const MAP_FLAGS: FlagTable = [
  [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x40, 'MAP_32BIT'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'],
  [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'],
  [0x20000, 'MAP_STACK'], [0x40000, 'MAP_HUGETLB'], [0x80000, 'MAP_SYNC'],
  [0x100000, 'MAP_FIXED_NOREPLACE'], [0x4000000, 'MAP_UNINITIALIZED'],
];
function mapFlags(v: number): string {
  const f = u32(v);
  const type = MAP_TYPES[f & 3]!;
  const rest = f & ~3;
  return rest ? `${type}|${flags(rest, MAP_FLAGS)}` : type;
}

const SIGNALS = [
  '0', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL',
  'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD',
  'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ',
  'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];

/** A signal number as strace names it: SIGTERM, SIGRTMIN, SIGRT_3, or the number. */
export function signalName(sig: number): string {
  if (sig >= 0 && sig < SIGNALS.length) return SIGNALS[sig]!;
  if (sig === 32) return 'SIGRTMIN';
  if (sig > 32 && sig <= 64) return `SIGRT_${sig - 32}`;
  return String(sig);
}

/** A 64-bit signal set (bytes, little-endian): [USR1 TERM], or ~[...] when most are set. */
export function sigset(bytes: string): string {
  const names: string[] = [];
  const unset: string[] = [];
  for (let sig = 1; sig <= 64 && sig <= bytes.length * 8; sig++) {
    const bit = (bytes.charCodeAt((sig - 1) >> 3) >> ((sig - 1) & 7)) & 1;
    const name = signalName(sig).replace(/^SIG/, '');
    (bit ? names : unset).push(name);
  }
  // strace prints the complement when it is shorter (e.g. ~[RTMIN RT_1] for "all but two").
  if (names.length > 32) return `~[${unset.join(' ')}]`;
  return `[${names.join(' ')}]`;
}

const SIGHOW = ['SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'];
const WHENCE = ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'];
const AMODE: FlagTable = [[4, 'R_OK'], [2, 'W_OK'], [1, 'X_OK']];
const FCNTL: FlagTable = [
  [0, 'F_DUPFD'], [1, 'F_GETFD'], [2, 'F_SETFD'], [3, 'F_GETFL'], [4, 'F_SETFL'], [5, 'F_GETLK'],
  [6, 'F_SETLK'], [7, 'F_SETLKW'], [8, 'F_SETOWN'], [9, 'F_GETOWN'], [10, 'F_SETSIG'],
  [11, 'F_GETSIG'], [1024, 'F_SETLEASE'], [1025, 'F_GETLEASE'], [1026, 'F_NOTIFY'],
  [1030, 'F_DUPFD_CLOEXEC'], [1031, 'F_SETPIPE_SZ'], [1032, 'F_GETPIPE_SZ'],
  [1033, 'F_ADD_SEALS'], [1034, 'F_GET_SEALS'], [36, 'F_OFD_GETLK'], [37, 'F_OFD_SETLK'],
  [38, 'F_OFD_SETLKW'],
];
const FUTEX_CMDS = [
  'FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_FD', 'FUTEX_REQUEUE', 'FUTEX_CMP_REQUEUE', 'FUTEX_WAKE_OP',
  'FUTEX_LOCK_PI', 'FUTEX_UNLOCK_PI', 'FUTEX_TRYLOCK_PI', 'FUTEX_WAIT_BITSET', 'FUTEX_WAKE_BITSET',
  'FUTEX_WAIT_REQUEUE_PI', 'FUTEX_CMP_REQUEUE_PI', 'FUTEX_LOCK_PI2',
];
function futexOp(v: number): string {
  const op = u32(v);
  const cmd = FUTEX_CMDS[op & 0x7f] ?? String(op & 0x7f);
  let s = cmd + (op & 128 ? '_PRIVATE' : '');
  if (op & 256) s += '|FUTEX_CLOCK_REALTIME';
  const rest = op & ~(0x7f | 128 | 256);
  return rest ? `${s}|${hex(rest)}` : s;
}
const DOMAINS: FlagTable = [[0, 'AF_UNSPEC'], [1, 'AF_UNIX'], [2, 'AF_INET'], [10, 'AF_INET6'], [16, 'AF_NETLINK'], [17, 'AF_PACKET']];
const SOCK_TYPES = ['0', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET', 'SOCK_DCCP'];
const SOCK_TYPES_10 = 'SOCK_PACKET';
function sockType(v: number): string {
  const t = u32(v);
  const base = t & 0xf;
  let s = base === 10 ? SOCK_TYPES_10 : (SOCK_TYPES[base] ?? String(base));
  if (t & 0o2000000) s += '|SOCK_CLOEXEC';
  if (t & 0o4000) s += '|SOCK_NONBLOCK';
  const rest = t & ~(0xf | 0o4000 | 0o2000000);
  return rest ? `${s}|${hex(rest)}` : s;
}
const IOCTLS: FlagTable = [
  [0x5401, 'TCGETS'], [0x5402, 'TCSETS'], [0x5403, 'TCSETSW'], [0x5404, 'TCSETSF'],
  [0x540f, 'TIOCGPGRP'], [0x5410, 'TIOCSPGRP'], [0x5413, 'TIOCGWINSZ'], [0x5414, 'TIOCSWINSZ'],
  [0x541b, 'FIONREAD'], [0x5421, 'FIONBIO'], [0x5451, 'FIOCLEX'], [0x5450, 'FIONCLEX'],
  [0x540e, 'TIOCSCTTY'], [0x5422, 'TIOCNOTTY'],
];
const RLIMITS = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS',
  'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS',
  'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
];
const ARCH_PRCTL: FlagTable = [[0x1001, 'ARCH_SET_GS'], [0x1002, 'ARCH_SET_FS'], [0x1003, 'ARCH_GET_FS'], [0x1004, 'ARCH_GET_GS'], [0x1011, 'ARCH_GET_CPUID'], [0x1012, 'ARCH_SET_CPUID'], [0x3001, 'ARCH_CET_STATUS']];
const FADVICE = ['POSIX_FADV_NORMAL', 'POSIX_FADV_RANDOM', 'POSIX_FADV_SEQUENTIAL', 'POSIX_FADV_WILLNEED', 'POSIX_FADV_DONTNEED', 'POSIX_FADV_NOREUSE'];
const MADVICE: FlagTable = [
  [0, 'MADV_NORMAL'], [1, 'MADV_RANDOM'], [2, 'MADV_SEQUENTIAL'], [3, 'MADV_WILLNEED'],
  [4, 'MADV_DONTNEED'], [8, 'MADV_FREE'], [9, 'MADV_REMOVE'], [10, 'MADV_DONTFORK'],
  [11, 'MADV_DOFORK'], [12, 'MADV_MERGEABLE'], [13, 'MADV_UNMERGEABLE'], [14, 'MADV_HUGEPAGE'],
  [15, 'MADV_NOHUGEPAGE'], [16, 'MADV_DONTDUMP'], [17, 'MADV_DODUMP'], [18, 'MADV_WIPEONFORK'],
  [19, 'MADV_KEEPONFORK'], [20, 'MADV_COLD'], [21, 'MADV_PAGEOUT'],
];
const GRND: FlagTable = [[1, 'GRND_NONBLOCK'], [2, 'GRND_RANDOM'], [4, 'GRND_INSECURE']];
const CLOCKS = ['CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW', 'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME', 'CLOCK_REALTIME_ALARM', 'CLOCK_BOOTTIME_ALARM', '10', 'CLOCK_TAI'];
const WAIT_OPTS: FlagTable = [[1, 'WNOHANG'], [2, 'WUNTRACED'], [8, 'WCONTINUED'], [0x01000000, 'WNOWAIT'], [0x20000000, '__WNOTHREAD'], [0x40000000, '__WALL'], [0x80000000, '__WCLONE']];
const CLONE_FLAGS: FlagTable = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'],
  [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'],
  [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'],
  [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'],
  [0x200000, 'CLONE_CHILD_CLEARTID'], [0x400000, 'CLONE_DETACHED'], [0x800000, 'CLONE_UNTRACED'],
  [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'], [0x4000000, 'CLONE_NEWUTS'],
  [0x8000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'],
  [0x40000000, 'CLONE_NEWNET'], [0x80000000, 'CLONE_IO'],
];
const RENAME_FLAGS: FlagTable = [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']];
const STATX_MASK: FlagTable = [
  [0x1, 'STATX_TYPE'], [0x2, 'STATX_MODE'], [0x4, 'STATX_NLINK'], [0x8, 'STATX_UID'],
  [0x10, 'STATX_GID'], [0x20, 'STATX_ATIME'], [0x40, 'STATX_MTIME'], [0x80, 'STATX_CTIME'],
  [0x100, 'STATX_INO'], [0x200, 'STATX_SIZE'], [0x400, 'STATX_BLOCKS'], [0x800, 'STATX_BTIME'],
  [0x1000, 'STATX_MNT_ID'], [0x2000, 'STATX_DIOALIGN'],
];
const STATX_ATTRS: FlagTable = [
  [0x4, 'STATX_ATTR_COMPRESSED'], [0x10, 'STATX_ATTR_IMMUTABLE'], [0x20, 'STATX_ATTR_APPEND'],
  [0x40, 'STATX_ATTR_NODUMP'], [0x800, 'STATX_ATTR_ENCRYPTED'], [0x1000, 'STATX_ATTR_AUTOMOUNT'],
  [0x2000, 'STATX_ATTR_MOUNT_ROOT'], [0x100000, 'STATX_ATTR_VERITY'], [0x200000, 'STATX_ATTR_DAX'],
];
function statxMask(v: number): string {
  const m = u32(v);
  // STATX_BASIC_STATS (0x7ff) is printed by name when all its bits are there.
  if ((m & 0x7ff) === 0x7ff) {
    const rest = m & ~0x7ff;
    return rest ? `STATX_BASIC_STATS|${flags(rest, STATX_MASK)}` : 'STATX_BASIC_STATS';
  }
  return flags(m, STATX_MASK);
}

// ---- struct summaries --------------------------------------------------------------------------

const S_IFMT: FlagTable = [[0o140000, 'S_IFSOCK'], [0o120000, 'S_IFLNK'], [0o100000, 'S_IFREG'], [0o60000, 'S_IFBLK'], [0o40000, 'S_IFDIR'], [0o20000, 'S_IFCHR'], [0o10000, 'S_IFIFO']];

/** st_mode as strace prints it: S_IFREG|0644, S_IFDIR|S_ISVTX|0777. */
export function fileMode(mode: number): string {
  const type = lookup(mode & 0o170000, S_IFMT);
  const parts: string[] = [];
  if (type) parts.push(type);
  else if (mode & 0o170000) parts.push(octal(mode & 0o170000));
  if (mode & 0o4000) parts.push('S_ISUID');
  if (mode & 0o2000) parts.push('S_ISGID');
  if (mode & 0o1000) parts.push('S_ISVTX');
  parts.push(octal(mode & 0o777));
  return parts.join('|');
}

function bytesOf(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Little-endian unsigned 32-bit word of a byte string at `off`. */
function le32(s: string, off: number): number {
  return (s.charCodeAt(off) | (s.charCodeAt(off + 1) << 8) | (s.charCodeAt(off + 2) << 16) | (s.charCodeAt(off + 3) << 24)) >>> 0;
}

const MODE_CACHE = new Map<number, string>();

/** A device number as mknod takes it (the kernel's 32-bit encoding): makedev(0x1, 0x3). */
function makedev(dev: number): string {
  return `makedev(${hex((dev & 0xfff00) >>> 8)}, ${hex((dev & 0xff) | ((dev >>> 12) & 0xfff00))})`;
}

/** struct stat (x86_64, 144 bytes): strace's short form. Device files show st_rdev. */
export function statSummary(data: string): string | undefined {
  if (data.length < 144) return undefined;
  const mode = le32(data, 24);
  const type = mode & 0o170000;
  if (type !== 0o20000 && type !== 0o60000) {
    // The common case without Buffer or BigInt: a size below 2^53.
    const lo = le32(data, 48);
    const hi = le32(data, 52);
    if (hi < 0x200000) {
      let m = MODE_CACHE.get(mode);
      if (m === undefined) {
        m = fileMode(mode);
        if (MODE_CACHE.size < 1024) MODE_CACHE.set(mode, m);
      }
      return `{st_mode=${m}, st_size=${hi * 0x1_0000_0000 + lo}, ...}`;
    }
  }
  const b = bytesOf(data);
  if (type === 0o20000 || type === 0o60000) {
    const rdev = b.readBigUInt64LE(40);
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    return `{st_mode=${fileMode(mode)}, st_rdev=makedev(${hex(major)}, ${hex(minor)}), ...}`;
  }
  return `{st_mode=${fileMode(mode)}, st_size=${b.readBigInt64LE(48)}, ...}`;
}

/** struct statx (256 bytes): the mask, attributes, mode and size. */
export function statxSummary(data: string): string | undefined {
  if (data.length < 256) return undefined;
  const b = bytesOf(data);
  const mask = b.readUInt32LE(0);
  const attrs = Number(b.readBigUInt64LE(8) & 0xffffffffn);
  const mode = b.readUInt16LE(28);
  const size = b.readBigUInt64LE(40);
  return `{stx_mask=${statxMask(mask)}, stx_attributes=${flags(attrs, STATX_ATTRS)}, stx_mode=${fileMode(mode)}, stx_size=${size}, ...}`;
}

/** A wait status as strace shows it inside wait4's [...]. */
export function waitStatus(status: number): string {
  const s = u32(status);
  const sig = s & 0x7f;
  if (sig === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(s >> 8) & 0xff}}]`;
  if (sig === 0x7f) return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${signalName((s >> 8) & 0xff)}}]`;
  const core = s & 0x80 ? ' && WCOREDUMP(s)' : '';
  return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${signalName(sig)}${core}}]`;
}

function rlimValue(v: bigint): string {
  if (v === 0xffffffffffffffffn) return 'RLIM64_INFINITY';
  if (v > 0n && v % 1024n === 0n) return `${v / 1024n}*1024`;
  return String(v);
}

export function rlimitSummary(data: string): string | undefined {
  if (data.length < 16) return undefined;
  const b = bytesOf(data);
  return `{rlim_cur=${rlimValue(b.readBigUInt64LE(0))}, rlim_max=${rlimValue(b.readBigUInt64LE(8))}}`;
}

// ---- the formatter ---------------------------------------------------------------------------

function fd(v: number): string {
  return String(i32(v));
}

function dirfd(v: number): string {
  return i32(v) === -100 ? 'AT_FDCWD' : String(i32(v));
}

/** True when `ret` is an error return (-4095..-1). */
export function isErrorReturn(ret: number): boolean {
  return ret < 0 && ret >= -MAX_ERRNO;
}

/** Formats one argument: its register `v`, its captured memory `data`, the whole record. */
type ArgFormatter = (v: number, data: string | undefined, rec: SyscallRecord, i: number, ok: boolean, truncated: number, o: Required<FormatOptions>) => string;

const str = (v: number): string => String(v);

// One function per argument kind (a table rather than a switch on ~50 strings: the formatter runs
// for every argument of every call, often before the JIT has optimized it).
const KIND_FORMATTERS: Readonly<Record<Kind, ArgFormatter>> = {
  int: (v) => str(i32(v)),
  uint: (v) => str(u32(v)),
  long: (v) => str(v),
  ulong: (v) => (v >= 0 ? str(v) : u64(v).toString()),
  hex: (v) => hex(v),
  ptr: (v) => ptr(v),
  fd: (v) => fd(v),
  dirfd: (v) => dirfd(v),
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
  dirents: (v) => ptr(v),
  strarray: (v, data, _r, _i, _ok, truncated, o) => (data === undefined ? ptr(v) : strArray(data, truncated === 1, o.strSize)),
  envarray: (v, _d, rec, i) => {
    const n = rec.counts?.[i];
    return n !== undefined && n >= 0 ? `${ptr(v)} /* ${n} var${n === 1 ? '' : 's'} */` : ptr(v);
  },
  sigactIn: (v, data) => (v !== 0 && data !== undefined ? (sigaction(data) ?? ptr(v)) : ptr(v)),
  sigactOut: (v, data, _r, _i, ok) => (v !== 0 && ok && data !== undefined ? (sigaction(data) ?? ptr(v)) : ptr(v)),
};

// strace's order of the sa_flags names.
const SA_FLAGS: FlagTable = [
  [0x04000000, 'SA_RESTORER'], [0x08000000, 'SA_ONSTACK'], [0x10000000, 'SA_RESTART'],
  [0x40000000, 'SA_NODEFER'], [0x80000000, 'SA_RESETHAND'], [4, 'SA_SIGINFO'], [1, 'SA_NOCLDSTOP'],
  [2, 'SA_NOCLDWAIT'],
];

/** struct sigaction as strace prints it: `{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}`, the
 *  restorer only with SA_RESTORER. */
export function sigaction(data: string): string | undefined {
  if (data.length < SIGACTION_SIZE) return undefined;
  const word = (off: number): number => le32(data, off + 4) * 0x1_0000_0000 + le32(data, off);
  const handler = word(0);
  const fl = le32(data, 8);
  const h = handler === 0 ? 'SIG_DFL' : handler === 1 ? 'SIG_IGN' : hex(handler);
  let out = `{sa_handler=${h}, sa_mask=${sigset(data.slice(24, 32))}, sa_flags=${flags(fl, SA_FLAGS)}`;
  if (fl & 0x04000000) out += `, sa_restorer=${ptr(word(16))}`;
  return out + '}';
}

function bufOut(v: number, data: string | undefined, rec: SyscallRecord, ok: boolean, o: Required<FormatOptions>, asHex: boolean): string {
  if (!ok || data === undefined) return ptr(v);
  const total = rec.ret!;
  const shown = Math.min(total, o.strSize, data.length);
  return quoteBytes(data.slice(0, shown), total > shown, asHex);
}

/** Formats argument `i` of `rec` according to `kind`. */
function formatArg(rec: SyscallRecord, i: number, a: Arg, o: Required<FormatOptions>): string {
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

/** An argv as strace prints it: `["ls", "-l"]`, each string cut at strSize, `...` when more
 *  elements follow. `data`: the strings, each followed by its NUL. */
export function strArray(data: string, more: boolean, strSize: number): string {
  const items = data.split('\0');
  items.pop(); // after the last NUL
  const parts = items.map((s) => quoteBytes(s.slice(0, strSize), s.length > strSize));
  if (more) parts.push('...');
  return `[${parts.join(', ')}]`;
}

/** futex(2): only the arguments its operation uses, as strace prints them. */
function futexArgs(rec: SyscallRecord): string[] {
  const [addr = 0, op = 0, val = 0, timeout = 0, addr2 = 0, val3 = 0] = rec.args;
  const head = [ptr(addr), futexOp(op), String(i32(val))];
  const bitset = u32(val3) === 0xffffffff ? 'FUTEX_BITSET_MATCH_ANY' : hex(u32(val3));
  switch (u32(op) & 0x7f) {
    case 0: return [...head, ptr(timeout)]; // FUTEX_WAIT
    case 1: return head; // FUTEX_WAKE
    case 3: return [...head, String(u32(timeout)), ptr(addr2)]; // FUTEX_REQUEUE
    case 4: return [...head, String(u32(timeout)), ptr(addr2), String(i32(val3))]; // FUTEX_CMP_REQUEUE
    case 9: return [...head, ptr(timeout), bitset]; // FUTEX_WAIT_BITSET
    case 10: return [...head, bitset]; // FUTEX_WAKE_BITSET
    default: return [...head, ptr(timeout), ptr(addr2), hex(val3)];
  }
}

/** clone(2) prints in strace's order and names, some arguments only with their flag. */
function formatClone(rec: SyscallRecord): string {
  const [flagsV = 0, stack = 0, ptid = 0, ctid = 0, tls = 0] = rec.args;
  const f = u32(flagsV);
  const exitSig = f & 0xff;
  const fl = flags(f & ~0xff, CLONE_FLAGS, '');
  const sig = exitSig ? signalName(exitSig) : '';
  const parts = [`child_stack=${ptr(stack)}`, `flags=${[fl, sig].filter(Boolean).join('|') || '0'}`];
  if (f & 0x100000) parts.push(`parent_tid=${ptr(ptid)}`);
  if (f & 0x1200000) parts.push(`child_tidptr=${ptr(ctid)}`);
  if (f & 0x80000) parts.push(`tls=${ptr(tls)}`);
  return parts.join(', ');
}

const OUTPUT_KINDS = new Set<Arg>(['bufOut', 'bufOutHex', 'strOut', 'stat', 'statx', 'sigsetOut', 'rlimitOut', 'pipefds', 'waitstatus', 'dirents', 'sigactOut']);

/** Index of the first argument that is only known when the call returns (the point where
 *  strace cuts an `<unfinished ...>` line); the argument count when there is none. */
export function outputArgIndex(name: string): number {
  const sig = SIGNATURES[name];
  if (!sig) return 6;
  const i = sig.args.findIndex((a) => OUTPUT_KINDS.has(a));
  return i < 0 ? sig.args.length : i;
}

/** The argument list of a call, without the parentheses: `AT_FDCWD, "/etc/passwd", O_RDONLY`. */
export function formatArgs(rec: SyscallRecord, options: FormatOptions = {}): string {
  return formatArgList(rec, options).join(', ');
}

/** The arguments of a call, each formatted. */
export function formatArgList(rec: SyscallRecord, options: FormatOptions = {}): string[] {
  const o: Required<FormatOptions> = { strSize: options.strSize ?? 32 };
  if (rec.name === 'clone') return [formatClone(rec)];
  const sig = SIGNATURES[rec.name];
  if (!sig) {
    // Unknown to the decoder: the six registers in hex.
    return rec.args.slice(0, 6).map((v) => hex(v));
  }
  let n = sig.args.length;
  // open/openat print the mode only when the flags can create a file.
  if (rec.name === 'open' || rec.name === 'openat') {
    const fl = u32(rec.args[n - 2] ?? 0);
    if (!(fl & 0o100) && (fl & 0o20200000) !== 0o20200000) n--;
  }
  // mknod/mknodat print the device only for device files.
  if (rec.name === 'mknod' || rec.name === 'mknodat') {
    const type = u32(rec.args[n - 2] ?? 0) & 0o170000;
    if (type !== 0o20000 && type !== 0o60000) n--;
  }
  if (rec.name === 'futex') return futexArgs(rec);
  // fcntl's third argument only for the commands that take one.
  if (rec.name === 'fcntl') {
    const cmd = i32(rec.args[1] ?? 0);
    if ([1, 3, 9, 11, 1025, 1032, 1034].includes(cmd)) n = 2;
    else if (cmd === 4) return [fd(rec.args[0] ?? 0), 'F_SETFL', openFlags(rec.args[2] ?? 0)];
    else if (cmd === 2) return [fd(rec.args[0] ?? 0), 'F_SETFD', (rec.args[2] ?? 0) & 1 ? 'FD_CLOEXEC' : '0'];
  }
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(formatArg(rec, i, sig.args[i]!, o));
  return parts;
}

/** The text after `= `: the value, `-1 ENOENT (No such file or directory)`, or `?`. With the
 *  arguments (`args`), the returns strace decodes: fcntl's F_GETFD and F_GETFL flags. */
export function formatReturn(name: string, ret: number | undefined, args?: readonly number[]): string {
  const kind = SIGNATURES[name]?.ret ?? 'int';
  if (ret === undefined || kind === 'none') return '?';
  if (isErrorReturn(ret)) return formatErrno(-ret);
  if (kind === 'hex') return hex(ret);
  if (kind === 'umask') return octal(u32(ret) & 0o777);
  if (name === 'fcntl' && args !== undefined) {
    const cmd = i32(args[1] ?? -1);
    if (cmd === 1) return ret === 0 ? '0' : `${hex(ret)} (flags ${ret & 1 ? 'FD_CLOEXEC' : '0'}${ret & ~1 ? '|' + hex(ret & ~1) : ''})`;
    if (cmd === 3) return `${hex(ret)} (flags ${openFlags(ret)})`;
  }
  return String(ret);
}

/** Name and arguments: `openat(AT_FDCWD, "/etc/passwd", O_RDONLY)`. */
export function formatCall(rec: SyscallRecord, options: FormatOptions = {}): string {
  return `${rec.name}(${formatArgs(rec, options)})`;
}
