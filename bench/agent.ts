// The agent's cost per notified call against `sysvisor run` with the same engine (issue 15: at
// most 1.2x): a runc container whose filter notifies getppid, served by `sysvisor agent`, runs the
// same loop as `sysvisor run` does, in interleaved rounds (machine load moves both together). The
// figure is the loop's own time per call (loop.c prints it: no start-up, no runtime in it).
// Runs only when named (`--only agent`): it needs runc and root.
//
// Like with like: runc puts the container in cgroups of its own, the supervisor stays where it is.
// With the cpu controller, the scheduler then weighs the container's group against the supervisor
// on wake-up (kernel/sched/fair.c, find_matching_se): after the answer the loop no longer preempts
// the supervisor at once, the supervisor goes to sleep and the next notification wakes it again
// (measured with sched_wakeup tracepoints: loop->node wake-ups 0.03 per call under `sysvisor run`,
// 0.71 with the loop moved into a child cpu cgroup, 0.72 in a runc container). So the goal compares
// the agent with `sysvisor run` whose loop runs in a cpu cgroup of its own (made here, removed after);
// plain `sysvisor run` is shown too, with its ratio. A fourth row shows the cause: the loop and the
// supervisor's serving thread (Node's thread, which receives and answers these calls) in that one
// cgroup, as under plain `sysvisor run` they share the root group (cgroup v1 only: v2 moves no single
// thread of a process into a domain cgroup; the row is then absent, with the reason).
//
// The thread woken is the agent's loop thread (Node's: with JS engines it receives itself, see
// addon/src/unotify/receiver.h), one for every container. A last row moves that thread (cgroup v1:
// one tid into the container's cpu cgroup's `tasks`) into the container's cpu cgroup for the
// container's run, back before `runc delete`: the figure of a supervisor that shares the
// container's task group. Each agent row also gives the loop thread's voluntary context switches per
// call (its sleeps: /proc/PID/task/TID/status), which do not move with the load as times do.
//
// The first agent runs with `--spin 0`; the spin rows run a second and third agent with `--spin`
// (SPINS; the agent's default is 100): after answering, the loop thread polls the listener for a
// while before it sleeps (backing off when polls run out), so the loop's next call may be received
// without a wake-up. They give the agent's CPU time per second of the container's run (all its
// threads: /proc/PID/stat utime+stime) and, after the rounds, per second idle (no container).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './measure.js';
import { fmt, table } from './report.js';
import { BUILD, LOOP, SYSVISOR } from './variants.js';

const CHAIN = 'count:syscalls=getppid,o=/dev/null,kernel=off';
/** The `--spin` values of the spin rows: polling with sched_yield, and with a pause instruction. */
// Other values: SV_BENCH_SPINS=20,100,50:pause (comma-separated --spin values).
const SPINS = process.env.SV_BENCH_SPINS ? process.env.SV_BENCH_SPINS.split(',') : ['100', '20:pause'];
/** The agent's default --spin (src/cli/agent.ts). */
const DEFAULT_SPIN = '100';
/** The agent's figure may be this many times `sysvisor run`'s. */
const GOAL = 1.2;

export interface AgentBenchResult {
  calls: number;
  /** ns per call, one per round. */
  native: number[];
  run: number[];
  /** sysvisor run, the loop in a cpu cgroup of its own (as a container's processes are). */
  runCgroup: number[];
  /** sysvisor run, the loop and the supervisor's serving thread in that cgroup (cgroup v1). */
  runShared: number[];
  /** Why runShared is empty, if it is. */
  runSharedAbsent?: string;
  agent: number[];
  /** The agent with its loop thread in the container's cpu cgroup (cgroup v1 only; else empty). */
  agentJoined: number[];
  /** The agent's loop thread's voluntary context switches per call, one per round. */
  agentSleeps: number[];
  agentJoinedSleeps: number[];
  /** The agent's CPU time (all threads) per second of the container's run, one per round. */
  agentCpu: number[];
  /** The agents with --spin: per SPINS entry, ns per call, sleeps per call, CPU busy per round, CPU idle. */
  spin: { spin: string; ns: number[]; sleeps: number[]; cpu: number[]; idleCpu: number; median: number }[];
  nativeMedian: number;
  runMedian: number;
  runCgroupMedian: number;
  runSharedMedian: number;
  agentMedian: number;
  agentJoinedMedian: number;
  /** the agent as by default (else without a spin) / run in a cgroup (medians): the goal's figure. */
  ratio: number;
  /** the same agent / plain run (medians). */
  ratioPlain: number;
}

