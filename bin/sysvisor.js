#!/usr/bin/env node
// Entry point of the `sysvisor` command: the CLI as bundled by scripts/bundle.mjs, one CommonJS file
// compiled with V8's code cache of it when the cache was made from this very file (V8 itself checks
// its own version and flags, and of the source only its length: a cache of another bundle of the same
// length would run that bundle's code), else as usual. The cache starts with the file's identity
// (device, inode, size, change time), which any change to the file changes. Without the bundle (built
// with tsc alone), the compiled modules of dist/src/.
// This file is CommonJS (bin/package.json): an ES module entry starts Node's ES module loader and
// makes a facade of each built-in it imports, whose exports are all read (node:fs's lazy streams are
// loaded then): ~10 ms of start-up that a CommonJS entry does not pay.
'use strict';
const { Module } = require('node:module');
const { readFileSync, writeFileSync, renameSync, statSync } = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const file = path.join(__dirname, '..', 'dist', 'bundle', 'sysvisor.cjs');
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
  performance.mark('read');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {'use strict';${source}\n})`, {
    filename: file,
    cachedData,
  });
  const req = Module.createRequire(file);
  const m = new Module(file);
  m.filename = file;
  req.cache[file] = m; // api.mjs requires it: the same copy
  performance.mark('compiled');
  script.runInThisContext()(m.exports, req, m, file, path.dirname(file));
  performance.mark('run');
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

async function start() {
  const { main } = loadBundle() ?? (await import('../dist/src/cli/main.js'));
  const code = await main(process.argv.slice(2));
  // SYSVISOR_STARTUP_MARKS=1: one line on stderr, the milliseconds since the process started at which
  // each step of the run was done (performance marks; bench group startup's breakdown reads it).
  if (process.env.SYSVISOR_STARTUP_MARKS === '1') {
    performance.mark('exit');
    const marks = performance.getEntriesByType('mark').map((e) => `${e.name}=${e.startTime.toFixed(2)}`);
    process.stderr.write(`sysvisor: marks ${marks.join(' ')}\n`);
  }
  process.exit(code);
}
start();
