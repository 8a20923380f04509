// A selection of syscalls as strace's `-e trace=` takes it (trace's `e=`, count's `syscalls=`):
// names, numbers and strace's classes (%file, %process, %network, %signal, %memory, %desc, %ipc,
// %creds, %clock, %stat, %pure..., exactly strace's sets: the table's class facts), a leading `!`
// to exclude (`!%memory`, i.e. everything but those), or `all`.
import { nrOf, STRACE_CLASSES, SYSCALLS, syscallNumber, syscallsWith } from './table.js';
import { MAX_SYSCALLS } from '../native/contract.js';

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

/** Throws the caller's error for an unknown item (`classes`: the class names, space-separated). */
export type OnUnknown = (item: string, classes: string) => never;
const unknownItem: OnUnknown = (item, classes) => {
  throw new RangeError(`unknown syscall '${item}' (names, numbers, all, or a class: ${classes})`);
};

/**
 * The selected set (index = syscall number, 1 = selected) from the items. No items: all.
 * Only exclusions (`!x`): all but those. An unknown name or class: `onUnknown` throws.
 */
export function selectSyscalls(items: readonly string[] | undefined, onUnknown: OnUnknown = unknownItem): Uint8Array {
  const set = new Uint8Array(MAX_SYSCALLS);
  if (!items || items.length === 0) return set.fill(1);
  if (items.every((i) => i.startsWith('!'))) set.fill(1);
  for (const raw of items) {
    const neg = raw.startsWith('!');
    const item = neg ? raw.slice(1) : raw;
    if (!mark(set, item, neg ? 0 : 1)) {
      const classes = [...CLASSES.keys()].filter((c) => c.startsWith('%')).join(' ');
      onUnknown(item, classes);
    }
  }
  return set;
}

/** Names of the selected syscalls (known numbers only). */
export function selectedNames(set: Uint8Array): string[] {
  const out: string[] = [];
  for (let nr = 0; nr < SYSCALLS.length; nr++) if (set[nr] && SYSCALLS[nr]) out.push(SYSCALLS[nr]!);
  return out;
}
