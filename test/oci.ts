// Shared by the tests of `sysvisor agent` and `sysvisor oci-seccomp`: a busybox-static rootfs,
// OCI bundles from `runc spec`, the two runtimes (runc, crun), and an agent process.
import { afterAll, beforeAll } from 'vitest';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT, run, type RunResult } from './helpers.js';

export const HOSTNAME = 'sv-container';
export const ONLY_HERE = 'only in the container';

/** The OCI runtimes the agent is tested with (both installed by scripts/setup.sh). */
export const RUNTIMES = ['runc', 'crun'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/**
 * A busybox-static rootfs in `dir`: sh and a few applets, /etc/hostname, /etc/only-here, an
 * unreadable /etc/secret, and the static capdrop and callstorm test programs.
 */
export function makeRootfs(dir: string): string {
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'etc', 'proc', 'dev', 'sys', 'tmp']) mkdirSync(path.join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'cat', 'echo', 'ls', 'sleep', 'true', 'mkdir']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  writeFileSync(path.join(rootfs, 'etc', 'hostname'), `${HOSTNAME}\n`);
  writeFileSync(path.join(rootfs, 'etc', 'only-here'), `${ONLY_HERE}\n`);
  writeFileSync(path.join(rootfs, 'etc', 'secret'), 'secret\n', { mode: 0o000 });
  for (const prog of ['capdrop', 'callstorm']) {
    copyFileSync(path.join(ROOT, 'test', 'build', prog), path.join(rootfs, 'bin', prog));
    chmodSync(path.join(rootfs, 'bin', prog), 0o755);
  }
  return rootfs;
}

export interface BundleOptions {
  /** The container's seccomp listener socket (none: no seccomp section at all). */
  socket?: string;
  notify?: readonly string[];
  /** The whole linux.seccomp section instead (socket and notify are then unused). */
  seccomp?: unknown;
  /** listenerMetadata (default 'test'). */
  metadata?: string;
  /** Capabilities added to the default set of `runc spec`. */
  caps?: readonly string[];
  /** The process's argv instead of sh -c SCRIPT. */
  args?: readonly string[];
  /** Mounts added to those of `runc spec`. */
  mounts?: readonly Record<string, unknown>[];
  /** No pid namespace of its own: the container's pids are the host's. */
  hostPids?: boolean;
}

/** An OCI bundle (a directory in `dir`) from `runc spec`, running `sh -c SCRIPT` in `rootfs`. */
export function bundle(dir: string, rootfs: string, script: string, o: BundleOptions = {}): string {
  const b = mkdtempSync(path.join(dir, 'bundle-'));
  execFileSync('runc', ['spec', '--bundle', b]);
  const config = JSON.parse(readFileSync(path.join(b, 'config.json'), 'utf8'));
  config.process.args = o.args ?? ['sh', '-c', script];
  for (const set of ['bounding', 'effective', 'permitted']) config.process.capabilities[set].push(...(o.caps ?? []));
  config.process.terminal = false;
  config.root = { path: rootfs, readonly: false };
  config.mounts.push(...(o.mounts ?? []));
  if (o.hostPids) config.linux.namespaces = config.linux.namespaces.filter((n: { type: string }) => n.type !== 'pid');
  if (o.seccomp !== undefined) {
    config.linux.seccomp = o.seccomp;
  } else if (o.socket) {
    config.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: o.socket,
      listenerMetadata: o.metadata ?? 'test',
      architectures: ['SCMP_ARCH_X86_64'],
      syscalls: [{ names: o.notify ?? ['getppid', 'openat'], action: 'SCMP_ACT_NOTIFY' }],
    };
  }
  writeFileSync(path.join(b, 'config.json'), JSON.stringify(config, null, 1));
  return b;
}

