// One container served by the agent: a fresh engine stack built from the agent's -e specs, the
// container's seccomp listener pumped by the same transport and executor as `sysvisor run`, and
// the end: when every process of the container is gone (the pump hangs up), its engines are
// closed (reports and tables, prefixed with the container id) and its fds too.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Engine, OutputSink } from '../../chain/engine.js';
import { Reporter } from '../../chain/report.js';
import { buildEngines, closeEngines } from '../../engines/build.js';
import { FdSink } from '../../engines/output.js';
import type { RawBinding } from '../../native/load.js';
import { SYSCALLS, syscallNumber } from '../../syscalls/table.js';
import { CRED_SYSCALLS } from '../../chain/emulate/index.js';
import { serveListener, type ServedListener } from '../unotify/supervise.js';
import type { SpinOptions } from '../unotify/transport.js';
import { ControlServer } from '../../scopes/control.js';
import type { FilterPlan } from '../../filter/plan.js';
import { containerSeccomp, unseenWarnings, type ContainerSeccomp } from './config.js';
import type { ContainerProcessState } from './message.js';
import type { AgentLog } from './log.js';
import { meterEngine, type ContainerCounts, type MetricsFile } from './metrics.js';
import { Result } from '../../chain/result.js';
import { ERRNO } from '../../syscalls/errno.js';
import type { Holder } from './hold.js';
import { restartReceived } from './takeover.js';

const EPERM = ERRNO['EPERM']!;

/** Every x86_64 syscall number: the notified set when the container's config cannot be read. */
const ALL_SYSCALLS = SYSCALLS.flatMap((name, nr) => (name ? [nr] : []));

/** What the container's filter notifies, as the control server of nested sysvisors reads a plan. */
function filterPlanOf(seccomp: ContainerSeccomp | undefined): Pick<FilterPlan, 'syscalls' | 'conditional'> {
  if (!seccomp) return { syscalls: ALL_SYSCALLS, conditional: new Map() };
  return { syscalls: [...seccomp.notified].sort((a, b) => a - b), conditional: new Map([...seccomp.conditional].map((nr) => [nr, []])) };
}

/** config.json files larger than this are not read. */
const MAX_CONFIG_BYTES = 4 << 20;

/** Lines written to an fd with a prefix in front of each (an engine's table, a trace). */
export class PrefixedSink implements OutputSink {
  /** No fd to write to directly (-1): every write must go through write() to get its prefix. */
  readonly fd = -1;
  private partial = '';
  private closed = false;
  /** `fd`: a number, or the fd of the moment (the agent's log, reopened on SIGHUP). */
  constructor(private readonly target: number | (() => number), private readonly prefix: string) {}
  private out(text: string): void {
    if (!this.closed) new FdSink(typeof this.target === 'number' ? this.target : this.target(), false).write(text);
  }
  write(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop()!;
    if (lines.length) this.out(lines.map((l) => this.prefix + l + '\n').join(''));
  }
  close(): void {
    if (this.partial) this.out(this.prefix + this.partial + '\n');
    this.partial = '';
    this.closed = true;
  }
}

/**
 * Engine outputs of one container: stderr with `[ID] ` before each line, or for `o=FILE` the
 * file FILE.ID (like `strace -ff -o`), so that containers never write over each other.
 */
export function containerOutput(id: string, log?: AgentLog, append = false): (file?: string) => OutputSink {
  return (file?: string) => {
    if (file === undefined || file === '-') return new PrefixedSink(log ? () => log.fd : 2, `[${id}] `);
    return new FdSink(openSync(`${file}.${id}`, append ? 'a' : 'w'), true);
  };
}

/** What the fd holder keeps of a container for the next agent: its state, without what is not used. */
export function holdRecord(state: ContainerProcessState): Buffer {
  const kept: ContainerProcessState = { ...state, fds: ['seccompFd'], seccompFdIndex: 0, state: { ...state.state, annotations: {} } };
  return Buffer.from(JSON.stringify(kept));
}

/** The seccomp section of the container's config.json, if it can be read. */
function readContainerSeccomp(bundle: string): ContainerSeccomp | undefined {
  if (!path.isAbsolute(bundle)) return undefined;
  const file = path.join(bundle, 'config.json');
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) return undefined;
    return containerSeccomp(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}

