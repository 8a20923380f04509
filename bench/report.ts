// The report: tables of the variants, the goals, the micro-benchmarks, and the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GOALS } from './goals.js';
import type { RssResult, VariantResult } from './measure.js';
import type { MicroResult } from './micro.js';
import { reportEintr, type EintrResult } from './eintr.js';
import { reportSoak, type SoakResult } from './soak.js';
import { reportSteps, type StepResult } from './steps.js';
import { reportAgent, type AgentBenchResult } from './agent.js';
import type { Variant } from './variants.js';

export interface Report {
  /** The variants run, their results and the peak RSS of those measured. */
  variants: readonly Variant[];
  results: ReadonlyMap<string, VariantResult>;
  rss: ReadonlyMap<string, RssResult>;
  micro: readonly MicroResult[];
  /** EINTR rates, sysvisor and the C floor side by side (eintr.ts). */
  eintr: readonly EintrResult[];
  /** The soak: checked calls from 8 threads, supervisor RSS (soak.ts); only when asked. */
  soak?: SoakResult;
  /** Steps of an emulated lstat measured in-process (steps.ts). */
  steps: readonly StepResult[];
  /** sysvisor agent against sysvisor run per call (agent.ts); only when asked. */
  agent?: AgentBenchResult;
  /** Whether sysvisor's pump got SYNC_WAKE_UP (a string: why the probe failed). */
  sysvisorSync: boolean | string | undefined;
  quick: boolean;
  rounds: number;
  groups: readonly string[];
  jsonPath: string;
}
/** About 4 significant digits, at most `digits` decimals. */
export function fmt(x: number | undefined, digits = 3): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  const d = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
  return x.toFixed(Math.min(d, digits));
}

export function table(header: string[], rows: string[][], leftCols = 1): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftCols ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

