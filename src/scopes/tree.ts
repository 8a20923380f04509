// Scopes: engine stacks belong to process subtrees. The root scope holds the engines of the
// outermost `sysvisor run`; a nested `sysvisor run` (process S) pushes a scope whose members are
// S's descendants (S itself stays in its own scope). A process's scope is found once, at its first
// notification, by walking up its parents to the nearest scope owner, and cached; S is a child
// subreaper, so orphans of its subtree stay below it. Cache entries are re-validated (start time)
// when older than about a second, so a recycled thread id never inherits a dead process's scope
// (the kernel hands out pids cyclically: reuse within a second would take pid_max forks).
//
// A scope made by an unprivileged process is confined (see privilege.ts): its engines, and those of
// every scope below it, act only on processes with no_new_privs. Any other process found in it
// (one its owner forked without the flag, which may exec a setuid program) is served by the
// nearest scope above that is not confined.
import type { Engine } from '../chain/engine.js';
import { EngineStack } from '../chain/stack.js';
import type { Step } from '../chain/compose.js';
import { noNewPrivs } from './privilege.js';

export interface TaskInfo {
  tgid: number;
  ppid: number;
  start: number;
}

export type TaskInfoFn = (tid: number) => TaskInfo | null;

export class Scope {
  /** Own engines, outermost first, with the spec each was made from. */
  readonly own: { engine: Engine; spec: string }[] = [];
  stack: EngineStack;
  /** Effective uid of whoever made the scope (the outermost sysvisor, or the nested one). */
  creatorUid = process.geteuid?.() ?? 0;
  /**
   * Made (here or above) by a process without privileges: the engines apply only to processes
   * that cannot gain privileges. The root scope is not: the kernel already required no_new_privs
   * of its tree when the outermost sysvisor lacks privileges.
   */
  confined = false;
  /** Processes seen in this scope (tgid -> start time), to end them if the owner dies. */
  readonly members = new Map<number, number>();
  pruneAt = MEMBERS_PRUNE;

  constructor(
    readonly id: number,
    readonly parent: Scope | undefined,
    /** The process whose descendants are members (undefined for the root scope). */
    readonly owner: number | undefined,
    private readonly executor: Step,
  ) {
    this.stack = new EngineStack([], executor);
  }

  /** Effective engines, outermost first: the parents' then this scope's own. */
  engines(): Engine[] {
    return [...(this.parent?.engines() ?? []), ...this.own.map((o) => o.engine)];
  }

  depth(): number {
    return this.parent ? this.parent.depth() + 1 : 0;
  }

  /** From the root to this scope. */
  lineage(): Scope[] {
    return [...(this.parent?.lineage() ?? []), this];
  }

  /** The nearest scope, this one or above, that is not confined. */
  unconfined(): Scope {
    return this.confined ? this.parent!.unconfined() : this;
  }

  rebuild(): void {
    this.stack = new EngineStack(this.engines(), this.executor);
  }
}

interface CacheEntry {
  /** The scope by ancestry (what the thread's children inherit). */
  scope: Scope;
  /** The scope whose engines serve the thread itself (found at its first call). */
  serves?: Scope;
  /** The thread's process and its start time. */
  tgid: number;
  start: number;
  /** Epoch of the last validation. */
  checked: number;
}

/** A scope's list of processes seen is pruned of the dead when it reaches this size. */
const MEMBERS_PRUNE = 1024;

/** The thread cache is pruned of threads gone when it reaches this size. */
const CACHE_PRUNE = 1024;

/** Cache entries are re-validated when older than one epoch (500-1000 ms). */
const EPOCH_MS = 500;

export class ScopeTree {
  readonly root: Scope;
  private readonly scopes = new Map<number, Scope>();
  private readonly owners = new Map<number, Scope>();
  private readonly cache = new Map<number, CacheEntry>();
  /** The cache is pruned of threads gone when it reaches this size (see cacheSet). */
  private cachePruneAt = CACHE_PRUNE;
  private nextId = 1;
  private epoch = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** Called after any change of engines or scopes (the transport re-plans its fast paths). */
  onChange: () => void = () => {};

  constructor(
    rootEngines: readonly { engine: Engine; spec: string }[],
    private readonly executor: Step,
    private readonly taskInfo: TaskInfoFn,
    /** Whether a process may be served by a confined scope (default: it has no_new_privs). */
    private readonly mayConfine: (tgid: number) => boolean = noNewPrivs,
  ) {
    this.root = new Scope(0, undefined, undefined, executor);
    this.root.own.push(...rootEngines);
    this.root.rebuild();
    this.scopes.set(0, this.root);
  }

  all(): Scope[] {
    return [...this.scopes.values()];
  }

  get(id: number): Scope | undefined {
    return this.scopes.get(id);
  }

  /** The stack for a notification from thread `tid`: a Map lookup once the thread is known. */
  stackFor(tid: number): EngineStack {
    if (this.owners.size === 0) return this.root.stack;
    return this.scopeOf(tid).stack;
  }

