// Runs a command under an engine stack with the seccomp user-notification transport:
// plan the filter -> spawn (the launcher installs it and hands over the listener) -> pump ->
// wait until the command has exited and no process holds the filter -> close the engines.
import { loadBinding, type RawBinding } from '../../native/load.js';
import type { Engine } from '../../chain/engine.js';
import { EngineStack } from '../../chain/stack.js';
import { createExecutor } from '../../chain/executor.js';
import { openEmulators } from '../../chain/emulate/open.js';
import { Reporter } from '../../chain/report.js';
import { planFilter } from '../../filter/plan.js';
import { SysvisorError, UnsupportedFeatureError } from '../../chain/errors.js';
import { UnotifyTransport } from './transport.js';
import { resolveCommand } from './command.js';

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
}

export class Supervision {
  /** Resolves once the command exited and every process of its tree is gone. */
  readonly done: Promise<ExitStatus>;
  readonly pid: number;
  private readonly pidfd: number;
  private closed = false;

  constructor(private readonly binding: RawBinding, private readonly transport: UnotifyTransport, child: { pid: number; pidfd: number }, exited: Promise<ExitStatus>, hangup: Promise<void>, engines: readonly Engine[], reporter: Reporter) {
    this.pid = child.pid;
    this.pidfd = child.pidfd;
    this.done = (async () => {
      const status = await exited;
      await hangup;
      this.closeHandles();
      for (const e of engines) {
        try {
          await e.close?.();
        } catch (err) {
          reporter.line(`engine ${e.name}: close: ${(err as Error).message}`);
        }
      }
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

/** Starts COMMAND under the engines. Throws CommandError (126/127) before forking. */
export function supervise(opts: SuperviseOptions): Supervision {
  const binding = opts.binding ?? loadBinding();
  const reporter = opts.reporter ?? new Reporter();
  const env = opts.env ?? process.env;
  const file = resolveCommand(opts.command, env['PATH']);
  const stack = new EngineStack(opts.engines, createExecutor({ emulators: openEmulators(binding), report: (l) => reporter.once(l) }));
  const plan = planFilter(stack.interests());
  const envList = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);

  let child;
  try {
    child = binding.spawn(file, [opts.command, ...(opts.args ?? [])], envList, plan.bytes, 0);
  } catch (e) {
    if ((e as { code?: string }).code === 'EBUSY')
      throw new UnsupportedFeatureError('second seccomp listener', 'this process already runs under a seccomp listener (EBUSY)', { cause: e });
    throw new SysvisorError(`spawn ${opts.command}`, e);
  }
  let hangupResolve!: () => void;
  const hangup = new Promise<void>((r) => (hangupResolve = r));
  const transport = new UnotifyTransport(binding, child.listener, stack, reporter, { onHangup: () => hangupResolve() });
  const exited = new Promise<ExitStatus>((resolve) =>
    binding.watchExit(child.pidfd, (code, signal) => resolve(signal ? { code: null, signal } : { code, signal: 0 })),
  );
  return new Supervision(binding, transport, child, exited, hangup, opts.engines, reporter);
}
