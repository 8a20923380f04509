// Runs a command under an engine stack with the seccomp user-notification transport:
// plan the filter -> start the launcher process, or send the filter to one started earlier
// (spawnLauncher: the CLI starts it before the engines load) -> it forks the command, installs the
// filter and hands over the listener -> pump -> wait until the command has exited and no process holds the
// filter -> close the engines.
import { loadBinding, type RawBinding } from '../../native/load.js';
import type { PumpStats, TracerStats } from '../../native/binding.js';
import type { Engine, EngineFactory } from '../../chain/engine.js';
import { ScopeTree, type TaskInfoFn } from '../../scopes/tree.js';
import { ControlServer } from '../../scopes/control.js';
import { closeEngines, startEngines } from '../../engines/build.js';
import { CONTROL_MAGIC } from '../../scopes/protocol.js';
import { createExecutor } from '../../chain/executor.js';
import { defaultEmulators, rewriteContext, type EmulatorOptions } from '../../chain/emulate/index.js';
import { Reporter } from '../../chain/report.js';
import { BYPASS_SYSCALLS, planFilter, type Interest } from '../../filter/plan.js';
import { SysvisorError, UnsupportedFeatureError } from '../../chain/errors.js';
import { DEFAULT_SPIN, LISTENER_INTEREST, UnotifyTransport, type HeldCall, type SpinOptions } from './transport.js';
import { envStrings, envValue, resolveCommand, type Environment } from './command.js';
import { Launcher, type CommandStatus, type OnSupervisorExit, type Started } from './launcher.js';

/** Only a fatal signal ends the wait of a notified thread once the supervisor received it (5.19). */
const SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 1 << 5;

/** The command's exit status: its code, or the signal that killed it. */
export type ExitStatus = CommandStatus;

/** Exit status as a shell reports it: the code, or 128+N when killed by signal N. */
export function shellStatus(s: ExitStatus): number {
  return s.code ?? 128 + s.signal;
}

export interface SuperviseOptions {
  /** The command, searched in PATH when it has no `/`: a Buffer for a name that is not UTF-8. */
  command: string | Buffer;
  /** Its arguments: a Buffer is passed as its bytes exactly, a string as UTF-8. */
  args?: readonly (string | Buffer)[];
  /** Outermost first (nearest the kernel), as on the command line. */
  engines: readonly Engine[];
  /**
   * COMMAND's environment (default process.env): an object, or the NAME=value entries exactly as
   * execve takes them (Buffers for bytes that are not UTF-8).
   */
  env?: Environment;
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
  /**
   * The fds COMMAND gets, at the same numbers and as they are (default [0, 1, 2]); no other fd of
   * this process reaches it.
   */
  fds?: readonly number[];
  /**
   * When this process dies before the tree: 'kill' (default) kills every process of the tree;
   * 'continue' lets it run on, every notified call continued as if no engine were there.
   */
  onSupervisorExit?: OnSupervisorExit;
  /**
   * Refuse (ENOSYS) what would escape the engines: io_uring, and syscalls of a foreign ABI (i386
   * `int 0x80`, x32 numbers), which the filter's x86_64 numbers do not describe.
   */
  complete?: boolean;
  /**
   * A launcher already started for this command and environment (spawnLauncher), its setup not
   * sent: supervise owns it from now on. Default: started here, after the filter is planned.
   */
  launcher?: Launcher;
  /**
   * Node's thread polls the listener after the calls it received itself (Pump.setSpin). Default
   * DEFAULT_SPIN: a tracee's next call, made while Node's thread returns from the answer, is then
   * received without a return to libuv's epoll_wait (~0.5 µs a call); { us: 0 }: off.
   */
  spin?: SpinOptions | undefined;
}

/**
 * Starts the launcher process for COMMAND before its filter is known (Launcher.setup sends it, and
 * the command is forked then), so that its start overlaps the engines' loading and the filter's
 * plan: for supervise's `launcher`. undefined when the command cannot be resolved as it is (a path
 * only an engine's view may hold: supervise resolves it, and says why when it cannot), or when the
 * launcher cannot be started (supervise says so).
 */