  scopeOf(tid: number): Scope {
    if (this.owners.size === 0) return this.root;
    const now = this.epoch;
    const hit = this.cache.get(tid);
    if (hit && (now - hit.checked <= 1 || this.taskInfo(tid)?.start === hit.start)) {
      hit.checked = now;
      return (hit.serves ??= this.serving(hit.scope, tid));
    }
    const info = this.taskInfo(tid);
    if (!info) return hit ? hit.scope.unconfined() : this.root;
    const scope = this.resolve(info.tgid === tid ? info : this.taskInfo(info.tgid) ?? info, 0);
    const entry: CacheEntry = { scope, tgid: info.tgid, start: info.start, checked: now };
    this.remember(scope, info.tgid, info.start);
    this.cacheSet(tid, entry);
    return (entry.serves = this.serving(scope, info.tgid));
  }

  // A confined scope serves only processes that cannot gain privileges.
  private serving(scope: Scope, tgid: number): Scope {
    if (!scope.confined) return scope;
    return this.mayConfine(tgid) ? scope : scope.unconfined();
  }

  // Walk up the parents to the nearest scope owner (or a cached ancestor).
  private resolve(info: TaskInfo, depth: number): Scope {
    const owned = this.owners.get(info.ppid);
    if (owned) return owned;
    if (info.ppid <= 1 || depth > 4096) return this.root;
    const cached = this.cache.get(info.ppid);
    const parent = this.taskInfo(info.ppid);
    if (!parent) return this.root;
    if (cached && cached.start === parent.start) return cached.scope;
    const scope = this.resolve(parent, depth + 1);
    this.cacheSet(info.ppid, { scope, tgid: info.ppid, start: parent.start, checked: this.epoch });
    this.remember(scope, info.ppid, parent.start);
    return scope;
  }

  /** A new innermost scope for the descendants of `owner` (a process of scope `parent`). */
  push(parent: Scope, owner: number, engines: readonly { engine: Engine; spec: string }[]): Scope {
    if (this.owners.has(owner)) throw new Error(`process ${owner} already owns scope ${this.owners.get(owner)!.id}`);
    const scope = new Scope(this.nextId++, parent, owner, this.executor);
    scope.own.push(...engines);
    scope.rebuild();
    this.scopes.set(scope.id, scope);
    this.owners.set(owner, scope);
    this.cache.clear();
    this.ticker ??= setInterval(() => this.epoch++, EPOCH_MS).unref();
    this.onChange();
    return scope;
  }

  /** The processes seen in `scope` or below it (they made a notified call, or had a child that did). */
  seen(scope: Scope): { pid: number; start: number }[] {
    const out: { pid: number; start: number }[] = [];
    for (const s of this.scopes.values()) if (s.lineage().includes(scope)) for (const [pid, start] of s.members) out.push({ pid, start });
    return out;
  }

  /** Entries in the thread cache (for the tests of its bound). */
  cached(): number {
    return this.cache.size;
  }

  // The cache has an entry per thread served while scopes exist, and the threads come and go:
  // entries whose thread is gone (or whose id was reused) are dropped whenever it doubles, so it
  // stays within twice the threads alive (plus CACHE_PRUNE), whatever the users inside make.
  private cacheSet(tid: number, entry: CacheEntry): void {
    if (this.cache.size >= this.cachePruneAt) {
      for (const [t, e] of this.cache) if (this.taskInfo(t)?.start !== e.start) this.cache.delete(t);
      this.cachePruneAt = Math.max(CACHE_PRUNE, 2 * this.cache.size);
    }
    this.cache.set(tid, entry);
  }

  // Remembered per scope (not in the cache, which every change clears), pruned of the dead.
  private remember(scope: Scope, tgid: number, start: number): void {
    if (scope === this.root) return;
    if (scope.members.size >= scope.pruneAt) {
      for (const [pid, st] of scope.members) if (this.taskInfo(pid)?.start !== st) scope.members.delete(pid);
      scope.pruneAt = Math.max(MEMBERS_PRUNE, 2 * scope.members.size);
    }
    scope.members.set(tgid, start);
  }

  /** The scope owned by process `owner`, if any. */
  ownedBy(owner: number): Scope | undefined {
    return this.owners.get(owner);
  }

  /** Removes a scope (its tree is done). Its engines are returned for closing. */
  pop(scope: Scope): Engine[] {
    if (scope === this.root) throw new Error('the outermost scope ends with the supervisor');
    for (const s of this.scopes.values()) if (s.parent === scope) this.pop(s);
    this.scopes.delete(scope.id);
    if (scope.owner !== undefined) this.owners.delete(scope.owner);
    this.cache.clear();
    if (this.owners.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
    this.onChange();
    return scope.own.map((o) => o.engine);
  }

  /** Adds an innermost engine to a scope; the scopes below see it too. */
  load(scope: Scope, engine: Engine, spec: string): void {
    scope.own.push({ engine, spec });
    this.rebuildFrom(scope);
  }

  /** Removes the innermost engine named `name` from the scope itself (never from a scope above). */
  unload(scope: Scope, name: string): Engine | undefined {
    for (let i = scope.own.length - 1; i >= 0; i--) {
      if (scope.own[i]!.engine.name === name) {
        const [removed] = scope.own.splice(i, 1);
        this.rebuildFrom(scope);
        return removed!.engine;
      }
    }
    return undefined;
  }

  private rebuildFrom(scope: Scope): void {
    for (const s of this.scopes.values()) if (s === scope || s.lineage().includes(scope)) s.rebuild();
    this.onChange();
  }
}
