// Native plans: what an engine does to some calls, declared as data, so that the pump can do it in
// C++ (addon/src/unotify/plan.h) and never enter JS for a call when every engine of its chain has a
// plan for it. TypeScript interprets the same plan (planPath), and the engine's own mapping is that
// interpretation (unreal's PathMap.fast): one mapping, with two interpreters of it, as the filter
// planner's cBPF has an interpreter for the tests.
//
// A path plan strips up to `levels` leading copies of `prefix` (one absolute component; whole
// components: `/unreal` and `/unreal/x`, never `/unrealx`). A path the plan alone cannot decide
// (the prefix's name or `..` after what it strips, or the name anywhere in a path that does not
// start with the prefix) needs the engine in JS (its walk). Except `..` for an executor that walks
// the path itself, as the tracee, component by component (`walked`: the pump's emulation of the
// calls whose answer does not depend on the level reached, e.g. stat): each component before a
// `..` must then exist and be a directory or a symlink to one (followed in the view), `..` needs
// search permission and stays at the root, as in the engine's walk; what the level would be after
// a `..` is not needed by such a call.

export interface PathPlan {
  /** One absolute component, as a byte string (e.g. `/unreal`). */
  readonly prefix: string;
  /** At most this many leading copies are stripped. */
  readonly levels: number;
}

/**
 * For `syscalls`, all the engine does to a call is to map its path argument by `path` (nothing kept,
 * no result looked at); an emulated call then follows symlinks in the program's view, each plan's
 * prefix stripped up to its levels from an absolute target (the executor's linkViews). With
 * `seesCredentials`, the engine sees every credential change of the threads it serves (as
 * Syscall.seeCredentials), so the identity cache may serve its calls.
 */
export interface NativePlan {
  readonly syscalls: readonly string[];
  readonly path: PathPlan;
  readonly seesCredentials: boolean;
  /**
   * The engine also records each file an open of `syscalls` gives the program through its prefix:
   * the process, the levels stripped, the file's dev/ino (unreal, for /proc/self/fd/N). An open the
   * pump runs is answered at once and its record kept; the records are handed to the engine
   * (Engine.nativeOpened), oldest first, before any call named in `readers` is dispatched (the calls
   * whose handling reads what the engine recorded), so a program sees in a later call the record of
   * an open it returned from. Without it, a plan for an open means the mapping alone.
   */
  readonly opens?: { readonly readers: readonly string[] };
}

/** A file an open run under native plans gave a program (see NativePlan.opens). */
export interface NativeOpened {
  /** The process (tgid) and its start time (clock ticks since boot, as /proc/PID/stat says). */
  readonly tgid: number;
  readonly start: number;
  /** How many copies of its prefix this engine's plan stripped from the open's path. */
  readonly level: number;
  readonly dev: number;
  readonly ino: number;
}

/** Where a path lands under a plan. */
export interface Planned {
  /** The path for the engines further out and the kernel. */
  path: string;
  /** How many copies of the prefix were stripped. */
  level: number;
  /** False when the path is left as it is. */
  changed: boolean;
}

/** Strips up to plan.levels leading copies of the prefix: [rest, copies]. `/unreal` alone is `/`. */
export function stripPrefix(plan: PathPlan, path: string): [string, number] {
  const { prefix } = plan;
  let p = path;
  let k = 0;
  while (k < plan.levels && p.startsWith(prefix) && (p.length === prefix.length || p[prefix.length] === '/')) {
    p = p.slice(prefix.length);
    k++;
  }
  return [p === '' ? '/' : p, k];
}

/** A component of `path` is `name` (or `..`, with dots). */
function mentions(path: string, name: string, dots: boolean): boolean {
  for (const c of path.split('/')) if (c === name || (dots && c === '..')) return true;
  return false;
}

/**
 * The plan applied to an absolute path, or null when the engine must see it (its walk). `walked`:
 * the executor walks the path itself and needs no level (see above), so `..` after the prefix is
 * no reason for the engine's walk.
 */
export function planPath(plan: PathPlan, path: string, walked = false): Planned | null {
  const name = plan.prefix.slice(1);
  const [rest, k] = stripPrefix(plan, path);
  if (k === 0) return mentions(path, name, false) ? null : { path, level: 0, changed: false };
  if (mentions(rest, name, !walked)) return null;
  return { path: rest, level: k, changed: true };
}