// A cpu cgroup for the loop of `sysvisor run` (cgroup v1's cpu hierarchy, or v2 with the cpu
// controller enabled for the root's children); its cgroup.procs file.
// v1: its `tasks` file takes single threads too.
function makeCpuCgroup(name: string): { dir: string; v1: boolean } {
  const v1 = '/sys/fs/cgroup/cpu';
  const v2 = '/sys/fs/cgroup';
  let dir: string;
  const isV1 = existsSync(path.join(v1, 'cpu.shares'));
  if (isV1) dir = path.join(v1, name);
  else if (existsSync(path.join(v2, 'cgroup.subtree_control')) && readFileSync(path.join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('cpu')) dir = path.join(v2, name);
  else throw new Error('no cpu cgroup controller to put the loop of sysvisor run in (the container gets one from runc)');
  mkdirSync(dir);
  return { dir, v1: isV1 };
}

// The shell that becomes the loop first moves the supervisor's Node thread (the first node process
// among its ancestors: the launcher is in between; its main thread's tid is its pid) into the
// cgroup's `tasks`, then itself.
const SHARED_SCRIPT = [
  'p=$PPID; i=0',
  'while [ "$(cat /proc/$p/comm)" != node ] && [ $i -lt 4 ]; do p=$(cut -d" " -f4 /proc/$p/stat); i=$((i+1)); done',
  '[ "$(cat /proc/$p/comm)" = node ] || { echo "no supervisor node process above $$" >&2; exit 3; }',
  'echo $p > "$1/tasks" && echo $$ > "$1/cgroup.procs" && exec "$0" getppid "$2"',
].join('\n');

function perCall(argv: string[], n: number): number {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'latin1', maxBuffer: 1 << 20 });
  const m = /^loop getppid (\d+) calls (\d+) ns$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !m || Number(m[1]) !== n) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return Number(m[2]) / n;
}

const V1_CPU = '/sys/fs/cgroup/cpu';

/** Voluntary context switches of thread `tid` of `pid` so far. */
function sleeps(pid: number, tid: number): number {
  const m = /^voluntary_ctxt_switches:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
  if (!m) throw new Error(`no voluntary_ctxt_switches for thread ${tid}`);
  return Number(m[1]);
}

/** CPU time (utime + stime, all threads) of process `pid` so far, in seconds. */
function cpuTime(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
  return (Number(f[11]) + Number(f[12])) / TICKS;
}
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The cpu cgroup (v1) of thread `tid` of `pid`: its path under /sys/fs/cgroup/cpu. */
function cpuCgroupOf(pid: number, tid = pid): string {
  const line = readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l));
  if (!line) throw new Error(`thread ${tid} of ${pid}: no cpu cgroup (v1)`);
  return path.join(V1_CPU, line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1));
}

/**
 * One container run: `runc create`, then (when `join`) the agent's loop thread into the container's
 * cpu cgroup, `runc start`, the loop's figure once its output ends, the thread back where it was,
 * `runc delete`. Returns ns per call, the loop thread's sleeps per call and the agent's CPU seconds
 * per second of the run (from `runc start` to the end of the container's output).
 */
