// The `count` engine against `strace -c`: calls from the chain, errors and kernel time of the calls
// let through from the in-kernel counter (bpf/count.bpf.c). Real processes, real kernel.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** strace -c -f of cmd (all calls, or `-e trace=EXPR`). */
async function straceAll(cmd: string[], expr?: string): Promise<Table> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-strace-'));
  try {
    const out = path.join(dir, 'strace.txt');
    await run('strace', ['-f', '-c', '-o', out, ...(expr ? ['-e', `trace=${expr}`] : []), ...cmd]);
    return parseTable(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** `sysvisor run -e count[:syscalls=EXPR] -- cmd`, count alone. */
async function countAlone(cmd: string[], expr?: string): Promise<Table> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-count-'));
  try {
    const out = path.join(dir, 'count.txt');
    const r = await sysvisor(['run', '-e', `count:o=${out}${expr ? `,syscalls=${expr}` : ''}`, '--', ...cmd]);
    expect(r.stderr).toBe('');
    return parseTable(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** Rows as `name calls errors` lines, sorted, leaving out the facts the program's timing decides. */
function rows(t: Table, timing: { callsOf?: string[] } = {}): string[] {
  return [...t]
    .filter(([n]) => !timing.callsOf?.includes(n))
    .map(([n, r]) => `${n} ${r.calls} ${r.errors}`)
    .sort();
}

describe('count alone: every syscall, in the kernel, as strace -c -f counts them', () => {
  const make = mkdtempSync(path.join(tmpdir(), 'sv-make-'));
  writeFileSync(path.join(make, 'Makefile'), 'all: a.txt\na.txt:\n\techo hi > a.txt\n\tcat a.txt | tr h H\n\trm a.txt\n');
  afterAll(() => rmSync(make, { recursive: true, force: true }));

  it('counts nothing through the filter: no interests, it observes what other engines intercept', () => {
    const count = countFactory.create({ o: ['/dev/null'] }, { report: () => {}, siblings: [], openOutput: openLocalOutput }) as CountEngine;
    try {
      expect(count.interests).toEqual([]);
      expect(count.observesAll).toBe(true);
    } finally {
      count.close();
    }
  });

  // rt_sigreturn is called once per signal handler run, and here the signals are the SIGCHLDs of
  // the children exiting: a SIGCHLD that arrives while another is still pending is merged into it
  // (a standard signal is pending once), so how many handler runs there are, and whether one
  // interrupted a call (rt_sigreturn then returns its errno), is the scheduler's; strace's stops
  // make each exit come alone. So rt_sigreturn is left out of the exact rows where children exit
  // during the run, and checked instead to be between one and the number of children made.
  const forks = ['clone', 'clone3', 'fork', 'vfork'];
  it.each([
    ['ls -la /usr/bin', ['ls', '-la', '/usr/bin'], false],
    ['sh -c with pipes', ['sh', '-c', 'echo a b c | tr a-z A-Z | sort | wc -c; cat /nonexistent 2>/dev/null; true'], true],
    ['make on a tiny Makefile', ['make', '-s', '-C', make], true],
  ] as const)('%s: the same rows, calls and errors (strace shows no exit_group)', async (_name, cmd, children) => {
    const ours = await countAlone([...cmd]);
    const theirs = await straceAll([...cmd]);
    expect(ours.has('exit_group')).toBe(false);
    expect(ours.get('execve')?.calls).toBeGreaterThanOrEqual(1);
    const signals = children ? { callsOf: ['rt_sigreturn'] } : {};
    expect(rows(ours, signals)).toEqual(rows(theirs, signals));
    if (children) {
      const made = forks.reduce((n, f) => n + (ours.get(f)?.calls ?? 0), 0);
      expect(made).toBeGreaterThan(0);
      for (const t of [ours, theirs]) {
        expect(t.get('rt_sigreturn')?.calls).toBeGreaterThanOrEqual(1);
        expect(t.get('rt_sigreturn')?.calls).toBeLessThanOrEqual(made);
      }
    }
  });

  it('python3: the same rows; its reads vary by a few from run to run, under strace too', async () => {
    const cmd = ['python3', '-I', '-S', '-c', 'import os; print(sorted(os.listdir("/etc"))[:1])'];
    const ours = await countAlone(cmd);
    const theirs = await straceAll(cmd);
    expect(rows(ours, { callsOf: ['read'] })).toEqual(rows(theirs, { callsOf: ['read'] }));
    expect(Math.abs(ours.get('read')!.calls - theirs.get('read')!.calls)).toBeLessThanOrEqual(3);
  });

  it("strace's classes and exclusions select the same rows: %file, !%memory", async () => {
    const cmd = ['ls', '-la', '/usr/bin'];
    for (const expr of ['%file', '!%memory']) {
      const ours = await countAlone(cmd, expr);
      expect(ours.size).toBeGreaterThan(2);
      expect(rows(ours), expr).toEqual(rows(await straceAll(cmd, expr)));
    }
    const bad = await sysvisor(['run', '-e', 'count:syscalls=%nosuchclass', '--', 'true']);
    expect(bad).toMatchObject({ code: 2, stderr: "sysvisor: count: unknown syscall '%nosuchclass'\n" });
  });
});
