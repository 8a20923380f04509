// The planner's filter said in the OCI runtime-spec format (`linux.seccomp` of a bundle's
// config.json), for the container runtimes that install the filter themselves (runc, crun) and
// send its listener to `sysvisor agent`. Pure: from a FilterPlan (and a bundle's own section, for
// --merge) to a JSON value. 64-bit argument values are written as exact integer literals.
import type { ArgTest, FilterPlan } from './plan.js';
import { syscallName } from '../syscalls/table.js';

/**
 * What each runtime needs of its section. `write`: runc writes on its sync pipe between installing
 * the filter and handing the listener over, so it refuses SCMP_ACT_NOTIFY on write (notified, the
 * write would wait for an agent that has no listener yet); crun sends the listener from a helper
 * process outside the filter since 1.6 (before, it hung with sendmsg notified: crun#1002). Flags:
 * runc 1.1 (Debian 12's 1.1.5) refuses any `flags` ("seccomp flags are not yet supported").
 * `any` is for both (runc from 1.2 on).
 */
export const RUNTIMES = {
  any: { leftOut: ['write'], flags: true },
  'runc-1.1': { leftOut: ['write'], flags: false },
  crun: { leftOut: [], flags: true },
} as const satisfies Record<string, { leftOut: readonly string[]; flags: boolean }>;
export type RuntimeName = keyof typeof RUNTIMES;

/** One argument condition of an OCI seccomp rule. */
export interface OciArg {
  index: number;
  value: bigint;
  valueTwo?: bigint;
  op: 'SCMP_CMP_EQ' | 'SCMP_CMP_NE' | 'SCMP_CMP_MASKED_EQ';
}

export interface OciRule {
  names: string[];
  action: string;
  args?: OciArg[];
  [other: string]: unknown;
}

export interface OciSeccompOptions {
  /** linux.seccomp.listenerPath (the agent's socket). */
  socket?: string;
  /** The bundle's config.json (parsed): its linux.seccomp keeps its defaultAction and rules. */
  merge?: unknown;
  /** The runtime the section is for (default `any`). */
  runtime?: RuntimeName;
}

export interface OciSeccomp {
  /** The linux.seccomp value. */
  seccomp: Record<string, unknown>;
  /** What the output leaves out of the plan, one line each (for stderr). */
  notes: string[];
}

const NOTIFY = 'SCMP_ACT_NOTIFY';
const WAIT_KILLABLE = 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';
/** Actions that let a call run: a notified call continued by the agent does no more. */
const LETS_RUN = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG']);
const ALL64 = (1n << 64n) - 1n;
/** An "any of these bits" test becomes one rule per bit; beyond this many, the call is notified always. */
const MAX_BIT_RULES = 8;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const u64 = (v: number | bigint) => BigInt.asUintN(64, BigInt(v));

/**
 * One planner test as OCI conditions, any of which may hold (OR): equality is SCMP_CMP_EQ; "any of
 * the bits" is SCMP_CMP_NE 0 for all 64 bits, else SCMP_CMP_MASKED_EQ per bit (value is the mask,
 * valueTwo the datum: the same bit). Undefined when it would take too many rules.
 */
