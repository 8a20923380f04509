// `sysvisor bench`: it runs a command every way, interleaved, and its figures agree with one
// another (no timed assertion: only how the figures relate, and the counts, which are exact).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROBE, sysvisor } from './helpers.js';
import type { BenchResult } from '../src/cli/bench.js';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('sysvisor bench', () => {
  it('runs COMMAND natively, over unotify and ptrace, under strace and proot; the table and the JSON agree', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-bench-'));
    try {
      const json = path.join(dir, 'bench.json');
      const r = await sysvisor(['bench', '--runs', '3', '--json', json, '-e', 'count:syscalls=getppid,kernel=off,o=/dev/null', '--', PROBE, 'calls', '3000']);
      expect(r.stderr).toBe('sysvisor bench: round 1/3\nsysvisor bench: round 2/3\nsysvisor bench: round 3/3\n');
      expect(r.code).toBe(0);
      const res = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
      expect(res.rows.map((w) => w.id)).toEqual(['native', 'unotify', 'ptrace', 'strace', 'proot']);
      expect(res.rounds).toBe(3);
      const native = res.rows[0]!;
      for (const row of res.rows) {
        expect(row.runs).toHaveLength(3);
        expect(row.empty).toHaveLength(3);
        expect(row.runs.every((s) => s.status === 0)).toBe(true);
        const ms = row.runs.map((s) => s.ms);
        expect(row.medianMs).toBe(median(ms));
        expect(row.minMs).toBe(Math.min(...ms));
        expect(row.maxMs).toBe(Math.max(...ms));
        expect(row.vsNative).toBeCloseTo(row.medianMs / native.medianMs, 9);
        expect(row.failed).toBeUndefined();
        if (row.perCallUs !== undefined) expect(row.perCallUs).toBeCloseTo(((row.medianMs - native.medianMs - row.startupMs) * 1000) / row.intercepted!, 6);
      }
      // Exact counts: the probe makes 3000 getppid calls, and count intercepts nothing else;
      // strace stops at every call, so more.
      const by = new Map(res.rows.map((w) => [w.id, w]));
      expect(by.get('unotify')!.runs.map((s) => s.intercepted)).toEqual([3000, 3000, 3000]);
      expect(by.get('ptrace')!.intercepted).toBe(3000);
      expect(by.get('strace')!.intercepted).toBeGreaterThan(3000);
      expect(by.get('native')!.intercepted).toBeUndefined();
      // The table: one line of title, the header, one row per way, in that order.
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`${PROBE} calls 3000: 3 rounds, interleaved; engines: count:syscalls=getppid,kernel=off,o=/dev/null`);
      expect(lines[1]).toMatch(/^\s+median ms\s+min-max ms\s+x native\s+start-up ms\s+intercepted\/run\s+us\/intercepted call$/);
      expect(lines.slice(2).map((l) => l.split(/\s{2,}/)[0])).toEqual(['native', 'sysvisor (unotify)', 'sysvisor (ptrace)', 'strace -f', 'proot']);
      expect(lines[3]).toContain(` ${by.get('unotify')!.vsNative.toFixed(2)} `);
      expect(lines[3]).toMatch(/ 3000 +[-\d.]+$/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a way that ends COMMAND otherwise than natively is named in one line, exit status 1', async () => {
    // A command that fails when traced: ptrace, strace and proot trace it, unotify does not.
    const r = await sysvisor(['bench', '--runs', '1', '--', 'grep', '-q', '^TracerPid:\t0$', '/proc/self/status']);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2 + 5);
    expect(r.stderr).toBe(
      [
        'sysvisor bench: round 1/1',
        'sysvisor bench: sysvisor (ptrace): exit status 1 where native gives 0',
        'sysvisor bench: strace -f: exit status 1 where native gives 0',
        'sysvisor bench: proot: exit status 1 where native gives 0',
        '',
      ].join('\n'),
    );
  });

  it('bad input: one line, exit status 2', async () => {
    const cases: [string[], string][] = [
      [['bench', '--runs', '0', '--', 'true'], "sysvisor: bench: --runs must be a whole number from 1 to 1000, got '0'\n"],
      [['bench', '--runs', 'x', '--', 'true'], "sysvisor: bench: --runs must be a whole number from 1 to 1000, got 'x'\n"],
      [['bench', '--runs', '2'], 'sysvisor: bench: missing COMMAND\n'],
      [['bench', '-e', 'no-such-engine', '--', 'true'], "sysvisor: bench: unknown engine 'no-such-engine' (known: count, unreal, trace)\n"],
      [['bench', '--frobnicate', '--', 'true'], "sysvisor: Unknown option '--frobnicate'\n"],
    ];
    for (const [args, stderr] of cases) {
      const r = await sysvisor(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr });
    }
  });
});
