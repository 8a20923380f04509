// What the agent learns from the container's config.json (in the bundle named by the state): the
// container's seccomp filter is the runtime's, built from `linux.seccomp`, not planned from the
// engines' interests. Pure functions over the parsed JSON.
import { SYSCALLS, syscallNumber } from '../../syscalls/table.js';
import type { Engine } from '../../chain/engine.js';

export interface ContainerSeccomp {
  /** Syscall numbers the filter may notify (x86_64). */
  notified: Set<number>;
  /** Of those, the ones notified only under argument tests (no NOTIFY rule without `args`). */
  conditional: Set<number>;
  /** The filter waits killably once a notification is received (rewrite restores exactly). */
  killableWait: boolean;
  /** Architectures other than x86_64 whose calls the filter may notify. */
  foreignArchitectures: string[];
}

const NOTIFY = 'SCMP_ACT_NOTIFY';
/** Architectures whose calls carry x86_64 syscall numbers (x32 sets bit 30: no engine wants them). */
const NATIVE = new Set(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Which syscalls `linux.seccomp` of a container config notifies: those of SCMP_ACT_NOTIFY rules
 * (whatever their argument tests), or, with defaultAction SCMP_ACT_NOTIFY, all but those of rules
 * with another action and no argument test. Undefined when the config has no seccomp section.
 */
export function containerSeccomp(config: unknown): ContainerSeccomp | undefined {
  const seccomp = isObject(config) && isObject(config['linux']) ? config['linux']['seccomp'] : undefined;
  if (!isObject(seccomp)) return undefined;
  const notified = new Set<number>();
  const conditional = new Set<number>();
  const byDefault = seccomp['defaultAction'] === NOTIFY;
  if (byDefault) SYSCALLS.forEach((name, nr) => name && notified.add(nr));
  const rules = Array.isArray(seccomp['syscalls']) ? seccomp['syscalls'] : [];
  let anyNotify = byDefault;
  for (const rule of rules) {
    if (!isObject(rule) || !Array.isArray(rule['names'])) continue;
    const nrs = rule['names'].map((n) => (typeof n === 'string' ? syscallNumber(n) : undefined)).filter((n): n is number => n !== undefined);
    if (rule['action'] === NOTIFY) {
      anyNotify = true;
      const when = Array.isArray(rule['args']) && rule['args'].length > 0;
      nrs.forEach((nr) => {
        if (when && !notified.has(nr)) conditional.add(nr);
        if (!when) conditional.delete(nr);
        notified.add(nr);
      });
    } else if (byDefault && !(Array.isArray(rule['args']) && rule['args'].length > 0)) {
      nrs.forEach((nr) => notified.delete(nr));
    }
  }
  const flags = Array.isArray(seccomp['flags']) ? seccomp['flags'] : [];
  const arches = Array.isArray(seccomp['architectures']) ? seccomp['architectures'].filter((a): a is string => typeof a === 'string') : [];
  return {
    notified,
    conditional,
    killableWait: flags.includes('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'),
    foreignArchitectures: anyNotify ? arches.filter((a) => !NATIVE.has(a)) : [],
  };
}

/**
 * One line per engine that wants syscalls the container's filter does not notify (the engines
 * cannot add to a filter the runtime installed): what it will not see.
 */
export function unseenWarnings(engines: readonly Engine[], notified: ReadonlySet<number>): string[] {
  const lines: string[] = [];
  for (const e of engines) {
    if (e.interests === 'all') {
      if (notified.size < SYSCALLS.filter((s) => s).length) lines.push(`engine ${e.name} wants every syscall; the container's seccomp filter notifies ${notified.size}`);
      continue;
    }
    const missing = new Set<string>();
    for (const i of e.interests) {
      const nr = typeof i.syscall === 'number' ? i.syscall : syscallNumber(i.syscall);
      if (nr !== undefined && !notified.has(nr)) missing.add(SYSCALLS[nr] || String(nr));
    }
    if (missing.size === 0) continue;
    const names = [...missing];
    const shown = names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
    lines.push(`engine ${e.name}: the container's seccomp filter does not notify ${shown} (SCMP_ACT_NOTIFY in linux.seccomp), so it will not see them`);
  }
  return lines;
}
