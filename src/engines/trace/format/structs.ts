// What the kernel reads or writes through a pointer, as strace prints it (strace's stat.c,
// statx.c, signal.c, wait.c, resource.c): struct stat and statx, signal sets and sigaction, wait
// statuses, rlimits, device numbers. Input: the captured bytes as a latin1 string.
import { TRACE } from '../../../native/contract.js';
import { CFLAGS, IFLAGS, LFLAGS, OFLAG_BITS, OFLAG_DELAYS, CLONE_FLAGS, DOMAINS, EPOLL_EVENTS, flags, POLL_EVENTS, FS_MAGICS, lookup, S_IFMT, SA_FLAGS, signalName, SS_FLAGS, ST_FLAGS, STATX_ATTRS, statxMask } from './xlat.js';
import { bytesOf, hex, le32, octal, ptr, quoteBytes, u32 } from './values.js';

/** The kernel's struct sigaction on x86_64 (rt_sigaction): handler, flags, restorer, mask. */
export const SIGACTION_SIZE = 32;

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

const MODE_CACHE = new Map<number, string>();

/** A device number as mknod takes it (the kernel's 32-bit encoding): makedev(0x1, 0x3). */
export function makedev(dev: number): string {
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

/** struct sigaction as strace prints it: `{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}`, the
 *  restorer only with SA_RESTORER. */
export function sigaction(data: string): string | undefined {
  if (data.length < SIGACTION_SIZE) return undefined;
  const word = (off: number): number => le32(data, off + 4) * 0x1_0000_0000 + le32(data, off);
  const handler = word(0);
  const fl = le32(data, 8);
  const high = le32(data, 12);
  const h = handler === 0 ? 'SIG_DFL' : handler === 1 ? 'SIG_IGN' : hex(handler);
  // sa_flags is an unsigned long: bits above the 32 named ones print in hex, as strace does.
  let fs = flags(fl, SA_FLAGS);
  if (high) fs = (fs === '0' ? '' : fs + '|') + '0x' + (BigInt(high) << 32n).toString(16);
  let out = `{sa_handler=${h}, sa_mask=${sigset(data.slice(24, 32))}, sa_flags=${fs}`;
  if (fl & 0x04000000) out += `, sa_restorer=${ptr(word(16))}`;
  return out + '}';
}

/** Little-endian unsigned 64-bit word of a byte string at `off`, exact. */
function u64at(data: string, off: number): bigint {
  return (BigInt(le32(data, off + 4)) << 32n) | BigInt(le32(data, off));
}

/** A 64-bit pointer field: NULL or hex. */
const ptr64 = (data: string, off: number): string => {
  const v = u64at(data, off);
  return v === 0n ? 'NULL' : '0x' + v.toString(16);
};

/** struct sockaddr_un's size: the most of a socket address read at entry (x86_64). */
export const SOCKADDR_MAX = 112;
/** Bytes of a getsockopt value captured (strace shows at most -s of them, or the struct it knows). */
export const SOCKOPT_MAX = 256;
export const STACK_T_SIZE = 24;
export const UTSNAME_SIZE = 390;
export const SYSINFO_SIZE = 112;
export const STATFS_SIZE = 120;
export const CLONE_ARGS_SIZE = 88;

const be16 = (data: string, off: number): number => (data.charCodeAt(off) << 8) | data.charCodeAt(off + 1);

/** A socket address of `len` bytes as strace prints it (strace's sockaddr.c): AF_UNIX, AF_INET,
 *  AF_INET6, AF_NETLINK by their fields, others by family and bytes. */
export function sockaddr(data: string, len: number): string | undefined {
  if (len < 2 || data.length < 2) return len >= 0 && len < 2 ? '{}' : undefined;
  const n = Math.min(len, data.length);
  const family = data.charCodeAt(0) | (data.charCodeAt(1) << 8);
  const fam = lookup(family, DOMAINS) ?? String(family);
  if (family === 1) {
    if (n <= 2) return `{sa_family=${fam}}`;
    const path = data.slice(2, n);
    if (path.charCodeAt(0) === 0) return `{sa_family=${fam}, sun_path=@${quoteBytes(path.slice(1))}}`;
    const nul = path.indexOf('\0');
    return `{sa_family=${fam}, sun_path=${quoteBytes(nul < 0 ? path : path.slice(0, nul))}}`;
  }
  if (family === 2 && n >= 16) {
    const a = [4, 5, 6, 7].map((i) => data.charCodeAt(i)).join('.');
    return `{sa_family=${fam}, sin_port=htons(${be16(data, 2)}), sin_addr=inet_addr("${a}")}`;
  }
  if (family === 10 && n >= 24) {
    const words: string[] = [];
    for (let i = 8; i < 24; i += 2) words.push(be16(data, i).toString(16));
    const flow = (be16(data, 4) * 0x10000 + be16(data, 6)) >>> 0;
    const scope = n >= 28 ? le32(data, 24) : 0;
    return `{sa_family=${fam}, sin6_port=htons(${be16(data, 2)}), sin6_flowinfo=htonl(${flow}), inet_pton(${fam}, "${ipv6(words)}", &sin6_addr), sin6_scope_id=${scope}}`;
  }
  if (family === 16 && n >= 12) {
    return `{sa_family=${fam}, nl_pid=${le32(data, 4) | 0}, nl_groups=${le32(data, 8).toString(16).padStart(8, '0')}}`;
  }
  return `{sa_family=${fam}, sa_data=${quoteBytes(data.slice(2, n))}}`;
}

/** An IPv6 address from its eight 16-bit words (hex), compressed as inet_ntop does. */
function ipv6(words: string[]): string {
  const w = words.map((x) => parseInt(x, 16));
  if (w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff) {
    return `::ffff:${w[6]! >> 8}.${w[6]! & 0xff}.${w[7]! >> 8}.${w[7]! & 0xff}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}

/** stack_t (sigaltstack). */
export function stackT(data: string): string | undefined {
  if (data.length < STACK_T_SIZE) return undefined;
  return `{ss_sp=${ptr64(data, 0)}, ss_flags=${flags(le32(data, 8), SS_FLAGS)}, ss_size=${u64at(data, 16)}}`;
}

/** struct utsname: strace's short form. */
export function utsname(data: string): string | undefined {
  if (data.length < UTSNAME_SIZE) return undefined;
  const field = (i: number): string => {
    const f = data.slice(i * 65, i * 65 + 65);
    const nul = f.indexOf('\0');
    return quoteBytes(nul < 0 ? f : f.slice(0, nul));
  };
  return `{sysname=${field(0)}, nodename=${field(1)}, ...}`;
}

/** struct sysinfo. */
export function sysinfo(data: string): string | undefined {
  if (data.length < SYSINFO_SIZE) return undefined;
  const q = (off: number): string => String(u64at(data, off));
  const procs = data.charCodeAt(80) | (data.charCodeAt(81) << 8);
  return (
    `{uptime=${q(0)}, loads=[${q(8)}, ${q(16)}, ${q(24)}], totalram=${q(32)}, freeram=${q(40)}, sharedram=${q(48)}, ` +
    `bufferram=${q(56)}, totalswap=${q(64)}, freeswap=${q(72)}, procs=${procs}, totalhigh=${q(88)}, freehigh=${q(96)}, mem_unit=${le32(data, 104)}}`
  );
}

/** struct statfs (x86_64). */
export function statfs(data: string): string | undefined {
  if (data.length < STATFS_SIZE) return undefined;
  const q = (off: number): string => String(u64at(data, off));
  const type = le32(data, 0);
  const fsid = (off: number): string => (le32(data, off) === 0 ? '0' : hex(le32(data, off)));
  return (
    `{f_type=${lookup(type, FS_MAGICS) ?? hex(type)}, f_bsize=${q(8)}, f_blocks=${q(16)}, f_bfree=${q(24)}, f_bavail=${q(32)}, ` +
    `f_files=${q(40)}, f_ffree=${q(48)}, f_fsid={val=[${fsid(56)}, ${fsid(60)}]}, f_namelen=${q(64)}, f_frsize=${q(72)}, ` +
    `f_flags=${flags(le32(data, 80), ST_FLAGS)}}`
  );
}

/** A CPU mask: the numbers of the CPUs set, `[0 1]`. */
export function cpuMask(data: string): string {
  const cpus: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    for (let b = 0; b < 8; b++) if (c & (1 << b)) cpus.push(i * 8 + b);
  }
  return `[${cpus.join(' ')}]`;
}

/** struct clone_args (clone3) as strace prints it at entry; with the call's result, the
 *  parent_tid the kernel stored (the child's id). */
export function cloneArgs(data: string, ret: number | undefined): string | undefined {
  if (data.length < 64) return undefined;
  const fl = u64at(data, 0);
  const f = Number(fl & 0xffffffffn);
  const parts = [`flags=${flags(f, CLONE_FLAGS)}${fl >> 32n ? '|0x' + (fl >> 32n << 32n).toString(16) : ''}`];
  if (f & 0x1000) parts.push(`pidfd=${ptr64(data, 8)}`);
  if (f & 0x1200000) parts.push(`child_tid=${ptr64(data, 16)}`);
  if (f & 0x100000) parts.push(`parent_tid=${ptr64(data, 24)}`);
  const sig = u64at(data, 32);
  parts.push(`exit_signal=${sig === 0n ? '0' : sig < 65n ? signalName(Number(sig)) : String(sig)}`);
  parts.push(`stack=${ptr64(data, 40)}`, `stack_size=0x${u64at(data, 48).toString(16)}`);
  if (f & 0x80000) parts.push(`tls=${ptr64(data, 56)}`);
  let out = `{${parts.join(', ')}}`;
  if (f & 0x100000 && ret !== undefined && ret > 0) out += ` => {parent_tid=[${ret}]}`;
  return out;
}

/** struct pollfd[] as captured: at most this many bytes (16 entries). */
export const POLLFDS_SIZE = 128;

/** `[{fd=3, events=POLLIN}, ...]` (`revents`: the returned events of those that have any). */
export function pollFds(data: string, n: number, revents: boolean): string | undefined {
  const count = Math.min(n, Math.floor(data.length / 8));
  if (n > 0 && count === 0) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const fd = le32(data, i * 8) | 0;
    const ev = data.charCodeAt(i * 8 + 4) | (data.charCodeAt(i * 8 + 5) << 8);
    const rev = data.charCodeAt(i * 8 + 6) | (data.charCodeAt(i * 8 + 7) << 8);
    if (!revents) parts.push(`{fd=${fd}, events=${flags(ev, POLL_EVENTS)}}`);
    else if (rev !== 0) parts.push(`{fd=${fd}, revents=${flags(rev, POLL_EVENTS)}}`);
  }
  if (!revents && count < n) parts.push('...');
  return `[${parts.join(', ')}]`;
}

/** struct epoll_event (packed on x86_64: events, then the 64-bit data). */
export const EPOLL_EVENT_SIZE = 12;
/** epoll_wait's events as captured: at most this many bytes (16 events). */
export const EPOLL_EVENTS_SIZE = 16 * EPOLL_EVENT_SIZE;

function epollEventAt(data: string, off: number): string {
  const data64 = u64at(data, off + 4);
  return `{events=${flags(le32(data, off), EPOLL_EVENTS)}, data={u32=${Number(data64 & 0xffffffffn)}, u64=${data64}}}`;
}

/** `{events=EPOLLIN, data={u32=3, u64=3}}`. */
export function epollEvent(data: string): string | undefined {
  return data.length < EPOLL_EVENT_SIZE ? undefined : epollEventAt(data, 0);
}

/** The first `n` events of an epoll_event array: `[{events=EPOLLIN, data={u32=3, u64=3}}]`. */
export function epollEvents(data: string, n: number): string | undefined {
  const count = Math.min(n, Math.floor(data.length / EPOLL_EVENT_SIZE));
  if (n > 0 && count === 0) return undefined;
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(epollEventAt(data, i * EPOLL_EVENT_SIZE));
  if (count < n) parts.push('...');
  return `[${parts.join(', ')}]`;
}

/** What ioctl's argument is read as: the largest struct decoded (the kernel's struct termios). */
export const IOCTL_ARG_SIZE = 36;

/** struct termios (TCGETS) as strace prints it without -v: the four flag words, then `...`. */
export function termios(data: string): string | undefined {
  if (data.length < 16) return undefined;
  const o = le32(data, 4);
  const delays = OFLAG_DELAYS.map(([mask, names]) => names[(o & mask) / (mask & -mask)] ?? '').filter((n) => n !== '');
  const rest = flags(o & ~OFLAG_DELAYS.reduce((m, [mask]) => m | mask, 0), OFLAG_BITS);
  const oflag = [...delays, ...(rest === '0' ? [] : [rest])].join('|') || '0';
  const c = le32(data, 8);
  const baud = BAUDS[c & 0x100f] ?? hex(c & 0x100f);
  const size = `CS${5 + ((c >> 4) & 3)}`;
  const crest = flags(c & ~0x103f, CFLAGS);
  const cflag = [baud, size, ...(crest === '0' ? [] : [crest])].join('|');
  return `{c_iflag=${flags(le32(data, 0), IFLAGS)}, c_oflag=${oflag}, c_cflag=${cflag}, c_lflag=${flags(le32(data, 12), LFLAGS)}, ...}`;
}

const BAUDS: Record<number, string> = {
  0: 'B0', 1: 'B50', 2: 'B75', 3: 'B110', 4: 'B134', 5: 'B150', 6: 'B200', 7: 'B300', 8: 'B600', 9: 'B1200', 10: 'B1800',
  11: 'B2400', 12: 'B4800', 13: 'B9600', 14: 'B19200', 15: 'B38400', 0x1000: 'BOTHER', 0x1001: 'B57600', 0x1002: 'B115200',
  0x1003: 'B230400', 0x1004: 'B460800', 0x1005: 'B500000', 0x1006: 'B576000', 0x1007: 'B921600', 0x1008: 'B1000000',
  0x1009: 'B1152000', 0x100a: 'B1500000', 0x100b: 'B2000000', 0x100c: 'B2500000', 0x100d: 'B3000000', 0x100e: 'B3500000',
  0x100f: 'B4000000',
};

/** struct winsize (TIOCGWINSZ). */
export function winsize(data: string): string | undefined {
  if (data.length < 8) return undefined;
  const h = (i: number) => data.charCodeAt(i) | (data.charCodeAt(i + 1) << 8);
  return `{ws_row=${h(0)}, ws_col=${h(2)}, ws_xpixel=${h(4)}, ws_ypixel=${h(6)}}`;
}

/** What is read of a struct sigevent (value, signo, notify, thread id). */
export const SIGEVENT_SIZE = 24;
export const ITIMERSPEC_SIZE = 32;
const SIGEV_NOTIFY = ['SIGEV_SIGNAL', 'SIGEV_NONE', 'SIGEV_THREAD'];

/** struct sigevent as strace prints the common cases. */
export function sigevent(data: string): string | undefined {
  if (data.length < 16) return undefined;
  const value = u64at(data, 0);
  const signo = le32(data, 8) | 0;
  const notify = le32(data, 12) | 0;
  const how = notify === 4 ? 'SIGEV_THREAD_ID' : (SIGEV_NOTIFY[notify] ?? String(notify));
  const parts: string[] = [];
  if (value !== 0n) parts.push(`sigev_value={sival_int=${Number(value & 0xffffffffn) | 0}, sival_ptr=0x${value.toString(16)}}`);
  parts.push(`sigev_signo=${signalName(signo)}`, `sigev_notify=${how}`);
  if (notify === 4 && data.length >= 20) parts.push(`sigev_notify_thread_id=${le32(data, 16) | 0}`);
  return `{${parts.join(', ')}}`;
}

export const TIMESPEC_SIZE = 16;

/** struct timespec at `off`: `{tv_sec=1, tv_nsec=500}`. */
function timespecAt(data: string, off: number): string {
  return `{tv_sec=${BigInt.asIntN(64, u64at(data, off))}, tv_nsec=${BigInt.asIntN(64, u64at(data, off + 8))}}`;
}

/** struct timespec. */
export function timespec(data: string): string | undefined {
  return data.length < TIMESPEC_SIZE ? undefined : timespecAt(data, 0);
}

/** struct timeval: `{tv_sec=1, tv_usec=500}`. */
export function timeval(data: string): string | undefined {
  return data.length < 16 ? undefined : `{tv_sec=${BigInt.asIntN(64, u64at(data, 0))}, tv_usec=${BigInt.asIntN(64, u64at(data, 8))}}`;
}

/** Bytes of one fd_set that select's capture holds for `nfds` (bpf/trace.h, SV_CFG_MODE_FDSETS). */
export function fdsetBytes(nfds: number): number {
  return nfds > 0 ? Math.min(Math.ceil(nfds / 64) * 8, TRACE.FDSET_MAX) : 0;
}

/**
 * select's captured sets and timeout (bpf/trace.h, SV_CFG_MODE_FDSETS): per set argument (1-3),
 * the descriptors below `nfds` it holds (undefined: NULL or not read), and the timeout's bytes.
 */
export function selectParts(data: string, args: readonly number[]): { sets: (number[] | undefined)[]; timeout: string | undefined; sigmask: string | undefined } | undefined {
  if (data.length < 4) return undefined;
  const ok = le32(data, 0);
  const nfds = (args[0] ?? 0) | 0;
  const n = fdsetBytes(nfds);
  const sets: (number[] | undefined)[] = [];
  let off = 4;
  for (let i = 0; i < 3; i++) {
    if ((args[i + 1] ?? 0) === 0) {
      sets.push(undefined);
      continue;
    }
    if (off + n > data.length) return undefined;
    if ((ok >> i) & 1) {
      const fds: number[] = [];
      for (let fd = 0; fd < Math.min(nfds, n * 8); fd++) if ((data.charCodeAt(off + (fd >> 3)) >> (fd & 7)) & 1) fds.push(fd);
      sets.push(fds);
    } else sets.push(undefined);
    off += n;
  }
  const timeout = (args[4] ?? 0) !== 0 && (ok >> 3) & 1 && off + 16 <= data.length ? data.slice(off, off + 16) : undefined;
  if ((args[4] ?? 0) !== 0) off += 16;
  // pselect6's sixth argument, at entry: { sigset pointer, size } and the set (parts 4 and 5).
  let sigmask: string | undefined;
  if ((args[5] ?? 0) !== 0 && (ok >> 4) & 1 && off + 24 <= data.length) {
    const p = u64at(data, off);
    const set = p === 0n ? 'NULL' : (ok >> 5) & 1 ? sigset(data.slice(off + 16, off + 24)) : `0x${p.toString(16)}`;
    sigmask = `{sigmask=${set}, sigsetsize=${u64at(data, off + 8)}}`;
  }
  return { sets, timeout, sigmask };
}

/** struct itimerspec. */
export function itimerspec(data: string): string | undefined {
  if (data.length < ITIMERSPEC_SIZE) return undefined;
  return `{it_interval=${timespecAt(data, 0)}, it_value=${timespecAt(data, 16)}}`;
}
