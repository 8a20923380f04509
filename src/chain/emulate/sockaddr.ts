// The path of an AF_UNIX socket address a call gives the kernel (bind, connect, sendto, sendmsg, and
// each message of sendmmsg). Engines that map paths read it with `socketPath(call, i)` and change it
// with `setSocketPath(call, i, path)` (byte strings, see Syscall.latin1): the chain keeps it like a
// string argument, and the executor writes it back into the sockaddr in place.
//
// The other way: accept, accept4, recvfrom and recvmsg return a peer's address (`returnPlace`), which
// the kernel knows by the path the peer was bound by, as the kernel saw it. Engines that map paths
// push their (kernel's path -> path given) maps on the call (`addressBacks`); the executor has the
// composed map applied at the call's exit.
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';

const EFAULT = 14;

const AF_UNIX = 1;
const SUN_PATH_OFFSET = 2;
const SUN_PATH_MAX = 108;
/** struct msghdr: msg_name (pointer) at 0, msg_namelen (u32) at 8. */
const MSGHDR_NAME_BYTES = 12;
/** struct mmsghdr: a struct msghdr (56 bytes) and msg_len, padded to 64. */
const MMSGHDR_SIZE = 64;
/** The most messages sendmmsg takes (UIO_MAXIOV: the kernel sends at most that many). */
const UIO_MAXIOV = 1024;
/** Where call.strings keeps the changed address of sendmmsg's message i > 0 (message 0: SOCKADDR_ARG). */
const MMSG_KEY = 1 << 16;

/** The key under which the chain keeps a changed socket path (the index of bind/connect's address). */
export const SOCKADDR_ARG = 1;

/** Where a call's input socket address lies in the tracee: its address and length. */
export interface SockaddrPlace {
  addr: number;
  len: number;
}

const PLACE = Symbol('sockaddr place');
const PLACES = Symbol('sendmmsg places');

/**
 * The input address of bind/connect (fd, addr, len), sendto (fd, buf, n, flags, addr, len) and
 * sendmsg (fd, msghdr, flags: msg_name and msg_namelen read once from the msghdr); null when there
 * is none.
 */
export function sockaddrPlace(call: Syscall, i = 0): SockaddrPlace | null {
  if (call.name === 'sendmmsg') return mmsgPlaces(call)[i] ?? null;
  return call.memo(PLACE, () => {
    const a = call.original;
    switch (call.name) {
      case 'bind':
      case 'connect':
        return a[1] ? { addr: a[1], len: a[2]! } : null;
      case 'sendto':
        return a[4] ? { addr: a[4], len: a[5]! } : null;
      case 'sendmsg': {
        const h = a[1] ? call.memory.readBytes(a[1], MSGHDR_NAME_BYTES) : null;
        if (h === null) return null;
        const addr = Number(h.readBigUInt64LE(0));
        return addr ? { addr, len: h.readUInt32LE(8) } : null;
      }
      default:
        return null;
    }
  });
}

// sendmmsg (fd, msgvec, vlen, flags): msg_name and msg_namelen of each of the first vlen messages
// (at most UIO_MAXIOV), read at once.
function mmsgPlaces(call: Syscall): (SockaddrPlace | null)[] {
  return call.memo(PLACES, () => {
    const n = Math.min(call.original[2]! >>> 0, UIO_MAXIOV);
    const vec = call.original[1] && n > 0 ? call.memory.readBytes(call.original[1], n * MMSGHDR_SIZE) : null;
    if (vec === null) return [];
    const places: (SockaddrPlace | null)[] = [];
    for (let i = 0; i < n; i++) {
      const addr = Number(vec.readBigUInt64LE(i * MMSGHDR_SIZE));
      places.push(addr ? { addr, len: vec.readUInt32LE(i * MMSGHDR_SIZE + 8) } : null);
    }
    return places;
  });
}

/** How many input addresses the call has: one, or sendmmsg's vlen (at most UIO_MAXIOV). */
export function sockaddrCount(call: Syscall): number {
  return call.name === 'sendmmsg' ? mmsgPlaces(call).length : 1;
}

const pathKey = (i: number): number => (i === 0 ? SOCKADDR_ARG : MMSG_KEY + i);

/**
 * The pathname of AF_UNIX address `i` (0 but for sendmmsg's messages) as the engines before this
 * one left it (a byte string), or null for other families, abstract and unnamed addresses, and
 * unreadable memory.
 */
export function socketPath(call: Syscall, i = 0): string | null {
  const changed = call.strings.get(pathKey(i));
  if (changed !== undefined) return changed;
  return traceeSocketPath(call, i);
}

/** Changes address `i`'s path (a byte string) for the engines further out and the executor. */
export function setSocketPath(call: Syscall, i: number, path: string): void {
  if (path === traceeSocketPath(call, i)) call.strings.delete(pathKey(i));
  else call.strings.set(pathKey(i), path);
}

/** The changed path of address `i`, if an engine changed it. */
export function changedSocketPath(call: Syscall, i: number): string | undefined {
  return call.strings.get(pathKey(i));
}

const TRACEE_PATH = Symbol('tracee socket path');

/** The pathname as the tracee passed it: read once (ID_VALID-checked), kept on the call. */
export function traceeSocketPath(call: Syscall, i = 0): string | null {
  const all = call.memo<(string | null | undefined)[]>(TRACEE_PATH, () => []);
  if (all[i] === undefined) all[i] = readSocketPath(call, i);
  return all[i]!;
}

