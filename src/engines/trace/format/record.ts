// What the formatters know about one call, and their options.
import { MAX_ERRNO } from './errno.js';

/** What a formatter needs to know about one call. */
export interface SyscallRecord {
  name: string;
  /** Raw argument registers (signed 64-bit as numbers). Fewer than needed: missing ones print '?'. */
  args: readonly number[];
  /** Captured memory of argument i as a byte string (latin1: one char per byte). */
  strs?: readonly (string | undefined)[];
  /** Bit i: the C string of argument i was cut by the capture limit. */
  trunc?: number;
  /** Return value; undefined while the call has not returned (or never returns). */
  ret?: number;
  /** Element counts of array arguments that were counted rather than read (execve's envp). */
  counts?: readonly (number | undefined)[];
}

export interface FormatOptions {
  /** strace's -s: bytes of a data buffer printed before "...". Default 32. */
  strSize?: number;
  /** strace's -y: what file descriptor `fd` of the call's process is (`/etc/passwd`), printed
   *  after it as `3</etc/passwd>`; undefined: the number alone. `returned`: the descriptor the
   *  call returns (which its arguments may not know yet). */
  fdPath?: (rec: SyscallRecord, fd: number, returned?: boolean) => string | undefined;
}
/** True when `ret` is an error return (-4095..-1). */
export function isErrorReturn(ret: number): boolean {
  return ret < 0 && ret >= -MAX_ERRNO;
}

/**
 * A syscall whose arguments do not each print as their kind (strace's per-syscall decoders): the
 * whole argument list, formatted, or how many of the `argc` arguments of its signature print.
 */
export type ArgsDecoder = (rec: SyscallRecord, argc: number) => string[] | number;

/** A return value a syscall decodes with its arguments; undefined: the plain number. */
export type ReturnDecoder = (ret: number, args: readonly number[], strs?: readonly (string | undefined)[]) => string | undefined;
