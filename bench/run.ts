// `npm run bench`: whole-process benchmarks measured side by side in one run (interleaved rounds,
// median per variant, because these machines are noisy), plus tinybench micro-benchmarks of the
// pure TypeScript parts. Prints a table and the goals, writes bench/results/latest.json.
//
//   node dist/bench/run.js [--quick] [--only GROUP[,GROUP...]] [--rounds N] [--json FILE]
//
// This file is the command line. The parts, by job:
//   variants.ts  what is run: one command line per variant, in groups and families
//   goals.ts     the ratios the variants are held to
//   measure.ts   running them: per call = (wall(N) - wall(0)) / N, medians, peak RSS, probes
//   micro.ts     tinybench micro-benchmarks of the pure TypeScript parts
//   eintr.ts     EINTR of notified calls under a 20 kHz signal, sysvisor vs the C floor
//   steps.ts     the steps of an emulated lstat that only an in-process measurement separates
//   report.ts    the tables, the goals and the JSON file
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ROOT, VARIANTS } from './variants.js';
import { BenchError, ensureHelpers, measure, peakRss, probeInProcess, probeSysvisorSyncWakeUp, type RssResult, type VariantResult } from './measure.js';
import { micro } from './micro.js';
import { report } from './report.js';
import { measureEintr, type EintrResult } from './eintr.js';
import { measureSoak, type SoakResult } from './soak.js';
import { measureSteps, type StepResult } from './steps.js';
import { measureAgent, type AgentBenchResult } from './agent.js';

const USAGE = `usage: node dist/bench/run.js [--quick] [--only GROUP[,GROUP...]] [--rounds N] [--json FILE]
  --quick      fewer rounds and smaller N (a smoke run; figures are indicative only)
  --only       run only these groups (${[...new Set([...VARIANTS.map((v) => v.group), 'micro', 'eintr', 'steps'])].join(', ')});
               soak (10M checked calls, minutes) and agent (a runc container served by
               sysvisor agent against sysvisor run) run only when named
  --rounds N   interleaved rounds (default 5, quick 2)
  --json FILE  where to write the results (default bench/results/latest.json)
`;

export async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        only: { type: 'string', multiple: true },
        rounds: { type: 'string' },
        json: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        'probe-sync-wake-up': { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values['probe-sync-wake-up']) return probeInProcess();
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  const rounds = values.rounds !== undefined ? Number(values.rounds) : quick ? 2 : 5;
  if (!Number.isInteger(rounds) || rounds < 1) {
    process.stderr.write(`bench: --rounds must be a positive integer\n`);
    return 2;
  }
  const known = new Set([...VARIANTS.map((v) => v.group), 'micro', 'eintr', 'steps', 'soak', 'agent']);
  const only = values.only?.flatMap((s) => s.split(',')).filter((s) => s !== '');
  for (const g of only ?? []) {
    if (!known.has(g)) {
      process.stderr.write(`bench: unknown group '${g}' (known: ${[...known].join(', ')})\n`);
      return 2;
    }
  }
  const wanted = (g: string) => !only || only.includes(g);
  const variants = VARIANTS.filter((v) => wanted(v.group));
  const jsonPath = path.resolve(values.json ?? path.join(ROOT, 'bench', 'results', 'latest.json'));
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const out = (s: string) => process.stdout.write(s + '\n');

  try {
    ensureHelpers();
    if (variants.some((v) => v.id.startsWith('strace')) && spawnSync('strace', ['-V']).status !== 0)
      throw new BenchError('strace is not installed (npm run setup installs it)');

    const sysvisorSync = variants.some((v) => v.id.startsWith('sysvisor')) ? probeSysvisorSyncWakeUp() : undefined;
    if (variants.length > 0) log(`${variants.length} variants x ${rounds} rounds${quick ? ' (quick)' : ''}`);
    const results = variants.length > 0 ? measure(variants, rounds, quick, log) : new Map<string, VariantResult>();
    const rss = new Map<string, RssResult>();
    for (const v of variants) {
      if (!v.rss) continue;
      log(`peak RSS: ${v.id}`);
      rss.set(v.id, await peakRss(v.kind === 'per-call' ? v.command(quick ? v.quickN : v.n) : v.command()));
    }
    const microResults = wanted('micro') ? (log('micro-benchmarks (tinybench)'), await micro(quick)) : [];
    const eintr: EintrResult[] = wanted('eintr') ? measureEintr(rounds, quick, log) : [];
    const steps: StepResult[] = wanted('steps') ? await measureSteps(rounds, quick, log) : [];
    const soak: SoakResult | undefined = only?.includes('soak') ? await measureSoak(quick, log) : undefined;
    const agent: AgentBenchResult | undefined = only?.includes('agent') ? await measureAgent(rounds, quick, log) : undefined;

    report({ variants, results, rss, micro: microResults, eintr, steps, soak, agent, sysvisorSync, quick, rounds, groups: only ?? [...known].filter((g) => g !== 'soak' && g !== 'agent'), jsonPath }, out);
    return 0;
  } catch (e) {
    if (e instanceof BenchError) {
      process.stderr.write(`bench: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
