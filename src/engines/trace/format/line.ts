// Whole strace lines: `PID  name(args) = ret`, `<unfinished ...>` / `<... name resumed>` pairs
// when a thread's call is interleaved with others, `+++ exited with N +++`,
// `+++ killed by SIGKILL +++` and `--- SIGCHLD {...} ---`.
import { formatArgList, formatReturn } from './syscall-args.js';
import type { FormatOptions, SyscallRecord } from './record.js';
import { splitPoint } from './signatures.js';
import { signalName } from './xlat.js';

/** The column strace aligns `= ret` to. */
export const RESULT_COLUMN = 40;

export interface LineOptions extends FormatOptions {
  /** Prefix lines with the thread id: `'column'` as `strace -f -o FILE` (`1234  `), `'bracket'`
   *  as strace -f on a terminal (`[pid  1234] `). Default: no prefix. */
  pidStyle?: 'none' | 'column' | 'bracket';
}

const COLUMN_PREFIXES = new Map<number, string>();

/** The thread id prefix: `1234  ` (printf "%-5d "), `[pid  1234] `, or ''. */
export function pidPrefix(pid: number | undefined, style: LineOptions['pidStyle'] = 'none'): string {
  if (pid === undefined || style === 'none') return '';
  if (style === 'bracket') return `[pid ${String(pid).padStart(5)}] `;
  // Made for every line of a trace: kept per thread (bounded).
  let p = COLUMN_PREFIXES.get(pid);
  if (p === undefined) {
    p = `${String(pid).padEnd(5)} `;
    if (COLUMN_PREFIXES.size >= 4096) COLUMN_PREFIXES.clear();
    COLUMN_PREFIXES.set(pid, p);
  }
  return p;
}

/** Appends ` = ret` aligned the way strace does (padded to column 40, else one space). */
function withResult(head: string, result: string): string {
  return (head.length < RESULT_COLUMN ? head.padEnd(RESULT_COLUMN) : head + ' ') + '= ' + result;
}

/** What strace prints around a line with -t/-tt/-ttt and -T: the timestamp after the pid prefix
 *  (`12:34:56.123456 `, counted in the column `= ret` is aligned to), the time spent after the
 *  result (` <0.000012>`). */
export interface LineExtras {
  stamp?: string;
  duration?: string;
}
const NO_EXTRAS: LineExtras = {};

/** A finished call: `1234  openat(AT_FDCWD, "/etc/hostname", O_RDONLY) = 3`. A call that never
 *  returns (exit_group) or whose return is unknown ends in `= ?`. */
export function syscallLine(pid: number | undefined, rec: SyscallRecord, options: LineOptions = {}, extras: LineExtras = NO_EXTRAS): string {
  const head = `${pidPrefix(pid, options.pidStyle)}${extras.stamp ?? ''}${rec.name}(${formatArgList(rec, options).join(', ')})`;
  return withResult(head, formatReturn(rec.name, rec.ret, rec.args, rec.strs, options, rec)) + (extras.duration ?? '');
}

/** The entry half of an interrupted line: the arguments known at entry, then `<unfinished ...>`:
 *  `wait4(-1, <unfinished ...>`, `vfork( <unfinished ...>`. */
export function unfinishedLine(pid: number | undefined, rec: SyscallRecord, options: LineOptions = {}, extras: LineExtras = NO_EXTRAS): string {
  const all = formatArgList({ ...rec, ret: undefined }, options);
  const split = splitPoint(rec.name);
  const head = `${pidPrefix(pid, options.pidStyle)}${extras.stamp ?? ''}${rec.name}(`;
  // An argument completed at exit ends the entry half: `clone3({flags=...} <unfinished ...>`.
  if (split.completes && split.index < all.length) return `${head}${all.slice(0, split.index + 1).join(', ')} <unfinished ...>`;
  const cut = Math.min(split.index, all.length);
  const known = all.slice(0, cut);
  // strace: the known arguments, each followed by ", " when more follow, then " <unfinished ...>"
  // (so two spaces after a cut before an output argument: `wait4(-1,  <unfinished ...>`).
  if (cut === all.length) return `${head}${known.join(', ')} <unfinished ...>`;
  return `${head}${known.map((a) => a + ', ').join('')} <unfinished ...>`;
}

