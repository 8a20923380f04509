// The supervisor's side of the control protocol (see protocol.ts): answers the control calls of
// nested sysvisors and of `sysvisor load/unload/engines`. The caller is the notification's thread,
// as the kernel reports it; a caller acts only on its own scope, or pushes one for its children.
import type { Engine, OutputSink } from '../chain/engine.js';
import type { Reporter } from '../chain/report.js';
import { Result } from '../chain/result.js';
import type { Syscall } from '../chain/syscall.js';
import type { FilterPlan, Interest } from '../filter/plan.js';
import type { RawBinding } from '../native/load.js';
import { buildEngines } from '../engines/build.js';
import { FdSink } from '../engines/output.js';
import { syscallNumber } from '../syscalls/table.js';
import { UsageError } from '../chain/errors.js';
import { OP, REQUEST_MAX, type ControlResponse } from './protocol.js';
import type { Scope, ScopeTree, TaskInfoFn } from './tree.js';

const VERSION = 1;
const EINVAL = 22;
const EFAULT = 14;
const ERANGE = 34;

class ControlError extends Error {}

export class ControlServer {
  /** pid of the first process of each scope (the command), for engines' start hooks. */
  private readonly roots = new Map<Scope, number>();

  constructor(
    private readonly binding: Pick<RawBinding, 'grabFd' | 'taskInfo'>,
    private readonly scopes: ScopeTree,
    private readonly plan: FilterPlan,
    private readonly taskInfo: TaskInfoFn,
    private readonly reporter: Reporter,
  ) {}

  setRootPid(pid: number): void {
    this.roots.set(this.scopes.root, pid);
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
        return this.push(scope, caller.tgid, this.effectiveUid(tid), req);
      case OP.pop:
        return this.pop(caller.tgid, req);
      case OP.load:
        this.mayChange(scope, tid);
        return this.load(scope, caller.tgid, req);
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
  private mayChange(scope: Scope, tid: number): void {
    const uid = this.effectiveUid(tid);
    if (uid !== 0 && uid !== scope.creatorUid) throw new ControlError(`permission denied: the engines of scope ${scope.id} belong to uid ${scope.creatorUid}`);
  }

  // Engines asked for from inside: built-ins only (the registry), options validated by their
  // factories, output only to fds of the caller (grabbed, so written with what the caller could
  // open), and only syscalls the outermost filter notifies.
  private build(specs: unknown, callerTgid: number): { engine: Engine; spec: string }[] {
    if (!Array.isArray(specs) || specs.some((s) => typeof s !== 'string')) throw new ControlError('engines must be a list of specs');
    const openOutput = (file?: string): OutputSink => {
      const m = file === undefined ? ['', '2'] : /^fd:(\d+)$/.exec(file);
      if (!m) throw new ControlError(`output ${file}: from inside, give o=FILE to the nested sysvisor, which opens it`);
      return new FdSink(this.binding.grabFd(callerTgid, Number(m[1])), true);
    };
    // Syscalls notified whatever their arguments: an engine loaded inside sees all of their calls.
    const available = new Set(this.plan.syscalls.filter((nr) => !this.plan.conditional.has(nr)));
    const engines = buildEngines(specs as string[], this.reporter, { openOutput, available });
    engines.forEach((e) => this.checkInterests(e));
    return engines.map((engine, i) => ({ engine, spec: (specs as string[])[i]! }));
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

  private async start(engines: readonly Engine[], pid: number | undefined): Promise<void> {
    if (pid === undefined) return;
    for (const e of engines) await e.start?.({ pid });
  }

  private async push(parent: Scope, callerTgid: number, callerUid: number, req: Record<string, unknown>): Promise<ControlResponse> {
    const pid = req['pid'];
    if (typeof pid !== 'number') throw new ControlError('push needs the pid of the command');
    // The scope's owner: the caller or its child (its launcher process), the command a child of it.
    const owner = req['owner'] ?? callerTgid;
    if (typeof owner !== 'number' || (owner !== callerTgid && this.taskInfo(owner)?.ppid !== callerTgid)) throw new ControlError(`process ${String(owner)} is not the caller or a child of it`);
    if (this.taskInfo(pid)?.ppid !== owner) throw new ControlError(`process ${pid} is not a child of the caller`);
    const engines = this.build(req['engines'], callerTgid);
    await this.start(engines.map((e) => e.engine), pid);
    const scope = this.scopes.push(parent, owner, engines);
    scope.creatorUid = callerUid;
    this.roots.set(scope, pid);
    return { ok: true, scope: scope.id, depth: scope.depth() };
  }

  private async pop(callerTgid: number, req: Record<string, unknown>): Promise<ControlResponse> {
    const scope = this.scopes.get(Number(req['scope']));
    if (!scope || scope.owner === undefined || (scope.owner !== callerTgid && this.taskInfo(scope.owner)?.ppid !== callerTgid)) throw new ControlError('no such scope of the caller');
    const engines = this.scopes.pop(scope);
    this.roots.delete(scope);
    await closeEngines(engines, this.reporter);
    return { ok: true };
  }

  private async load(scope: Scope, callerTgid: number, req: Record<string, unknown>): Promise<ControlResponse> {
    const [loaded] = this.build([req['engine']], callerTgid);
    await this.start([loaded!.engine], this.roots.get(scope));
    this.scopes.load(scope, loaded!.engine, loaded!.spec);
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

function summarize(names: string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** Closes engines innermost first; a failing close is reported, never thrown. */
export async function closeEngines(engines: readonly Engine[], reporter: Reporter): Promise<void> {
  for (const e of [...engines].reverse()) {
    try {
      await e.close?.();
    } catch (err) {
      reporter.line(`engine ${e.name}: close: ${(err as Error).message}`);
    }
  }
}
