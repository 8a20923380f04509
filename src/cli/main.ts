// The `sysvisor` command line.
//   sysvisor run [-e ENGINE[:key=val,...]]... [--] COMMAND [ARGS]
//   sysvisor demo | engines | --help | --version
import { parseArgs } from 'node:util';
import { closeSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { Reporter } from '../chain/report.js';
import { packageRoot } from '../native/load.js';
import { UsageError, UnsupportedFeatureError } from '../chain/errors.js';
import { buildEngines } from '../engines/build.js';
import { shellStatus, type ExitStatus } from '../transports/unotify/supervise.js';
import { listenerSlotFree, supervise, TRANSPORTS, type TransportName } from '../transports/ptrace/supervise.js';
import { spawnLauncher } from '../transports/unotify/supervise.js';
import { CommandError } from '../transports/unotify/command.js';
import type { HeldCall } from '../transports/unotify/transport.js';
import { requireKernel } from '../transports/kernel.js';
import { AddonError, loadBinding } from '../native/load.js';
import { ControlCallError, ControlClient } from '../scopes/client.js';
import { runNested, withCallerOutputs } from '../transports/unotify/nested.js';
import { builtinEngines, findEngine, loadBuiltinEngines, parseEngineSpec } from '../engines/registry.js';
import { loadEngineModule, modulePath, resolveSpecs } from './modules.js';
import { FDS_ENV, inheritedFds } from './fds.js';
import { argvBytes, environBytes, restoreCarriedEnv } from './raw-args.js';

// Start-up time: what only some subcommands use (the help text, the agent, bench, the demo) is
// imported when one of them runs (a chunk of its own in the command's bundle, scripts/build.sh).
const helpText = () => import('./help.js');

const reporter = new Reporter();

// What the bin shim passed under another name is COMMAND's (and any child's) under its own.
restoreCarriedEnv(process.env);

// Read before anything opens an fd of its own (a malformed list is reported by \`run\`).
const inherited = ((): number[] | Error => {
  try {
    return inheritedFds(process.env);
  } catch (e) {
    return e as Error;
  }
})();

// Synchronous writes: never turn the shared stdout into a non-blocking Node stream.
const out = (text: string) => void writeSync(1, text);


function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

// Options end at the first argument that is not an option: COMMAND's own options stay its own.
function splitRun(argv: readonly string[]): { opts: string[]; command: string[]; start: number } {
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--') return { opts: argv.slice(0, i), command: argv.slice(i + 1), start: i + 1 };
    if (!a.startsWith('-') || a === '-') break;
    i += a === '-e' || a === '--engine' || a === '--allow' || a === '--loadable' || a === '--on-supervisor-exit' || a === '--transport' || a === '--stats' ? 2 : 1;
  }
  return { opts: argv.slice(0, Math.min(i, argv.length)), command: argv.slice(i), start: Math.min(i, argv.length) };
}

// strace's and PRoot's options, as their users type them: what sysvisor does instead.
const FOREIGN: Readonly<Record<string, string>> = {
  '-o': "strace's -o FILE: give the engine its output file, -e trace:o=FILE or -e count:o=FILE",
  '-c': "strace's -c: -e count (a strace -c -f table at exit)",
  '-f': "strace's -f: sysvisor always follows the whole process tree; nothing to add",
  '-p': "strace's -p PID: none: a seccomp filter is installed by the process itself before exec, so sysvisor cannot attach to a running process",
  '-s': "strace's -s N: -e trace:s=N",
  '-b': "PRoot's -b HOST:GUEST: none for any path; -e unreal shows /X at /unreal/X",
  '-r': "strace's -r (relative timestamps): none yet; PRoot's -r ROOTFS: none (sysvisor maps /unreal, it does not change the root)",
  '-w': "strace's -w: count's times are already wall-clock, from syscall entry to exit; PRoot's -w DIR: cd DIR before sysvisor run",
};

