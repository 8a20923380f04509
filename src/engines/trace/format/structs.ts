// What the kernel reads or writes through a pointer, as strace prints it (strace's stat.c,
// statx.c, signal.c, wait.c, resource.c): struct stat and statx, signal sets and sigaction, wait
// statuses, rlimits, device numbers. Input: the captured bytes as a latin1 string.
import { flags, lookup, S_IFMT, SA_FLAGS, signalName, STATX_ATTRS, statxMask } from './xlat.js';
import { bytesOf, hex, le32, octal, ptr, u32 } from './values.js';

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
  const h = handler === 0 ? 'SIG_DFL' : handler === 1 ? 'SIG_IGN' : hex(handler);
  let out = `{sa_handler=${h}, sa_mask=${sigset(data.slice(24, 32))}, sa_flags=${flags(fl, SA_FLAGS)}`;
  if (fl & 0x04000000) out += `, sa_restorer=${ptr(word(16))}`;
  return out + '}';
}