export interface ContainerOptions {
  binding: RawBinding;
  state: ContainerProcessState;
  /** Every fd received with the state (SCM_RIGHTS order); the session owns them from now on. */
  fds: readonly number[];
  /**
   * Engine specs, outermost first (module paths already registered under their names); undefined
   * when the container named no known profile: its notified calls then get EPERM.
   */
  specs: readonly string[] | undefined;
  /** The profile's name, for the agent's lines. */
  profile: string;
  /** Per-container counts for --metrics. */
  metrics?: MetricsFile;
  /** The agent's log (default stderr). */
  log?: AgentLog;
  /** The agent's own lines: `container ID (pid N) attached, profile P`, `container ID done (...)`. */
  reporter: Reporter;
  /** The fd holder (--hold): it keeps the listener too, for the next agent. */
  holder?: Holder;
  /**
   * The container comes from the holder, for a previous agent (fds: [listener]): its key there
   * and its received-ids page (the session owns it).
   */
  takeover?: { key: bigint; page: number };
  /** Node's thread polls the container's listener after its calls (--spin; Pump.setSpin). */
  spin?: SpinOptions | undefined;
}

/** The only engine of a container whose profile is unknown: every notified call fails with EPERM. */
function refuseEngine(): Engine {
  return { name: 'refuse', interests: 'all', handle: () => Result.error(EPERM) };
}

export class ContainerSession {
  readonly id: string;
  readonly pid: number;
  /**
   * The container's filter is known to notify every call that changes what the addon's identity
   * cache holds (CRED_SYSCALLS): only then may its emulated calls use the cache (its transport).
   */
  readonly credentialsSeen: boolean;
  /** Resolves once the container is done and its engines are closed. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly reporter: Reporter;
  private readonly engines: Engine[];
  private served: ServedListener | undefined;
  private readonly listener: number;
  private readonly seccomp: ContainerSeccomp | undefined;
  private readonly otherFds: number[];
  private finishing = false;
  private readonly counts: ContainerCounts | undefined;
  /** The received-ids page (shared with the pump once it serves) and the key at the holder. */
  private page: number | undefined;
  private holdKey: bigint | undefined;

  /** Builds the engines (on failure, closes every fd and throws), then starts them and serves. */
  constructor(private readonly o: ContainerOptions) {
    this.id = o.state.state.id;
    this.pid = o.state.pid;
    this.done = new Promise((r) => (this.resolveDone = r));
    const listener = o.fds[o.state.seccompFdIndex]!;
    this.otherFds = o.fds.filter((_, i) => i !== o.state.seccompFdIndex);
    // Engine errors and reports of this container: "sysvisor agent: ID: ...".
    this.reporter = o.log ? o.log.reporter(`sysvisor agent: ${this.id}: `) : new Reporter(2, `sysvisor agent: ${this.id}: `);
    const seccomp = readContainerSeccomp(o.state.state.bundle);
    this.credentialsSeen = seccomp !== undefined && CRED_SYSCALLS.every((s) => seccomp.notified.has(syscallNumber(s)!));
    try {
      this.engines = o.specs ? buildEngines(o.specs, this.reporter, { openOutput: containerOutput(this.id, o.log, o.takeover !== undefined) }) : [refuseEngine()];
      this.counts = o.metrics?.container(this.id, o.profile);
      if (this.counts) this.engines.unshift(meterEngine(this.counts));
    } catch (e) {
      this.closeFds([listener, ...this.otherFds, ...(o.takeover ? [o.takeover.page] : [])]);
      throw new Error(`cannot create the engines: ${(e as Error).message}`);
    }
    this.listener = listener;
    this.seccomp = seccomp;
    this.hold();
    void this.startThenServe();
  }

  // With a holder: a received-ids page, and the holder keeps the listener and the page too, from
  // now on (taken over: it has them already).
  private hold(): void {
    const o = this.o;
    if (o.takeover) {
      this.page = o.takeover.page;
      this.holdKey = o.takeover.key;
      return;
    }
    if (!o.holder) return;
    const record = holdRecord(o.state);
    if (record.length > o.binding.holdOps.MAX_RECORD) {
      this.reporter.line(`not kept by the fd holder: its state is ${record.length} bytes (at most ${o.binding.holdOps.MAX_RECORD})`);
      return;
    }
    try {
      this.page = o.binding.createIdsPage();
    } catch (e) {
      this.reporter.line(`not kept by the fd holder: ${(e as Error).message}`);
      return;
    }
    const key = randomBytes(8).readBigUInt64LE(0);
    if (o.holder.put(key, record, this.listener, this.page)) this.holdKey = key;
  }

