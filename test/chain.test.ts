// Chain semantics with test engines, run in-process through the library API on real tracees, over
// each transport: seccomp user notification, ptrace (seccomp stops), and ptrace with the
// syscall-entry stops it uses under a foreign listener.
import { describe, expect, it } from 'vitest';
import { existsSync, openSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise, Result, Reporter, type Engine, type Syscall, type Next, type TransportName } from '../src/index.js';
import { openFds, PROBE } from './helpers.js';

/** Runs PROBE args under engines (outermost first), capturing stdout/stderr through files. */
type Over = TransportName | 'ptrace-entry';

async function probeOver(over: Over, engines: Engine[], args: string[]): Promise<{ status: number | null; stdout: string; reports: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sv-chain-'));
  const outFile = path.join(dir, 'out');
  const reports: string[] = [];
  const reporter = new Reporter();
  reporter.line = (l: string) => void reports.push(l);
  try {
    // The tracee's stdout goes to a file (PROBE_OUT), so the only calls are the probe's own.
    const transport = over === 'ptrace-entry' ? 'ptrace' : over;
    const sup = supervise({ command: PROBE, args, engines, reporter, env: { ...process.env, PROBE_OUT: outFile }, transport, ptraceStops: over === 'ptrace-entry' ? 'entry' : undefined });
    const st = await sup.done;
    return { status: st.code, stdout: existsSync(outFile) ? readFileSync(outFile, 'utf8') : '', reports };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

function engine(name: string, syscalls: string[], handle: (call: Syscall, next: Next) => Result | Promise<Result>): Engine {
  return { name, interests: syscalls.map((s) => ({ syscall: s })), handle };
}

const TRANSPORTS: Over[] = ['unotify', 'ptrace', 'ptrace-entry'];

describe.each(TRANSPORTS)('engine chain over %s', (transport) => {
  const probe = (engines: Engine[], args: string[]) => probeOver(transport, engines, args);

  it('runs entry innermost -> outermost and exit outermost -> innermost', async () => {
    const log: string[] = [];
    const mk = (n: string) =>
      engine(n, ['getppid'], (call, next) => {
        log.push(`enter ${n}`);
        const r = next() as Result;
        log.push(`exit ${n}`);
        return r;
      });
    const r = await probe([mk('outer'), mk('middle'), mk('inner')], ['getppid']);
    expect(r.status).toBe(0);
    expect(log).toEqual(['enter inner', 'enter middle', 'enter outer', 'exit outer', 'exit middle', 'exit inner']);
  });

  it('answers with a value without running the call, and outer engines are skipped', async () => {
    let outerSaw = 0;
    const outer = engine('outer', ['getppid'], (_c, next) => (outerSaw++, next()));
    const inner = engine('inner', ['getppid'], () => Result.value(4242));
    const r = await probe([outer, inner], ['getppid']);
    expect(r.stdout).toBe('4242\n');
    expect(outerSaw).toBe(0);
  });

  it('answers with an errno', async () => {
    const e = engine('deny', ['getppid'], () => Result.error(13));
    const r = await probe([e], ['getppid-errno']);
    expect(r.stdout).toBe('-1 13\n');
  });

  it('an engine that asks for the result of a changed call gets the kernel\'s, and may replace it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-want-'));
    try {
      const real = path.join(dir, 'real.txt');
      writeFileSync(real, 'real content\n');
      let saw = NaN;
      const e = engine('want', ['openat'], async (call, next) => {
        if (call.string(1) !== '/virtual/file') return next();
        call.setString(1, real);
        call.wantResult();
        const r = await next();
        saw = r.value;
        return r;
      });
      const r = await probe([e], ['open', '/virtual/file']);
      expect(r.stdout).toBe(`fd ${saw} content real content\n`);
      const missing = engine('missing', ['openat'], async (call, next) => {
        if (call.string(1) !== '/virtual/file') return next();
        call.setString(1, path.join(dir, 'none'));
        call.wantResult();
        const res = await next();
        return res.failed ? Result.error(13) : res; // ENOENT from the kernel becomes EACCES
      });
      expect((await probe([missing], ['open', '/virtual/file'])).stdout).toBe('errno 13\n');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('outer engines see the result and can replace it on exit', async () => {
    let innerSaw = NaN;
    const outer = engine('outer', ['getppid'], async (_c, next) => {
      await next();
      return Result.value(7);
    });
    const inner = engine('inner', ['getppid'], async (_c, next) => {
      const r = await next();
      innerSaw = r.value;
      return r;
    });
    const r = await probe([outer, inner], ['getppid']);
    expect(r.stdout).toBe('7\n');
    expect(innerSaw).toBe(7);
  });

  it('passes changed arguments to the next engine; the executor realizes the open as the tracee (emulated, or by registers)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-args-'));
    try {
      const real = path.join(dir, 'real.txt');
      writeFileSync(real, 'real content\n');
      let outerSaw: string | null = null;
      let outerResult = NaN;
      const outer = engine('outer', ['openat'], async (call, next) => {
        outerSaw = call.string(1);
        const r = await next();
        if (call.string(1) === real) outerResult = r.value;
        return r;
      });
      const inner = engine('inner', ['openat'], (call, next) => {
        if (call.string(1) === '/virtual/file') call.setString(1, real);
        return next();
      });
      const r = await probe([outer, inner], ['open', '/virtual/file']);
      expect(r.stdout).toMatch(/^fd (\d+) content real content\n$/);
      expect(outerSaw).toBe(real);
      if (transport === 'unotify') {
        // Reading the fd result on exit installs it (ADDFD), so the number is the tracee's fd.
        expect(`fd ${outerResult} content real content\n`).toBe(r.stdout);
      } else {
        // The kernel ran the open with the path placed below the red zone: CONTINUED, as a
        // rewrite in place (no engine asked for the result).
        expect(outerResult).toBeNaN();
      }
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('injects an fd opened by an engine (unotify); refuses it in one line naming the engine (ptrace)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-fd-'));
    try {
      const file = path.join(dir, 'given.txt');
      writeFileSync(file, 'given by the engine\n');
      const before = openFds();
      const e = engine('give', ['openat'], (call, next) => (call.string(1) === '/ask' ? Result.fd(openSync(file, 'r'), false) : next()));
      const r = await probe([e], ['open', '/ask']);
      if (transport === 'unotify') {
        expect(r.stdout).toMatch(/^fd \d+ content given by the engine\n$/);
      } else {
        expect(r.stdout).toBe('errno 38\n');
        expect(r.reports).toEqual([
          'engine give answered openat() with an fd (Result.fd), which the ptrace transport cannot give the tracee (no counterpart of seccomp\'s ADDFD): the call fails with ENOSYS; use --transport unotify',
        ]);
      }
      expect(openFds()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("an inner engine reads the value of an outer engine's fd result: the tracee gets that fd (unotify), ENOSYS named in one line (ptrace)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-fd-'));
    try {
      const file = path.join(dir, 'given.txt');
      writeFileSync(file, 'given by the outer engine\n');
      const outer = engine('outer', ['openat'], (call, next) => (call.string(1) === '/ask' ? Result.fd(openSync(file, 'r'), false) : next()));
      let seen: number | undefined;
      const inner = engine('inner', ['openat'], (call, next) => {
        const r = next() as Result;
        if (call.string(1) === '/ask') seen = r.value;
        return r;
      });
      const before = openFds();
      const r = await probe([outer, inner], ['open', '/ask']);
      if (transport === 'unotify') {
        expect(r.reports).toEqual([]);
        expect(seen).toBeGreaterThanOrEqual(0);
        expect(r.stdout).toBe(`fd ${seen} content given by the outer engine\n`);
      } else {
        expect(seen).toBe(-38);
        expect(r.stdout).toBe('errno 38\n');
        expect(r.reports).toEqual([
          "one of the engines inner, outer answered openat() with an fd (Result.fd), which the ptrace transport cannot give the tracee (no counterpart of seccomp's ADDFD): the call fails with ENOSYS; use --transport unotify",
        ]);
      }
      expect(openFds()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a stopped thread delays only itself: other threads run on', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let getuidWhileStopped = 0;
    let stopped = false;
    const stopper = engine('stopper', ['getppid', 'getuid'], async (call, next) => {
      if (call.name === 'getppid') {
        stopped = true;
        await released; // this thread waits here
        stopped = false;
      } else if (stopped && ++getuidWhileStopped === 50) {
        release();
      }
      return next();
    });
    const r = await probe([stopper], ['race']);
    expect(r.stdout).toBe('race ok b_calls>0=1\n');
    expect(getuidWhileStopped).toBeGreaterThanOrEqual(50);
  });

  it('an engine that throws: the tracee gets an errno, the error is reported once, supervision goes on', async () => {
    let calls = 0;
    const bad = engine('bad', ['getppid'], () => {
      calls++;
      throw new Error('boom');
    });
    const r = await probe([bad], ['calls', '3']);
    expect(r.status).toBe(0);
    expect(calls).toBe(3);
    expect(r.reports.filter((l) => l.includes('boom'))).toEqual(['engine error in getppid(): boom', '(2 more) engine error in getppid(): boom']);
  });

  it('next() called twice is an error, not a second syscall', async () => {
    const twice = engine('twice', ['getppid'], (_c, next) => {
      next();
      return next();
    });
    const r = await probe([twice], ['getppid-errno']);
    expect(r.stdout).toBe('-1 5\n');
    expect(r.reports.join('\n')).toMatch(/next\(\) called twice/);
  });

  it('leaks no fd in the supervisor', async () => {
    const before = openFds();
    for (let i = 0; i < 3; i++) {
      const e = engine('pass', ['getppid', 'openat'], (_c, next) => next());
      await probe([e], ['open', '/etc/hostname']);
    }
    expect(openFds()).toEqual(before);
  });
});

describe.each(TRANSPORTS)('engine lifecycle over %s', (transport) => {
  const probe = (engines: Engine[], args: string[]) => probeOver(transport, engines, args);

  it('start() runs before the command runs; the command waits for an async start', async () => {
    const seen: string[] = [];
    const e: Engine = {
      name: 'starter',
      interests: [{ syscall: 'getppid' }],
      async start(root) {
        await new Promise((r) => setTimeout(r, 50));
        seen.push(`start ${root.pid > 0}`);
      },
      handle(call, next) {
        seen.push(call.name);
        return next();
      },
    };
    const r = await probe([e], ['getppid']);
    expect(r.status).toBe(0);
    expect(seen).toEqual(['start true', 'getppid']);
  });

  it('a start() that throws kills the command and is reported', async () => {
    const e: Engine = {
      name: 'broken',
      interests: [],
      start() {
        throw new Error('cannot attach');
      },
      handle: (_c, next) => next(),
    };
    const r = await probe([e], ['getppid']);
    expect(r.status).toBe(null);
    expect(r.reports).toContain('engine start: cannot attach');
  });
});
