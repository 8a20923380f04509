// The `count` engine against `strace -c`: calls from the chain, errors and kernel time of the calls
// let through from the in-kernel counter (bpf/count.bpf.c). Real processes, real kernel.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise, Reporter } from '../src/index.js';
import { countFactory, type CountEngine } from '../src/engines/count/count.js';
import { openLocalOutput } from '../src/engines/output.js';
import { openFds, parseCountTable, run, sysvisor, type CountTable } from './helpers.js';

type Table = CountTable;
const parseTable = parseCountTable;

/** `sysvisor run -e count:syscalls=...,o=FILE [-e more...] -- cmd` -> its table and stderr. */
async function countOf(syscalls: string[], cmd: string[], outer: string[] = []): Promise<{ table: Table; stderr: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-count-'));
  try {
    const out = path.join(dir, 'count.txt');
    const r = await sysvisor(['run', ...outer.flatMap((e) => ['-e', e]), '-e', `count:syscalls=${syscalls.join(',')},o=${out}`, '--', ...cmd]);
    return { table: parseTable(readFileSync(out, 'utf8')), stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** `strace -f -c -e trace=...` of the same command. */
async function straceOf(syscalls: string[], cmd: string[]): Promise<Table> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-strace-'));
  try {
    const out = path.join(dir, 'strace.txt');
    await run('strace', ['-f', '-c', '-o', out, '-e', `trace=${syscalls.join(',')}`, ...cmd]);
    return parseTable(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

describe('count: errors and kernel time of calls let through (eBPF)', () => {
  it('openat: calls and errors as strace -f -c reports them', async () => {
    const cmd = ['sh', '-c', 'cat /nonexistent 2>/dev/null; cat /etc/hostname'];
    const ours = await countOf(['openat'], cmd);
    expect(ours.stderr).not.toMatch(/eBPF unavailable/);
    const theirs = await straceOf(['openat'], cmd);
    const o = ours.table.get('openat')!;
    const t = theirs.get('openat')!;
    expect(o.errors).toBeGreaterThanOrEqual(1);
    expect(o.calls).toBe(t.calls);
    expect(o.errors).toBe(t.errors);
    expect(o.seconds).toBeGreaterThan(0);
  });

  it('kernel=off: the chain alone, so errors of calls let through are not known', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-count-off-'));
    try {
      const out = path.join(dir, 'count.txt');
      const r = await sysvisor(['run', '-e', `count:syscalls=openat,o=${out},kernel=off`, '--', 'sh', '-c', 'cat /nonexistent 2>/dev/null; cat /etc/hostname']);
      expect(r.code).toBe(0);
      const o = parseTable(readFileSync(out, 'utf8')).get('openat')!;
      expect(o.calls).toBeGreaterThan(1);
      expect(o.errors).toBe(0);
      const bad = await sysvisor(['run', '-e', 'count:kernel=maybe', '--', 'true']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/count: kernel must be 'on' or 'off'/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('ls /nonexistent: the failing stat is an error', async () => {
    const stats = ['newfstatat', 'stat', 'lstat', 'statx'];
    const cmd = ['ls', '/nonexistent'];
    const ours = await countOf(stats, cmd);
    const theirs = await straceOf(stats, cmd);
    const errors = (t: Table) => stats.reduce((n, s) => n + (t.get(s)?.errors ?? 0), 0);
    expect(errors(ours.table)).toBeGreaterThanOrEqual(1);
    expect(errors(ours.table)).toBe(errors(theirs));
    for (const s of stats) expect(ours.table.get(s)?.calls ?? 0).toBe(theirs.get(s)?.calls ?? 0);
  });

  it('calls answered by the supervisor (unreal) are counted once, not twice', async () => {
    const syscalls = ['openat', 'newfstatat'];
    // Under unreal /unreal/X is /X: the same calls, some of them emulated by the supervisor.
    const ours = await countOf(syscalls, ['sh', '-c', 'cat /unreal/etc/hostname; cat /unreal/nonexistent 2>/dev/null; cat /nonexistent 2>/dev/null'], ['unreal']);
    const theirs = await straceOf(syscalls, ['sh', '-c', 'cat /etc/hostname; cat /nonexistent 2>/dev/null; cat /nonexistent 2>/dev/null']);
    for (const s of syscalls) {
      expect(ours.table.get(s)?.calls, s).toBe(theirs.get(s)?.calls);
      expect(ours.table.get(s)?.errors, s).toBe(theirs.get(s)?.errors);
    }
  });

  it('close() merges the kernel counts and leaks no fd', async () => {
    const before = openFds();
    const reports: string[] = [];
    const reporter = new Reporter();
    reporter.line = (l: string) => void reports.push(l);
    const count = countFactory.create(
      { syscalls: ['openat'], o: ['/dev/null'] },
      { report: (l) => void reports.push(l), siblings: [], openOutput: openLocalOutput },
    ) as CountEngine;
    const sup = supervise({ command: 'sh', args: ['-c', 'cat /nonexistent 2>/dev/null; exit 0'], engines: [count], reporter });
    const st = await sup.done;
    expect(st.code).toBe(0);
    expect(reports).toEqual([]);
    expect(count.counts().get('openat')?.errors).toBeGreaterThanOrEqual(1);
    expect(openFds()).toEqual(before);
  });
});
