// Runs a command under an engine stack with the ptrace transport, and chooses the transport:
// plan the filter (SECCOMP_RET_TRACE for exactly the engines' syscalls) -> start the launcher
// process (it forks the command, held before it installs the filter) -> the tracer thread seizes
// the command -> the command installs the filter and execs -> stops -> wait until the command has
// exited and its whole tree is gone -> close the engines.
import { loadBinding, type RawBinding } from '../../native/load.js';
import { ScopeTree, type TaskInfoFn } from '../../scopes/tree.js';
import { ControlServer } from '../../scopes/control.js';
import { closeEngines, startEngines } from '../../engines/build.js';
import { Reporter } from '../../chain/report.js';
import { BYPASS_SYSCALLS, planFilter } from '../../filter/plan.js';
import { SysvisorError, UnsupportedFeatureError, UsageError } from '../../chain/errors.js';
import { envStrings, envValue, resolveCommand } from '../unotify/command.js';
import { Launcher } from '../unotify/launcher.js';
import { rootInterests, supervise as superviseUnotify, Supervision, taskInfoFn, type SuperviseOptions as UnotifyOptions } from '../unotify/supervise.js';
import { PtraceTransport, TRACER_INTERESTS } from './transport.js';
import { ptraceRefusal, readPtraceFacts } from './refusal.js';
import { createPtraceExecutor } from './executor.js';

/** How calls reach the engines: seccomp user notification, ptrace, or the first that works. */
export type TransportName = 'unotify' | 'ptrace' | 'auto';
export const TRANSPORTS: readonly TransportName[] = ['unotify', 'ptrace', 'auto'];

export interface SuperviseOptions extends UnotifyOptions {
  /**
   * 'unotify' (seccomp user notification), 'ptrace', or 'auto' (default): unotify, else ptrace
   * when the seccomp listener slot is already taken by a listener above (EBUSY), said in one line.
   */
  transport?: TransportName;
  /**
   * ptrace only: where calls are caught. 'seccomp' (seccomp stops: only the engines' calls stop),
   * or 'entry' (syscall-entry stops: every call stops, entry and exit; what a foreign listener
   * needs, whose USER_NOTIF beats TRACE). Default: 'entry' when a listener holds the slot (EBUSY).
   */
  ptraceStops?: 'seccomp' | 'entry';
  /** `auto`: whether the listener slot is free, when the caller probed it already (listenerSlotFree). */
  slotFree?: boolean;
}

const EBUSY = 16;

/** Starts COMMAND under the engines with the transport asked for. */
export function supervise(opts: SuperviseOptions): Supervision {
  const transport = opts.transport ?? 'auto';
  if (!TRANSPORTS.includes(transport)) throw new UsageError(`transport must be unotify, ptrace or auto, got '${String(transport)}'`);
  const binding = opts.binding ?? loadBinding();
  if (transport === 'unotify') return superviseUnotify({ ...opts, binding });
  if (transport === 'ptrace') return supervisePtrace({ ...opts, binding });
  // auto: a listener above this process (not a sysvisor: a nested run never gets here) holds the
  // only slot of the filter chain, which the command would inherit.
  if (opts.slotFree ?? listenerSlotFree(binding)) return superviseUnotify({ ...opts, binding });
  return supervisePtrace({ ...opts, binding }, { foreign: true, fallback: true });
}

/** What `auto` probes: the seccomp listener slot is free here (no listener above holds it: EBUSY). */
export function listenerSlotFree(binding: RawBinding): boolean {
  performance.mark('probe');
  const slot = binding.probeListener();
  performance.mark('probed');
  return slot !== EBUSY;
}

/** The line `auto` says when it falls back (once ptrace works). */
export const FALLBACK_LINE = 'a seccomp listener above this process holds the slot (EBUSY): using the ptrace transport, with syscall-entry stops';

/**
 * Starts COMMAND under the engines, its calls reaching them through ptrace stops. Under a foreign
 * listener (`foreign`, else probed: the slot is taken, EBUSY), whose USER_NOTIF beats our TRACE,
 * calls are caught at their syscall-entry stops, before seccomp (see addon/src/ptrace/tracer.cc).
 */
