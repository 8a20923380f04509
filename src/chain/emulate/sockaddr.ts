// The path of an AF_UNIX socket address (bind, connect). Engines that map paths read it with
// `socketPath(call)` and change it with `call.setLatin1(SOCKADDR_ARG, path)` (byte strings, see Syscall.latin1): the chain keeps it
// like a string argument, and the executor writes it back into the sockaddr in place.
import type { Syscall } from '../syscall.js';

const AF_UNIX = 1;
const SUN_PATH_OFFSET = 2;
const SUN_PATH_MAX = 108;

/** The argument index of the address (bind/connect: (fd, addr, addrlen)). */
export const SOCKADDR_ARG = 1;

/**
 * The pathname of an AF_UNIX address as the engines before this one left it, or null for other
 * families, abstract and unnamed addresses, and unreadable memory.
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
  const addr = call.original[SOCKADDR_ARG]!;
  const len = call.original[2]!;
  if (addr === 0 || len <= SUN_PATH_OFFSET || len > SUN_PATH_OFFSET + SUN_PATH_MAX) return null;
  const raw = call.memory.readBytes(addr, len);
  if (raw === null || raw.readUInt16LE(0) !== AF_UNIX || raw[SUN_PATH_OFFSET] === 0) return null;
  const end = raw.indexOf(0, SUN_PATH_OFFSET);
  return raw.toString('latin1', SUN_PATH_OFFSET, end < 0 ? len : end);
}

/** The address bytes for a new path: family + path + NUL, or null when it does not fit in addrlen. */
export function sockaddrBytes(call: Syscall, path: string): Buffer | null {
  const len = call.original[2]!;
  const p = Buffer.from(path, 'latin1');
  if (SUN_PATH_OFFSET + p.length + 1 > len || p.length >= SUN_PATH_MAX || p.includes(0)) return null;
  const b = Buffer.alloc(SUN_PATH_OFFSET + p.length + 1);
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, SUN_PATH_OFFSET);
  return b;
}
