// The `trace` engine as a user runs it: formats (text, jsonl, perfetto), filtering, signals and
// exits, no silent loss under a burst, the seccomp fallback, bad options.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROBE, sysvisor } from './helpers.js';
import { traceEventErrors } from './trace-events.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-trace-eng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (ext = 'txt') => path.join(dir, `t${n++}.${ext}`);

describe('formats', () => {
  it('text goes to stderr by default, in strace format, with the exit line', async () => {
    const r = await sysvisor(['run', '--sealed', '-e', 'trace', '--', 'sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^\d+ +execve\("\/usr\/bin\/sh", .*\) += 0$/m);
    expect(r.stderr).toMatch(/^\d+ +exit_group\(3\) += \?$/m);
    expect(r.stderr).toMatch(/^\d+ +\+\+\+ exited with 3 \+\+\+$/m);
  });

  it('jsonl: one JSON object per line, syscalls with args, ret, errors; exec and exit events', async () => {
    const f = file('jsonl');
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},format=jsonl`, '--', 'cat', '/nonexistent/x', '/etc/hostname']);
    expect(r.code).toBe(1);
    const events = readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.length).toBeGreaterThan(20);
    const open = events.find((e) => e['type'] === 'syscall' && e['name'] === 'openat' && (e['args'] as string[])[1] === '"/nonexistent/x"');
    expect(open).toMatchObject({ ret: -2, error: 'ENOENT', nr: 257 });
    expect(typeof open!['ts']).toBe('number');
    expect(typeof open!['dur']).toBe('number');
    expect(events.some((e) => e['type'] === 'exec' && e['file'] === '/usr/bin/cat')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'exit', code: 1, process: true });
    // Every syscall event belongs to the traced process.
    const pids = new Set(events.filter((e) => e['type'] === 'syscall').map((e) => e['pid']));
    expect(pids.size).toBe(1);
  });

  it('jsonl: events in time order within a thread (exec after its execve, fork after its clone)', async () => {
    const f = file('jsonl');
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},format=jsonl`, '--', 'sh', '-c', 'cat /etc/hostname | cat >/dev/null; true']);
    expect(r.code).toBe(0);
    const events = readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = new Map<number, number>();
    for (const [i, e] of events.entries()) {
      const tid = e['tid'] as number;
      expect(e['ts'] as number, `event ${i} of thread ${tid}: ${JSON.stringify(e)}`).toBeGreaterThanOrEqual(last.get(tid) ?? 0);
      last.set(tid, e['ts'] as number);
      const before = events.slice(0, i).filter((p) => p['tid'] === tid && p['type'] === 'syscall').at(-1);
      if (e['type'] === 'exec') expect(before?.['name']).toBe('execve');
      if (e['type'] === 'fork') expect(['clone', 'clone3', 'fork', 'vfork']).toContain(before?.['name']);
    }
    expect(events.filter((e) => e['type'] === 'exec').length).toBe(3);
    expect(events.filter((e) => e['type'] === 'fork').length).toBeGreaterThanOrEqual(2);
  });

  it('perfetto: trace-event JSON with one track per thread and one slice per syscall', async () => {
    const f = file('json');
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},format=perfetto`, '--', 'sh', '-c', 'cat /etc/hostname | cat >/dev/null']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(f, 'utf8')) as { traceEvents: Record<string, unknown>[]; displayTimeUnit: string };
    expect(traceEventErrors(doc)).toEqual([]);
    const slices = doc.traceEvents.filter((e) => e['ph'] === 'X');
    // The timeline starts with the trace: no event before 0 (a slice is written when its call
    // ends, after events that came later than its start).
    expect(Math.min(...doc.traceEvents.filter((e) => e['ph'] !== 'M').map((e) => e['ts'] as number))).toBeGreaterThanOrEqual(0);
    expect(slices.length).toBeGreaterThan(50);
    for (const s of slices) {
      expect(typeof s['ts']).toBe('number');
      expect(s['dur']).toBeGreaterThanOrEqual(0);
      expect(s['cat']).toBe('syscall');
    }
    // Three processes (sh and two cats), each a track named after its program.
    const threads = doc.traceEvents.filter((e) => e['ph'] === 'M' && e['name'] === 'thread_name');
    const tids = new Set(slices.map((s) => s['tid']));
    expect(tids.size).toBeGreaterThanOrEqual(3);
    for (const tid of tids) expect(threads.some((t) => t['tid'] === tid)).toBe(true);
    expect(threads.map((t) => (t['args'] as { name: string }).name).join(' ')).toMatch(/cat \d+.*cat \d+|cat \d+/);
    // Slices of one thread do not overlap (a syscall track nests nothing).
    for (const tid of tids) {
      const mine = slices.filter((s) => s['tid'] === tid).sort((a, b) => (a['ts'] as number) - (b['ts'] as number));
      for (let i = 1; i < mine.length; i++) {
        const prev = mine[i - 1]!;
        expect(mine[i]!['ts'] as number).toBeGreaterThanOrEqual((prev['ts'] as number) + (prev['dur'] as number) - 0.002);
      }
    }
  });
});

describe('filtering, signals, exits', () => {
  it('e= limits the trace to those syscalls (names and classes)', async () => {
    const f = file();
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},e=openat,close`, '--', 'cat', '/etc/hostname']);
    expect(r.code).toBe(0);
    const names = new Set([...readFileSync(f, 'latin1').matchAll(/^\d+ +(\w+)\(/gm)].map((m) => m[1]));
    expect([...names].sort()).toEqual(['close', 'openat']);
    const g = file();
    await sysvisor(['run', '--sealed', '-e', `trace:o=${g},e=%process`, '--', 'sh', '-c', '/bin/true; exit 0']);
    const pnames = new Set([...readFileSync(g, 'latin1').matchAll(/^\d+ +(\w+)\(/gm)].map((m) => m[1]));
    expect(pnames.has('execve') && pnames.has('wait4') && pnames.has('exit_group')).toBe(true);
    expect(pnames.has('openat')).toBe(false);
  });

  it('shows a delivered signal and the death it caused', async () => {
    const f = file();
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},e=kill`, '--', 'sh', '-c', 'kill -TERM $$; sleep 5']);
    expect(r.code).toBe(128 + 15);
    const text = readFileSync(f, 'latin1');
    expect(text).toMatch(/^\d+ +kill\(\d+, SIGTERM\) += 0$/m);
    expect(text).toMatch(/^\d+ +--- SIGTERM \{si_signo=SIGTERM, si_code=SI_USER, si_pid=\d+, si_uid=\d+\} ---$/m);
    expect(text).toMatch(/^\d+ +\+\+\+ killed by SIGTERM \+\+\+$/m);
  });

  it('shows SIGCHLD of a parent that ignores it, as strace does', async () => {
    const f = file();
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},e=wait4`, '--', PROBE, 'tree']);
    expect(r.code).toBe(0);
    expect(readFileSync(f, 'latin1')).toMatch(/--- SIGCHLD \{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=\d+, si_uid=\d+, si_status=0, si_utime=\d+( \/\* [\d.]+ s \*\/)?, si_stime=\d+( \/\* [\d.]+ s \*\/)?\} ---/);
  });
});