  /**
   * The engines' start hooks first (e.g. trace attaching eBPF to the container's tree), then the
   * listener: until then, the container's first notified call waits in the kernel, as a command
   * under `sysvisor run` waits before exec, so that no engine misses its calls.
   */
  private async startThenServe(): Promise<void> {
    const o = this.o;
    const seccomp = this.seccomp;
    await Promise.all(
      this.engines.map((e) =>
        Promise.resolve()
          .then(() => e.start?.({ pid: this.pid }))
          .catch((err: Error) => this.reporter.line(`engine ${e.name}: start: ${err?.message ?? String(err)}`)),
      ),
    );
    if (this.finishing) return; // the agent stopped meanwhile: finish() closed the listener
    if (o.takeover) this.restartHeld();
    try {
      this.served = serveListener({
        binding: o.binding,
        listener: this.listener,
        engines: this.engines,
        specs: o.specs ?? ['refuse'],
        reporter: this.reporter,
        // runc 1.1 installs the filter without SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV unless asked.
        emulation: { killableWait: seccomp?.killableWait ?? false, report: (l) => this.reporter.once(l) },
        notified: seccomp ? [...seccomp.notified] : ALL_SYSCALLS,
        credentialsVisible: this.credentialsSeen,
        onHangup: () => setImmediate(() => void this.finish('done')),
        // A `sysvisor run` or `load` inside is answered here, the outermost supervisor.
        control: (scopes, taskInfo) => new ControlServer(o.binding, scopes, filterPlanOf(seccomp), taskInfo, this.reporter),
        // Shared before the first receive: a call received by this agent and never answered is
        // stored there, so the next agent restarts it (takeover.ts), the very first call too.
        receivedIds: this.takePage(),
        spin: o.spin,
      });
      this.served.control?.setRootPid(this.pid);
    } catch (e) {
      o.reporter.line(`container ${this.id}: cannot serve its seccomp listener: ${(e as Error).message}`);
      void this.finish('done');
      return;
    }
    o.reporter.line(`container ${this.id} (pid ${this.pid}) ${o.takeover ? 'taken over from the fd holder' : 'attached'}, profile ${o.profile}`);
    if (seccomp && o.specs) {
      for (const line of unseenWarnings(this.engines, seccomp.notified)) this.reporter.line(line);
      if (seccomp.foreignArchitectures.length)
        this.reporter.line(`its seccomp filter may notify calls of ${seccomp.foreignArchitectures.join(', ')}: the engines understand x86_64 calls only`);
    }
  }

  /** The received-ids page, handed to the pump that will own it. */
  private takePage(): number | undefined {
    const page = this.page;
    this.page = undefined;
    return page;
  }

  // Calls the previous agent had received and not answered: restarted (takeover.ts).
  private restartHeld(): void {
    const r = restartReceived(this.o.binding, this.listener, this.o.takeover!.page, this.pid);
    if (r.threads) this.reporter.line(`restarted the notified calls of ${r.threads} waiting thread(s) (${r.restarted} answered -ERESTARTNOINTR: received by the previous agent, waiting killably)`);
    for (const p of r.problems) this.reporter.line(p);
  }

  /**
   * Stops serving now (the agent is stopping): notified calls of the container fail with ENOSYS,
   * or, when the fd holder keeps its listener, wait for the next agent.
   */
  close(): Promise<void> {
    return this.finish('detached');
  }

  private async finish(how: 'done' | 'detached'): Promise<void> {
    if (this.finishing) return this.done;
    this.finishing = true;
    if (this.served) this.served.transport.close(); // its pump owns the listener
    else this.closeFds([this.listener]);
    this.closeFds(this.otherFds);
    if (this.page !== undefined) this.closeFds([this.page]);
    if (how === 'done' && this.holdKey !== undefined) this.o.holder?.drop(this.holdKey);
    // The root scope's engines as they are now, and those of scopes nested sysvisors left open.
    if (this.served?.control) await this.served.control.closeAll();
    else await closeEngines(this.engines, this.reporter);
    this.reporter.flushRepeats();
    if (this.counts) this.o.metrics!.done(this.counts);
    this.o.reporter.line(`container ${this.id} ${how} (pid ${this.pid}, profile ${this.o.profile})`);
    this.resolveDone();
  }

  private closeFds(fds: readonly number[]): void {
    for (const fd of fds) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}