/** The exit half: `<... wait4 resumed>[{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 42`. */
export function resumedLine(pid: number | undefined, rec: SyscallRecord, options: LineOptions = {}, extras: LineExtras = NO_EXTRAS): string {
  const all = formatArgList(rec, options);
  const split = splitPoint(rec.name);
  let resumed: string;
  if (split.completes && split.index < all.length) {
    // What exit adds to the argument (` => {parent_tid=[42]}`), then the arguments after it, each
    // after ", ": `<... clone3 resumed> => {parent_tid=[42]}, 88)`.
    const entry = formatArgList({ ...rec, ret: undefined }, options)[split.index]!;
    const exit = all[split.index]!;
    resumed = (exit.startsWith(entry) ? exit.slice(entry.length) : '') + all.slice(split.index + 1).map((a) => ', ' + a).join('');
  } else resumed = all.slice(Math.min(split.index, all.length)).join(', ');
  const head = `${pidPrefix(pid, options.pidStyle)}${extras.stamp ?? ''}<... ${rec.name} resumed>${resumed})`;
  return withResult(head, formatReturn(rec.name, rec.ret, rec.args, rec.strs, options, rec)) + (extras.duration ?? '');
}

/** How a process ended, from its wait status: `+++ exited with 3 +++`, `+++ killed by SIGKILL +++`,
 *  `+++ killed by SIGSEGV (core dumped) +++`. */
export function exitLine(pid: number | undefined, waitStatus: number, options: LineOptions = {}, extras: LineExtras = NO_EXTRAS): string {
  const sig = waitStatus & 0x7f;
  const text =
    sig === 0
      ? `exited with ${(waitStatus >> 8) & 0xff}`
      : `killed by ${signalName(sig)}${waitStatus & 0x80 ? ' (core dumped)' : ''}`;
  return `${pidPrefix(pid, options.pidStyle)}${extras.stamp ?? ''}+++ ${text} +++`;
}

const SI_CODES: Record<number, string> = {
  0: 'SI_USER', 0x80: 'SI_KERNEL', [-1]: 'SI_QUEUE', [-2]: 'SI_TIMER', [-3]: 'SI_MESGQ',
  [-4]: 'SI_ASYNCIO', [-5]: 'SI_SIGIO', [-6]: 'SI_TKILL',
};
const CLD_CODES = ['', 'CLD_EXITED', 'CLD_KILLED', 'CLD_DUMPED', 'CLD_TRAPPED', 'CLD_STOPPED', 'CLD_CONTINUED'];
const SEGV_CODES = ['', 'SEGV_MAPERR', 'SEGV_ACCERR', 'SEGV_BNDERR', 'SEGV_PKUERR'];

/** si_code as strace names it for this signal. */
export function siCodeName(sig: number, code: number): string {
  if (code > 0 && code < 0x80) {
    if (sig === 17 && CLD_CODES[code]) return CLD_CODES[code]!;
    if (sig === 11 && SEGV_CODES[code]) return SEGV_CODES[code]!;
  }
  return SI_CODES[code] ?? String(code);
}

/** A delivered signal: `--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=42, ...} ---`.
 *  `fields` follow si_signo and si_code in the order given (values printed as they are). */
export function signalLine(
  pid: number | undefined,
  sig: number,
  code: number,
  fields: Readonly<Record<string, string | number>> = {},
  options: LineOptions = {},
  extras: LineExtras = NO_EXTRAS,
): string {
  const name = signalName(sig);
  const parts = [`si_signo=${name}`, `si_code=${siCodeName(sig, code)}`];
  for (const [k, v] of Object.entries(fields)) parts.push(`${k}=${v}`);
  return `${pidPrefix(pid, options.pidStyle)}${extras.stamp ?? ''}--- ${name} {${parts.join(', ')}} ---`;
}