describe('no silent loss', () => {
  const CALLS = 1_000_000;
  /** getppid lines of a trace and the loss reported on stderr. */
  function account(text: string, stderr: string): { lines: number; lost: number } {
    const lines = (text.match(/getppid\(\)|"name":"getppid"/g) ?? []).length;
    const m = /trace: (\d+) events lost/.exec(stderr);
    return { lines, lost: m ? Number(m[1]) : 0 };
  }

  it(`a burst of ${CALLS} syscalls is traced, or the loss is reported`, async () => {
    const f = file();
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f}`, '--', PROBE, 'calls', String(CALLS)]);
    expect(r.code).toBe(0);
    const { lines, lost } = account(readFileSync(f, 'latin1'), r.stderr);
    console.log(`burst: ${lines} getppid lines, ${lost} events reported lost`);
    // Each lost record (an entry or an exit) can hide at most one call.
    expect(lines + lost).toBeGreaterThanOrEqual(CALLS);
    expect(lines).toBeLessThanOrEqual(CALLS);
  }, 60_000);

  it('with a ring too small to keep up, the loss is counted and reported (and in jsonl)', async () => {
    const f = file('jsonl');
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},format=jsonl,ring=4096`, '--', PROBE, 'calls', '200000']);
    expect(r.code).toBe(0);
    const text = readFileSync(f, 'latin1');
    const { lines, lost } = account(text, r.stderr);
    expect(lost).toBeGreaterThan(0);
    expect(lines + lost).toBeGreaterThanOrEqual(200000);
    expect(JSON.parse(text.trimEnd().split('\n').at(-1)!)).toEqual({ type: 'lost', events: lost });
  }, 60_000);
});

describe('fallback and bad input', () => {
  it('via=notify traces through seccomp notifications (results of continued calls unknown)', async () => {
    const f = file();
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f},e=openat,getppid,via=notify`, '--', PROBE, 'open', '/etc/hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fd 3 content /);
    const text = readFileSync(f, 'latin1');
    expect(text).toMatch(/^\d+ +openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) += \?$/m);
    expect(text).not.toMatch(/^\d+ +read\(/m);
  });

  it('bad options are one line and exit 2', async () => {
    for (const spec of ['trace:format=xml', 'trace:e=nosuchcall', 'trace:bogus=1', 'trace:s=-1', 'trace:ring=1000']) {
      const r = await sysvisor(['run', '-e', spec, '--', 'true']);
      expect(r.code, spec).toBe(2);
      expect(r.stderr.trim().split('\n'), spec).toHaveLength(1);
      expect(r.stderr, spec).toMatch(/^sysvisor: /);
    }
  });

  it('an output file that cannot be opened is one line', async () => {
    const r = await sysvisor(['run', '-e', 'trace:o=/nonexistent/dir/x', '--', 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot open/);
  });
});
