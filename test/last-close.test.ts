// A file an emulated open gave the tracee (ADDFD) is the tracee's alone once the call returns: the
// supervisor's own fd of it is closed before the answer, so the tracee's close is the last, as
// natively. Otherwise the supervisor's fd, closed a moment later, keeps an flock held (lock files
// fail) and the file open for writing (exec of a script just written: ETXTBSY). Differential: the
// same loops natively on the real path, through /unreal, through /unreal/unreal nested, as root
// and as nobody. (The scripts loop found it in a loaded suite: a nested run said ETXTBSY.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT, run } from './helpers.js';

const LASTCLOSE = path.join(ROOT, 'test', 'build', 'lastclose');
const N = 1000;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sv-lastclose-'));
  chmodSync(dir, 0o777);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USERS = { root: [] as string[], nobody: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] };
// How each mode runs argv, and how a real path is named through it.
const MODES = {
  native: { wrap: [] as string[], view: (p: string) => p },
  unreal: { wrap: [process.execPath, CLI, 'run', '-e', 'unreal', '--'], view: (p: string) => `/unreal${p}` },
  nested: { wrap: [process.execPath, CLI, 'run', '-e', 'unreal', '--', process.execPath, CLI, 'run', '-e', 'unreal', '--'], view: (p: string) => `/unreal/unreal${p}` },
};

async function runAs(user: keyof typeof USERS, mode: keyof typeof MODES, argv: (view: (p: string) => string) => string[]) {
  const m = MODES[mode];
  const full = [...m.wrap, ...USERS[user], ...argv(m.view)];
  return run(full[0]!, full.slice(1));
}

describe('the tracee closes the last fd of a file an emulated open gave it', () => {
  for (const user of ['root', 'nobody'] as const)
    for (const mode of ['native', 'unreal', 'nested'] as const)
      it(`flock released by close, ${N} times (${mode}, as ${user})`, async () => {
        const f = path.join(dir, `lock-${mode}-${user}`);
        const r = await runAs(user, mode, (view) => [LASTCLOSE, view(f), f, String(N)]);
        expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: `held 0 of ${N}\n`, stderr: '' });
      });

  for (const user of ['root', 'nobody'] as const)
    for (const mode of ['native', 'unreal', 'nested'] as const)
      it(`a script written and run at once, 100 times: never ETXTBSY (${mode}, as ${user})`, async () => {
        const d = path.join(dir, `scripts-${mode}-${user}`);
        const script = 'd=$1; mkdir "$d" || exit 1; i=0; while [ $i -lt 100 ]; do printf "#!/bin/sh\\nexit 7\\n" > "$d/s$i"; chmod +x "$d/s$i"; "$d/s$i"; s=$?; [ $s = 7 ] || echo "run $i: $s"; i=$((i+1)); done; echo done';
        const r = await runAs(user, mode, (view) => ['/bin/sh', '-c', script, 'sh', view(d)]);
        expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
      });
});
