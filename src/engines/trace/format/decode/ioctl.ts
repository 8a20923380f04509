// ioctl(2) (strace's ioctl.c): the request by name, and the argument as the request takes it
// (an fd for FICLONE, an address for the requests whose struct is not decoded).
import { isErrorReturn, type ArgsDecoder, type SyscallRecord } from '../record.js';
import { termios, winsize } from '../structs.js';
import { fd, hex, le32, ptr, u32 } from '../values.js';
import { IOCTLS, lookup } from '../xlat.js';

/** Requests whose argument is a plain number (an fd, a flag). */
const BY_VALUE = new Set([0x40049409, 0x540b, 0x5409, 0x540a]);

/** Requests whose struct is decoded: the printer of the memory read at the argument. A get
 *  request's struct is shown when the call succeeded (the kernel wrote it), a set request's
 *  whatever the result (what it took). */
interface IoctlStruct {
  get: boolean;
  print: (data: string) => string | undefined;
}
const STRUCTS: ReadonlyMap<number, IoctlStruct> = new Map<number, IoctlStruct>([
  [0x5401, { get: true, print: termios }], // TCGETS
  [0x5402, { get: false, print: termios }], // TCSETS
  [0x5403, { get: false, print: termios }], // TCSETSW
  [0x5404, { get: false, print: termios }], // TCSETSF
  [0x5413, { get: true, print: winsize }], // TIOCGWINSZ
  [0x5414, { get: false, print: winsize }], // TIOCSWINSZ
  ...[0x541b, 0x540f, 0x5429, 0x80045430].map((r): [number, IoctlStruct] => [r, { get: true, print: intArg }]), // FIONREAD TIOCGPGRP TIOCGSID TIOCGPTN
  ...[0x5410, 0x5421, 0x5452, 0x40045431].map((r): [number, IoctlStruct] => [r, { get: false, print: intArg }]), // TIOCSPGRP FIONBIO FIOASYNC TIOCSPTLCK
]);

function intArg(data: string): string | undefined {
  return data.length < 4 ? undefined : `[${le32(data, 0) | 0}]`;
}

function structArg(rec: SyscallRecord, req: number, arg: number): string {
  const s = STRUCTS.get(req);
  const data = rec.strs?.[2];
  if (s === undefined || arg === 0 || data === undefined) return ptr(arg);
  // Read at the call's exit, only when it succeeded (a failed set request prints its address).
  if (s.get && (rec.ret === undefined || isErrorReturn(rec.ret))) return ptr(arg);
  return s.print(data) ?? ptr(arg);
}

/** Requests without an argument (strace prints none). */
const NO_ARG = new Set([0x5451, 0x5450]); // FIOCLEX FIONCLEX

const ioctl: ArgsDecoder = (rec) => {
  const [f = 0, req = 0, arg = 0] = rec.args;
  const name = lookup(u32(req), IOCTLS);
  if (name === undefined) return [fd(f), hex(u32(req)), hex(arg)];
  if (u32(req) === 0x40049409) return [fd(f), name, fd(arg)];
  if (NO_ARG.has(u32(req))) return [fd(f), name];
  if (u32(req) === 0x5441) return [fd(f), name, hex(arg)]; // TIOCGPTPEER's open flags
  return [fd(f), name, BY_VALUE.has(u32(req)) ? String(arg) : structArg(rec, u32(req), arg)];
};

export const ioctlDecoders: Readonly<Record<string, ArgsDecoder>> = { ioctl };
