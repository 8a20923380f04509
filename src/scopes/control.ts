// The supervisor's side of the control protocol (see protocol.ts): answers the control calls of
// nested sysvisors and of `sysvisor load/unload/engines`. The caller is the notification's thread,
// as the kernel reports it; a caller acts only on its own scope, or pushes one for its children.
//
// A caller without privileges (privilege.ts) gets a confined scope, pays for it from a per-user
// budget checked before anything is built (limits.ts), and its scope ends when it dies without
// popping it (watched through a pidfd): its processes are killed, or go on without its engines.
import type { Engine, OutputSink } from '../chain/engine.js';
import type { Reporter } from '../chain/report.js';
import { Result } from '../chain/result.js';
import type { Syscall } from '../chain/syscall.js';
import type { FilterPlan, Interest } from '../filter/plan.js';
import type { RawBinding } from '../native/load.js';
import { buildEngines, closeEngines } from '../engines/build.js';
import { loadBuiltinEngines } from '../engines/registry.js';
import { FdSink } from '../engines/output.js';
import { syscallNumber } from '../syscalls/table.js';
import { UsageError } from '../chain/errors.js';
import { OP, REQUEST_MAX, type ControlResponse } from './protocol.js';
import type { Scope, ScopeTree, TaskInfoFn } from './tree.js';
import { isPrivileged, noNewPrivs } from './privilege.js';
import { Budget, costOfSpecs, zeroCost, type Lease } from './limits.js';
import { killTree } from './reap.js';
import { callerPid } from './pidns.js';

const VERSION = 1;
const EINVAL = 22;
const EFAULT = 14;
const ERANGE = 34;

class ControlError extends Error {}

/** What happens to the processes of a scope whose owner died without popping it. */
export type OrphanPolicy = 'kill' | 'continue';

interface ScopeState {
  /** pid of the first process of the scope (the command), for engines' start hooks. */
  root: number;
  /** Its start time (the pid may be reused once it is gone). */
  rootStart?: number;
  /** Charged to the creator when it has no privileges. */
  lease?: Lease;
  /** Leases of engines loaded later into the scope. */
  loads: Map<Engine, Lease>;
  orphans: OrphanPolicy;
}

export class ControlServer {
  private readonly state = new Map<Scope, ScopeState>();
  /** What users without privileges hold. */
  readonly budget = new Budget();

  constructor(
    private readonly binding: Pick<RawBinding, 'grabFd' | 'taskInfo' | 'pidfdOpen' | 'pidfdSignal' | 'closeFd' | 'FdPoll'>,
    private readonly scopes: ScopeTree,
    /** What the filter notifies (only these two fields are read). */
    private readonly plan: Pick<FilterPlan, 'syscalls' | 'conditional'>,
    private readonly taskInfo: TaskInfoFn,
    private readonly reporter: Reporter,
    /**
     * The supervisor's pid of the process the caller names `pid` (a caller in a pid namespace of
     * its own, e.g. in a container, names pids as it sees them): pidns.ts.
     */
    private readonly pidOf: (callerTgid: number, pid: number) => number | undefined = callerPid,
  ) {}

  setRootPid(pid: number): void {
    this.state.set(this.scopes.root, { root: pid, loads: new Map(), orphans: 'continue' });
  }

  /** prctl(MAGIC, op, req, reqLen, resp, respCap) from thread call.tid. */
  handle(call: Syscall): Result | Promise<Result> {
    const [, op, reqAddr, reqLen, respAddr, respCap] = call.args as number[];
    if (reqLen! < 0 || reqLen! > REQUEST_MAX) return Result.error(EINVAL);
    const raw = reqLen ? call.memory.readBytes(reqAddr!, reqLen!) : Buffer.from('{}');
    if (raw === null) return Result.error(EFAULT);
    const respond = (r: ControlResponse): Result => {
      const out = Buffer.from(JSON.stringify(r));
      if (out.length > respCap!) return Result.error(ERANGE);
      if (call.memory.writeBytes(respAddr!, out) < 0) return Result.error(EFAULT);
      return Result.value(out.length);
    };
    const fail = (e: unknown) => respond({ ok: false, error: (e as Error)?.message ?? String(e), usage: e instanceof UsageError });
    try {
      const req = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const r = this.op(op!, req, call.tid);
      return r instanceof Promise ? r.then(respond, fail) : respond(r);
    } catch (e) {
      return fail(e);
    }
  }