export function supervisePtrace(opts: SuperviseOptions & { binding: RawBinding }, how: { foreign?: boolean; fallback?: boolean } = {}): Supervision {
  const binding = opts.binding;
  const reporter = opts.reporter ?? new Reporter();
  const foreign = opts.ptraceStops !== undefined ? opts.ptraceStops === 'entry' : (how.foreign ?? binding.probeListener() === EBUSY);
  if (opts.onSupervisorExit === 'continue')
    throw new UsageError('--on-supervisor-exit=continue needs the unotify transport: a traced call whose tracer is gone fails with ENOSYS (kernel/seccomp.c), so the tree cannot run on');
  const env = opts.env ?? process.env;
  const file = resolveCommand(opts.command, envValue(env, 'PATH'), opts.engines.some((e) => e.pathPrefixes !== undefined));
  const loadable = opts.nesting === false ? undefined : (opts.loadable ?? []);
  const engineInterests = rootInterests(opts.engines, loadable);
  const interests = engineInterests === 'all' ? 'all' : [...engineInterests, ...TRACER_INTERESTS];
  const plan = opts.complete ? planFilter(interests, 'enosys', BYPASS_SYSCALLS, 'trace') : planFilter(interests, 'allow', [], 'trace');
  let launcher: Launcher;
  try {
    launcher = new Launcher(binding, {
      file,
      argv: [opts.command, ...(opts.args ?? [])],
      env: envStrings(env),
      fds: opts.fds ?? [0, 1, 2],
      filter: plan.bytes,
      flags: 0,
      noListener: true,
      onSupervisorExit: 'kill',
    });
  } catch (e) {
    throw new SysvisorError(`spawn ${opts.command}`, e);
  }
  return new Supervision(launcher, async (sup) => {
    const command = await launcher.command;
    sup.commandKnown(command.pid);
    // Seized before it installs the filter: a traced call with no tracer gets ENOSYS.
    let transport: PtraceTransport;
    let scopes: ScopeTree;
    let control: ControlServer | undefined;
    try {
      const taskInfo: TaskInfoFn = taskInfoFn(binding);
      let t: PtraceTransport | undefined;
      const executor = createPtraceExecutor(
        { runToExit: (call, sets) => t!.runToExit(call, sets), runWith: (call, sets) => t!.runWith(call, sets), redo: (call, nr, sets) => t!.redo(call, nr, sets), stackPointer: (tid) => t!.stackPointer(tid), stackFloor: (sp) => t!.stackFloor(sp), viewPath: (req) => binding.viewPath(req),
          execName: (call, name) => t!.execName(call, name),
          socketName: (tid, fd, peer) => {
            const tgid = binding.taskInfo(tid)?.tgid;
            return tgid === undefined ? -3 : binding.socketName(tgid, fd, peer);
          },
        },
        (l) => reporter.once(l),
      );
      scopes = new ScopeTree(opts.engines.map((engine, i) => ({ engine, spec: opts.specs?.[i] ?? engine.name })), executor, taskInfo);
      control = loadable ? new ControlServer(binding, scopes, plan, taskInfo, reporter) : undefined;
      t = new PtraceTransport(binding, command.pid, scopes, reporter, control, foreign ? plan.bytes : undefined, plan.syscalls);
      transport = t;
    } catch (e) {
      const err = e as { code?: string };
      // Read while the command still exists (its tracer, if any).
      const why = err.code === 'EPERM' ? ptraceRefusal(readPtraceFacts(command.pid)) : '';
      launcher.kill();
      await launcher.bye();
      await closeEngines(opts.engines, reporter);
      if (err.code === 'EPERM')
        throw new UnsupportedFeatureError('ptrace', `${how.fallback ? 'a seccomp listener above this process holds the slot (EBUSY) and ' : ''}the kernel refuses to trace the command (EPERM): ${why}`, { cause: e });
      throw new SysvisorError('ptrace transport', e);
    }
    if (how.fallback) reporter.line(FALLBACK_LINE);
    control?.setRootPid(command.pid);
    await startEngines(opts.engines, { pid: command.pid, held: true }, reporter, () => launcher.kill());
    launcher.go();
    try {
      await launcher.started;
    } catch (e) {
      await launcher.bye();
      transport.close();
      await closeEngines(opts.engines, reporter);
      throw new SysvisorError(`spawn ${opts.command}`, e);
    }
    sup.serving(transport);
    const status = await launcher.exited;
    await launcher.empty;
    await launcher.bye();
    sup.closing();
    transport.close();
    if (control) await control.closeAll();
    else await closeEngines(opts.engines, reporter);
    reporter.flushRepeats();
    return status;
  });
}
