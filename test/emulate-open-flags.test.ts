// The open family's flag and mode checks under emulation are exactly the kernel's (fs/open.c:
// build_open_how cleans open/openat/creat arguments, build_open_flags refuses bad combinations):
// the same results natively and through /unreal, and the same files created.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run, sysvisor } from './helpers.js';

const OPENFLAGS = path.join(ROOT, 'test', 'build', 'openflags');
let work: string;

function fresh(name: string): string {
  const d = path.join(work, name);
  mkdirSync(d);
  writeFileSync(path.join(d, 'f'), '');
  mkdirSync(path.join(d, 'd'));
  return d;
}

// Names, types and permission bits of what a run left in its directory.
function tree(d: string): string[] {
  return readdirSync(d)
    .sort()
    .map((n) => {
      const st = statSync(path.join(d, n));
      return `${n} ${st.isDirectory() ? 'd' : 'f'} ${(st.mode & 0o7777).toString(8)}`;
    });
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'sv-openflags-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('open flags under emulation', () => {
  it('open(path, -1) and every cleaned or refused flag combination: as natively', async () => {
    const nd = fresh('native');
    const native = await run(OPENFLAGS, [nd]);
    expect(native.code).toBe(0);
    // -1 holds O_PATH, which keeps only O_DIRECTORY|O_NOFOLLOW: a file is not a directory.
    expect(native.stdout).toContain('open -1 f -> errno 20\n');
    expect(native.stdout).toContain('open creat|dir n -> errno 22\n');
    for (const P of ['/unreal', '/unreal/unreal']) {
      const vd = fresh(`virt${P.length}`);
      const virt = await sysvisor(['run', '-e', 'unreal', '--', OPENFLAGS, P + vd]);
      expect({ P, code: virt.code, stderr: virt.stderr, stdout: virt.stdout }).toEqual({ P, code: 0, stderr: '', stdout: native.stdout });
      expect(tree(vd)).toEqual(tree(nd));
    }
  });
});