  private op(op: number, req: Record<string, unknown>, tid: number): ControlResponse | Promise<ControlResponse> {
    const caller = this.taskInfo(tid);
    if (!caller) throw new ControlError('caller is gone');
    const scope = this.scopes.scopeOf(tid);
    switch (op) {
      case OP.hello:
        return { ok: true, version: VERSION, depth: scope.depth() + 1, scope: scope.id };
      case OP.push:
        return this.pending(tid, () => this.push(scope, tid, caller.tgid, req));
      case OP.pop:
        return this.pop(caller.tgid, req);
      case OP.load:
        this.mayChange(scope, tid);
        return this.pending(tid, () => this.load(scope, tid, caller.tgid, req));
      case OP.unload:
        this.mayChange(scope, tid);
        return this.unload(scope, req);
      case OP.list:
        return { ok: true, scope: scope.id, scopes: scope.lineage().map((s) => ({ id: s.id, engines: s.own.map((o) => o.spec) })) };
      default:
        throw new ControlError(`unknown control operation ${op}`);
    }
  }

  /** The effective uid of a thread, from the kernel (/proc), or -1 when it is gone. */
  private effectiveUid(tid: number): number {
    return this.binding.taskInfo(tid)?.euid ?? -1;
  }

  // The engines of a scope act on every process of it: only its creator's user (or root) may
  // change them, not a less privileged process that runs in it.
  // A caller without privileges may only change a scope whose processes cannot gain any (a
  // confined scope, or the whole tree of an outermost sysvisor that had none itself).
  private mayChange(scope: Scope, tid: number): void {
    const uid = this.effectiveUid(tid);
    if (uid !== 0 && uid !== scope.creatorUid) throw new ControlError(`permission denied: the engines of scope ${scope.id} belong to uid ${scope.creatorUid}`);
    if (!scope.confined && this.creatorPrivileged(scope) && !isPrivileged(tid))
      throw new ControlError(`permission denied: scope ${scope.id} was made with privileges its processes may use; a caller without them cannot change its engines`);
  }

  private creatorPrivileged(scope: Scope): boolean {
    return scope === this.scopes.root ? this.supervisorPrivileged : !scope.confined;
  }

  private readonly supervisorPrivileged = isPrivileged(process.pid);

  // Control calls being served for a user without privileges count against its budget.
  private async pending(tid: number, op: () => Promise<ControlResponse>): Promise<ControlResponse> {
    const lease = isPrivileged(tid) ? undefined : this.budget.take(this.effectiveUid(tid), { ...zeroCost(), pending: 1 });
    try {
      return await op();
    } finally {
      lease?.release();
    }
  }

  // Charged before anything is built: the specs are checked and priced by their factories.
  private charge(tid: number, specs: readonly string[], scopes: number): Lease | undefined {
    const privileged = isPrivileged(tid);
    const cost = costOfSpecs(specs, !privileged);
    if (privileged) return undefined;
    try {
      return this.budget.take(this.effectiveUid(tid), { ...cost, scopes });
    } catch (e) {
      throw new ControlError((e as Error).message);
    }
  }

  // Engines asked for from inside: built-ins only (the registry), options validated by their
  // factories, output only to fds of the caller (grabbed, so written with what the caller could
  // open), and only syscalls the outermost filter notifies.
  private build(specs: readonly string[], callerTgid: number, constrained: boolean): { engine: Engine; spec: string }[] {
    const openOutput = (file?: string): OutputSink => {
      const m = file === undefined ? ['', '2'] : /^fd:(\d+)$/.exec(file);
      if (!m) throw new ControlError(`output ${file}: from inside, give o=FILE to the nested sysvisor, which opens it`);
      return new FdSink(this.binding.grabFd(callerTgid, Number(m[1])), true);
    };
    // Syscalls notified whatever their arguments: an engine loaded inside sees all of their calls.
    const available = new Set(this.plan.syscalls.filter((nr) => !this.plan.conditional.has(nr)));
    const engines = buildEngines(specs, this.reporter, { openOutput, available, constrained });
    try {
      engines.forEach((e) => this.checkInterests(e));
    } catch (e) {
      void closeEngines(engines, this.reporter);
      throw e;
    }
    return engines.map((engine, i) => ({ engine, spec: specs[i]! }));
  }