/** Prints the tables and the goals with `out`, writes the JSON file. */
export function report(rep: Report, out: (s: string) => void): void {
  const { variants, results, rss, sysvisorSync, quick, rounds, jsonPath } = rep;
  const microResults = rep.micro;
  // Tables: per-call variants, then whole-command (per-run) variants.
  const rows = [...results.values()];
  const rssCell = (id: string) => (rss.has(id) ? fmt(rss.get(id)!.peakKb / 1024, 1) : '');
  const perCallRows = rows.filter((r) => r.kind === 'per-call');
  const perRunRows = rows.filter((r) => r.kind === 'per-run');
  // What this run cannot measure, said before the figures.
  if (quick) out(`quick run: ${rounds} round(s) and N/10: per-call figures are differences of two wall times, so start-up jitter over a small N; a figure whose spread between rounds is as large as itself (or that is not positive) is shown as "?" and fails its goals; ratios are indicative only`);
  if (rounds < 2) out('one round: the noise of a figure (its spread between rounds) is not measured');
  const flagged = (r: VariantResult, s: string) => (r.invalid ? `?${s}` : s);
  if (perCallRows.length > 0) {
    out('');
    out(`whole-process benchmarks: median of ${rounds} interleaved rounds; per call = (wall(N) - wall(0)) / N; ± half the spread between rounds`);
    out(table(
      ['variant', 'N', 'µs/call', '±', 'loop µs/call', 'startup ms', 'x floor', 'x native', 'peak RSS MB'],
      perCallRows.map((r) => [
        r.label,
        String(r.n),
        flagged(r, fmt(r.perCallUs)),
        fmt(r.noise),
        fmt(r.loopPerCallUs),
        fmt(r.startupMs, 1),
        fmt(r.vsFloor, 2),
        fmt(r.vsNative, 1),
        rssCell(r.id),
      ]),
    ));
  }
  if (perRunRows.length > 0) {
    out('');
    out(`whole commands: median wall time of ${rounds} interleaved rounds`);
    out(table(
      ['variant', 'wall ms', 'command ms', '±', 'x floor', 'x native', 'peak RSS MB'],
      perRunRows.map((r) => [r.label, fmt(r.wallMs, 1), flagged(r, fmt(r.cmdMs, 1)), fmt(r.noise, 1), fmt(r.vsFloor, 2), fmt(r.vsNative, 2), rssCell(r.id)]),
    ));
  }
  const unsound = rows.filter((r) => r.invalid);
  if (unsound.length > 0) {
    out('');
    out('figures that cannot be trusted ("?" above; their ratios are left out):');
    for (const r of unsound) out(`  ${r.label}: ${r.invalid}`);
  }
  if (rows.length > 0) {
    const floors = [...new Set(rows.map((r) => r.family))]
      .map((fam) => [fam, variants.find((v) => v.family === fam && v.role === 'floor')] as const)
      .filter(([, v]) => v !== undefined && results.has(v.id))
      .map(([fam, v]) => `${fam}: ${v!.label}`);
    if (floors.length > 0) out(`x floor / x native: against the row of the same family (${floors.join('; ')})`);
    const floorSync = rows.find((r) => r.id === 'floor-getppid')?.facts['syncWakeUp'] ?? rows.find((r) => r.facts['syncWakeUp'] !== undefined && r.id !== 'floor-nosync-getppid')?.facts['syncWakeUp'];
    out('');
    if (floorSync !== undefined) out(`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: C floor ${floorSync}`);
    if (sysvisorSync !== undefined) out(`SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: sysvisor pump ${sysvisorSync === true ? 'on' : sysvisorSync === false ? 'off' : sysvisorSync}`);
    for (const [id, r] of rss) out(`peak RSS ${id}: ${(r.peakKb / 1024).toFixed(1)} MB (${r.method})`);
  }

  reportEintr(rep.eintr, rounds, out);
  reportSoak(rep.soak, out);
  reportSteps(rep.steps, out);
  reportAgent(rep.agent, rounds, out);

  const goals = GOALS.map((g) => ({ id: g.id, text: g.text, result: g.evaluate(results, rss) }));
  const evaluated = goals.filter((g) => g.result !== undefined);
  if (evaluated.length > 0) {
    out('');
    out(`goals${quick ? ' -- quick run, indicative only' : ''}:`);
    for (const g of evaluated) {
      const r = g.result!;
      out(`  [${r.pass ? 'PASS' : 'FAIL'}] ${g.text}: ${r.why ? `cannot be judged: ${r.why}` : `${fmt(r.value, 2)} ${r.unit}`}`);
    }
  }

  if (microResults.length > 0) {
    out('');
    out('micro-benchmarks (tinybench, pure TypeScript):');
    out(table(['task', 'ns/op', 'ops/s'], microResults.map((m) => [m.name, fmt(m.nsPerOp, 1), Math.round(m.opsPerSec).toLocaleString('en-US')])));
  }

  const json = {
    schema: 1,
    date: new Date().toISOString(),
    quick,
    rounds,
    groups: rep.groups,
    host: { kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    method: 'whole-process wall time, spawnSync; per call = (wall(N) - wall(0)) / N, median over interleaved rounds; loopPerCallUs from the loop\'s own clock',
    syncWakeUp: {
      floor: rows.find((r) => r.id === 'floor-getppid')?.facts['syncWakeUp'],
      sysvisor: sysvisorSync,
    },
    variants: Object.fromEntries(rows.map((r) => [r.id, { ...r, peakRssKb: rss.get(r.id)?.peakKb, rssMethod: rss.get(r.id)?.method }])),
    goals: Object.fromEntries(goals.map((g) => [g.id, g.result ? { text: g.text, ...g.result } : { text: g.text, skipped: true }])),
    micro: microResults,
    eintr: rep.eintr,
    soak: rep.soak,
    steps: rep.steps,
    agent: rep.agent,
  };
  mkdirSync(path.dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(json, null, 2) + '\n');
  out('');
  out(`results written to ${path.relative(process.cwd(), jsonPath) || jsonPath}`);}
