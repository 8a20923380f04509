// File calls whose argument count depends on their values (strace's open.c, mknod.c).
import type { ArgsDecoder } from '../record.js';
import { u32 } from '../values.js';

/** open/openat print the mode only when the flags can create a file. */
const open: ArgsDecoder = (rec, n) => {
  const fl = u32(rec.args[n - 2] ?? 0);
  return !(fl & 0o100) && (fl & 0o20200000) !== 0o20200000 ? n - 1 : n;
};

/** mknod/mknodat print the device only for device files. */
const mknod: ArgsDecoder = (rec, n) => {
  const type = u32(rec.args[n - 2] ?? 0) & 0o170000;
  return type !== 0o20000 && type !== 0o60000 ? n - 1 : n;
};

export const fileDecoders: Readonly<Record<string, ArgsDecoder>> = { open, openat: open, mknod, mknodat: mknod };
