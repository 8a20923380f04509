// Where the tracer sits in the onion decides what it shows (DESIGN.md section 1): nearest the
// program it shows what the program asked and got; nearest the kernel, what the kernel ran. Real
// programs, real kernel; test engines through the library API, and the real `unreal` on the CLI.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Result, supervise, TraceEngine, type Engine, type Next, type Syscall } from '../src/index.js';
import type { OutputSink } from '../src/chain/engine.js';
import { selectSyscalls } from '../src/syscalls/select.js';
import { PROBE, sysvisor } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-trace-place-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An output that keeps the trace in memory. */
class MemorySink implements OutputSink {
  readonly fd = -1;
  text = '';
  closed = false;
  write(t: string): void {
    this.text += t;
  }
  close(): void {
    this.closed = true;
  }
}

function tracer(syscalls: string[]): { engine: TraceEngine; sink: MemorySink } {
  const sink = new MemorySink();
  const engine = new TraceEngine(sink, { syscalls: selectSyscalls(syscalls), report: (l) => console.log(l) });
  expect(engine.usesBpf).toBe(true);
  return { engine, sink };
}

/** Maps /unreal/X to /X on openat (a small `unreal`). */
const mapper: Engine = {
  name: 'mapper',
  interests: [{ syscall: 'openat' }],
  handle(call: Syscall, next: Next) {
    const p = call.string(1);
    if (p?.startsWith('/unreal/')) call.setString(1, p.slice('/unreal'.length));
    return next();
  },
};

/** Answers getppid itself: the kernel never runs it. */
const answerer: Engine = {
  name: 'answerer',
  interests: [{ syscall: 'getppid' }],
  handle: () => Result.value(4242),
};

async function runProbe(engines: Engine[], args: string[]): Promise<number | null> {
  const sup = supervise({ command: PROBE, args, engines, nesting: false, env: { ...process.env, PROBE_OUT: path.join(dir, 'out.txt') } });
  const status = await sup.done;
  return status.code;
}

/** `openat(AT_FDCWD, "PATH", O_RDONLY) = N` lines: [path, N]. */
function opens(text: string): [string, number][] {
  return [...text.matchAll(/openat\(AT_FDCWD, "([^"]*)", O_RDONLY\) += (-?\d+)/g)].map((m) => [m[1]!, Number(m[2])]);
}

describe('placement through the library API', () => {
  it('inside a path mapper the tracer shows the program\'s path; outside, the kernel\'s; both the fd', async () => {
    const outer = tracer(['openat', 'read']);
    const inner = tracer(['openat', 'read']);
    // Outermost first: outer tracer, mapper, inner tracer (nearest the program).
    const code = await runProbe([outer.engine, mapper, inner.engine], ['open', '/unreal/etc/hostname']);
    expect(code).toBe(0);
    const printed = readFileSync(path.join(dir, 'out.txt'), 'utf8');
    const fd = Number(/^fd (\d+) content/.exec(printed)![1]);
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(opens(inner.sink.text)).toContainEqual(['/unreal/etc/hostname', fd]);
    expect(opens(inner.sink.text).map(([p]) => p)).not.toContain('/etc/hostname');
    expect(opens(outer.sink.text)).toContainEqual(['/etc/hostname', fd]);
    expect(opens(outer.sink.text).map(([p]) => p)).not.toContain('/unreal/etc/hostname');
    // The read that follows uses that fd, in both views.
    for (const t of [inner, outer]) expect(t.sink.text).toMatch(new RegExp(`read\\(${fd}, "${readFileSync('/etc/hostname', 'latin1').trim()}`));
    expect(inner.sink.closed && outer.sink.closed).toBe(true);
  });

  it('a call answered inside the tracer shows with its answer; outside, it never reached the kernel', async () => {
    const outer = tracer(['getppid']);
    const inner = tracer(['getppid']);
    const code = await runProbe([outer.engine, answerer, inner.engine], ['getppid']);
    expect(code).toBe(0);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('4242\n');
    expect(inner.sink.text).toMatch(/^\d+ +getppid\(\) += 4242$/m);
    expect(outer.sink.text).not.toMatch(/getppid/);
  });

  it('a tracer outside an engine that answers from further out sees the answer too', async () => {
    const t = tracer(['getppid']);
    // answerer outermost: the tracer (inside it) sees the call and the answer.
    const code = await runProbe([answerer, t.engine], ['getppid']);
    expect(code).toBe(0);
    expect(t.sink.text).toMatch(/^\d+ +getppid\(\) += 4242$/m);
  });
});

describe('placement with the real unreal engine (CLI)', () => {
  const expected = readFileSync('/etc/hostname', 'latin1');

  it('-e unreal -e trace shows /unreal/etc/hostname and the fd the open returned', async () => {
    const f = path.join(dir, 'inner.txt');
    const r = await sysvisor(['run', '-e', 'unreal', '-e', `trace:o=${f}`, '--', 'cat', '/unreal/etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
    const text = readFileSync(f, 'latin1');
    const found = opens(text).filter(([p]) => p === '/unreal/etc/hostname');
    expect(found).toHaveLength(1);
    const fd = found[0]![1];
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(text).toContain(`read(${fd}, ${JSON.stringify(expected).replace(/\\n/g, '\\n')}`);
    expect(opens(text).map(([p]) => p)).not.toContain('/etc/hostname');
  });

  it('-e trace -e unreal shows /etc/hostname, not the /unreal path, and the fd', async () => {
    const f = path.join(dir, 'outer.txt');
    const r = await sysvisor(['run', '-e', `trace:o=${f}`, '-e', 'unreal', '--', 'cat', '/unreal/etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
    const text = readFileSync(f, 'latin1');
    const found = opens(text).filter(([p]) => p === '/etc/hostname');
    expect(found).toHaveLength(1);
    const fd = found[0]![1];
    expect(fd).toBeGreaterThanOrEqual(3);
    expect(text).toContain(`read(${fd}, `);
    // No path the kernel ran mentions /unreal (argv is the program's data, shown as it is).
    const lines = text.split('\n').filter((l) => !/^\d+ +execve\(/.test(l));
    expect(lines.join('\n')).not.toContain('/unreal');
    expect(text).toMatch(/execve\("\/usr\/bin\/cat", \["cat", "\/unreal\/etc\/hostname"\]/);
  });

  it('a tracer on each side of unreal: the program\'s view inside, the kernel\'s outside, the same fd', async () => {
    const fo = path.join(dir, 'o.txt');
    const fi = path.join(dir, 'i.txt');
    const r = await sysvisor(['run', '-e', `trace:o=${fo},e=openat`, '-e', 'unreal', '-e', `trace:o=${fi},e=openat`, '--', 'cat', '/unreal/unreal/etc/hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expected);
    const inner = opens(readFileSync(fi, 'latin1')).find(([p]) => p.endsWith('etc/hostname'));
    const outer = opens(readFileSync(fo, 'latin1')).find(([p]) => p.endsWith('etc/hostname'));
    expect(inner?.[0]).toBe('/unreal/unreal/etc/hostname');
    expect(outer?.[0]).toBe('/etc/hostname');
    expect(inner?.[1]).toBe(outer?.[1]);
  });
});
