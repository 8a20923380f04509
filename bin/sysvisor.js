#!/usr/bin/env node
// Entry point of the `sysvisor` command: the CLI as bundled by scripts/bundle.mjs, one CommonJS file
// compiled with V8's code cache of it when the cache was made from this very file (V8 itself checks
// its own version and flags, and of the source only its length: a cache of another bundle of the same
// length would run that bundle's code), else as usual. The cache starts with the file's identity
// (device, inode, size, change time), which any change to the file changes. Without the bundle (built
// with tsc alone), the compiled modules of dist/src/.
import { createRequire, Module } from 'node:module';
import { readFileSync, writeFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const file = fileURLToPath(new URL('../dist/bundle/sysvisor.cjs', import.meta.url));
const cacheFile = `${file}.cache`;

function loadBundle() {
  let source, id;
  try {
    const st = statSync(file);
    id = `${st.dev}:${st.ino}:${st.size}:${st.ctimeMs}\n`;
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let cachedData;
  try {
    const c = readFileSync(cacheFile);
    if (c.toString('latin1', 0, id.length) === id) cachedData = c.subarray(id.length);
  } catch {
    // no cache: compiled as usual
  }
  // The bundle's modules are ES modules, strict: so is the function that holds them.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {'use strict';${source}\n})`, {
    filename: file,
    cachedData,
  });
  const require = createRequire(file);
  const m = new Module(file);
  m.filename = file;
  require.cache[file] = m; // api.mjs requires it: the same copy
  script.runInThisContext()(m.exports, require, m, file, path.dirname(file));
  m.loaded = true;
  m.exports.useImporter((url) => import(url));
  // SYSVISOR_CODE_CACHE=check says whether V8 took the cache; =write writes it after the run.
  if (process.env.SYSVISOR_CODE_CACHE === 'check')
    process.stderr.write(`sysvisor: code cache ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'taken'}\n`);
  if (process.env.SYSVISOR_CODE_CACHE === 'write')
    process.on('exit', () => {
      writeFileSync(`${cacheFile}.tmp`, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()]));
      renameSync(`${cacheFile}.tmp`, cacheFile);
    });
  return m.exports;
}

const { main } = loadBundle() ?? (await import('../dist/src/cli/main.js'));
process.exit(await main(process.argv.slice(2)));
