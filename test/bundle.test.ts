// The command's bundle (scripts/bundle.mjs): bin/sysvisor.js compiles dist/bundle/sysvisor.cjs with
// V8's code cache of it, and only with a cache made from that very file (V8's own check of the
// source is its length alone: a stale cache of another bundle of the same length would run that
// bundle's code).
import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT, run } from './helpers.js';

const check = { env: { ...process.env, SYSVISOR_CODE_CACHE: 'check' } };
const dir = mkdtempSync(path.join(tmpdir(), 'sv-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the package's command (bin, the bundle) in `dir`/NAME, with a cache made for it. */
function copy(name: string): string {
  const root = path.join(dir, name);
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'dist', 'bundle'), { recursive: true });
  copyFileSync(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  copyFileSync(CLI, path.join(root, 'bin', 'sysvisor.js'));
  copyFileSync(path.join(ROOT, 'bin', 'package.json'), path.join(root, 'bin', 'package.json'));
  for (const f of ['sysvisor.cjs', 'api.mjs', 'resolve-hook.js'])
    copyFileSync(path.join(ROOT, 'dist', 'bundle', f), path.join(root, 'dist', 'bundle', f));
  return root;
}

async function writeCache(root: string): Promise<void> {
  const w = await run(process.execPath, [path.join(root, 'bin', 'sysvisor.js'), '--help'], { env: { ...process.env, SYSVISOR_CODE_CACHE: 'write' } });
  expect(w.code).toBe(0);
}

describe('the bundle and its code cache', () => {
  it('the built cache is taken by V8 (this bundle, this Node)', async () => {
    const r = await run(process.execPath, [CLI, '--version'], check);
    expect(r).toMatchObject({ code: 0, stderr: 'sysvisor: code cache taken\n' });
    expect(r.stdout).toMatch(/^sysvisor \d+\.\d+\.\d+\n$/);
  });

  it('a cache of another bundle is not used, even of the same length; without a cache the command runs as well', async () => {
    const root = copy('changed');
    await writeCache(root);
    expect(await run(process.execPath, [path.join(root, 'bin', 'sysvisor.js'), '--version'], check)).toMatchObject({ code: 0, stderr: 'sysvisor: code cache taken\n' });
    const bundle = path.join(root, 'dist', 'bundle', 'sysvisor.cjs');
    // The same length, other code: the version the bundle prints comes from another string.
    const code = readFileSync(bundle, 'latin1');
    const at = code.indexOf('`sysvisor ${');
    expect(at).toBeGreaterThan(0);
    writeFileSync(bundle, `${code.slice(0, at)}\`SYSVISOR \${${code.slice(at + '`sysvisor ${'.length)}`, 'latin1');
    expect(readFileSync(bundle).length).toBe(code.length);
    const r = await run(process.execPath, [path.join(root, 'bin', 'sysvisor.js'), '--version'], check);
    expect(r).toMatchObject({ code: 0, stderr: 'sysvisor: code cache none\n' });
    expect(r.stdout).toMatch(/^SYSVISOR \d+\.\d+\.\d+\n$/);
    rmSync(`${bundle}.cache`);
    const none = await run(process.execPath, [path.join(root, 'bin', 'sysvisor.js'), '--version'], check);
    expect(none).toMatchObject({ code: 0, stdout: r.stdout, stderr: 'sysvisor: code cache none\n' });
  });

  it('a cache copied along with its bundle is not used: it names the file it was made from', async () => {
    const root = copy('copied');
    copyFileSync(path.join(ROOT, 'dist', 'bundle', 'sysvisor.cjs.cache'), path.join(root, 'dist', 'bundle', 'sysvisor.cjs.cache'));
    expect(await run(process.execPath, [path.join(root, 'bin', 'sysvisor.js'), '--version'], check)).toMatchObject({ code: 0, stderr: 'sysvisor: code cache none\n' });
  });
});
