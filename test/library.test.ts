// The library API: supervise() with engines as specs, factories with options or built objects;
// inside a supervised tree it refuses in one line; every type the documented API uses is exported.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findEngine, Reporter, Result, supervise, type Engine, type EngineFactory, type EngineInput } from '../src/index.js';
import { PROBE, ROOT, run, sysvisor } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sv-library-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs PROBE under the engines; its output goes to a file (PROBE_OUT). */
async function probe(engines: readonly EngineInput[], args: string[]): Promise<{ code: number | null; stdout: string; reports: string[] }> {
  const out = path.join(dir, 'out');
  writeFileSync(out, '');
  const reports: string[] = [];
  const reporter = new Reporter();
  reporter.line = (l: string) => void reports.push(l);
  const st = await supervise({ command: PROBE, args, engines, reporter, env: { ...process.env, PROBE_OUT: out } }).done;
  return { code: st.code, stdout: readFileSync(out, 'utf8'), reports };
}

const answer: EngineFactory = {
  name: 'answer',
  summary: 'answers getppid',
  options: { value: 'the value' },
  create: (options) => ({ name: 'answer', interests: [{ syscall: 'getppid' }], handle: () => Result.value(Number(options['value']?.[0] ?? 42)) }),
};

describe('library', () => {
  it('supervise() takes a factory, a factory with options, and a built-in spec, as the command line does', async () => {
    expect(await probe([answer], ['getppid'])).toMatchObject({ code: 0, stdout: '42\n' });
    expect(await probe([{ factory: answer, options: { value: '7' } }], ['getppid'])).toMatchObject({ code: 0, stdout: '7\n' });
    const table = path.join(dir, 'count.txt');
    const r = await probe([{ factory: answer, options: { value: ['9'] } }, { factory: findEngine('count'), options: { syscalls: ['getppid', 'getpid'], o: table } }], ['getppid']);
    expect(r).toMatchObject({ code: 0, stdout: '9\n' });
    expect(readFileSync(table, 'utf8')).toMatch(/\s1\s+getppid\n/);
    const spec = path.join(dir, 'spec.txt');
    expect(await probe([`count:syscalls=getppid,o=${spec}`], ['getppid'])).toMatchObject({ code: 0 });
    expect(readFileSync(spec, 'utf8')).toMatch(/\s1\s+getppid\n/);
  });

  it('bad options of a factory are refused before anything runs', () => {
    expect(() => supervise({ command: 'true', engines: [{ factory: answer, options: { valeu: '1' } }] })).toThrow("engine answer: unknown option 'valeu' (known: value)");
  });

  it('inside a supervised tree, supervise() refuses in one line (the CLI nests instead)', async () => {
    const script = path.join(dir, 'inside.mjs');
    writeFileSync(script, `import { supervise } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))};
try { supervise({ command: 'true', engines: [] }); } catch (e) { console.log(e.message); process.exit(3); }\n`);
    const r = await sysvisor(['run', '--', process.execPath, script]);
    expect(r).toMatchObject({ code: 3, stderr: '' });
    expect(r.stdout).toBe('unsupported: supervise() inside a supervised tree: the sysvisor above holds the only seccomp listener its tree can have (EBUSY): nest with `sysvisor run -e ENGINE -- COMMAND`, or call supervise() outside the tree\n');
  });

  it('64-bit arguments exactly: arg64 (bigint, unsigned or signed), int (a C int, no allocation)', async () => {
    const seen: Record<string, unknown>[] = [];
    const engine: Engine = {
      name: 'args',
      interests: [{ syscall: 'openat' }, { syscall: 'lseek' }],
      handle(call, next) {
        if (call.name === 'openat' && call.string(1) === '/etc/hostname') seen.push({ call: 'openat', number: call.args[0], int: call.int(0), u64: call.arg64(0) });
        if (call.name !== 'lseek' || call.int(0) !== 99) return next();
        seen.push({ call: 'lseek', number: call.args[1], u64: call.arg64(1), s64: call.arg64(1, true), whence: call.int(2) });
        return Result.value(0);
      },
    };
    const code = "import os; os.dup2(os.open('/etc/hostname', os.O_RDONLY), 99); os.lseek(99, 2**60 + 1, 0); os.lseek(99, -5, 1)";
    const st = await supervise({ command: '/usr/bin/python3', args: ['-c', code], engines: [engine] }).done;
    expect(st.code).toBe(0);
    expect(seen).toEqual([
      { call: 'openat', number: 4294967196, int: -100, u64: 4294967196n },
      { call: 'lseek', number: 2 ** 60, u64: 2n ** 60n + 1n, s64: 2n ** 60n + 1n, whence: 0 },
      { call: 'lseek', number: -5, u64: 2n ** 64n - 5n, s64: -5n, whence: 1 },
    ]);
  });

  it('every type the documented API uses is exported (compiled against the built declarations)', async () => {
    const file = path.join(dir, 'types.ts');
    writeFileSync(file, `import type { Engine, EngineContext, EngineFactory, EngineOptions, Next, OutputSink, Syscall, Interest, ArgTest, SuperviseOptions, EngineInput, EngineOptionValues, ExitStatus, Supervision, FdInjector, ResultKind } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))};
import { Result, ENGINE_API_VERSION, supervise } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))};
const sink = (ctx: EngineContext): OutputSink => ctx.openOutput();
const f: EngineFactory = { name: 'x', summary: '', options: {}, apiVersion: ENGINE_API_VERSION, create(o: EngineOptions, ctx: EngineContext): Engine {
  const out = sink(ctx); const i: Interest = { syscall: 'read', when: [{ arg: 0, eq: 0 } as ArgTest] };
  return { name: 'x', interests: [i], handle: (c: Syscall, next: Next) => (c.nr === 0 ? next() : Result.value(0)), close: () => out.close() };
} };
const inputs: EngineInput[] = [f, { factory: f, options: { k: 'v' } as EngineOptionValues }, 'count'];
const opts: SuperviseOptions = { command: 'true', engines: inputs };
const s: Supervision = supervise(opts);
const st: Promise<ExitStatus> = s.done;
export type T = [FdInjector, ResultKind, typeof st];
`);
    const r = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), file]);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
