// Sockets (strace's net.c, sockaddr.c): option levels and names of getsockopt/setsockopt, and
// setsockopt's value as the int it usually is.
import { isErrorReturn, type ArgsDecoder } from '../record.js';
import { bytesOf, fd, i32, ptr, quoteBytes } from '../values.js';
import { lookup, SOCK_LEVELS, SOCK_OPTS } from '../xlat.js';

function level(v: number): string {
  return lookup(i32(v), SOCK_LEVELS) ?? String(i32(v));
}

function optName(lvl: number, v: number): string {
  const table = SOCK_OPTS[i32(lvl)];
  const name = table && lookup(i32(v), table);
  if (name) return name;
  // strace names an unknown option of SOL_SOCKET as `0x270f /* SO_??? */`.
  return i32(lvl) === 1 ? `0x${(i32(v) >>> 0).toString(16)} /* SO_??? */` : String(i32(v));
}

const setsockopt: ArgsDecoder = (rec) => {
  const [s = 0, lvl = 0, name = 0, val = 0, len = 0] = rec.args;
  const data = rec.strs?.[3];
  const n = i32(len);
  let value = ptr(val);
  if (val !== 0 && data !== undefined) value = n === 4 && data.length >= 4 ? `[${bytesOf(data).readInt32LE(0)}]` : quoteBytes(data.slice(0, Math.max(0, n)));
  return [fd(s), level(lvl), optName(lvl, name), value, String(n)];
};

const SOL_SOCKET = 1;
const SO_LINGER = 13;
const SO_PEERCRED = 17;

// getsockopt's value as strace prints it (print_getsockopt in net.c): an int as [N], the structs
// it knows, other bytes quoted; the length as [N] or [given => written]. Both read at exit: the
// value only when the call succeeded.
const getsockopt: ArgsDecoder = (rec) => {
  const [s = 0, lvl = 0, name = 0, val = 0, len = 0] = rec.args;
  const ok = rec.ret !== undefined && !isErrorReturn(rec.ret);
  const data = rec.strs?.[3];
  const room = rec.strs?.[4];
  let value = ptr(val);
  const got = data !== undefined && data.length >= 4 ? bytesOf(data).readInt32LE(0) : undefined;
  if (ok && val !== 0 && got !== undefined) {
    const b = bytesOf(data!).subarray(4, 4 + Math.max(0, got));
    if (i32(lvl) === SOL_SOCKET && i32(name) === SO_LINGER && b.length >= 8) value = `{l_onoff=${b.readInt32LE(0)}, l_linger=${b.readInt32LE(4)}}`;
    else if (i32(lvl) === SOL_SOCKET && i32(name) === SO_PEERCRED && b.length >= 12) value = `{pid=${b.readInt32LE(0)}, uid=${b.readUInt32LE(4)}, gid=${b.readUInt32LE(8)}}`;
    else if (b.length === 4) value = `[${b.readInt32LE(0)}]`;
    else value = quoteBytes(b.toString('latin1'), false, true);
  }
  let length = ptr(len);
  if (len !== 0 && room !== undefined && room.length >= 4) {
    const given = bytesOf(room).readInt32LE(0);
    const written = ok && got !== undefined ? got : given;
    length = written === given ? `[${given}]` : `[${given} => ${written}]`;
  }
  return [fd(s), level(lvl), optName(lvl, name), value, length];
};

export const netDecoders: Readonly<Record<string, ArgsDecoder>> = { setsockopt, getsockopt };
