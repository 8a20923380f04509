// Benchmark of the `trace` engine (issue 4): `find /usr/share` natively, under
// `sysvisor run -e trace:o=/dev/null`, under `strace -f -o /dev/null`, side by side in one run
// (rounds interleaved; medians). Two times per run:
// - wall: the whole command, start-up included (Node, the addon, loading the BPF programs);
// - inner: find itself, timed inside the traced tree by bash (`time find ...`): what tracing
//   costs the traced program.
// Also the same under `sysvisor run` without engines (the start-up floor) and, for the JS side
// alone, the trace engine's processing of the recorded events.
//
//   node dist/src/engines/trace/bench.js [--rounds N] [--json FILE] [--dir /usr/share]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(here, '../../../../bin/sysvisor.js');

interface Sample {
  wall: number;
  inner: number;
  /** find's CPU time (user + system): what tracing costs it, whatever else runs on the machine. */
  cpu: number;
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function measure(prefix: string[], dir: string): Sample {
  const inner = ['bash', '-c', `TIMEFORMAT='%3R %3U %3S'; time find ${dir} >/dev/null`];
  const argv = [...prefix, ...inner];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const m = /(\d+\.\d+) (\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr.trim());
  if (!m) throw new Error(`${argv.join(' ')}: no time in ${JSON.stringify(r.stderr.slice(-200))}`);
  if (/events lost/.test(r.stderr)) process.stderr.write(`note: ${prefix.join(' ')}: ${r.stderr.match(/.*events lost.*/)![0]}\n`);
  return { wall, inner: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}

function main(): void {
  const rounds = Number(arg('--rounds', '5'));
  const dir = arg('--dir', '/usr/share');
  const json = arg('--json', '');
  const hasStrace = spawnSync('strace', ['-V']).status === 0;
  const configs: [string, string[]][] = [
    ['native', []],
    ['sysvisor (no engine)', [process.execPath, CLI, 'run', '--sealed', '--']],
    ['sysvisor -e trace', [process.execPath, CLI, 'run', '--sealed', '-e', 'trace:o=/dev/null', '--']],
    ['sysvisor -e trace (jsonl)', [process.execPath, CLI, 'run', '--sealed', '-e', 'trace:o=/dev/null,format=jsonl', '--']],
    ...(hasStrace ? [['strace -f', ['strace', '-f', '-o', '/dev/null']] as [string, string[]]] : []),
  ];
  const samples = new Map<string, Sample[]>(configs.map(([n]) => [n, []]));
  measure([], dir); // warm the page cache
  for (let r = 0; r < rounds; r++) for (const [name, prefix] of configs) samples.get(name)!.push(measure(prefix, dir));

  const native = samples.get('native')!;
  const nWall = median(native.map((s) => s.wall));
  const nInner = median(native.map((s) => s.inner));
  const nCpu = median(native.map((s) => s.cpu));
  const rows = configs.map(([name]) => {
    const s = samples.get(name)!;
    const wall = median(s.map((x) => x.wall));
    const inner = median(s.map((x) => x.inner));
    const cpu = median(s.map((x) => x.cpu));
    return { name, wall, inner, cpu, wallRatio: wall / nWall, innerRatio: inner / nInner, cpuRatio: cpu / nCpu };
  });
  const line = (c: string[]) => c[0]!.padEnd(28) + c.slice(1).map((x) => x.padStart(10)).join('');
  console.log(`find ${dir}: medians of ${rounds} rounds (wall: the whole command; inner: find timed inside the traced tree; cpu: find's user+sys)`);
  console.log(line(['', 'wall s', 'x', 'inner s', 'x', 'cpu s', 'x']));
  for (const r of rows) console.log(line([r.name, r.wall.toFixed(3), r.wallRatio.toFixed(2), r.inner.toFixed(3), r.innerRatio.toFixed(2), r.cpu.toFixed(3), r.cpuRatio.toFixed(2)]));
  const trace = rows.find((r) => r.name === 'sysvisor -e trace')!;
  const strace = rows.find((r) => r.name === 'strace -f');
  if (strace) {
    console.log(`strace -f / trace: wall ${(strace.wall / trace.wall).toFixed(1)}x, inner ${(strace.inner / trace.inner).toFixed(1)}x, cpu ${(strace.cpu / trace.cpu).toFixed(1)}x`);
  }
  if (json) writeFileSync(json, JSON.stringify({ dir, rounds, rows, samples: Object.fromEntries(samples) }, null, 2) + '\n');
}

main();
