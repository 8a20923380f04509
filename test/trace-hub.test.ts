// One eBPF tracing session per supervisor, whatever the number of `trace` engines (issue 8, item
// 6): nested trace scopes share its programs, maps and ring buffer; each engine still sees only
// the processes of its own scope. Real processes, real kernel.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, openFds } from './helpers.js';
import { TraceHub } from '../src/observe/trace-hub.js';
import { TraceEngine } from '../src/engines/trace/trace.js';
import { openLocalOutput } from '../src/engines/output.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-hub-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The eBPF objects a process holds: its fds on bpf maps, programs, links and ring buffer polls. */
function bpfFds(pid: number | 'self'): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (/^anon_inode:(bpf|\[eventpoll\])/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** `sysvisor run -e trace:... -- ` nested `levels` times around `cmd`, as a real process; the
 *  command gets this process's pid as $TEST_PID (the outermost supervisor is its child). */
function nestedTraces(levels: number, cmd: string, traceFile: (level: number) => string): Promise<{ code: number | null; stderr: string }> {
  const argv: string[] = [];
  for (let i = 0; i < levels; i++) argv.push(...(i === 0 ? [] : [process.execPath, CLI]), 'run', '-e', `trace:e=openat,o=${traceFile(i)}`, '--');
  argv.push('sh', '-c', cmd);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TEST_PID: String(process.pid) } });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('one shared eBPF session for every trace engine of a supervisor', () => {
  it('10 trace engines in one process: one session, no more eBPF fds than one engine, none left after', () => {
    const before = openFds().length;
    const bpfBefore = bpfFds('self');
    const engines: TraceEngine[] = [];
    const make = () => new TraceEngine(openLocalOutput('/dev/null'), { syscalls: undefined });
    try {
      engines.push(make());
      expect(engines[0]!.usesBpf).toBe(true);
      const one = bpfFds('self') - bpfBefore;
      expect(one).toBeGreaterThan(0);
      for (let i = 1; i < 10; i++) engines.push(make());
      expect(TraceHub.sessions).toBe(1);
      expect(bpfFds('self') - bpfBefore).toBe(one);
    } finally {
      for (const e of engines) e.close();
    }
    expect(TraceHub.sessions).toBe(0);
    expect(openFds().length).toBe(before);
  });

  it('10 nested trace scopes: the outermost supervisor holds one session; each scope traces its own subtree', async () => {
    const fdsFile = (levels: number) => path.join(dir, `fds-${levels}`);
    const traceFile = (levels: number) => (level: number) => path.join(dir, `t${levels}-${level}`);
    const counts: number[] = [];
    for (const levels of [1, 10]) {
      // The innermost command finds the outermost supervisor (its ancestor whose parent is this
      // test) and lists its fds, while every scope is alive.
      const cmd =
        `p=$$; while [ "$p" -gt 1 ]; do pp=$(awk '/^PPid:/{print $2}' /proc/$p/status); ` +
        `[ "$pp" = "$TEST_PID" ] && break; p=$pp; done; ` +
        `ls -l /proc/$p/fd > ${fdsFile(levels)}; cat /etc/hostname > /dev/null`;
      const r = await nestedTraces(levels, cmd, traceFile(levels));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const listing = readFileSync(fdsFile(levels), 'utf8');
      counts.push(listing.split('\n').filter((l) => /-> anon_inode:(bpf|\[eventpoll\])/.test(l)).length);
      // Every scope's tracer saw the innermost command open /etc/hostname; the inner sysvisors
      // (node, loading sysvisor's modules) are in the trees of the scopes outside them only.
      const cli = /openat\([^)]*dist\/(src\/cli\/main\.js|bundle\/sysvisor\.cjs)/; // (the CLI as compiled, or bundled)
      for (let level = 0; level < levels; level++) {
        const t = readFileSync(traceFile(levels)(level), 'utf8');
        expect(t).toMatch(/openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) = \d+/);
        expect(cli.test(t)).toBe(level < levels - 1);
      }
    }
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBe(counts[0]);
  }, 180_000);
});
