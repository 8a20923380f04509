// futex(2) (strace's futex.c): only the arguments its operation uses.
import type { ArgsDecoder, SyscallRecord } from '../record.js';
import { hex, i32, ptr, u32 } from '../values.js';
import { futexOp } from '../xlat.js';
import { timespec } from '../structs.js';

/** futex(2): only the arguments its operation uses, as strace prints them. */
function futexArgs(rec: SyscallRecord): string[] {
  const [addr = 0, op = 0, val = 0, timeout = 0, addr2 = 0, val3 = 0] = rec.args;
  const head = [ptr(addr), futexOp(op), String(i32(val))];
  // The timeout as captured at entry (a timespec: relative for FUTEX_WAIT, absolute for the
  // BITSET and PI waits), its address when it could not be read.
  const data = rec.strs?.[3];
  const time = timeout !== 0 && data !== undefined ? (timespec(data) ?? ptr(timeout)) : ptr(timeout);
  const bitset = u32(val3) === 0xffffffff ? 'FUTEX_BITSET_MATCH_ANY' : hex(u32(val3));
  switch (u32(op) & 0x7f) {
    case 0: return [...head, time]; // FUTEX_WAIT
    case 1: return head; // FUTEX_WAKE
    case 3: return [...head, String(u32(timeout)), ptr(addr2)]; // FUTEX_REQUEUE
    case 4: return [...head, String(u32(timeout)), ptr(addr2), String(i32(val3))]; // FUTEX_CMP_REQUEUE
    case 9: return [...head, time, bitset]; // FUTEX_WAIT_BITSET
    case 10: return [...head, bitset]; // FUTEX_WAKE_BITSET
    default: return [...head, ptr(timeout), ptr(addr2), hex(val3)];
  }
}

export const futexDecoders: Readonly<Record<string, ArgsDecoder>> = { futex: (rec) => futexArgs(rec) };