  private checkInterests(e: Engine): void {
    if (e.interests === 'all') throw new ControlError(`engine ${e.name} wants every syscall: it can only run outermost`);
    const missing = new Set<string>();
    for (const i of e.interests as readonly Interest[]) {
      const nr = typeof i.syscall === 'number' ? i.syscall : syscallNumber(i.syscall);
      if (nr === undefined || !this.plan.syscalls.includes(nr) || (this.plan.conditional.has(nr) && !i.when?.length)) missing.add(String(i.syscall));
    }
    if (missing.size)
      throw new UsageError(`engine ${e.name} needs syscalls the outermost sysvisor does not intercept (${summarize([...missing])}): start it with --loadable ${e.name}`);
  }

  /** `held`: the pushed command waits before its exec (a nested run); a load's scope runs. */
  private async start(engines: readonly Engine[], pid: number | undefined, held: boolean): Promise<void> {
    if (pid === undefined) return;
    for (const e of engines) await e.start?.({ pid, held });
  }

  private async push(parent: Scope, tid: number, callerTgid: number, req: Record<string, unknown>): Promise<ControlResponse> {
    await loadBuiltinEngines(Array.isArray(req['engines']) ? req['engines'] : []); // first: the checks below run in one go
    const named = req['pid'];
    if (typeof named !== 'number') throw new ControlError('push needs the pid of the command');
    // The scope's owner: the caller or its child (its launcher process), the command a child of it.
    const namedOwner = req['owner'];
    if (namedOwner !== undefined && typeof namedOwner !== 'number') throw new ControlError(`process ${String(namedOwner)} is not the caller or a child of it`);
    const owner = namedOwner === undefined ? callerTgid : this.pidOf(callerTgid, namedOwner);
    if (owner === undefined || (owner !== callerTgid && this.taskInfo(owner)?.ppid !== callerTgid)) throw new ControlError(`process ${String(namedOwner)} is not the caller or a child of it`);
    const pid = this.pidOf(callerTgid, named);
    const command = pid === undefined ? null : this.taskInfo(pid);
    if (pid === undefined || command?.ppid !== owner) throw new ControlError(`process ${named} is not a child of the caller`);
    const owned = this.scopes.ownedBy(owner);
    if (owned) throw new ControlError(`process ${owner} already owns scope ${owned.id}`);
    const orphans = req['orphans'] ?? 'kill';
    if (orphans !== 'kill' && orphans !== 'continue') throw new UsageError(`orphans must be 'kill' or 'continue'`);
    const specs = specList(req['engines']);
    const privileged = isPrivileged(tid);
    // The kernel's rule for an unprivileged filter: what it watches cannot gain privileges.
    if (!privileged && !noNewPrivs(pid))
      throw new ControlError(`process ${pid} can gain privileges (no no_new_privs): a scope made without privileges only serves processes that cannot`);
    const lease = this.charge(tid, specs, 1);
    // The owner's death is watched through a pidfd (never its pid, which may be reused).
    const ownerStart = this.taskInfo(owner)?.start;
    const pidfd = this.binding.pidfdOpen(owner);
    let engines: { engine: Engine; spec: string }[] = [];
    try {
      if (pidfd < 0) throw new ControlError(`pidfd of process ${owner}: errno ${-pidfd}`);
      if (this.taskInfo(owner)?.start !== ownerStart) throw new ControlError('caller is gone');
      engines = this.build(specs, callerTgid, !privileged);
      await this.start(engines.map((e) => e.engine), pid, true);
    } catch (e) {
      if (pidfd >= 0) this.binding.closeFd(pidfd);
      lease?.release();
      await closeEngines(engines.map((e) => e.engine), this.reporter);
      throw e;
    }
    const scope = this.scopes.push(parent, owner, engines);
    scope.creatorUid = this.effectiveUid(tid);
    scope.confined = !privileged || parent.confined;
    this.state.set(scope, { root: pid, rootStart: command.start, ...(lease ? { lease } : {}), loads: new Map(), orphans });
    // Readable once the owner has exited (polled, not waited for: it may be our own child, which
    // the transport reaps).
    const poll = new this.binding.FdPoll(pidfd, () => {
      poll.close();
      this.binding.closeFd(pidfd);
      if (this.scopes.get(scope.id) === scope) void this.ownerGone(scope);
    });
    return { ok: true, scope: scope.id, depth: scope.depth() };
  }

