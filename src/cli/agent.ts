// `sysvisor agent --socket PATH [-e ENGINE[:key=val,...]]...`: the OCI seccomp agent of runc/crun
// (src/transports/agent). Runs until SIGINT or SIGTERM, then stops serving and exits 0.
import { parseArgs } from 'node:util';
import { writeSync } from 'node:fs';
import type { OutputSink } from '../chain/engine.js';
import { Reporter } from '../chain/report.js';
import { UsageError } from '../chain/errors.js';
import { buildEngines, closeEngines } from '../engines/build.js';
import { modulePath, resolveSpecs } from './modules.js';
import { isEngineName, loadBuiltinEngines } from '../engines/registry.js';
import { parseProfiles } from '../transports/agent/profiles.js';
import { MetricsFile } from '../transports/agent/metrics.js';
import { AgentLog } from '../transports/agent/log.js';
import { AgentServer } from '../transports/agent/server.js';
import { DEFAULT_SPIN, type SpinOptions } from '../transports/unotify/transport.js';
import { requireKernel } from '../transports/kernel.js';

export const AGENT_HELP = `usage: sysvisor agent --socket PATH [-e ENGINE[:key=val,...]]...
                      [--profile NAME=ENGINE[:key=val,...],ENGINE...]... [--metrics FILE] [--log FILE]
                      [--hold PATH] [--spin US[:pause]]

Serves as the seccomp agent of OCI runtimes (runc, crun): a container whose config.json has
linux.seccomp.listenerPath = PATH (and SCMP_ACT_NOTIFY rules) is served by a fresh stack of the
engines, outermost first, until its processes are gone. Engine outputs go to stderr with [ID] in
front of each line, or with o=FILE to FILE.ID. Stops on SIGINT or SIGTERM (exit status 0).
--profile NAME=...: another stack, for the containers whose listenerMetadata is NAME (empty
metadata or 'default': the -e stack). A container naming an unknown profile gets EPERM for its
notified calls (one line in the log); serving goes on. Without --profile, metadata is not read.
--metrics FILE: per-container counts of the calls that reached the engines, of those answered
with an error, and the time spent on them, in the Prometheus text format, rewritten every 5 s
(node_exporter's textfile collector).
--log FILE: the agent's lines and the containers' outputs to stderr go to FILE (appended to);
SIGHUP reopens it (after logrotate moved it).
--hold PATH: a small holder process (sysvisor-holder, started if none listens on PATH) keeps
each container's seccomp listener too, so that the containers outlive the agent: while it holds
them their notified calls wait (no ENOSYS), and the next agent with the same --hold serves them
again, restarting the calls the previous one had received and not answered. The holder leaves
once it holds nothing and no agent is connected; SIGTERM to it gives the containers ENOSYS.
--spin US: after answering a container's calls, the agent's serving thread polls that
container's listener for up to US µs (0-1000) before it sleeps, yielding the CPU between polls
(:pause: spinning instead); each call found restarts the bound, and an idle agent never polls. A
poll that runs out makes the next 1, 2, 4 ... 64 skip, until one finds a call again; a turn on
one container ends after 1 ms even while its calls keep coming. Default 100; 0: off.
`;

// Engines are created per container; this trial build checks names and options once, at start.
function checkSpecs(specs: readonly string[]): void {
  const silent = new (class extends Reporter {
    override line(): void {}
  })();
  const discard = (): OutputSink => ({ fd: -1, write() {}, close() {} });
  const engines = buildEngines(specs, silent, { openOutput: discard });
  void closeEngines(engines, silent);
}

// --spin's default (DEFAULT_SPIN): at load 1.2-2.9 the agent 1.10-1.21x plain `sysvisor run`
// (1.15-2.08x without); its back-off keeps it neutral under load (README).

// --spin US[:pause]: µs, 0 to 1000.
function parseSpin(v: string): SpinOptions | undefined {
  const m = /^(\d{1,4})(:pause)?$/.exec(v);
  if (!m || Number(m[1]) > 1000) throw new UsageError(`agent: --spin ${v}: expected US (0 to 1000), optionally :pause`);
  return Number(m[1]) === 0 ? undefined : { us: Number(m[1]), yieldBetween: !m[2] };
}

export async function agentCommand(argv: readonly string[]): Promise<number> {
  await loadBuiltinEngines();
  const { values } = parseArgs({
    args: [...argv],
    options: {
      socket: { type: 'string' },
      engine: { type: 'string', short: 'e', multiple: true },
      profile: { type: 'string', multiple: true },
      metrics: { type: 'string' },
      log: { type: 'string' },
      hold: { type: 'string' },
      spin: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    writeSync(1, AGENT_HELP);
    return 0;
  }
  if (!values.socket) throw new UsageError('agent: missing --socket PATH');
  const spin = values.spin === undefined ? DEFAULT_SPIN : parseSpin(values.spin);
  requireKernel();
  const specs = await resolveSpecs(values.engine ?? []);
  checkSpecs(specs);
  const profiles = new Map<string, string[]>();
  for (const [name, list] of parseProfiles(values.profile ?? [], (n) => isEngineName(n) || modulePath(n) !== undefined)) {
    const resolved = await resolveSpecs(list);
    checkSpecs(resolved);
    profiles.set(name, resolved);
  }
  let log: AgentLog;
  try {
    log = new AgentLog(values.log);
  } catch (e) {
    throw new UsageError(`agent: --log ${values.log}: ${(e as Error).message}`);
  }
  const reporter = log.reporter('sysvisor agent: ');
  const hangup = () => {
    try {
      log.reopen();
      reporter.line('log reopened (SIGHUP)');
    } catch (e) {
      reporter.line(`cannot reopen the log ${values.log}: ${(e as Error).message}; still writing to the old one`);
    }
  };
  process.on('SIGHUP', hangup);
  const metrics = values.metrics === undefined ? undefined : new MetricsFile(values.metrics, reporter);
  let server: AgentServer;
  try {
    server = await AgentServer.listen({ socketPath: values.socket, specs, profiles, reporter, metrics, log, hold: values.hold, spin });
  } catch (e) {
    metrics?.close();
    log.close();
    throw e;
  }
  reporter.line(`listening on ${values.socket}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  metrics?.close();
  process.off('SIGHUP', hangup);
  log.close();
  return 0;
}