function conditions(t: ArgTest): OciArg[] | undefined {
  if ('eq' in t) return [{ index: t.arg, value: u64(t.eq), op: 'SCMP_CMP_EQ' }];
  const mask = u64(t.anyBits);
  if (mask === ALL64) return [{ index: t.arg, value: 0n, op: 'SCMP_CMP_NE' }];
  const bits: bigint[] = [];
  for (let b = 0n; b < 64n; b++) if ((mask >> b) & 1n) bits.push(1n << b);
  if (bits.length > MAX_BIT_RULES) return undefined;
  return bits.map((bit) => ({ index: t.arg, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' }));
}

/**
 * The argument lists of the rules for one syscall (OR of ANDs), or undefined for "always": a group
 * of tests is one rule per combination of its tests' alternatives. Two tests on one argument are
 * not put in one rule (runc splits such a rule into an OR): the call is then notified always, and
 * the engine's own check decides, as for any call it does not want.
 */
export function ruleArgs(groups: readonly (readonly ArgTest[])[] | undefined): OciArg[][] | undefined {
  if (!groups) return undefined;
  const rules: OciArg[][] = [];
  for (const group of groups) {
    if (new Set(group.map((t) => t.arg)).size !== group.length) return undefined;
    let combos: OciArg[][] = [[]];
    for (const t of group) {
      const alts = conditions(t);
      if (!alts) return undefined;
      combos = combos.flatMap((c) => alts.map((a) => [...c, a]));
    }
    rules.push(...combos);
  }
  return rules;
}

/** How the bundle's section treats one syscall name. */
function bundleTreatment(rules: readonly OciRule[], name: string, defaultAction: string): 'unset' | 'runs' | 'kept' {
  const mine = rules.filter((r) => r.names.includes(name));
  if (mine.length === 0) return LETS_RUN.has(defaultAction) ? 'unset' : 'kept';
  if (mine.every((r) => LETS_RUN.has(r.action) && !(Array.isArray(r.args) && r.args.length > 0))) return 'runs';
  return 'kept';
}

function bundleSeccomp(config: unknown): Record<string, unknown> | undefined {
  const linux = isObject(config) ? config['linux'] : undefined;
  const s = isObject(linux) ? linux['seccomp'] : undefined;
  return isObject(s) ? s : undefined;
}

/**
 * The `linux.seccomp` section notifying what `plan` notifies. Without a bundle: defaultAction
 * SCMP_ACT_ALLOW, x86_64 only (the engines read x86_64 numbers). With one: its defaultAction,
 * architectures and rules stay; a planned syscall the bundle lets run unconditionally (by a rule or
 * by the default) is notified instead (always, when the default would refuse the calls the
 * planner's tests leave out); one it refuses or allows only under conditions stays as the bundle
 * says, and the engines do not see it (named in `notes`).
 */
export function ociSeccomp(plan: Pick<FilterPlan, 'syscalls' | 'conditional'>, o: OciSeccompOptions = {}): OciSeccomp {
  const notes: string[] = [];
  const runtime = RUNTIMES[o.runtime ?? 'any'];
  const base = o.merge === undefined ? undefined : bundleSeccomp(o.merge);
  if (o.merge !== undefined && !base) notes.push('the bundle has no linux.seccomp: a new section, everything else allowed');
  const defaultAction = typeof base?.['defaultAction'] === 'string' ? base['defaultAction'] : 'SCMP_ACT_ALLOW';
  const rules: OciRule[] = [];
  for (const r of Array.isArray(base?.['syscalls']) ? base['syscalls'] : []) {
    if (isObject(r) && Array.isArray(r['names'])) rules.push({ ...r, names: r['names'].filter((n): n is string => typeof n === 'string'), action: String(r['action']) });
  }
  const leftOut = { runtime: [] as string[], bundle: [] as string[], unknown: [] as number[] };
  const added: OciRule[] = [];
  const always: string[] = [];
  for (const nr of plan.syscalls) {
    const name = syscallName(nr);
    if (!name || /^\d+$/.test(name)) {
      leftOut.unknown.push(nr);
      continue;
    }
    if ((runtime.leftOut as readonly string[]).includes(name)) {
      leftOut.runtime.push(name);
      continue;
    }
    if (defaultAction === NOTIFY) continue; // notified already
    const how = bundleTreatment(rules, name, defaultAction);
    if (how === 'kept') {
      leftOut.bundle.push(name);
      continue;
    }
    if (how === 'runs') for (const r of rules) r.names = r.names.filter((n) => n !== name);
    const args = ruleArgs(plan.conditional.get(nr));
    // The calls the tests leave out must still run: under a refusing default, notify them all.
    if (!args || !LETS_RUN.has(defaultAction)) always.push(name);
    else for (const a of args) added.push({ names: [name], action: NOTIFY, args: a });
  }
  if (always.length) added.unshift({ names: always, action: NOTIFY });
  if (leftOut.runtime.length)
    notes.push(`left out: ${leftOut.runtime.join(', ')}, which the runtime calls before the agent has the listener (runc refuses SCMP_ACT_NOTIFY on write; --runtime crun notifies it): the engines will not see these calls`);
  if (leftOut.bundle.length)
    notes.push(`left out: ${leftOut.bundle.join(', ')}, which the bundle refuses or allows only under conditions (kept as it says): the engines will not see these calls`);
  if (leftOut.unknown.length) notes.push(`left out: syscall numbers ${leftOut.unknown.join(', ')}, which have no name`);

  let flags = Array.isArray(base?.['flags']) ? base['flags'].filter((f): f is string => typeof f === 'string') : [];
  if (runtime.flags && !flags.includes(WAIT_KILLABLE)) flags.push(WAIT_KILLABLE);
  if (!runtime.flags) {
    notes.push(`no flags${flags.length ? ` (the bundle's ${flags.join(', ')} dropped)` : ''}: runc 1.1 refuses them; without ${WAIT_KILLABLE}, a signal may interrupt a notified call while the agent answers it`);
    flags = [];
  }
  const { flags: _bundleFlags, ...kept } = base ?? {};
  const seccomp: Record<string, unknown> = {
    ...kept,
    defaultAction,
    architectures: Array.isArray(base?.['architectures']) ? base['architectures'] : ['SCMP_ARCH_X86_64'],
    ...(flags.length ? { flags } : {}),
    syscalls: [...rules.filter((r) => r.names.length > 0), ...added],
  };
  if (o.socket !== undefined) seccomp['listenerPath'] = o.socket;
  if (typeof seccomp['listenerPath'] !== 'string') notes.push('no listenerPath: give --socket PATH (the runtime refuses SCMP_ACT_NOTIFY without one)');
  return { seccomp, notes };
}

/** JSON text with bigints as exact integer literals (runc and crun read 64-bit values). */
export function toJson(value: unknown, indent = 2): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      marks.push(v.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    },
    indent,
  );
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]!);
}