  // The owner died without popping its scope: its processes are killed (default) or go on with
  // the engines of the scopes above only.
  private async ownerGone(scope: Scope): Promise<void> {
    const st = this.state.get(scope);
    if (st?.orphans === 'kill') {
      // The command, the processes seen in the scope, and whatever descends from them now.
      const known = [...this.scopes.seen(scope), ...(st.rootStart === undefined ? [] : [{ pid: st.root, start: st.rootStart }])];
      const n = killTree(this.binding, this.taskInfo, known);
      this.reporter.line(`scope ${scope.id}: its owner died; ${n} process${n === 1 ? '' : 'es'} of it killed`);
    } else {
      this.reporter.line(`scope ${scope.id}: its owner died; its processes go on without its engines`);
    }
    await this.end(scope);
  }

  /** Pops a scope and the scopes below it, closes their engines and releases what they cost. */
  private async end(scope: Scope): Promise<void> {
    const below = this.scopes.all().filter((s) => s.lineage().includes(scope));
    const engines = this.scopes.pop(scope);
    for (const s of below) {
      const st = this.state.get(s);
      this.state.delete(s);
      st?.lease?.release();
      st?.loads.forEach((l) => l.release());
    }
    await closeEngines(engines, this.reporter);
  }

  private async pop(callerTgid: number, req: Record<string, unknown>): Promise<ControlResponse> {
    const scope = this.scopes.get(Number(req['scope']));
    if (!scope || scope.owner === undefined || (scope.owner !== callerTgid && this.taskInfo(scope.owner)?.ppid !== callerTgid)) throw new ControlError('no such scope of the caller');
    await this.end(scope);
    return { ok: true };
  }

  private async load(scope: Scope, tid: number, callerTgid: number, req: Record<string, unknown>): Promise<ControlResponse> {
    await loadBuiltinEngines([req['engine']]);
    const specs = specList([req['engine']]);
    const lease = this.charge(tid, specs, 0);
    let loaded: { engine: Engine; spec: string } | undefined;
    try {
      [loaded] = this.build(specs, callerTgid, !isPrivileged(tid));
      await this.start([loaded!.engine], this.state.get(scope)?.root, false);
    } catch (e) {
      lease?.release();
      if (loaded) await closeEngines([loaded.engine], this.reporter);
      throw e;
    }
    this.scopes.load(scope, loaded!.engine, loaded!.spec);
    if (lease) this.state.get(scope)?.loads.set(loaded!.engine, lease);
    return { ok: true, scope: scope.id, engines: scope.own.map((o) => o.spec) };
  }

  private async unload(scope: Scope, req: Record<string, unknown>): Promise<ControlResponse> {
    const name = req['engine'];
    if (typeof name !== 'string') throw new ControlError('unload needs an engine name');
    const removed = this.scopes.unload(scope, name);
    if (!removed) {
      const above = scope.lineage().some((s) => s !== scope && s.own.some((o) => o.engine.name === name));
      throw new ControlError(above ? `${name} belongs to an outer scope: only that scope can unload it` : `${name} is not loaded in this scope`);
    }
    await closeEngines([removed], this.reporter);
    const loads = this.state.get(scope)?.loads;
    loads?.get(removed)?.release();
    loads?.delete(removed);
    return { ok: true, scope: scope.id, engines: scope.own.map((o) => o.spec) };
  }

  /** Closes the engines of every scope still open, innermost scope first (the supervisor is done). */
  async closeAll(): Promise<void> {
    for (const s of this.scopes.all().reverse()) {
      if (s !== this.scopes.root && this.scopes.get(s.id)) await closeEngines(this.scopes.pop(s), this.reporter);
    }
    await closeEngines(this.scopes.root.own.map((o) => o.engine), this.reporter);
  }
}

function specList(specs: unknown): string[] {
  if (!Array.isArray(specs) || specs.some((s) => typeof s !== 'string')) throw new ControlError('engines must be a list of specs');
  return specs as string[];
}

function summarize(names: string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}
