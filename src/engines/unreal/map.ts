// Path mapping of one `unreal` instance. Its view: the root R holds a directory NAME (default
// `unreal`) that is R again, which holds NAME, R once more; below that, NAME is an ordinary name
// (for the engine further out to map). So `/unreal/X` and `/unreal/unreal/X` are `/X`, and the
// position in the view is (level 0..2, real path).
//
// The common case is a prefix strip. Paths where `..` or NAME appear after the prefix, relative
// paths naming NAME, and chdir (whose final level matters) are walked component by component; a
// symlink met on the way is read (as the tracee) and followed the way a bind mount of / at /unreal
// would: an absolute target starts again at R.
//
// Paths here are byte strings (one char per byte, Node's 'latin1'; see Syscall.latin1): names are
// bytes, so `x\xe9` and `x\xff` stay two names, and a symlink target is followed as it is stored.
// Strings rather than Buffers: the common case (a prefix strip) is a startsWith and a slice on a
// one-byte V8 string, with no allocation beyond the result.

import { planPath, stripPrefix, type PathPlan } from '../../chain/plan.js';

export const MAX_LEVELS = 2;
/** The kernel's limit (MAXSYMLINKS): following a 41st symlink in one resolution is ELOOP. */
export const MAX_SYMLINKS = 40;
const ENOTDIR = 20;
const ELOOP = 40;

/**
 * What a real path names, looked up as the tracee without following a final symlink (the
 * permission checks and errors of every directory on the way are the kernel's).
 */
export type Lookup =
  | { kind: 'dir' }
  | { kind: 'link'; target: string }
  | { kind: 'other' }
  | { kind: 'error'; errno: number }
  /** The engine cannot look as the tracee (procfs): taken for a directory, not followed. */
  | { kind: 'unknown' };

export type Probe = (realPath: string) => Lookup;

export interface Place {
  /** How many NAME levels deep, 0..MAX_LEVELS. */
  level: number;
  /** The real absolute path (canonical: the kernel's answer for a cwd or an fd). */
  real: string;
}

export interface Mapped {
  /** The path for the engines further out and the kernel. */
  path: string;
  /** Level of the final position (for chdir). */
  level: number;
  /** False when the kernel would find the same object with the original string. */
  changed: boolean;
  /** Set when resolving the path fails as the kernel's walk would: the call fails with it. */
  errno?: number;
}

function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '');
}

function join(parts: readonly string[]): string {
  return '/' + parts.join('/');
}

export class PathMap {
  readonly name: string;
  readonly prefix: string;
  /** The prefix strip as a native plan: fast() is its interpretation, and the pump's. */
  readonly plan: PathPlan;

  constructor(prefix = '/unreal') {
    if (!/^\/[^/]+$/.test(prefix) || prefix === '/.' || prefix === '/..') throw new RangeError(`prefix must be one absolute component, got '${prefix}'`);
    this.prefix = prefix;
    this.name = prefix.slice(1);
    this.plan = { prefix, levels: MAX_LEVELS };
  }

  /** Strips up to MAX_LEVELS leading prefixes: [rest, levels]. `/unreal` alone is `/`. */
  strip(path: string): [string, number] {
    return stripPrefix(this.plan, path);
  }

  /** True when some component is NAME (or `..`, with dots). */
  private mentions(comps: readonly string[], dots: boolean): boolean {
    for (const c of comps) if (c === this.name || (dots && c === '..')) return true;
    return false;
  }

  /**
   * Maps an absolute path. `walk` is needed when this returns null: NAME or `..` after the
   * prefix (or anywhere when the path does not start with it).
   */
  fast(path: string): Mapped | null {
    return planPath(this.plan, path);
  }

  /** Does a relative path need the walk? Only when it names NAME (or `..` for chdir). */
  relativeNeedsWalk(path: string, dots: boolean): boolean {
    return this.mentions(components(path), dots);
  }

  /**
   * Walks `path` from `base` (ignored for absolute paths: they start at R, level 0) the way the
   * kernel resolves it: every component before a `..` (or before NAME, which may land at R through
   * a symlink) must exist and be a directory, or a symlink to one, which is followed (at most
   * MAX_SYMLINKS in all); `..` needs search permission on the directory it leaves, and `..` of R
   * stays at R. Components that nothing after them makes the walk's business (no later `..` or
   * NAME) are left to the kernel, except that once a symlink was followed every directory
   * component is (so the kernel, counting again from zero, cannot follow more than the rest of
   * the budget). With `followAll` (chdir) every component is, and a final symlink too. A final `.`
   * or `..` is kept (resolved by the kernel from a directory with no symlink on its way), so the
   * call sees the kind of name it would natively (rmdir of `d/..` is ENOTEMPTY, not a removal).
   */
  walk(path: string, base: Place, probe: Probe, followAll: boolean): Mapped {
    const absolute = path.startsWith('/');
    const trailing = path.length > 1 && path.endsWith('/');
    let level = absolute ? 0 : base.level;
    let cur = absolute ? [] : components(base.real);
    const queue = components(path);
    let changed = false;
    let links = 0;
    let dots = '';
    const fail = (errno: number): Mapped => ({ path, level, changed: false, errno });
    while (queue.length > 0) {
      const c = queue.shift()!;
      const last = queue.length === 0;
      if (c === '.' || c === '..') {
        if (last) dots = c;
        if (c === '.') continue;
        if (cur.length > 0) {
          // Looking `..` up needs search permission on the directory (the kernel's may_lookup).
          const here = probe(join(cur) + '/.');
          if (here.kind === 'error') return fail(here.errno);
          if (!last) cur.pop();
        } else if (level > 0) level--;
        continue;
      }
      if (c === this.name && cur.length === 0 && level < MAX_LEVELS) {
        level++;
        changed = true;
        continue;
      }
      cur.push(c);
      const needed = last ? followAll : followAll || links > 0 || this.mentions(queue, true);
      if (!needed) continue;
      const found = probe(join(cur));
      if (found.kind === 'dir' || found.kind === 'unknown') continue;
      if (found.kind !== 'link') {
        // A final name is the call's business (chdir to a file is ENOTDIR there).
        if (last) continue;
        return fail(found.kind === 'error' ? found.errno : ENOTDIR);
      }
      if (++links > MAX_SYMLINKS) return fail(ELOOP);
      cur.pop();
      queue.unshift(...components(found.target));
      if (found.target.startsWith('/')) {
        // An absolute target starts again at the root of the view (the kernel, following the
        // same link from the original string, ends at the same real place).
        cur = [];
        level = 0;
      }
      // An empty target is ENOENT, as in the kernel.
      if (found.target === '') return fail(2);
    }
    if (!changed) return { path, level, changed: false };
    let out = join(cur);
    if (dots) out = (out === '/' ? '' : out) + '/' + dots;
    if (trailing && out !== '/') out += '/';
    return { path: out, level, changed: true };
  }
}
