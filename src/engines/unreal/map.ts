// Path mapping of one `unreal` instance. Its view: the root R holds a directory NAME (default
// `unreal`) that is R again, which holds NAME, R once more; below that, NAME is an ordinary name
// (for the engine further out to map). So `/unreal/X` and `/unreal/unreal/X` are `/X`, and the
// position in the view is (level 0..2, real path).
//
// The common case is a prefix strip. Paths where `..` or NAME appear after the prefix, relative
// paths naming NAME, and chdir (whose final level matters) are walked component by component; a
// symlink met on the way is read (as the tracee) and followed the way a bind mount of / at /unreal
// would: an absolute target starts again at R.

export const MAX_LEVELS = 2;
const MAX_SYMLINKS = 40;

/** Reads a symlink as the tracee: its target, or null when the path is not a readable symlink. */
export type Probe = (realPath: string) => string | null;

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

  constructor(prefix = '/unreal') {
    if (!/^\/[^/]+$/.test(prefix) || prefix === '/.' || prefix === '/..') throw new RangeError(`prefix must be one absolute component, got '${prefix}'`);
    this.prefix = prefix;
    this.name = prefix.slice(1);
  }

  /** Strips up to MAX_LEVELS leading prefixes: [rest, levels]. `/unreal` alone is `/`. */
  strip(path: string): [string, number] {
    let p = path;
    let k = 0;
    while (k < MAX_LEVELS && p.startsWith(this.prefix) && (p.length === this.prefix.length || p[this.prefix.length] === '/')) {
      p = p.slice(this.prefix.length);
      k++;
    }
    return [p === '' ? '/' : p, k];
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
    const [rest, k] = this.strip(path);
    if (k === 0) return this.mentions(components(path), false) ? null : { path, level: 0, changed: false };
    if (this.mentions(components(rest), true)) return null;
    return { path: rest, level: k, changed: true };
  }

  /** Does a relative path need the walk? Only when it names NAME (or `..` for chdir). */
  relativeNeedsWalk(path: string, dots: boolean): boolean {
    return this.mentions(components(path), dots);
  }

  /**
   * Walks `path` from `base` (ignored for absolute paths: they start at R, level 0). Reads
   * symlinks only where it matters: always when `followAll` (chdir), else only while a later
   * component is `..` or NAME. The last component is followed only with `followAll`.
   */
  walk(path: string, base: Place, probe: Probe, followAll: boolean): Mapped {
    const absolute = path.startsWith('/');
    const trailing = path.length > 1 && path.endsWith('/');
    let level = absolute ? 0 : base.level;
    let cur = absolute ? [] : components(base.real);
    const queue = components(path);
    let changed = false;
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === '.') continue;
      if (c === '..') {
        if (cur.length > 0) cur.pop();
        else if (level > 0) level--;
        continue;
      }
      if (c === this.name && cur.length === 0 && level < MAX_LEVELS) {
        level++;
        changed = true;
        continue;
      }
      cur.push(c);
      const last = queue.length === 0;
      const needed = followAll || (!last && this.mentions(queue, true));
      if (!needed || (last && !followAll) || links >= MAX_SYMLINKS) continue;
      const target = probe(join(cur));
      if (target === null || target === '') continue;
      links++;
      cur.pop();
      queue.unshift(...components(target));
      if (target.startsWith('/')) {
        // An absolute target starts again at the root of the view (the kernel, following the
        // same link from the original string, ends at the same real place).
        cur = [];
        level = 0;
      }
    }
    if (!changed) return { path, level, changed: false };
    let out = join(cur);
    if (trailing && out !== '/') out += '/';
    return { path: out, level, changed: true };
  }
}