async function containerRun(bundle: string, id: string, n: number, agentPid: number, join: boolean): Promise<[number, number, number]> {
  const home = cpuCgroupOf(agentPid);
  const create = spawn('runc', ['create', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  create.stdout!.on('data', (d: Buffer) => (out += d.toString('latin1')));
  create.stderr!.on('data', (d: Buffer) => (err += d.toString('latin1')));
  const ended = new Promise<void>((r) => create.stdout!.on('close', r)); // the container's stdout: closed when its processes are gone
  try {
    const status = await new Promise<number | null>((r) => create.on('exit', r));
    if (status !== 0) throw new Error(`runc create: exit ${status}: ${err.trim()}`);
    if (join) {
      const state = JSON.parse(execFileSync('runc', ['state', id], { encoding: 'utf8' })) as { pid: number };
      writeFileSync(path.join(cpuCgroupOf(state.pid), 'tasks'), String(agentPid));
    }
    const before = sleeps(agentPid, agentPid);
    const cpuBefore = cpuTime(agentPid);
    const t0 = process.hrtime.bigint();
    let cpu: number;
    try {
      execFileSync('runc', ['start', id]);
      await ended;
      cpu = (cpuTime(agentPid) - cpuBefore) / (Number(process.hrtime.bigint() - t0) / 1e9);
    } finally {
      if (join) writeFileSync(path.join(home, 'tasks'), String(agentPid)); // before runc removes the cgroup
    }
    const slept = (sleeps(agentPid, agentPid) - before) / n;
    const m = /^loop getppid (\d+) calls (\d+) ns$/m.exec(out);
    if (!m || Number(m[1]) !== n) throw new Error(`runc container ${id}: ${(err || out).trim().split('\n').pop()}`);
    return [Number(m[2]) / n, slept, cpu];
  } finally {
    spawnSync('runc', ['delete', '-f', id]);
  }
}

// A bundle whose rootfs has the host's /usr (read-only) and the loop, notifying getppid to `socket`.
function makeBundle(dir: string, socket: string, n: number): string {
  mkdirSync(dir, { recursive: true });
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['usr', 'bench', 'proc', 'dev', 'tmp']) mkdirSync(path.join(rootfs, d), { recursive: true });
  for (const l of ['lib', 'lib64', 'bin']) symlinkSync(`usr/${l}`, path.join(rootfs, l));
  const b = path.join(dir, 'bundle');
  mkdirSync(b);
  execFileSync('runc', ['spec', '--bundle', b]);
  const config = JSON.parse(readFileSync(path.join(b, 'config.json'), 'utf8'));
  config.process.args = ['/bench/loop', 'getppid', String(n)];
  config.process.terminal = false;
  config.root = { path: rootfs, readonly: true };
  const ro = (source: string, destination: string) => ({ destination, type: 'bind', source, options: ['rbind', 'ro'] });
  config.mounts.push(ro('/usr', '/usr'), ro(BUILD, '/bench'));
  config.linux.seccomp = {
    defaultAction: 'SCMP_ACT_ALLOW',
    listenerPath: socket,
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_NOTIFY' }],
  };
  writeFileSync(path.join(b, 'config.json'), JSON.stringify(config));
  return b;
}

function startAgent(socket: string, spin: string | undefined) {
  // No spin row: --spin 0 (the agent spins by default).
  const proc = spawn(SYSVISOR[0]!, [...SYSVISOR.slice(1), 'agent', '--socket', socket, '-e', CHAIN, '--spin', spin ?? '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((r) => proc.on('close', r));
  return { proc, socket, exited, stderr: () => stderr };
}

export async function measureAgent(rounds: number, quick: boolean, log: (s: string) => void): Promise<AgentBenchResult> {
  if (spawnSync('runc', ['--version']).status !== 0) throw new Error('runc is not installed (npm run setup installs it)');
  const n = quick ? 20_000 : 200_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-bench-agent-'));
  const agents = [undefined, ...SPINS].map((spin, i) => startAgent(path.join(dir, `agent${i}.sock`), spin));
  const agent = agents[0]!;
  let cgroup: string | undefined;
  try {
    const cg = makeCpuCgroup(`sv-bench-agent-${process.pid}`);
    cgroup = cg.dir;
    // The shell moves itself into the cgroup, then becomes the loop (its own calls are not timed).
    const inCgroup = ['/bin/sh', '-c', 'echo $$ > "$1" && exec "$0" getppid "$2"', LOOP, path.join(cgroup, 'cgroup.procs'), String(n)];
    const shared = ['/bin/sh', '-c', SHARED_SCRIPT, LOOP, cgroup, String(n)];
    for (const a of agents) {
      for (const end = Date.now() + 20_000; !a.stderr().includes('listening on '); await new Promise((r) => setTimeout(r, 20)))
        if (Date.now() > end || a.proc.exitCode !== null) throw new Error(`sysvisor agent did not start: ${a.stderr().trim()}`);
    }
    const bundles = agents.map((a, i) => makeBundle(path.join(dir, `b${i}`), a.socket, n));
    const b = bundles[0]!;
    const res: AgentBenchResult = { calls: n, native: [], run: [], runCgroup: [], runShared: [], agent: [], agentJoined: [], agentSleeps: [], agentJoinedSleeps: [], agentCpu: [], spin: SPINS.map((spin) => ({ spin, ns: [], sleeps: [], cpu: [], idleCpu: NaN, median: NaN })), nativeMedian: 0, runMedian: 0, runCgroupMedian: 0, runSharedMedian: 0, agentMedian: 0, agentJoinedMedian: 0, ratio: 0, ratioPlain: 0 };
    if (!cg.v1) res.runSharedAbsent = 'cgroup v2: a single thread of the supervisor cannot join the loop\'s domain cgroup';
    for (let round = 0; round < rounds; round++) {
      log(`agent round ${round + 1}/${rounds}`);
      res.native.push(perCall([LOOP, 'getppid', String(n)], n));
      res.run.push(perCall([...SYSVISOR, 'run', '-e', CHAIN, '--', LOOP, 'getppid', String(n)], n));
      res.runCgroup.push(perCall([...SYSVISOR, 'run', '-e', CHAIN, '--', ...inCgroup], n));
      if (cg.v1) res.runShared.push(perCall([...SYSVISOR, 'run', '-e', CHAIN, '--', ...shared], n));
      const id = `sv-bench-agent-${process.pid}-${round}`;
      const [ns, slept, cpu] = await containerRun(b, id, n, agent.proc.pid!, false);
      res.agent.push(ns);
      res.agentSleeps.push(slept);
      res.agentCpu.push(cpu);
      if (cg.v1) {
        const [nsJoined, sleptJoined] = await containerRun(b, `${id}-joined`, n, agent.proc.pid!, true);
        res.agentJoined.push(nsJoined);
        res.agentJoinedSleeps.push(sleptJoined);
      }
      for (const [i, row] of res.spin.entries()) {
        const [nsSpin, sleptSpin, cpuSpin] = await containerRun(bundles[i + 1]!, `${id}-spin${i}`, n, agents[i + 1]!.proc.pid!, false);
        row.ns.push(nsSpin);
        row.sleeps.push(sleptSpin);
        row.cpu.push(cpuSpin);
      }
    }
    // Idle: no container; the spin agents have served the rounds (armed at their last call).
    const idle = agents.slice(1).map((a) => cpuTime(a.proc.pid!));
    const t0 = process.hrtime.bigint();
    await new Promise((r) => setTimeout(r, quick ? 1000 : 3000));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    for (const [i, row] of res.spin.entries()) {
      row.idleCpu = (cpuTime(agents[i + 1]!.proc.pid!) - idle[i]!) / wall;
      row.median = median(row.ns);
    }
    res.nativeMedian = median(res.native);
    res.runMedian = median(res.run);
    res.runCgroupMedian = median(res.runCgroup);
    if (res.runShared.length) res.runSharedMedian = median(res.runShared);
    res.agentMedian = median(res.agent);
    res.agentJoinedMedian = res.agentJoined.length ? median(res.agentJoined) : NaN;
    // Like with like: `sysvisor run` spins by default as the agent does (DEFAULT_SPIN), so the agent
    // as by default is held to it; without a default row, the agent without a spin.
    const byDefault = res.spin.find((s) => s.spin === DEFAULT_SPIN)?.median ?? res.agentMedian;
    res.ratio = byDefault / res.runCgroupMedian;
    res.ratioPlain = byDefault / res.runMedian;
    return res;
  } finally {
    for (const a of agents) a.proc.kill('SIGTERM');
    await Promise.all(agents.map((a) => a.exited));
    if (cgroup) rmdirSync(cgroup); // empty: its only tasks (the loops, the supervisors' threads) have exited
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportAgent(r: AgentBenchResult | undefined, rounds: number, out: (s: string) => void): void {
  if (!r) return;
  const us = (ns: number) => fmt(ns / 1000, 2);
  out('');
  out(`sysvisor agent (a runc container) against sysvisor run, count getppid: µs per call (the loop's own time), median of ${rounds} interleaved rounds`);
  const perCallSleeps = (a: number[]) => fmt(median(a), 2);
  out(table(
    ['how', 'µs/call', 'rounds', 'supervisor sleeps/call'],
    [
      ['native', us(r.nativeMedian), r.native.map(us).join(' '), ''],
      ['sysvisor run', us(r.runMedian), r.run.map(us).join(' '), ''],
      ['sysvisor run, loop in its own cpu cgroup', us(r.runCgroupMedian), r.runCgroup.map(us).join(' '), ''],
      r.runShared.length
        ? ['sysvisor run, loop and serving thread in one cpu cgroup', us(r.runSharedMedian), r.runShared.map(us).join(' '), '']
        : ['sysvisor run, loop and serving thread in one cpu cgroup', '-', r.runSharedAbsent ?? '', ''],
      ['sysvisor agent --spin 0, runc container', us(r.agentMedian), r.agent.map(us).join(' '), perCallSleeps(r.agentSleeps)],
      ...r.spin.map((s) => [`sysvisor agent --spin ${s.spin}`, us(s.median), s.ns.map(us).join(' '), perCallSleeps(s.sleeps)]),
      ...(r.agentJoined.length ? [['sysvisor agent, its loop thread in the container\'s cpu cgroup', us(r.agentJoinedMedian), r.agentJoined.map(us).join(' '), perCallSleeps(r.agentJoinedSleeps)]] : []),
    ],
  ));
  if (r.runShared.length) out(`  the container's cgroup alone: loop in its own cpu cgroup ${fmt(r.runCgroupMedian / r.runSharedMedian, 2)}x the loop sharing it with the serving thread`);
  out(`  the agent's CPU (all threads) per second of the container's run: ${fmt(median(r.agentCpu), 2)} s/s`);
  for (const s of r.spin)
    out(`  --spin ${s.spin}: ${fmt(s.median / r.runMedian, 2)}x plain sysvisor run, ${fmt(s.median / r.agentMedian, 2)}x the agent without; its CPU per second busy ${fmt(median(s.cpu), 2)} s/s, idle ${fmt(s.idleCpu, 3)} s/s`);
  if (r.agentJoined.length) out(`  the agent with its loop thread in the container's cpu cgroup: ${fmt(r.agentJoinedMedian / r.runMedian, 2)}x plain sysvisor run`);
  // The agent as started without --spin (its default spin, 100 µs), against plain `sysvisor run`.
  const byDefault = r.spin.find((s) => s.spin === DEFAULT_SPIN);
  if (byDefault) out(`  [${byDefault.median / r.runMedian <= GOAL ? 'PASS' : 'FAIL'}] agent-default-vs-run: the agent as by default (--spin ${DEFAULT_SPIN}) per call <= ${GOAL}x plain sysvisor run: ${fmt(byDefault.median / r.runMedian, 2)}x`);
  out(`  [${r.ratio <= GOAL ? 'PASS' : 'FAIL'}] agent-vs-run: the agent as by default per call <= ${GOAL}x sysvisor run (as by default) with its loop in a cpu cgroup of its own, as the container's: ${fmt(r.ratio, 2)}x (against plain sysvisor run: ${fmt(r.ratioPlain, 2)}x)`);
}
