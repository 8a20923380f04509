// Engine modules that live anywhere: outside the clone, importing `sysvisor` without a node_modules of
// their own or with another copy of the package in it, written as CommonJS; and their mistakes
// (a mistyped syscall, a throwing create, an unopenable o=FILE, a newer API) as one line, exit 2.
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROBE, ROOT, sysvisor } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sv-anywhere-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function module(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const answer = (name: string, result: string) => `{
  name: '${name}', summary: 'answers getppid', options: {},
  create() { return { name: '${name}', interests: [{ syscall: 'getppid' }], handle: () => ${result} }; },
}`;

describe('engine modules from anywhere', () => {
  it("an ES module outside the clone imports 'sysvisor' (no node_modules there): the running copy", async () => {
    const file = module('plain.mjs', `import { Result, ENGINE_API_VERSION } from 'sysvisor';\nexport default ${answer('plain', 'Result.value(ENGINE_API_VERSION * 1000 + 7)')};\n`);
    const r = await sysvisor(['run', '-e', file, '--', PROBE, 'getppid']);
    expect(r).toMatchObject({ code: 0, stdout: '1007\n', stderr: '' });
  });

  // Another copy of the package, marked: its Result.value(v) answers v + 1000.
  const other = path.join(dir, 'app', 'node_modules', 'sysvisor');
  function otherCopy(): string {
    mkdirSync(other, { recursive: true });
    cpSync(path.join(ROOT, 'package.json'), path.join(other, 'package.json'));
    cpSync(path.join(ROOT, 'dist', 'src'), path.join(other, 'dist', 'src'), { recursive: true });
    const result = path.join(other, 'dist', 'src', 'chain', 'result.js');
    const text = readFileSync(result, 'utf8');
    writeFileSync(result, text.replace("return new Result('value', v,", "return new Result('value', v + 1000,"));
    expect(readFileSync(result, 'utf8')).not.toBe(text);
    return path.join(other, 'dist', 'src', 'index.js');
  }

  it("its own folder resolves 'sysvisor' to another copy: the running copy still wins", async () => {
    otherCopy();
    const file = path.join(dir, 'app', 'engine.mjs');
    writeFileSync(file, `import { Result } from 'sysvisor';\nexport default ${answer('app', 'Result.value(2)')};\n`);
    const r = await sysvisor(['run', '-e', file, '--', PROBE, 'getppid']);
    expect(r).toMatchObject({ code: 0, stdout: '2\n', stderr: '' });
  });

  it('a Result made by another copy of the package (imported by path) is a Result: recognised by its brand', async () => {
    const index = otherCopy();
    const file = module('copy.mjs', `import { Result } from ${JSON.stringify(index)};\nexport default ${answer('copy', 'Result.value(31)')};\n`);
    const r = await sysvisor(['run', '-e', file, '--', PROBE, 'getppid']);
    expect(r).toMatchObject({ code: 0, stdout: '1031\n', stderr: '' });
  });

  it('CommonJS: module.exports = factory, and tsc output (exports.default) of a function of the API', async () => {
    const plain = module('plain.cjs', `module.exports = {
  name: 'cjs', summary: 'reports at start', options: {},
  create(options, ctx) { return { name: 'cjs', interests: [{ syscall: 'getppid' }], start() { ctx.report('cjs started'); }, handle: (call, next) => next() }; },
};\n`);
    const r = await sysvisor(['run', '-e', plain, '--', 'true']);
    expect(r).toMatchObject({ code: 0, stderr: 'sysvisor: cjs started\n' });
    const tsc = module('tsc.cjs', `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.default = (sysvisor) => (${answer('tsc', 'sysvisor.Result.value(55)')});\n`);
    const t = await sysvisor(['run', '-e', tsc, '--', PROBE, 'getppid']);
    expect(t).toMatchObject({ code: 0, stdout: '55\n', stderr: '' });
  });

  it('bad input in one line, exit 2: a mistyped syscall (naming the engine), a throwing create, an unopenable o=FILE, a newer engine API', async () => {
    const typo = module('typo.mjs', `export default { name: 'typo', summary: '', options: {}, create: () => ({ name: 'typo', interests: [{ syscall: 'conect' }], handle: (c, next) => next() }) };\n`);
    const boom = module('boom.mjs', `export default { name: 'boom', summary: '', options: {}, create() { throw new Error('no luck\\nsecond line'); } };\n`);
    const future = module('future.mjs', `export default { name: 'future', summary: '', options: {}, apiVersion: 99, create: () => ({ name: 'future', interests: [], handle: (c, next) => next() }) };\n`);
    const cases: [string, string][] = [
      [typo, "sysvisor: engine typo: unknown syscall 'conect' in its interests\n"],
      [boom, 'sysvisor: engine boom: no luck\n'],
      ['count:o=/nonexistent/x', "sysvisor: engine count: ENOENT: no such file or directory, open '/nonexistent/x'\n"],
      [future, `sysvisor: engine module ${future}: engine future needs engine API version 99; this sysvisor has 1\n`],
    ];
    for (const [spec, line] of cases) {
      const r = await sysvisor(['run', '-e', spec, '--', 'true']);
      expect({ spec, code: r.code, stderr: r.stderr }).toEqual({ spec, code: 2, stderr: line });
    }
  });
});
