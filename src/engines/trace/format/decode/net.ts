// Sockets (strace's net.c, sockaddr.c): option levels and names of getsockopt/setsockopt, and
// setsockopt's value as the int it usually is.
import type { ArgsDecoder } from '../record.js';
import { bytesOf, fd, i32, ptr, quoteBytes } from '../values.js';
import { lookup, SOCK_LEVELS, SOCK_OPTS } from '../xlat.js';

function level(v: number): string {
  return lookup(i32(v), SOCK_LEVELS) ?? String(i32(v));
}

function optName(lvl: number, v: number): string {
  const table = SOCK_OPTS[i32(lvl)];
  return (table && lookup(i32(v), table)) ?? String(i32(v));
}

const setsockopt: ArgsDecoder = (rec) => {
  const [s = 0, lvl = 0, name = 0, val = 0, len = 0] = rec.args;
  const data = rec.strs?.[3];
  const n = i32(len);
  let value = ptr(val);
  if (val !== 0 && data !== undefined) value = n === 4 && data.length >= 4 ? `[${bytesOf(data).readInt32LE(0)}]` : quoteBytes(data.slice(0, Math.max(0, n)));
  return [fd(s), level(lvl), optName(lvl, name), value, String(n)];
};

const getsockopt: ArgsDecoder = (rec) => {
  const [s = 0, lvl = 0, name = 0, val = 0, len = 0] = rec.args;
  return [fd(s), level(lvl), optName(lvl, name), ptr(val), ptr(len)];
};

export const netDecoders: Readonly<Record<string, ArgsDecoder>> = { setsockopt, getsockopt };
