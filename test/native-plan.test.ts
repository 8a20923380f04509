// Native plans (src/chain/plan.ts): an engine declares as data what it does to some calls, and the
// pump runs such a call in C++ when every engine of its chain has a plan for it, without entering
// JS. Checked here: the C++ interpreter of a plan answers as the TypeScript one (which is unreal's
// own mapping); under -e unreal alone the calls it plans (stat, access and readlink families) are
// run in C++ and the tracee gets what the real paths give natively, and what the JS chain gives;
// with an engine without a plan in the chain every call goes to JS again, and that engine sees each.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise, type Engine } from '../src/index.js';
import { loadBinding } from '../src/native/load.js';
import { planPath, type PathPlan } from '../src/chain/plan.js';
import { NATIVE_CALLS } from '../src/chain/emulate/native.js';
import { UnrealEngine } from '../src/engines/unreal/unreal.js';
import { ROOT, run } from './helpers.js';

const NATIVECALLS = path.join(ROOT, 'test', 'build', 'nativecalls');
const CALLS = Object.keys(NATIVE_CALLS);
const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-native-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs nativecalls on `paths` under `engines`: its output and the pump's counters. */
async function under(engines: Engine[], paths: readonly string[]) {
  const out = path.join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const sup = supervise({ command: 'sh', args: ['-c', `exec ${NATIVECALLS} "$@" > ${out}`, 'sh', ...paths], engines });
  expect(await sup.done).toMatchObject({ code: 0 });
  return { stdout: readFileSync(out, 'latin1'), stats: sup.pumpStats()! };
}

describe('native plans', () => {
  it('the C++ interpreter of a path plan answers as the TypeScript one', () => {
    const binding = loadBinding();
    const plans: PathPlan[] = [
      { prefix: '/unreal', levels: 2 },
      { prefix: '/unreal', levels: 1 },
      { prefix: '/u\xe9', levels: 2 },
    ];
    const paths = ['/', '//', '/unreal', '/unreal/', '/unreal//', '/unreal/x', '/unreal//x', '/unreal/x/', '/unreal/unreal', '/unreal/unreal/x',
      '/unreal/unreal/unreal/x', '/unreal/unreal/unreal', '/unrealx', '/unrealx/y', '/x/unreal', '/x/unreal/y', '/x/unrealy', '//unreal/x',
      '/unreal/x/..', '/unreal/../x', '/unreal/..', '/unreal/...', '/unreal/..x', '/unreal/.', '/unreal/./unreal', '/unreal/x/unreal',
      '/unreal/x/unrealy', '/x/..', '/u\xe9', '/u\xe9/x', '/u\xe9\xff/x', '/u\xe9/u\xe9/x', '/x/u\xe9', '/u\xe9/x/u\xe9/y', '/u', '/u/x', 'unreal/x', 'x', ''];
    let mapped = 0;
    for (const plan of plans) {
      for (const p of paths) {
        const ts = planPath(plan, p);
        const expected = ts === null ? null : { path: ts.path, changed: ts.changed };
        expect({ plan, path: p, got: binding.planPath(plan, p) }).toEqual({ plan, path: p, got: expected });
        if (ts?.changed) mapped++;
      }
    }
    expect(mapped).toBeGreaterThan(10);
  });

  it('-e unreal: the stat, access and readlink calls of mapped paths run in C++, with the answers of the real paths and of the JS chain', async () => {
    const d = path.join(dir, 'tree');
    mkdirSync(path.join(d, 'dir'), { recursive: true });
    writeFileSync(path.join(d, 'file'), 'data\n', { mode: 0o640 });
    symlinkSync('file', path.join(d, 'link'));
    // An absolute target in the program's view: followed through the view by the emulated calls.
    symlinkSync(`/unreal${d}/file`, path.join(d, 'viewlink'));
    const names = ['file', 'dir', 'link', 'nope', 'file/x'];
    const native = await run(NATIVECALLS, names.map((n) => path.join(d, n)));
    expect(native.code).toBe(0);
    expect(native.stdout.split('\n').filter((l) => l.includes(': OK')).length).toBeGreaterThan(10);

    const planned = await under([new UnrealEngine(loadBinding())], names.map((n) => `/unreal${d}/${n}`));
    expect(planned.stdout).toBe(native.stdout);
    expect(planned.stats.native).toBe(CALLS.length * names.length);

    // Through the view's symlink, and with `..` (the walk: JS), both ways.
    const more = [`/unreal${d}/viewlink`, `/unreal${d}/dir/../file`, `/unreal/unreal${d}/file`];
    const a = await under([new UnrealEngine(loadBinding())], more);
    expect(a.stats.native).toBe(CALLS.length * 2);
    // An engine without a plan in the chain (innermost: it sees the paths as the program gave
    // them): every call to JS, where it sees each one.
    let seen = 0;
    const observer: Engine = {
      name: 'observer',
      interests: CALLS.map((syscall) => ({ syscall })),
      handle: (call, next) => {
        if (call.latin1(NATIVE_CALLS[call.name]!.path)?.startsWith('/unreal/')) seen++;
        return next();
      },
    };
    const b = await under([new UnrealEngine(loadBinding()), observer], more);
    expect(b.stats.native).toBe(0);
    expect(seen).toBe(CALLS.length * more.length);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/^stat: OK .* size=5 /m);
  });
});
