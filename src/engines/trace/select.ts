// `signal=` of the trace engine: which signal deliveries are shown, as strace's -e signal=.
// (The syscall selection, `e=`, is src/syscalls/select.ts, shared with count.)
import { UsageError } from '../../chain/errors.js';
import { signalName } from './format/xlat.js';

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
