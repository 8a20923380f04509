// Runs a command under an engine stack with the seccomp user-notification transport:
// plan the filter -> spawn (the launcher installs it and hands over the listener) -> pump ->
// wait until the command has exited and no process holds the filter -> close the engines.
import { loadBinding, type RawBinding } from '../../native/load.js';
import type { Engine, EngineFactory } from '../../chain/engine.js';
import { ScopeTree, type TaskInfoFn } from '../../scopes/tree.js';
import { ControlServer, closeEngines } from '../../scopes/control.js';
import { CONTROL_MAGIC } from '../../scopes/protocol.js';
import { createExecutor } from '../../chain/executor.js';
import { defaultEmulators, rewriteContext, type EmulatorOptions } from '../../chain/emulate/index.js';
import { Reporter } from '../../chain/report.js';
import { planFilter, type Interest } from '../../filter/plan.js';
import { SysvisorError, UnsupportedFeatureError } from '../../chain/errors.js';
import { UnotifyTransport } from './transport.js';
import { envStrings, resolveCommand } from './command.js';

/** Only a fatal signal ends the wait of a notified thread once the supervisor received it (5.19). */
const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal number that killed the command, or 0. */
  signal: number;
}

/** Exit status as a shell reports it: the code, or 128+N when killed by signal N. */
export function shellStatus(s: ExitStatus): number {
  return s.code ?? 128 + s.signal;
}

export interface SuperviseOptions {
  command: string;
  args?: readonly string[];
  /** Outermost first (nearest the kernel), as on the command line. */
  engines: readonly Engine[];
  env?: NodeJS.ProcessEnv;
  reporter?: Reporter;
  binding?: RawBinding;
  /** The specs the engines were made from (for `sysvisor engines`); default their names. */
  specs?: readonly string[];
  /** Let processes inside load engines and nest sysvisors (default true). */
  nesting?: boolean;
  /**
   * Engines whose syscalls the filter notifies from the start, so that processes inside can load
   * them later (default none: a notified call is exposed to EINTR when a signal comes before the
   * supervisor takes it, so the filter holds only what is needed).
   */
  loadable?: readonly EngineFactory[];
}

export class Supervision {
  /** Resolves once the command exited and every process of its tree is gone. */
  readonly done: Promise<ExitStatus>;
  readonly pid: number;
  private readonly pidfd: number;
  private closed = false;

  constructor(private readonly binding: RawBinding, private readonly transport: UnotifyTransport, child: { pid: number; pidfd: number }, exited: Promise<ExitStatus>, hangup: Promise<void>, engines: readonly Engine[], control: ControlServer | undefined, reporter: Reporter) {
    this.pid = child.pid;
    this.pidfd = child.pidfd;
    this.done = (async () => {
      const status = await exited;
      await hangup;
      this.closeHandles();
      // The root scope's engines as they are now (some may have been loaded or unloaded inside).
      if (control) await control.closeAll();
      else await closeEngines(engines, reporter);
      reporter.flushRepeats();
      return status;
    })();
  }

  /** Sends a signal to the command (not to the rest of its tree). */
  kill(signal: number): boolean {
    return !this.closed && this.binding.pidfdSignal(this.pidfd, signal);
  }

  get syncWakeUp(): boolean {
    return this.transport.pump.syncWakeUp;
  }

  private closeHandles(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
    this.binding.closeFd(this.pidfd);
  }
}

/**
 * The filter of the outermost supervisor: its own engines' syscalls, plus what engines loadable
 * from inside may want (they cannot add to the filter later: the kernel allows one listener per
 * filter chain), plus the control call of nested sysvisors. Syscalls nobody wants yet are
 * continued by the pump in C++.
 */
export function rootInterests(engines: readonly Engine[], loadable: readonly EngineFactory[] | undefined): Interest[] | 'all' {
  if (engines.some((e) => e.interests === 'all')) return 'all';
  const own = engines.flatMap((e) => e.interests as readonly Interest[]);
  if (!loadable) return own;
  return [...own, ...loadable.flatMap((f) => f.loadableInterests?.() ?? []), { syscall: 'prctl', when: [{ arg: 0, eq: CONTROL_MAGIC }] }];
}

/** Thread info for the scopes, from the addon (null when the thread is gone). */
export function taskInfoFn(binding: RawBinding): TaskInfoFn {
  return (tid: number) => {
    const t = binding.taskInfo(tid);
    return t ? { tgid: t.tgid, ppid: t.ppid, start: t.start } : null;
  };
}

