// Scopes: engine stacks belong to process subtrees. The root scope holds the engines of the
// outermost `sysvisor run`; a nested `sysvisor run` (process S) pushes a scope whose members are
// S's descendants (S itself stays in its own scope). A process's scope is found once, at its first
// notification, by walking up its parents to the nearest scope owner, and cached; S is a child
// subreaper, so orphans of its subtree stay below it. Cache entries are re-validated (start time)
// when older than about a second, so a recycled thread id never inherits a dead process's scope
// (the kernel hands out pids cyclically: reuse within a second would take pid_max forks).
import type { Engine } from '../chain/engine.js';
import { EngineStack } from '../chain/stack.js';
import type { Step } from '../chain/compose.js';

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

  rebuild(): void {
    this.stack = new EngineStack(this.engines(), this.executor);
  }
}

interface CacheEntry {
  scope: Scope;
  start: number;
  /** Epoch of the last validation. */
  checked: number;
}

/** Cache entries are re-validated when older than one epoch (500-1000 ms). */
const EPOCH_MS = 500;

export class ScopeTree {
  readonly root: Scope;
  private readonly scopes = new Map<number, Scope>();
  private readonly owners = new Map<number, Scope>();
  private readonly cache = new Map<number, CacheEntry>();
  private nextId = 1;
  private epoch = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;
  /** Called after any change of engines or scopes (the transport re-plans its fast paths). */
  onChange: () => void = () => {};

  constructor(rootEngines: readonly { engine: Engine; spec: string }[], private readonly executor: Step, private readonly taskInfo: TaskInfoFn) {
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
      return hit.scope;
    }
    const info = this.taskInfo(tid);
    if (!info) return hit?.scope ?? this.root;
    const scope = this.resolve(info.tgid === tid ? info : this.taskInfo(info.tgid) ?? info, 0);
    this.cache.set(tid, { scope, start: info.start, checked: now });
    return scope;
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
    this.cache.set(info.ppid, { scope, start: parent.start, checked: this.epoch });
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
