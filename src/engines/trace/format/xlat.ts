// Constants by name (strace's xlat tables): flag words and enumerations, and the printers of a
// value that needs only its table (open flags, mmap flags, futex operations, signal names...).
import { hex, u32 } from './values.js';

export type FlagTable = readonly (readonly [number, string])[];

// Flag words repeat (O_RDONLY|O_CLOEXEC, PROT_READ|PROT_WRITE...): their text is cached per
// table (bounded), since a tracer formats them for every call.
const FLAG_CACHE = new Map<FlagTable, Map<string, Map<number, string>>>();
const FLAG_CACHE_MAX = 512;

/** Names of the bits in `value` in table order, unknown bits in hex, or `zero` when none. */
export function flags(value: number, table: FlagTable, zero = '0'): string {
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

export function lookup(value: number, table: FlagTable): string | undefined {
  for (const [v, name] of table) if (v === value) return name;
  return undefined;
}

// Order as strace prints them (O_SYNC before its O_DSYNC part, O_TMPFILE before O_DIRECTORY).
export const OPEN_FLAGS: FlagTable = [
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

export const AT_FLAGS: FlagTable = [
  [0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'],
  [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH'], [0x2000, 'AT_STATX_FORCE_SYNC'],
  [0x4000, 'AT_STATX_DONT_SYNC'], [0x8000, 'AT_RECURSIVE'],
];
export function atFlags(v: number, statx = false): string {
  const f = u32(v);
  const s = flags(f, AT_FLAGS, '');
  if (!statx) return s || '0';
  // statx's sync type 0 has a name of its own.
  return f & 0x6000 ? s : s ? `AT_STATX_SYNC_AS_STAT|${s}` : 'AT_STATX_SYNC_AS_STAT';
}

export const PROT: FlagTable = [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'], [0x8, 'PROT_SEM'], [0x01000000, 'PROT_GROWSDOWN'], [0x02000000, 'PROT_GROWSUP']];

const MAP_TYPES = ['0', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'];
const MAP_FLAGS: FlagTable = [
  [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x40, 'MAP_32BIT'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'],
  [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'],
  [0x20000, 'MAP_STACK'], [0x40000, 'MAP_HUGETLB'], [0x80000, 'MAP_SYNC'],
  [0x100000, 'MAP_FIXED_NOREPLACE'], [0x4000000, 'MAP_UNINITIALIZED'],
];
export function mapFlags(v: number): string {
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

export const SIGHOW = ['SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'];
export const WHENCE = ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'];
export const AMODE: FlagTable = [[4, 'R_OK'], [2, 'W_OK'], [1, 'X_OK']];
export const FCNTL: FlagTable = [
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
export function futexOp(v: number): string {
  const op = u32(v);
  const cmd = FUTEX_CMDS[op & 0x7f] ?? String(op & 0x7f);
  let s = cmd + (op & 128 ? '_PRIVATE' : '');
  if (op & 256) s += '|FUTEX_CLOCK_REALTIME';
  const rest = op & ~(0x7f | 128 | 256);
  return rest ? `${s}|${hex(rest)}` : s;
}
export const DOMAINS: FlagTable = [[0, 'AF_UNSPEC'], [1, 'AF_UNIX'], [2, 'AF_INET'], [10, 'AF_INET6'], [16, 'AF_NETLINK'], [17, 'AF_PACKET']];
const SOCK_TYPES = ['0', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET', 'SOCK_DCCP'];
const SOCK_TYPES_10 = 'SOCK_PACKET';
export function sockType(v: number): string {
  const t = u32(v);
  const base = t & 0xf;
  let s = base === 10 ? SOCK_TYPES_10 : (SOCK_TYPES[base] ?? String(base));
  if (t & 0o2000000) s += '|SOCK_CLOEXEC';
  if (t & 0o4000) s += '|SOCK_NONBLOCK';
  const rest = t & ~(0xf | 0o4000 | 0o2000000);
  return rest ? `${s}|${hex(rest)}` : s;
}
export const IOCTLS: FlagTable = [
  [0x5401, 'TCGETS'], [0x5402, 'SNDCTL_TMR_START or TCSETS'], [0x5403, 'SNDCTL_TMR_STOP or TCSETSW'],
  [0x5404, 'SNDCTL_TMR_CONTINUE or TCSETSF'], [0x5441, 'TIOCGPTPEER'],
  [0x540f, 'TIOCGPGRP'], [0x5410, 'TIOCSPGRP'], [0x5413, 'TIOCGWINSZ'], [0x5414, 'TIOCSWINSZ'],
  [0x541b, 'FIONREAD'], [0x5421, 'FIONBIO'], [0x5451, 'FIOCLEX'], [0x5450, 'FIONCLEX'],
  [0x540e, 'TIOCSCTTY'], [0x5422, 'TIOCNOTTY'], [0x5409, 'TCSBRK'], [0x540a, 'TCXONC'], [0x540b, 'TCFLSH'],
  [0x40049409, 'BTRFS_IOC_CLONE or FICLONE'], [0x4020940d, 'BTRFS_IOC_CLONE_RANGE or FICLONERANGE'],
  [0x80086601, 'FS_IOC_GETFLAGS'], [0x40086602, 'FS_IOC_SETFLAGS'], [0x5452, 'FIOASYNC'], [0x5460, 'FIOQSIZE'],
  [0x40045431, 'TIOCSPTLCK'], [0x80045430, 'TIOCGPTN'], [0x5429, 'TIOCGSID'],
  [0x8912, 'SIOCGIFCONF'], [0x8913, 'SIOCGIFFLAGS'], [0x8933, 'SIOCGIFINDEX'], [0x8927, 'SIOCGIFHWADDR'],
];
// struct termios's flag words (asm-generic/termbits.h).
export const IFLAGS: FlagTable = [
  [1, 'IGNBRK'], [2, 'BRKINT'], [4, 'IGNPAR'], [8, 'PARMRK'], [0x10, 'INPCK'], [0x20, 'ISTRIP'], [0x40, 'INLCR'], [0x80, 'IGNCR'],
  [0x100, 'ICRNL'], [0x200, 'IUCLC'], [0x400, 'IXON'], [0x800, 'IXANY'], [0x1000, 'IXOFF'], [0x2000, 'IMAXBEL'], [0x4000, 'IUTF8'],
];
/** c_oflag's delay fields (mask, then the names of its values), printed first as strace does. */
export const OFLAG_DELAYS: readonly (readonly [number, readonly string[]])[] = [
  [0x100, ['NL0', 'NL1']], [0x600, ['CR0', 'CR1', 'CR2', 'CR3']], [0x1800, ['TAB0', 'TAB1', 'TAB2', 'TAB3']],
  [0x2000, ['BS0', 'BS1']], [0x4000, ['VT0', 'VT1']], [0x8000, ['FF0', 'FF1']],
];
export const OFLAG_BITS: FlagTable = [
  [1, 'OPOST'], [2, 'OLCUC'], [4, 'ONLCR'], [8, 'OCRNL'], [0x10, 'ONOCR'], [0x20, 'ONLRET'], [0x40, 'OFILL'], [0x80, 'OFDEL'],
];
/** c_cflag's bits beyond the speed (CBAUD) and the character size (CSIZE). */
export const CFLAGS: FlagTable = [
  [0x40, 'CSTOPB'], [0x80, 'CREAD'], [0x100, 'PARENB'], [0x200, 'PARODD'], [0x400, 'HUPCL'], [0x800, 'CLOCAL'],
  [0x40000000, 'CMSPAR'], [0x80000000, 'CRTSCTS'],
];
/** (In strace's order, which is not the bits': IEXTEN after NOFLSH, TOSTOP after PENDIN.) */
export const LFLAGS: FlagTable = [
  [1, 'ISIG'], [2, 'ICANON'], [4, 'XCASE'], [8, 'ECHO'], [0x10, 'ECHOE'], [0x20, 'ECHOK'], [0x40, 'ECHONL'], [0x80, 'NOFLSH'],
  [0x8000, 'IEXTEN'], [0x200, 'ECHOCTL'], [0x400, 'ECHOPRT'], [0x800, 'ECHOKE'], [0x1000, 'FLUSHO'], [0x4000, 'PENDIN'],
  [0x100, 'TOSTOP'], [0x10000, 'EXTPROC'],
];
export const RLIMITS = [
  'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS',
  'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS',
  'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
];
export const ARCH_PRCTL: FlagTable = [[0x1001, 'ARCH_SET_GS'], [0x1002, 'ARCH_SET_FS'], [0x1003, 'ARCH_GET_FS'], [0x1004, 'ARCH_GET_GS'], [0x1011, 'ARCH_GET_CPUID'], [0x1012, 'ARCH_SET_CPUID'], [0x3001, 'ARCH_CET_STATUS']];
export const FADVICE = ['POSIX_FADV_NORMAL', 'POSIX_FADV_RANDOM', 'POSIX_FADV_SEQUENTIAL', 'POSIX_FADV_WILLNEED', 'POSIX_FADV_DONTNEED', 'POSIX_FADV_NOREUSE'];
export const MADVICE: FlagTable = [
  [0, 'MADV_NORMAL'], [1, 'MADV_RANDOM'], [2, 'MADV_SEQUENTIAL'], [3, 'MADV_WILLNEED'],
  [4, 'MADV_DONTNEED'], [8, 'MADV_FREE'], [9, 'MADV_REMOVE'], [10, 'MADV_DONTFORK'],
  [11, 'MADV_DOFORK'], [12, 'MADV_MERGEABLE'], [13, 'MADV_UNMERGEABLE'], [14, 'MADV_HUGEPAGE'],
  [15, 'MADV_NOHUGEPAGE'], [16, 'MADV_DONTDUMP'], [17, 'MADV_DODUMP'], [18, 'MADV_WIPEONFORK'],
  [19, 'MADV_KEEPONFORK'], [20, 'MADV_COLD'], [21, 'MADV_PAGEOUT'],
];
export const GRND: FlagTable = [[1, 'GRND_NONBLOCK'], [2, 'GRND_RANDOM'], [4, 'GRND_INSECURE']];
export const CLOCKS = ['CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW', 'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME', 'CLOCK_REALTIME_ALARM', 'CLOCK_BOOTTIME_ALARM', '10', 'CLOCK_TAI'];
export const WAIT_OPTS: FlagTable = [[1, 'WNOHANG'], [2, 'WUNTRACED'], [8, 'WCONTINUED'], [0x01000000, 'WNOWAIT'], [0x20000000, '__WNOTHREAD'], [0x40000000, '__WALL'], [0x80000000, '__WCLONE']];
export const CLONE_FLAGS: FlagTable = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'],
  [0x1000, 'CLONE_PIDFD'], [0x2000, 'CLONE_PTRACE'], [0x4000, 'CLONE_VFORK'],
  [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x20000, 'CLONE_NEWNS'],
  [0x40000, 'CLONE_SYSVSEM'], [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'],
  [0x200000, 'CLONE_CHILD_CLEARTID'], [0x400000, 'CLONE_DETACHED'], [0x800000, 'CLONE_UNTRACED'],
  [0x1000000, 'CLONE_CHILD_SETTID'], [0x2000000, 'CLONE_NEWCGROUP'], [0x4000000, 'CLONE_NEWUTS'],
  [0x8000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'],
  [0x40000000, 'CLONE_NEWNET'], [0x80000000, 'CLONE_IO'],
];
export const RENAME_FLAGS: FlagTable = [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']];
const STATX_MASK: FlagTable = [
  [0x1, 'STATX_TYPE'], [0x2, 'STATX_MODE'], [0x4, 'STATX_NLINK'], [0x8, 'STATX_UID'],
  [0x10, 'STATX_GID'], [0x20, 'STATX_ATIME'], [0x40, 'STATX_MTIME'], [0x80, 'STATX_CTIME'],
  [0x100, 'STATX_INO'], [0x200, 'STATX_SIZE'], [0x400, 'STATX_BLOCKS'], [0x800, 'STATX_BTIME'],
  [0x1000, 'STATX_MNT_ID'], [0x2000, 'STATX_DIOALIGN'],
];
export const STATX_ATTRS: FlagTable = [
  [0x4, 'STATX_ATTR_COMPRESSED'], [0x10, 'STATX_ATTR_IMMUTABLE'], [0x20, 'STATX_ATTR_APPEND'],
  [0x40, 'STATX_ATTR_NODUMP'], [0x800, 'STATX_ATTR_ENCRYPTED'], [0x1000, 'STATX_ATTR_AUTOMOUNT'],
  [0x2000, 'STATX_ATTR_MOUNT_ROOT'], [0x100000, 'STATX_ATTR_VERITY'], [0x200000, 'STATX_ATTR_DAX'],
];
export function statxMask(v: number): string {
  const m = u32(v);
  // STATX_ALL (0xfff) and STATX_BASIC_STATS (0x7ff) are printed by name when all their bits are there.
  if ((m & 0xfff) === 0xfff) {
    const rest = m & ~0xfff;
    return rest ? `STATX_ALL|${flags(rest, STATX_MASK)}` : 'STATX_ALL';
  }
  if ((m & 0x7ff) === 0x7ff) {
    const rest = m & ~0x7ff;
    return rest ? `STATX_BASIC_STATS|${flags(rest, STATX_MASK)}` : 'STATX_BASIC_STATS';
  }
  return flags(m, STATX_MASK);
}

export const S_IFMT: FlagTable = [[0o140000, 'S_IFSOCK'], [0o120000, 'S_IFLNK'], [0o100000, 'S_IFREG'], [0o60000, 'S_IFBLK'], [0o40000, 'S_IFDIR'], [0o20000, 'S_IFCHR'], [0o10000, 'S_IFIFO']];

// strace's order of the sa_flags names.
export const SA_FLAGS: FlagTable = [
  [0x04000000, 'SA_RESTORER'], [0x08000000, 'SA_ONSTACK'], [0x10000000, 'SA_RESTART'],
  [0x40000000, 'SA_NODEFER'], [0x80000000, 'SA_RESETHAND'], [4, 'SA_SIGINFO'], [1, 'SA_NOCLDSTOP'],
  [2, 'SA_NOCLDWAIT'],
];

export const EPOLL_FLAGS: FlagTable = [[0o2000000, 'EPOLL_CLOEXEC']];
export const EFD_FLAGS: FlagTable = [[1, 'EFD_SEMAPHORE'], [0o2000000, 'EFD_CLOEXEC'], [0o4000, 'EFD_NONBLOCK']];
export const SOCK_FLAGS: FlagTable = [[0o2000000, 'SOCK_CLOEXEC'], [0o4000, 'SOCK_NONBLOCK']];
export const TFD_FLAGS: FlagTable = [[0o2000000, 'TFD_CLOEXEC'], [0o4000, 'TFD_NONBLOCK']];
export const IN_FLAGS: FlagTable = [[0o2000000, 'IN_CLOEXEC'], [0o4000, 'IN_NONBLOCK']];
export const MSG_FLAGS: FlagTable = [
  [0x1, 'MSG_OOB'], [0x2, 'MSG_PEEK'], [0x4, 'MSG_DONTROUTE'], [0x8, 'MSG_CTRUNC'], [0x10, 'MSG_PROXY'],
  [0x20, 'MSG_TRUNC'], [0x40, 'MSG_DONTWAIT'], [0x80, 'MSG_EOR'], [0x100, 'MSG_WAITALL'], [0x200, 'MSG_FIN'],
  [0x400, 'MSG_SYN'], [0x800, 'MSG_CONFIRM'], [0x1000, 'MSG_RST'], [0x2000, 'MSG_ERRQUEUE'],
  [0x4000, 'MSG_NOSIGNAL'], [0x8000, 'MSG_MORE'], [0x10000, 'MSG_WAITFORONE'], [0x40000, 'MSG_BATCH'],
  [0x4000000, 'MSG_ZEROCOPY'], [0x20000000, 'MSG_FASTOPEN'], [0x40000000, 'MSG_CMSG_CLOEXEC'],
];
export const IPPROTOS: FlagTable = [
  [0, 'IPPROTO_IP'], [1, 'IPPROTO_ICMP'], [2, 'IPPROTO_IGMP'], [6, 'IPPROTO_TCP'], [17, 'IPPROTO_UDP'],
  [41, 'IPPROTO_IPV6'], [58, 'IPPROTO_ICMPV6'], [132, 'IPPROTO_SCTP'], [136, 'IPPROTO_UDPLITE'],
  [255, 'IPPROTO_RAW'], [262, 'IPPROTO_MPTCP'],
];
export const NETLINK_PROTOS: FlagTable = [
  [0, 'NETLINK_ROUTE'], [2, 'NETLINK_USERSOCK'], [4, 'NETLINK_SOCK_DIAG'], [6, 'NETLINK_XFRM'],
  [7, 'NETLINK_SELINUX'], [9, 'NETLINK_AUDIT'], [10, 'NETLINK_FIB_LOOKUP'], [11, 'NETLINK_CONNECTOR'],
  [12, 'NETLINK_NETFILTER'], [15, 'NETLINK_KOBJECT_UEVENT'], [16, 'NETLINK_GENERIC'], [18, 'NETLINK_SCSITRANSPORT'],
  [19, 'NETLINK_ECRYPTFS'], [20, 'NETLINK_RDMA'], [21, 'NETLINK_CRYPTO'],
];
/** Socket option levels (getsockopt/setsockopt) and, per level, the option names. */
export const SOCK_LEVELS: FlagTable = [[0, 'SOL_IP'], [1, 'SOL_SOCKET'], [6, 'SOL_TCP'], [17, 'SOL_UDP'], [41, 'SOL_IPV6'], [58, 'SOL_ICMPV6'], [255, 'SOL_RAW'], [270, 'SOL_NETLINK']];
export const SOCK_OPTS: Readonly<Record<number, FlagTable>> = {
  1: [
    [1, 'SO_DEBUG'], [2, 'SO_REUSEADDR'], [3, 'SO_TYPE'], [4, 'SO_ERROR'], [5, 'SO_DONTROUTE'], [6, 'SO_BROADCAST'],
    [7, 'SO_SNDBUF'], [8, 'SO_RCVBUF'], [9, 'SO_KEEPALIVE'], [10, 'SO_OOBINLINE'], [11, 'SO_NO_CHECK'],
    [12, 'SO_PRIORITY'], [13, 'SO_LINGER'], [14, 'SO_BSDCOMPAT'], [15, 'SO_REUSEPORT'], [16, 'SO_PASSCRED'],
    [17, 'SO_PEERCRED'], [18, 'SO_RCVLOWAT'], [19, 'SO_SNDLOWAT'], [20, 'SO_RCVTIMEO_OLD'], [21, 'SO_SNDTIMEO_OLD'],
    [25, 'SO_BINDTODEVICE'], [26, 'SO_ATTACH_FILTER'], [29, 'SO_TIMESTAMP_OLD'], [30, 'SO_ACCEPTCONN'],
    [31, 'SO_PEERSEC'], [32, 'SO_SNDBUFFORCE'], [33, 'SO_RCVBUFFORCE'], [34, 'SO_PASSSEC'], [36, 'SO_MARK'],
    [38, 'SO_PROTOCOL'], [39, 'SO_DOMAIN'], [40, 'SO_RXQ_OVFL'], [42, 'SO_PEEK_OFF'], [46, 'SO_BUSY_POLL'],
    [49, 'SO_INCOMING_CPU'], [60, 'SO_ZEROCOPY'], [66, 'SO_RCVTIMEO_NEW'], [67, 'SO_SNDTIMEO_NEW'], [77, 'SO_PEERPIDFD'],
  ],
  6: [
    [1, 'TCP_NODELAY'], [2, 'TCP_MAXSEG'], [3, 'TCP_CORK'], [4, 'TCP_KEEPIDLE'], [5, 'TCP_KEEPINTVL'],
    [6, 'TCP_KEEPCNT'], [7, 'TCP_SYNCNT'], [8, 'TCP_LINGER2'], [9, 'TCP_DEFER_ACCEPT'], [10, 'TCP_WINDOW_CLAMP'],
    [11, 'TCP_INFO'], [12, 'TCP_QUICKACK'], [13, 'TCP_CONGESTION'], [18, 'TCP_USER_TIMEOUT'],
    [23, 'TCP_FASTOPEN'], [30, 'TCP_FASTOPEN_CONNECT'], [31, 'TCP_ULP'],
  ],
  0: [
    [1, 'IP_TOS'], [2, 'IP_TTL'], [3, 'IP_HDRINCL'], [4, 'IP_OPTIONS'], [8, 'IP_RECVTTL'], [10, 'IP_MTU_DISCOVER'],
    [11, 'IP_RECVERR'], [14, 'IP_MTU'], [15, 'IP_FREEBIND'], [24, 'IP_BIND_ADDRESS_NO_PORT'],
  ],
  41: [[16, 'IPV6_UNICAST_HOPS'], [23, 'IPV6_MTU_DISCOVER'], [25, 'IPV6_RECVERR'], [26, 'IPV6_V6ONLY'], [67, 'IPV6_TCLASS']],
};
export const FS_MAGICS: FlagTable = [
  [0xef53, 'EXT2_SUPER_MAGIC'], [0x9fa0, 'PROC_SUPER_MAGIC'], [0x01021994, 'TMPFS_MAGIC'], [0x62656572, 'SYSFS_MAGIC'],
  [0x794c7630, 'OVERLAYFS_SUPER_MAGIC'], [0x9123683e, 'BTRFS_SUPER_MAGIC'], [0x58465342, 'XFS_SUPER_MAGIC'],
  [0x63677270, 'CGROUP2_SUPER_MAGIC'], [0x27e0eb, 'CGROUP_SUPER_MAGIC'], [0x1cd1, 'DEVPTS_SUPER_MAGIC'],
  [0x6969, 'NFS_SUPER_MAGIC'], [0x65735546, 'FUSE_SUPER_MAGIC'], [0x73717368, 'SQUASHFS_MAGIC'],
  [0x858458f6, 'RAMFS_MAGIC'], [0x64626720, 'DEBUGFS_MAGIC'], [0x74726163, 'TRACEFS_MAGIC'], [0xcafe4a11, 'BPF_FS_MAGIC'],
  [0x73636673, 'SECURITYFS_MAGIC'], [0x4d44, 'MSDOS_SUPER_MAGIC'], [0x01021997, 'V9FS_MAGIC'], [0x42494e4d, 'BINFMTFS_MAGIC'],
  [0x6e736673, 'NSFS_MAGIC'], [0x534f434b, 'SOCKFS_MAGIC'], [0x50495045, 'PIPEFS_MAGIC'], [0x9660, 'ISOFS_SUPER_MAGIC'],
];
export const ST_FLAGS: FlagTable = [
  [0x20, 'ST_VALID'], [1, 'ST_RDONLY'], [2, 'ST_NOSUID'], [4, 'ST_NODEV'], [8, 'ST_NOEXEC'], [16, 'ST_SYNCHRONOUS'],
  [64, 'ST_MANDLOCK'], [128, 'ST_WRITE'], [256, 'ST_APPEND'], [512, 'ST_IMMUTABLE'], [1024, 'ST_NOATIME'],
  [2048, 'ST_NODIRATIME'], [4096, 'ST_RELATIME'], [0x2000, 'ST_NOSYMFOLLOW'],
];
export const POLL_EVENTS: FlagTable = [
  [1, 'POLLIN'], [2, 'POLLPRI'], [4, 'POLLOUT'], [8, 'POLLERR'], [0x10, 'POLLHUP'], [0x20, 'POLLNVAL'], [0x40, 'POLLRDNORM'],
  [0x80, 'POLLRDBAND'], [0x100, 'POLLWRNORM'], [0x200, 'POLLWRBAND'], [0x400, 'POLLMSG'], [0x1000, 'POLLREMOVE'], [0x2000, 'POLLRDHUP'],
];
export const EPOLL_EVENTS: FlagTable = [
  [1, 'EPOLLIN'], [2, 'EPOLLPRI'], [4, 'EPOLLOUT'], [8, 'EPOLLERR'], [0x10, 'EPOLLHUP'], [0x20, 'EPOLLNVAL'], [0x40, 'EPOLLRDNORM'],
  [0x80, 'EPOLLRDBAND'], [0x100, 'EPOLLWRNORM'], [0x200, 'EPOLLWRBAND'], [0x400, 'EPOLLMSG'], [0x2000, 'EPOLLRDHUP'],
  [1 << 28, 'EPOLLEXCLUSIVE'], [1 << 29, 'EPOLLWAKEUP'], [1 << 30, 'EPOLLONESHOT'], [0x80000000, 'EPOLLET'],
];
export const EPOLL_CTL = ['', 'EPOLL_CTL_ADD', 'EPOLL_CTL_DEL', 'EPOLL_CTL_MOD'];
export const SS_FLAGS: FlagTable = [[1, 'SS_ONSTACK'], [2, 'SS_DISABLE'], [0x80000000, 'SS_AUTODISARM']];