export function spawnLauncher(binding: RawBinding, o: { command: string | Buffer; args?: readonly (string | Buffer)[]; env?: Environment; fds?: readonly number[] }): Launcher | undefined {
  const env = o.env ?? process.env;
  try {
    const file = resolveCommand(o.command, envValue(env, 'PATH'));
    return new Launcher(binding, { file, argv: [o.command, ...(o.args ?? [])], env: envStrings(env), fds: o.fds ?? [0, 1, 2] });
  } catch {
    return undefined;
  }
}

/** What a Supervision asks of the transport that serves it (unotify, or ptrace without a pump). */
export interface ServingTransport {
  heldCalls(minMs: number): HeldCall[];
  /** Calls intercepted so far (that reached the supervisor). */
  intercepted(): number;
  readonly pump?: { readonly syncWakeUp: boolean; stats(): PumpStats };
  readonly tracer?: { stats(): TracerStats };
}

export class Supervision {
  /** Resolves once the command exited and every process of its tree is gone. */
  readonly done: Promise<ExitStatus>;
  /** Resolves once the command runs under the engines (rejects when it could not be started). */
  readonly ready: Promise<void>;
  private commandPid = 0;
  private transport: ServingTransport | undefined;
  private interceptedAtEnd: number | undefined;
  private readonly early: number[] = [];
  private readyNow!: () => void;

  constructor(private readonly launcher: Launcher, run: (s: Supervision) => Promise<ExitStatus>) {
    this.ready = new Promise<void>((r) => (this.readyNow = r));
    this.done = run(this);
    this.done.then(this.readyNow, this.readyNow);
  }

  /** pid of the command (0 until it was started). */
  get pid(): number {
    return this.commandPid;
  }

  /** @internal the command exists (held before exec). */
  commandKnown(pid: number): void {
    this.commandPid = pid;
    for (const sig of this.early.splice(0)) this.launcher.signal(sig);
  }

  /** @internal the command runs under the transport. */
  serving(transport: ServingTransport | undefined): void {
    this.transport = transport;
    this.readyNow();
  }

  /** @internal the transport is about to close: its figures are kept. */
  closing(): void {
    this.interceptedAtEnd = this.transport?.intercepted();
  }

  /** Calls intercepted (that reached the supervisor) so far, or in all once done; undefined in a nested run. */
  get intercepted(): number | undefined {
    return this.interceptedAtEnd ?? this.transport?.intercepted();
  }

  /** Sends a signal to the command (not to the rest of its tree); one sent before it exists is delivered once it does. */
  kill(signal: number): boolean {
    if (this.commandPid === 0) {
      this.early.push(signal);
      return true;
    }
    return this.launcher.signal(signal);
  }

  /** Calls an engine has held for at least `minMs` (none before the command runs). */
  heldCalls(minMs: number): HeldCall[] {
    return this.transport?.heldCalls(minMs) ?? [];
  }

  /** Kills every process of the tree (the command and its descendants). */
  killTree(): void {
    this.launcher.kill();
  }

  /** @internal the pump's counters (tests): what it received, and where. */
  pumpStats(): PumpStats | undefined {
    return this.transport?.pump?.stats();
  }

  /** @internal the ptrace tracer's counters (tests): its stops, and how they were answered. */
  tracerStats(): TracerStats | undefined {
    return this.transport?.tracer?.stats();
  }

