// ioctl(2) (strace's ioctl.c): the request by name, and the argument as the request takes it
// (an fd for FICLONE, an address for the requests whose struct is not decoded).
import type { ArgsDecoder } from '../record.js';
import { fd, hex, ptr, u32 } from '../values.js';
import { IOCTLS, lookup } from '../xlat.js';

/** Requests whose argument is a plain number (an fd, a flag). */
const BY_VALUE = new Set([0x40049409, 0x540b, 0x5409, 0x540a]);

const ioctl: ArgsDecoder = (rec) => {
  const [f = 0, req = 0, arg = 0] = rec.args;
  const name = lookup(u32(req), IOCTLS);
  if (name === undefined) return [fd(f), hex(u32(req)), hex(arg)];
  if (u32(req) === 0x40049409) return [fd(f), name, fd(arg)];
  return [fd(f), name, BY_VALUE.has(u32(req)) ? String(arg) : ptr(arg)];
};

export const ioctlDecoders: Readonly<Record<string, ArgsDecoder>> = { ioctl };
