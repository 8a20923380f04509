// The agent's cost per notified call against `sysvisor run` with the same engine (issue 15: at
// most 1.2x): a runc container whose filter notifies getppid, served by `sysvisor agent`, runs the
// same loop as `sysvisor run` does, in interleaved rounds (machine load moves both together). The
// figure is the loop's own time per call (loop.c prints it: no start-up, no runtime in it).
// Runs only when named (`--only agent`): it needs runc and root.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './measure.js';
import { fmt, table } from './report.js';
import { BUILD, LOOP, SYSVISOR } from './variants.js';

const CHAIN = 'count:syscalls=getppid,o=/dev/null,kernel=off';
/** The agent's figure may be this many times `sysvisor run`'s. */
const GOAL = 1.2;

export interface AgentBenchResult {
  calls: number;
  /** ns per call, one per round. */
  native: number[];
  run: number[];
  agent: number[];
  nativeMedian: number;
  runMedian: number;
  agentMedian: number;
  /** agent / run (medians). */
  ratio: number;
}

function perCall(argv: string[], n: number): number {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'latin1', maxBuffer: 1 << 20 });
  const m = /^loop getppid (\d+) calls (\d+) ns$/m.exec(r.stdout ?? '');
  if (r.status !== 0 || !m || Number(m[1]) !== n) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop()}`);
  return Number(m[2]) / n;
}

// A bundle whose rootfs has the host's /usr (read-only) and the loop, notifying getppid to `socket`.
function makeBundle(dir: string, socket: string, n: number): string {
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

export async function measureAgent(rounds: number, quick: boolean, log: (s: string) => void): Promise<AgentBenchResult> {
  if (spawnSync('runc', ['--version']).status !== 0) throw new Error('runc is not installed (npm run setup installs it)');
  const n = quick ? 20_000 : 200_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-bench-agent-'));
  const socket = path.join(dir, 'agent.sock');
  const agent = spawn(SYSVISOR[0]!, [...SYSVISOR.slice(1), 'agent', '--socket', socket, '-e', CHAIN], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  agent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise((r) => agent.on('close', r));
  try {
    for (const end = Date.now() + 20_000; !stderr.includes('listening on '); await new Promise((r) => setTimeout(r, 20)))
      if (Date.now() > end || agent.exitCode !== null) throw new Error(`sysvisor agent did not start: ${stderr.trim()}`);
    const b = makeBundle(dir, socket, n);
    const res: AgentBenchResult = { calls: n, native: [], run: [], agent: [], nativeMedian: 0, runMedian: 0, agentMedian: 0, ratio: 0 };
    for (let round = 0; round < rounds; round++) {
      log(`agent round ${round + 1}/${rounds}`);
      res.native.push(perCall([LOOP, 'getppid', String(n)], n));
      res.run.push(perCall([...SYSVISOR, 'run', '-e', CHAIN, '--', LOOP, 'getppid', String(n)], n));
      const id = `sv-bench-agent-${process.pid}-${round}`;
      try {
        res.agent.push(perCall(['runc', 'run', '--bundle', b, id], n));
      } finally {
        spawnSync('runc', ['delete', '-f', id]);
      }
    }
    res.nativeMedian = median(res.native);
    res.runMedian = median(res.run);
    res.agentMedian = median(res.agent);
    res.ratio = res.agentMedian / res.runMedian;
    return res;
  } finally {
    agent.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportAgent(r: AgentBenchResult | undefined, rounds: number, out: (s: string) => void): void {
  if (!r) return;
  const us = (ns: number) => fmt(ns / 1000, 2);
  out('');
  out(`sysvisor agent (a runc container) against sysvisor run, count getppid: µs per call (the loop's own time), median of ${rounds} interleaved rounds`);
  out(table(
    ['how', 'µs/call', 'rounds'],
    [
      ['native', us(r.nativeMedian), r.native.map(us).join(' ')],
      ['sysvisor run', us(r.runMedian), r.run.map(us).join(' ')],
      ['sysvisor agent, runc container', us(r.agentMedian), r.agent.map(us).join(' ')],
    ],
  ));
  out(`  [${r.ratio <= GOAL ? 'PASS' : 'FAIL'}] agent-vs-run: agent per call <= ${GOAL}x sysvisor run: ${fmt(r.ratio, 2)}x`);
}