function readSocketPath(call: Syscall, i: number): string | null {
  const place = sockaddrPlace(call, i);
  if (place === null) return null;
  const { addr, len } = place;
  if (len <= SUN_PATH_OFFSET || len > SUN_PATH_OFFSET + SUN_PATH_MAX) return null;
  const raw = call.memory.readBytes(addr, len);
  if (raw === null || raw.readUInt16LE(0) !== AF_UNIX || raw[SUN_PATH_OFFSET] === 0) return null;
  const end = raw.indexOf(0, SUN_PATH_OFFSET);
  return raw.toString('latin1', SUN_PATH_OFFSET, end < 0 ? len : end);
}

/** The address bytes for a new path: family + path + NUL, or null when it does not fit in the address's length. */
export function sockaddrBytes(call: Syscall, path: string, i = 0): Buffer | null {
  const len = sockaddrPlace(call, i)?.len ?? 0;
  const p = Buffer.from(path, 'latin1');
  if (SUN_PATH_OFFSET + p.length + 1 > len || p.length >= SUN_PATH_MAX || p.includes(0)) return null;
  const b = Buffer.alloc(SUN_PATH_OFFSET + p.length + 1);
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, SUN_PATH_OFFSET);
  return b;
}

/** A socket address (as getsockname fills it) -> its pathname as a byte string, or null. */
export function sunPath(addr: Buffer): string | null {
  if (addr.length <= SUN_PATH_OFFSET || addr.readUInt16LE(0) !== AF_UNIX || addr[SUN_PATH_OFFSET] === 0) return null;
  const end = addr.indexOf(0, SUN_PATH_OFFSET);
  return addr.toString('latin1', SUN_PATH_OFFSET, end < 0 ? addr.length : end);
}

/** A pathname socket address: family + path + NUL (what the kernel returns: its length counts the NUL). */
export function sunAddress(path: string): Buffer {
  const p = Buffer.from(path, 'latin1');
  const b = Buffer.alloc(SUN_PATH_OFFSET + p.length + 1);
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, SUN_PATH_OFFSET);
  return b;
}

/** What getsockname/getpeername return: the caller's buffer size, and the whole address. */
export interface ReturnedAddress {
  /** *addrlen as the caller passed it (the bytes its buffer holds). */
  readonly size: number;
  addr: Buffer;
}

const RETURNED = Symbol('returned socket address');

/** The address the executor returned for this call (emulated getsockname/getpeername), if any. */
export function returnedAddress(call: Syscall): ReturnedAddress | undefined {
  return call.memo<ReturnedAddress | undefined>(RETURNED, () => undefined);
}

/**
 * Returns `addr` to the tracee as the kernel's move_addr_to_user does: at most `size` bytes of it
 * into the caller's buffer, its whole length into *addrlen; `ok` (or EFAULT). An engine that changes
 * the address on exit calls it again with its own.
 */
export function putReturnedAddress(call: Syscall, size: number, addr: Buffer, ok: Result): Result {
  const out = call.memo<ReturnedAddress>(RETURNED, () => ({ size, addr }));
  out.addr = addr;
  const n = Math.min(size, addr.length);
  if (n > 0 && call.memory.writeBytes(call.args[1]!, addr.subarray(0, n)) < 0) return Result.error(EFAULT);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(addr.length);
  return call.memory.writeBytes(call.args[2]!, len) < 0 ? Result.error(EFAULT) : ok;
}

/** Where a call returns a peer's address: the caller's buffer, its size (as *len said on entry), and len. */
export interface ReturnPlace {
  addr: number;
  size: number;
  lenAddr: number;
}

/**
 * accept, accept4 (fd, addr, addrlen), recvfrom (fd, buf, n, flags, addr, addrlen) and recvmsg
 * (fd, msghdr, flags: msg_name, &msg_namelen): where the peer's address goes; null when the call
 * asks for none (or its memory cannot be read: the kernel then fails the call by itself).
 */
export function returnPlace(call: Syscall): ReturnPlace | null {
  const a = call.original;
  let addr: number;
  let lenAddr: number;
  switch (call.name) {
    case 'accept':
    case 'accept4':
      [addr, lenAddr] = [a[1]!, a[2]!];
      break;
    case 'recvfrom':
      [addr, lenAddr] = [a[4]!, a[5]!];
      break;
    case 'recvmsg': {
      const h = a[1] ? call.memory.readBytes(a[1], MSGHDR_NAME_BYTES) : null;
      if (h === null) return null;
      [addr, lenAddr] = [Number(h.readBigUInt64LE(0)), a[1]! + 8];
      break;
    }
    default:
      return null;
  }
  if (!addr || !lenAddr) return null;
  const l = call.memory.readBytes(lenAddr, 4);
  const size = l === null ? -1 : l.readInt32LE(0);
  return size > 0 ? { addr, size, lenAddr } : null;
}

const BACKS = Symbol('address backs');

/**
 * The maps (the kernel's path of a socket bound through an engine's view -> the path it was bound
 * by) of the engines on this call's way that push theirs, innermost first.
 */
export function addressBacks(call: Syscall): ReadonlyMap<string, string>[] {
  return call.memo<ReadonlyMap<string, string>[]>(BACKS, () => []);
}

/**
 * The composed map: each path the kernel may return -> the address the program must see (family +
 * path + NUL), through every engine's map from the outermost in.
 */
export function composedBacks(call: Syscall): [Buffer, Buffer][] {
  const maps = addressBacks(call);
  const out: [Buffer, Buffer][] = [];
  const seen = new Set<string>();
  for (const m of maps)
    for (const real of m.keys()) {
      if (seen.has(real)) continue;
      seen.add(real);
      let p = real;
      for (let k = maps.length - 1; k >= 0; k--) p = maps[k]!.get(p) ?? p;
      if (p !== real) out.push([Buffer.from(real, 'latin1'), sunAddress(p)]);
    }
  return out;
}