  /** The pump's wake-ups are synchronous (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP); known once ready. */
  get syncWakeUp(): boolean {
    return this.transport?.pump?.syncWakeUp ?? false;
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
  // A program's own seccomp listener, which the kernel refuses under ours: told once (transport).
  const own = [...engines.flatMap((e) => e.interests as readonly Interest[]), LISTENER_INTEREST];
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
  /**
   * The received-ids page that goes with the listener (a memfd, owned by the pump from now on):
   * shared before the pump's first receive, so every call received is stored there.
   */
  receivedIds?: number | undefined;
  /** Node's thread polls the listener after a call (Pump.setSpin; default off). */
  spin?: SpinOptions | undefined;
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
  const transport = new UnotifyTransport(o.binding, o.listener, scopes, o.reporter, { onHangup: () => o.onHangup() }, {
    notified: o.notified,
    control,
    credentialsVisible: o.credentialsVisible,
    receivedIds: o.receivedIds,
    spin: o.spin,
  });
  return { transport, scopes, control };
}

/** Starts COMMAND under the engines. Throws CommandError (126/127) before starting anything. */
export function supervise(opts: SuperviseOptions): Supervision {
  const binding = opts.binding ?? loadBinding();
  const reporter = opts.reporter ?? new Reporter();
  const env = opts.env ?? process.env;
  const loadable = opts.nesting === false ? undefined : (opts.loadable ?? []);
  let file: string | Buffer | undefined;
  let plan: ReturnType<typeof planFilter>;
  try {
    // A launcher started for the command resolved it already (spawnLauncher).
    if (!opts.launcher) file = resolveCommand(opts.command, envValue(env, 'PATH'), opts.engines.some((e) => e.pathPrefixes !== undefined));
    plan = opts.complete ? planFilter(rootInterests(opts.engines, loadable), 'enosys', BYPASS_SYSCALLS) : planFilter(rootInterests(opts.engines, loadable));
  } catch (e) {
    opts.launcher?.abandon();
    throw e;
  }
  performance.mark('planned');
  const setup = { filter: plan.bytes, flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, onSupervisorExit: opts.onSupervisorExit ?? 'kill' } as const;
  let launcher: Launcher;
  if (opts.launcher) {
    launcher = opts.launcher;
    launcher.setup(setup);
  } else {
    try {
      launcher = new Launcher(binding, { file: file!, argv: [opts.command, ...(opts.args ?? [])], env: envStrings(env), fds: opts.fds ?? [0, 1, 2], ...setup });
    } catch (e) {
      throw new SysvisorError(`spawn ${opts.command}`, e);
    }
  }
  return new Supervision(launcher, async (sup) => {
    const command = await launcher.command;
    performance.mark('forked');
    sup.commandKnown(command.pid);
    // The command waits before exec until every engine's start hook has returned.
    await startEngines(opts.engines, { pid: command.pid, held: true }, reporter, () => launcher.kill());
    performance.mark('engines-started');
    launcher.go();
    let started: Started;
    try {
      started = await launcher.started;
      performance.mark('listener');
    } catch (e) {
      await launcher.bye();
      await closeEngines(opts.engines, reporter);
      if ((e as { code?: string }).code === 'EBUSY')
        throw new UnsupportedFeatureError('second seccomp listener', 'this process already runs under a seccomp listener that is not a sysvisor (EBUSY)', { cause: e });
      throw new SysvisorError(`spawn ${opts.command}`, e);
    }
    let hangup: Promise<void> = Promise.resolve();
    let served: ServedListener | undefined;
    if (started.listener !== undefined) {
      // Emulators that rewrite arguments in place restore them at syscall exit with a ptrace stop,
      // which needs the notified thread to wait killably (see chain/emulate/rewrite.ts).
      const emulation: EmulatorOptions = { killableWait: (started.flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) !== 0, report: (l) => reporter.once(l) };
      let hung!: () => void;
      hangup = new Promise<void>((r) => (hung = r));
      served = serveListener({
        binding,
        listener: started.listener,
        engines: opts.engines,
        specs: opts.specs ?? opts.engines.map((e) => e.name),
        reporter,
        emulation,
        notified: plan.syscalls,
        ...(loadable ? { control: (scopes: ScopeTree, taskInfo: TaskInfoFn) => new ControlServer(binding, scopes, plan, taskInfo, reporter) } : {}),
        onHangup: () => hung(),
        // The launcher answers what the pump received and never answered if this process dies.
        receivedIds: started.receivedIds,
        spin: opts.spin ?? DEFAULT_SPIN,
      });
      served.control?.setRootPid(command.pid);
    } else if (started.receivedIds !== undefined) {
      binding.closeFd(started.receivedIds);
    }
    sup.serving(served?.transport);
    performance.mark('serving');
    const status = await launcher.exited;
    performance.mark('exited');
    await hangup;
    await launcher.bye();
    sup.closing();
    served?.transport.close();
    // The root scope's engines as they are now (some may have been loaded or unloaded inside).
    if (served?.control) await served.control.closeAll();
    else await closeEngines(opts.engines, reporter);
    reporter.flushRepeats();
    return status;
  });
}
