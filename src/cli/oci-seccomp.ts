// `sysvisor oci-seccomp [-e ENGINE]... [--socket PATH] [--merge config.json]`: prints the
// `linux.seccomp` section that makes runc/crun send a container's listener to `sysvisor agent`
// with SCMP_ACT_NOTIFY for what the engines need (src/filter/oci.ts), planned as for `sysvisor run`.
import { parseArgs } from 'node:util';
import { readFileSync, statSync, writeSync } from 'node:fs';
import type { OutputSink } from '../chain/engine.js';
import { Reporter } from '../chain/report.js';
import { UsageError } from '../chain/errors.js';
import { buildEngines, closeEngines } from '../engines/build.js';
import { planFilter } from '../filter/plan.js';
import { ociSeccomp, RUNTIMES, toJson, type RuntimeName } from '../filter/oci.js';
import { SYSCALLS } from '../syscalls/table.js';
import { rootInterests } from '../transports/unotify/supervise.js';
import { resolveSpecs } from './modules.js';
import { loadBuiltinEngines } from '../engines/registry.js';

export const OCI_SECCOMP_HELP = `usage: sysvisor oci-seccomp -e ENGINE[:key=val,...]... [--socket PATH] [--merge config.json]
                            [--runtime any|runc-1.1|crun]

Prints the linux.seccomp section of an OCI bundle's config.json for \`sysvisor agent\` with the
same engines: SCMP_ACT_NOTIFY for the syscalls they need (with the argument tests of the filter
that \`sysvisor run\` would install, where the OCI format can say them), listenerPath PATH, and
flags SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV. Left out, with one line on stderr: write, which runc
calls before the agent has the listener (--runtime crun notifies it). --runtime runc-1.1: no
flags (runc 1.1 refuses any). --merge FILE keeps the defaultAction,
architectures and rules of FILE's linux.seccomp (a deny-by-default profile stays one: a call it
refuses is not notified).
`;

/** Largest config.json read by --merge. */
const MAX_CONFIG_BYTES = 4 << 20;

function readConfig(file: string): unknown {
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) throw new UsageError(`oci-seccomp: ${file}: larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`oci-seccomp: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`oci-seccomp: ${file} is not JSON: ${(e as Error).message}`);
  }
}

export async function ociSeccompCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      socket: { type: 'string' },
      merge: { type: 'string' },
      runtime: { type: 'string' },
      engine: { type: 'string', short: 'e', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    writeSync(1, OCI_SECCOMP_HELP);
    return 0;
  }
  if (!values.engine?.length) throw new UsageError('oci-seccomp: no engine (-e ENGINE)');
  const runtime = values.runtime ?? 'any';
  if (!Object.hasOwn(RUNTIMES, runtime)) throw new UsageError(`oci-seccomp: unknown --runtime '${runtime}' (${Object.keys(RUNTIMES).join(', ')})`);
  const merge = values.merge === undefined ? undefined : readConfig(values.merge);
  const specs = await resolveSpecs(values.engine);
  await loadBuiltinEngines(specs);
  // The engines are made only to learn their interests; their outputs go nowhere.
  const silent = new (class extends Reporter {
    override line(): void {}
  })();
  const discard = (): OutputSink => ({ fd: -1, write() {}, close() {} });
  const engines = buildEngines(specs, silent, { openOutput: discard });
  // with the control call of a `sysvisor run` or `load` inside (the agent answers it)
  const interests = rootInterests(engines, []);
  await closeEngines(engines, silent);
  const plan = interests === 'all' ? { syscalls: SYSCALLS.flatMap((n, nr) => (n ? [nr] : [])), conditional: new Map() } : planFilter(interests);
  const { seccomp, notes } = ociSeccomp(plan, { socket: values.socket, merge, runtime: runtime as RuntimeName });
  const reporter = new Reporter(2, 'sysvisor oci-seccomp: ');
  for (const n of notes) reporter.line(n);
  writeSync(1, toJson(seccomp) + '\n');
  return 0;
}
