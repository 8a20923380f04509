// `e=` of the trace engine: which syscalls are traced. Names, numbers and strace's classes
// (%file, %process, %network, %signal, %memory, %desc, %ipc, %creds, %clock, %stat, %pure...,
// exactly strace's sets: the table's class facts), a leading `!` to exclude (`e=!%memory`, i.e.
// everything but those), or `all`.
import { UsageError } from '../../chain/errors.js';
import { nrOf, STRACE_CLASSES, SYSCALLS, syscallNumber, syscallsWith } from '../../syscalls/table.js';
import { MAX_SYSCALLS } from '../../observe/bpf-trace.js';
import { signalName } from './format/xlat.js';

/** A class's numbers (strace's sets, from the table), by class name in lower case. */
const CLASSES = new Map<string, readonly number[]>(
  Object.entries(STRACE_CLASSES).map(([name, facts]) => [name, syscallsWith(facts).map(nrOf)] as const),
);

/** Marks in `set` the numbers of one item (a name, a number or %class); false when unknown. */
function mark(set: Uint8Array, item: string, value: 0 | 1): boolean {
  if (item === 'all') {
    set.fill(value);
    return true;
  }
  // Class names, as strace's, are not case-sensitive.
  const members = CLASSES.get(item.toLowerCase());
  if (members) {
    for (const nr of members) set[nr] = value;
    return true;
  }
  if (item.startsWith('%')) return false;
  const nr = /^\d+$/.test(item) ? Number(item) : syscallNumber(item);
  if (nr === undefined || nr >= MAX_SYSCALLS) return false;
  set[nr] = value;
  return true;
}

/**
 * The traced set (index = syscall number, 1 = traced) from the items of `e=`. No items: all.
 * Only exclusions (`!x`): all but those. Throws UsageError on an unknown name or class.
 */
export function selectSyscalls(items: readonly string[] | undefined): Uint8Array {
  const set = new Uint8Array(MAX_SYSCALLS);
  if (!items || items.length === 0) return set.fill(1);
  if (items.every((i) => i.startsWith('!'))) set.fill(1);
  for (const raw of items) {
    const neg = raw.startsWith('!');
    const item = neg ? raw.slice(1) : raw;
    if (!mark(set, item, neg ? 0 : 1)) {
      const classes = [...CLASSES.keys()].filter((c) => c.startsWith('%')).join(' ');
      throw new UsageError(`trace: unknown syscall '${item}' in e= (names, numbers, all, or a class: ${classes})`);
    }
  }
  return set;
}

/** Names of the traced syscalls (known numbers only). */
export function selectedNames(set: Uint8Array): string[] {
  const out: string[] = [];
  for (let nr = 0; nr < SYSCALLS.length; nr++) if (set[nr] && SYSCALLS[nr]) out.push(SYSCALLS[nr]!);
  return out;
}

/** Signal numbers (1..64). */
const NSIG = 65;

/** A signal's number from its name (SIGCHLD, CHLD, chld) or number; undefined when unknown. */
function signalNumber(item: string): number | undefined {
  if (/^\d+$/.test(item)) return Number(item) > 0 && Number(item) < NSIG ? Number(item) : undefined;
  const name = item.toUpperCase().replace(/^SIG/, '');
  for (let n = 1; n < NSIG; n++) if (signalName(n) === `SIG${name}`) return n;
  return undefined;
}

/**
 * `signal=`: the signals whose delivery lines are shown (index = number, 1 = shown), as strace's
 * -e signal=: names, numbers, `all`, `none`; only exclusions (`!x`): all but those.
 */
export function selectSignals(items: readonly string[]): Uint8Array {
  const set = new Uint8Array(NSIG);
  if (items.length > 0 && items.every((i) => i.startsWith('!'))) set.fill(1);
  for (const raw of items) {
    const neg = raw.startsWith('!');
    const item = neg ? raw.slice(1) : raw;
    if (item === 'all' || item === 'none') {
      set.fill(item === 'all' !== neg ? 1 : 0);
      continue;
    }
    const n = signalNumber(item);
    if (n === undefined) throw new UsageError(`trace: unknown signal '${item}' in signal= (names such as SIGCHLD or CHLD, numbers, all, none)`);
    set[n] = neg ? 0 : 1;
  }
  return set;
}
