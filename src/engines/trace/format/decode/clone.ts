// clone(2) (strace's clone.c): named arguments in strace's order, some only with their flag.
import type { ArgsDecoder, SyscallRecord } from '../record.js';
import { ptr, u32 } from '../values.js';
import { CLONE_FLAGS, flags, signalName } from '../xlat.js';

/** clone(2) prints in strace's order and names, some arguments only with their flag. */
function formatClone(rec: SyscallRecord): string {
  const [flagsV = 0, stack = 0, ptid = 0, ctid = 0, tls = 0] = rec.args;
  const f = u32(flagsV);
  const exitSig = f & 0xff;
  const fl = flags(f & ~0xff, CLONE_FLAGS, '');
  const sig = exitSig ? signalName(exitSig) : '';
  const parts = [`child_stack=${ptr(stack)}`, `flags=${[fl, sig].filter(Boolean).join('|') || '0'}`];
  if (f & 0x100000) parts.push(`parent_tid=${ptr(ptid)}`);
  if (f & 0x1200000) parts.push(`child_tidptr=${ptr(ctid)}`);
  if (f & 0x80000) parts.push(`tls=${ptr(tls)}`);
  return parts.join(', ');
}

export const cloneDecoders: Readonly<Record<string, ArgsDecoder>> = { clone: (rec) => [formatClone(rec)] };
