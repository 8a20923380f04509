// User-written engines as modules: given to the outermost sysvisor with -e or --allow.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, PROBE, ROOT, sysvisor } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sv-module-'));
const MODULE = path.join(dir, 'answer.mjs');
// The README's example engine: answers getppid with a value of its choice.
writeFileSync(
  MODULE,
  `import { Result } from ${JSON.stringify(path.join(ROOT, 'dist', 'src', 'index.js'))};
export default {
  name: 'answer',
  summary: 'answers getppid with a fixed value',
  options: { value: 'the value (default 42)' },
  loadableInterests: () => [{ syscall: 'getppid' }],
  create(options) {
    const value = Number(options.value?.[0] ?? 42);
    return { name: 'answer', interests: [{ syscall: 'getppid' }], handle: () => Result.value(value) };
  },
};
`,
);
afterAll(() => rmSync(dir, { recursive: true }));
const SV = `${process.execPath} ${CLI}`;

describe('engine modules', () => {
  it('-e ./module.mjs runs a user-written engine', async () => {
    const r = await sysvisor(['run', '-e', `${MODULE}:value=4242`, '--', PROBE, 'getppid']);
    expect(r).toMatchObject({ code: 0, stdout: '4242\n', stderr: '' });
  });

  it('--allow makes a module loadable by name from inside', async () => {
    const r = await sysvisor(['run', '--allow', MODULE, '--', 'sh', '-c', `${SV} load answer:value=7 && ${PROBE} getppid`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('7\n');
  });

  it('without --allow, processes inside cannot load it; and they can never name a file', async () => {
    const r = await sysvisor(['run', '--', 'sh', '-c', `${SV} load answer; echo rc=$?; ${SV} run -e ${MODULE} -- true; echo rc=$?`]);
    expect(r.stdout).toBe('rc=2\nrc=2\n');
    expect(r.stderr).toMatch(/unknown engine 'answer'/);
    expect(r.stderr).toMatch(/engine modules can only be given to the outermost sysvisor/);
  });

  it('an error thrown by engine code outside a syscall (a timer) is reported once; supervision goes on', async () => {
    const flaky = path.join(dir, 'flaky.mjs');
    writeFileSync(
      flaky,
      `export default {
  name: 'flaky', summary: 'throws from a timer', options: {},
  create() {
    return {
      name: 'flaky', interests: [{ syscall: 'getppid' }],
      start() { setTimeout(() => { throw new Error('timer boom'); }, 1); },
      handle: (_call, next) => next(),
    };
  },
};
`,
    );
    const r = await sysvisor(['run', '-e', flaky, '--', 'sh', '-c', `sleep 0.2; ${PROBE} calls 3; echo done`]);
    expect(r).toMatchObject({ code: 0, stdout: 'done\n' });
    expect(r.stderr).toBe('sysvisor: internal error: timer boom\n');
  });

  it('a module that is not an engine factory: one line, exit 2', async () => {
    const bad = path.join(dir, 'bad.mjs');
    writeFileSync(bad, 'export default { hello: 1 };\n');
    const r = await sysvisor(['run', '-e', bad, '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/is not an EngineFactory/);
  });
});
