// The path of an AF_UNIX socket address a call gives the kernel (bind, connect, sendto, sendmsg).
// Engines that map paths read it with `socketPath(call)` and change it with
// `call.setLatin1(SOCKADDR_ARG, path)` (byte strings, see Syscall.latin1): the chain keeps it like a
// string argument, and the executor writes it back into the sockaddr in place.
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';

const EFAULT = 14;

const AF_UNIX = 1;
const SUN_PATH_OFFSET = 2;
const SUN_PATH_MAX = 108;
/** struct msghdr: msg_name (pointer) at 0, msg_namelen (u32) at 8. */
const MSGHDR_NAME_BYTES = 12;

/** The key under which the chain keeps a changed socket path (the index of bind/connect's address). */
export const SOCKADDR_ARG = 1;

/** Where a call's input socket address lies in the tracee: its address and length. */
export interface SockaddrPlace {
  addr: number;
  len: number;
}

const PLACE = Symbol('sockaddr place');

/**
 * The input address of bind/connect (fd, addr, len), sendto (fd, buf, n, flags, addr, len) and
 * sendmsg (fd, msghdr, flags: msg_name and msg_namelen read once from the msghdr); null when there
 * is none.
 */
export function sockaddrPlace(call: Syscall): SockaddrPlace | null {
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

/**
 * The pathname of an AF_UNIX address as the engines before this one left it (a byte string), or
 * null for other families, abstract and unnamed addresses, and unreadable memory.
 */
export function socketPath(call: Syscall): string | null {
  const changed = call.strings.get(SOCKADDR_ARG);
  if (changed !== undefined) return changed;
  return traceeSocketPath(call);
}

const TRACEE_PATH = Symbol('tracee socket path');

/** The pathname as the tracee passed it: read once (ID_VALID-checked), kept on the call. */
export function traceeSocketPath(call: Syscall): string | null {
  return call.memo(TRACEE_PATH, () => readSocketPath(call));
}

function readSocketPath(call: Syscall): string | null {
  const place = sockaddrPlace(call);
  if (place === null) return null;
  const { addr, len } = place;
  if (len <= SUN_PATH_OFFSET || len > SUN_PATH_OFFSET + SUN_PATH_MAX) return null;
  const raw = call.memory.readBytes(addr, len);
  if (raw === null || raw.readUInt16LE(0) !== AF_UNIX || raw[SUN_PATH_OFFSET] === 0) return null;
  const end = raw.indexOf(0, SUN_PATH_OFFSET);
  return raw.toString('latin1', SUN_PATH_OFFSET, end < 0 ? len : end);
}

/** The address bytes for a new path: family + path + NUL, or null when it does not fit in the address's length. */
export function sockaddrBytes(call: Syscall, path: string): Buffer | null {
  const len = sockaddrPlace(call)?.len ?? 0;
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