export interface ListenerOptions {
  binding: RawBinding;
  /** The seccomp listener fd; the transport's pump owns it from now on. */
  listener: number;
  /** The root scope's engines, outermost first. */
  engines: readonly Engine[];
  /** The specs the engines were made from (for `sysvisor engines`). */
  specs: readonly string[];
  reporter: Reporter;
  /** Emulator options, read at each call (killableWait may be cleared after the fact). */
  emulation: EmulatorOptions;
  /** Syscall numbers the filter notifies (the pump continues those no engine wants, in C++). */
  notified: readonly number[];
  /** The filter notifies every CRED_SYSCALLS call (default: told by `notified`). */
  credentialsVisible?: boolean;
  /** Makes the server of the control calls of nested sysvisors (omitted: nesting off). */
  control?(scopes: ScopeTree, taskInfo: TaskInfoFn): ControlServer;
  /** Every process holding the filter is gone. */
  onHangup(): void;
}

export interface ServedListener {
  transport: UnotifyTransport;
  scopes: ScopeTree;
  control: ControlServer | undefined;
}

/**
 * Serves a seccomp listener with an engine stack: the executor with the default emulators, a
 * scope tree whose root holds the engines, and the transport pumping the listener. Shared by
 * `supervise` (a listener taken from the child it spawned) and the OCI agent (a listener sent by a
 * container runtime).
 */
export function serveListener(o: ListenerOptions): ServedListener {
  const rewrite = rewriteContext(o.binding, o.emulation);
  const executor = createExecutor({ emulators: defaultEmulators(o.binding, o.emulation, rewrite), rewrite, report: (l) => o.reporter.once(l) });
  const taskInfo = taskInfoFn(o.binding);
  const scopes = new ScopeTree(o.engines.map((engine, i) => ({ engine, spec: o.specs[i] ?? engine.name })), executor, taskInfo);
  const control = o.control?.(scopes, taskInfo);
  const transport = new UnotifyTransport(o.binding, o.listener, scopes, o.reporter, { onHangup: () => o.onHangup() }, o.notified, control, o.credentialsVisible);
  return { transport, scopes, control };
}

/** Starts COMMAND under the engines. Throws CommandError (126/127) before forking. */
export function supervise(opts: SuperviseOptions): Supervision {
  const binding = opts.binding ?? loadBinding();
  const reporter = opts.reporter ?? new Reporter();
  const env = opts.env ?? process.env;
  const file = resolveCommand(opts.command, env['PATH'], opts.engines.some((e) => e.pathPrefixes !== undefined));
  // Emulators that rewrite arguments in place restore them at syscall exit with a ptrace stop,
  // which needs the notified thread to wait killably (see chain/emulate/rewrite.ts).
  const emuOptions: EmulatorOptions = { killableWait: true, report: (l) => reporter.once(l) };
  const loadable = opts.nesting === false ? undefined : (opts.loadable ?? []);
  const plan = planFilter(rootInterests(opts.engines, loadable));
  const envList = envStrings(env);

  let child;
  try {
    const argv = [opts.command, ...(opts.args ?? [])];
    try {
      child = binding.spawn(file, argv, envList, plan.bytes, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, true);
    } catch (e) {
      if ((e as { code?: string }).code !== 'EINVAL') throw e;
      emuOptions.killableWait = false; // kernel < 5.19
      child = binding.spawn(file, argv, envList, plan.bytes, 0, true);
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'EBUSY')
      throw new UnsupportedFeatureError('second seccomp listener', 'this process already runs under a seccomp listener that is not a sysvisor (EBUSY)', { cause: e });
    throw new SysvisorError(`spawn ${opts.command}`, e);
  }
  let hangupResolve!: () => void;
  const hangup = new Promise<void>((r) => (hangupResolve = r));
  const { transport, control } = serveListener({
    binding,
    listener: child.listener,
    engines: opts.engines,
    specs: opts.specs ?? opts.engines.map((e) => e.name),
    reporter,
    emulation: emuOptions,
    notified: plan.syscalls,
    ...(loadable ? { control: (scopes: ScopeTree, taskInfo: TaskInfoFn) => new ControlServer(binding, scopes, plan, taskInfo, reporter) } : {}),
    onHangup: () => hangupResolve(),
  });
  control?.setRootPid(child.pid);

  // The child waits before exec until every engine's start hook has returned.
  const starters = opts.engines.filter((e) => e.start);
  const spawned = child;
  if (starters.length === 0) binding.release(spawned.pid);
  else {
    void (async () => {
      for (const e of starters) await e.start!({ pid: spawned.pid });
    })().then(
      () => binding.release(spawned.pid),
      (err: Error) => {
        reporter.line(`engine start: ${err?.message ?? String(err)}`);
        binding.pidfdSignal(spawned.pidfd, 9);
        binding.release(spawned.pid);
      },
    );
  }
  const exited = new Promise<ExitStatus>((resolve) =>
    binding.watchExit(child.pidfd, (code, signal) => resolve(signal ? { code: null, signal } : { code, signal: 0 })),
  );
  return new Supervision(binding, transport, child, exited, hangup, opts.engines, control, reporter);
}