/** `argv` as its bytes (argvBytes): raw[i] is argv[i]. */
async function run(argv: readonly string[], raw: readonly (string | Buffer)[]): Promise<number> {
  const { opts, command, start } = splitRun(argv);
  // COMMAND's argv and environment as bytes, exactly as sysvisor got them (not Node's UTF-8 text).
  const rawCommand = raw.slice(start);
  const env = environBytes([FDS_ENV]) ?? process.env;
  for (const o of opts) {
    const hint = FOREIGN[o] ?? (/^-[obrsw]./.test(o) || /^-p\d/.test(o) ? FOREIGN[o.slice(0, 2)] : undefined);
    if (hint) throw new UsageError(`run: ${o.slice(0, 2)} is not a sysvisor option: ${hint}`);
  }
  const { values } = parseArgs({
    args: opts,
    options: {
      engine: { type: 'string', short: 'e', multiple: true },
      sealed: { type: 'boolean' },
      complete: { type: 'boolean' },
      allow: { type: 'string', multiple: true },
      loadable: { type: 'string', multiple: true },
      'on-supervisor-exit': { type: 'string' },
      transport: { type: 'string' },
      stats: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    await loadBuiltinEngines();
    out((await helpText()).helpWithEngines());
    return 0;
  }
  if (command.length === 0) throw new UsageError('run: missing COMMAND');
  requireKernel();
  const onSupervisorExit = values['on-supervisor-exit'] ?? 'kill';
  if (onSupervisorExit !== 'kill' && onSupervisorExit !== 'continue') throw new UsageError(`--on-supervisor-exit must be kill or continue, got '${onSupervisorExit}'`);
  const transport = (values.transport ?? 'auto') as TransportName;
  if (!TRANSPORTS.includes(transport)) throw new UsageError(`--transport must be unotify, ptrace or auto, got '${transport}'`);
  if (transport === 'ptrace' && onSupervisorExit === 'continue') throw new UsageError('--on-supervisor-exit=continue needs the unotify transport (a traced call whose tracer is gone fails with ENOSYS)');
  performance.mark('main');
  const binding = loadBinding();
  performance.mark('addon');
  const client = new ControlClient(binding);
  const nested = client.hello() !== undefined;
  const given = values.engine ?? [];
  if (nested && (values.allow?.length || given.some((s) => modulePath(s) !== undefined)))
    throw new UsageError('engine modules can only be given to the outermost sysvisor (its --allow makes them loadable inside)');
  if (nested && values.complete) throw new UsageError('--complete belongs to the outermost sysvisor, whose filter is the one that counts');
  if (nested && values.loadable?.length) throw new UsageError('--loadable belongs to the outermost sysvisor, whose filter is the one that counts');
  // Start-up time: over unotify, the launcher process starts now and the command is forked once its
  // filter is planned (supervise), so that the launcher's start overlaps the engines' loading.
  const chosen = onSupervisorExit === 'continue' && transport === 'auto' ? 'unotify' : transport;
  const slotFree = !nested && chosen === 'auto' ? listenerSlotFree(binding) : undefined;
  const launcher = !nested && !(inherited instanceof Error) && (chosen === 'unotify' || slotFree === true)
    ? spawnLauncher(binding, { command: rawCommand[0]!, args: rawCommand.slice(1), env, fds: inherited })
    : undefined;
  try {
    // A bare run (no engine named) is a machine waiting for engines: every built-in is loadable inside.
    const bare = given.length === 0 && !values.loadable?.length && !values.sealed && !nested;
    // Only the built-ins named here are imported (start-up time); a bare run can load any of them inside.
    const named = [...given, ...(values.loadable ?? [])];
    if (!nested) await loadBuiltinEngines(bare || named.includes('all') ? undefined : named);
    const loadable = (bare ? ['all'] : (values.loadable ?? [])).flatMap((n) => (n === 'all' ? builtinEngines() : [findEngine(n)]));
    for (const file of values.allow ?? []) loadable.push(findEngine(await loadEngineModule(file)));
    const specs = await resolveSpecs(given);
    performance.mark('imported');
    if (inherited instanceof Error) throw new UsageError(inherited.message);
    // Forward the usual termination signals to COMMAND; sysvisor exits when COMMAND's tree is done.
    // Handlers go in before the command starts: a signal that comes earlier is delivered once it exists.
    // A signal the terminal sent (the kernel, to the whole foreground group) already reached COMMAND
    // when it shares sysvisor's process group: forwarding it would deliver it twice.
    let sup: { kill(signal: number): boolean; readonly pid: number; done: Promise<ExitStatus>; heldCalls?(minMs: number): HeldCall[]; killTree?(): void; readonly intercepted?: number } | undefined;
    const early: number[] = [];
    // While an engine has held a call for more than HELD_MS, a SIGTERM or SIGINT says which engine
    // holds which calls, and a second one ends the run: the tree is killed, exit 128+N. A signal the
    // terminal sent (Ctrl-C) reports but never ends the run: an interactive COMMAND that handles
    // Ctrl-C itself must never be killed by it.
    let warned = false;
    let ended: number | undefined;
    const stuck = (name: NodeJS.Signals, sig: number, fromTerminal: boolean): boolean => {
      const held = sup?.heldCalls?.(HELD_MS) ?? [];
      if (held.length === 0) return false;
      if (warned && !fromTerminal && sup?.killTree) {
        reporter.line(`${name} again: ending the run (killing the tree)`);
        ended = 128 + sig;
        sup.killTree();
        // The engines' close hooks may wait on what never comes: leave at the latest a while later.
        setTimeout(() => process.exit(ended), 3000).unref();
        return true;
      }
      reporter.line(`${name}: ${held.length} call${held.length > 1 ? 's' : ''} held by engines for more than ${HELD_MS / 1000} s:`);
      for (const h of held) reporter.line(`  ${h.engine}: pid ${h.tid} ${h.syscall}() for ${(h.ms / 1000).toFixed(1)} s`);
      if (!fromTerminal) {
        warned = true;
        reporter.line(`a second ${name} ends the run (kills the tree)`);
      }
      return false;
    };
    const forward = (name: NodeJS.Signals) => () => {
      const sig = constants.signals[name];
      const origin = TERMINAL_SIGNALS.includes(name) ? binding.takeSignalOrigin(sig) : null;
      const fromTerminal = origin === 'kernel' && sup?.pid !== undefined && sup.pid !== 0 && sameProcessGroup(sup.pid);
      if ((name === 'SIGTERM' || name === 'SIGINT') && stuck(name, sig, fromTerminal)) return;
      if (fromTerminal) return;
      if (sup) sup.kill(sig);
      else early.push(sig);
    };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    for (const s of TERMINAL_SIGNALS) binding.watchSignalOrigin(constants.signals[s]);
    // Under a sysvisor already: join it as a new scope (a second listener is impossible).
    sup = nested
      ? runNested(binding, client, rawCommand[0]!, rawCommand.slice(1), specs, inherited, onSupervisorExit, env)
      : supervise({ command: rawCommand[0]!, args: rawCommand.slice(1), env, engines: buildEngines(specs, reporter), specs, reporter, binding, nesting: !values.sealed, loadable, fds: inherited, onSupervisorExit, complete: values.complete === true, transport: launcher ? 'unotify' : chosen, launcher, slotFree });
    performance.mark('spawned');
    for (const sig of early) sup.kill(sig);
    const status = await sup.done;
    performance.mark('done');
    for (const [s, h] of handlers) process.off(s, h);
    if (values.stats !== undefined) writeStats(values.stats, sup.intercepted);
    return ended ?? shellStatus(status);
  } finally {
    launcher?.abandon(); // a launcher whose command was never forked (an error before supervise took it)
  }
}

// --stats FILE: the run's figures (sysvisor bench reads them); a file that cannot be written is said.
function writeStats(file: string, intercepted: number | undefined): void {
  try {
    writeFileSync(file, JSON.stringify({ intercepted: intercepted ?? null }) + '\n');
  } catch (e) {
    reporter.line(`--stats: cannot write ${file}: ${(e as Error).message}`);
  }
}

/** How long an engine holds a call before SIGTERM/SIGINT report it (and a second one ends the run). */
const HELD_MS = 5000;

/** Signals a terminal sends to its foreground process group (Ctrl-C, Ctrl-\\, hangup). */
const TERMINAL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT', 'SIGHUP'];

/** Process group of a process (field 5 of /proc/PID/stat), or undefined when it is gone. */
function processGroup(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

function sameProcessGroup(pid: number): boolean {
  return processGroup(pid) === processGroup('self');
}

// load/unload/engines act on the scope the caller runs in, through the supervisor above.
function inside(what: string): ControlClient {
  const client = new ControlClient(loadBinding());
  if (!client.hello()) throw new UsageError(`${what}: not running under sysvisor`);
  return client;
}

function load(argv: readonly string[]): number {
  if (argv.length !== 1) throw new UsageError('usage: sysvisor load ENGINE[:key=val,...]');
  const parsed = parseEngineSpec(argv[0]!); // syntax here; names and options are checked by the supervisor
  const client = inside('load');
  const opened: number[] = [];
  try {
    // o=FILE is opened here, as the caller; the supervisor takes a duplicate of the fd.
    const [spec] = withCallerOutputs([argv[0]!], opened);
    const r = client.call<{ scope: number; engines: string[] }>('load', { engine: spec });
    reporter.line(`loaded ${parsed.name} into scope ${r.scope}: ${r.engines.join(' ')}`);
  } finally {
    opened.forEach((fd) => closeSync(fd));
  }
  return 0;
}

function unload(argv: readonly string[]): number {
  if (argv.length !== 1) throw new UsageError('usage: sysvisor unload ENGINE');
  const r = inside('unload').call<{ scope: number; engines: string[] }>('unload', { engine: argv[0] });
  reporter.line(`unloaded ${argv[0]} from scope ${r.scope}: ${r.engines.join(' ') || '(no engines)'}`);
  return 0;
}

async function engines(): Promise<number> {
  const client = new ControlClient(loadBinding());
  if (!client.hello()) return await listEngines();
  for (const s of client.list()) out(`scope ${s.id}: ${s.engines.join(' ') || '(no engines)'}\n`);
  return 0;
}

async function listEngines(): Promise<number> {
  const { engineHelp } = await helpText();
  await loadBuiltinEngines();
  out(`built-in engines:\n${builtinEngines().map(engineHelp).join('')}`);
  return 0;
}

/** `sysvisor help`: the usage and every engine; `sysvisor help NAME|MODULE`: that engine. */
async function help(argv: readonly string[]): Promise<number> {
  if (argv.length > 1) throw new UsageError('usage: sysvisor help [ENGINE|MODULE]');
  const name = argv[0];
  const { engineHelp, helpWithEngines } = await helpText();
  await loadBuiltinEngines();
  if (name === undefined) out(helpWithEngines());
  else out(engineHelp(findEngine(modulePath(name) !== undefined ? await loadEngineModule(name) : name)));
  return 0;
}

// The supervisor never dies of an error in engine code that runs outside a syscall (an event
// callback, a timer): its tree would get ENOSYS for every notified call. Reported once, it runs on.
function keepSupervising(): void {
  const report = (e: unknown) => reporter.once(`internal error: ${(e as Error)?.message ?? String(e)}`);
  process.on('uncaughtException', report);
  process.on('unhandledRejection', report);
}

export async function main(argv: readonly string[]): Promise<number> {
  keepSupervising();
  try {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'run':
        return await run(rest, argvBytes(argv).slice(1));
      case 'engines':
        return await engines();
      case 'load':
        return load(rest);
      case 'unload':
        return unload(rest);
      case 'demo':
        return await (await import('./demo.js')).runDemo(reporter);
      case 'agent':
        return await (await import('./agent.js')).agentCommand(rest);
      case 'oci-seccomp':
        return await (await import('./oci-seccomp.js')).ociSeccompCommand(rest);
      case 'bench':
        return await (await import('./bench.js')).benchCommand(rest);
      case '-h':
      case '--help':
      case 'help':
        return await help(rest);
      case 'completion':
        if (rest.length) throw new UsageError('usage: sysvisor completion   (prints a bash completion script)');
        await loadBuiltinEngines();
        out((await helpText()).completionScript());
        return 0;
      case '-V':
      case '--version':
        out(`sysvisor ${version()}\n`);
        return 0;
      case undefined:
        throw new UsageError('missing subcommand (try --help)');
      default:
        throw new UsageError(`unknown subcommand '${cmd}' (try --help)`);
    }
  } catch (e) {
    if (e instanceof CommandError) {
      reporter.line(e.message);
      return e.exitCode;
    }
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || e instanceof AddonError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      reporter.line(err.message);
      return 2;
    }
    if (e instanceof UnsupportedFeatureError || e instanceof ControlCallError) {
      reporter.line(err.message);
      return 1;
    }
    reporter.line(`error: ${err?.message ?? String(e)}`);
    return 1;
  }
}