/** Writes a linux.seccomp section given as JSON text (exact 64-bit literals kept) into a bundle. */
export function setSeccompText(b: string, seccompJson: string): void {
  const file = path.join(b, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8'));
  config.linux.seccomp = '@SECCOMP@';
  writeFileSync(file, JSON.stringify(config, null, 1).replace('"@SECCOMP@"', seccompJson));
}

/**
 * crun refuses a hybrid cgroup layout whose cgroup2 mount has controllers ("cgroups in hybrid mode
 * not supported, drop all controllers from cgroupv2"; here hugetlb, bound to no v1 hierarchy).
 * Probed: on such a machine crun runs in a mount namespace of its own without the cgroup2 mount,
 * where the layout is v1 only; elsewhere, as it is.
 */
const HYBRID_WITH_CONTROLLERS = (() => {
  try {
    return readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim() !== '';
  } catch {
    return false;
  }
})();

/** The command line of `RUNTIME ARGS...` (crun wrapped on a hybrid cgroup layout). */
export function runtimeCommand(runtime: Runtime, args: readonly string[]): [string, string[]] {
  if (runtime === 'crun' && HYBRID_WITH_CONTROLLERS) return ['unshare', ['-m', 'sh', '-c', 'umount /sys/fs/cgroup/unified && exec crun "$@"', 'sh', ...args]];
  return [runtime, [...args]];
}

/** `RUNTIME run --bundle B ID`, stdin from `input` (or none). */
export function runIn(runtime: Runtime, b: string, id: string, input?: string): Promise<RunResult> {
  const [cmd, args] = runtimeCommand(runtime, ['run', '--bundle', b, id]);
  return run(cmd, args, input === undefined ? {} : { input });
}

/** `RUNTIME delete -f ID` (cleaning up after a test). */
export function deleteIn(runtime: Runtime, id: string): Promise<RunResult> {
  const [cmd, args] = runtimeCommand(runtime, ['delete', '-f', id]);
  return run(cmd, args);
}

/** The --runtime of `sysvisor oci-seccomp` for this machine's runc or crun (runc 1.1 refuses flags). */
export function ociRuntime(runtime: Runtime): 'runc-1.1' | 'any' | 'crun' {
  if (runtime === 'crun') return 'crun';
  return /^runc version 1\.1\./.test(execFileSync('runc', ['--version'], { encoding: 'utf8' })) ? 'runc-1.1' : 'any';
}

export class Agent {
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the match once stderr has a line matching `re`. */
  async waitFor(re: RegExp, ms = 20_000): Promise<RegExpMatchArray> {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      const m = this.stderr.match(re);
      if (m) return m;
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`agent stderr never matched ${re}:\n${this.stderr}`);
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** `sysvisor agent --socket SOCKET -e ...ENGINES [...extra]`, once it listens. */
export async function startAgent(socket: string, engines: readonly string[], extra: readonly string[] = []): Promise<Agent> {
  const args = [CLI, 'agent', '--socket', socket, ...engines.flatMap((e) => ['-e', e]), ...extra];
  const a = new Agent(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  await a.waitFor(/listening on /);
  return a;
}

/** Rows (name → calls) of the count table of container `id` in the agent's stderr. */
export function countRows(stderr: string, id: string): Map<string, number> {
  const rows = new Map<string, number>();
  const prefix = `[${id}] `;
  for (const line of stderr.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(\d*)\s+(\w+)$/.exec(line.slice(prefix.length));
    if (m) rows.set(m[3]!, Number(m[1]));
  }
  return rows;
}

/**
 * What a test file of containers sets up, and cleans up after its tests: a temporary directory
 * with the busybox rootfs (made before the first test), container ids (deleted from their runtime
 * at the end) and agents (killed at the end). Call it at the top of the file.
 */
export class OciFixture {
  readonly dir: string;
  private root = '';
  private readonly made: [Runtime, string][] = [];
  private readonly agents: Agent[] = [];
  private next = 0;

  constructor(private readonly name: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
    beforeAll(() => {
      this.root = makeRootfs(this.dir);
    });
    afterAll(async () => {
      for (const a of this.agents) a.kill();
      for (const [rt, id] of this.made) await deleteIn(rt, id);
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  /** The rootfs (once the file's tests run). */
  get rootfs(): string {
    return this.root;
  }

  /** A new container id, deleted from `rt` at the end. */
  newId(rt: Runtime = 'runc'): string {
    const id = `${this.name}-${process.pid}-${this.next++}`;
    this.made.push([rt, id]);
    return id;
  }

  /** An OCI bundle running `sh -c SCRIPT` in the rootfs. */
  bundle(script: string, o: BundleOptions = {}): string {
    return bundle(this.dir, this.root, script, o);
  }

  /** startAgent, killed at the end. */
  async agent(socket: string, engines: readonly string[], extra: readonly string[] = []): Promise<Agent> {
    return this.keep(await startAgent(socket, engines, extra));
  }

  /** An agent started otherwise, killed at the end. */
  keep(a: Agent): Agent {
    this.agents.push(a);
    return a;
  }
}
