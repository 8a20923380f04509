// fcntl(2) (strace's fcntl.c): the third argument only for the commands that take one, named
// flags for F_SETFL/F_SETFD, and the flags F_GETFD/F_GETFL return.
import type { ArgsDecoder, ReturnDecoder } from '../record.js';
import { fd, hex, i32 } from '../values.js';
import { openFlags } from '../xlat.js';

const fcntlArgs: ArgsDecoder = (rec, n) => {
  const cmd = i32(rec.args[1] ?? 0);
  if ([1, 3, 9, 11, 1025, 1032, 1034].includes(cmd)) return 2;
  if (cmd === 4) return [fd(rec.args[0] ?? 0), 'F_SETFL', openFlags(rec.args[2] ?? 0)];
  if (cmd === 2) return [fd(rec.args[0] ?? 0), 'F_SETFD', (rec.args[2] ?? 0) & 1 ? 'FD_CLOEXEC' : '0'];
  return n;
};

const fcntlReturn: ReturnDecoder = (ret, args) => {
  const cmd = i32(args[1] ?? -1);
  if (cmd === 1) return ret === 0 ? '0' : `${hex(ret)} (flags ${ret & 1 ? 'FD_CLOEXEC' : '0'}${ret & ~1 ? '|' + hex(ret & ~1) : ''})`;
  if (cmd === 3) return `${hex(ret)} (flags ${openFlags(ret)})`;
  return undefined;
};

export const fcntlDecoders: Readonly<Record<string, ArgsDecoder>> = { fcntl: fcntlArgs };
export const fcntlReturns: Readonly<Record<string, ReturnDecoder>> = { fcntl: fcntlReturn };
