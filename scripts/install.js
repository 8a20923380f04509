// Install step of the npm package (`npm install sysvisor`, `npm install -g`, `npm rebuild`):
// builds the native addon with node-gyp against the running Node's own headers (no download).
// The eBPF programs come with the package as CO-RE skeletons (bpf/build/*.skel.h, portable across
// kernels); they are rebuilt only when missing. Each missing system piece is named in one line.
// In a clone this does nothing: scripts/setup.sh (npm start, npm test) builds everything.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
if (existsSync(path.join(root, 'src', 'index.ts'))) process.exit(0);

const say = (line) => process.stderr.write(`sysvisor: ${line}\n`);
const fail = (line) => {
  say(line);
  process.exit(1);
};
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v "${cmd}"`], { stdio: 'ignore' }).status === 0;

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`x86_64 Linux only (this is ${process.platform} ${process.arch})`);

const { kernelReport, MIN_KERNEL } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'transports', 'kernel.js')).href);
for (const line of kernelReport()) say(line);

// 1. The eBPF skeletons (shipped; built here only when absent, e.g. from a git checkout).
const skeletons = ['trace', 'count'].map((n) => path.join(root, 'bpf', 'build', `${n}.skel.h`));
if (!skeletons.every((f) => existsSync(f))) {
  const tools = [['clang', 'clang'], ['bpftool', 'bpftool'], ['make', 'make']].filter(([cmd]) => !onPath(cmd));
  if (tools.length) fail(`cannot build the eBPF programs: missing ${tools.map(([c]) => c).join(', ')} (Debian: apt-get install ${tools.map(([, p]) => p).join(' ')})`);
  const r = spawnSync('make', ['-s', '-C', path.join(root, 'bpf')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) fail('building the eBPF programs failed (make -C bpf)');
}

// 2. What the addon's compilation needs: a C++ compiler, make, python3 (node-gyp), libbpf, libelf, zlib.
const cxx = process.env.CXX || 'c++';
const tools = [[cxx, 'g++'], ['make', 'make'], ['python3', 'python3']].filter(([cmd]) => !onPath(cmd));
if (tools.length) fail(`cannot build the addon: missing ${tools.map(([c]) => c).join(', ')} (Debian: apt-get install ${tools.map(([, p]) => p).join(' ')})`);
const scratch = mkdtempSync(path.join(tmpdir(), 'sysvisor-install-'));
try {
  const headers = [['bpf/libbpf.h', 'libbpf-dev'], ['libelf.h', 'libelf-dev'], ['zlib.h', 'zlib1g-dev']].filter(([h]) => {
    const src = path.join(scratch, 'probe.cc');
    writeFileSync(src, `#include <${h}>\n`);
    return spawnSync(cxx, ['-E', src, '-o', '/dev/null'], { stdio: 'ignore' }).status !== 0;
  });
  if (headers.length) fail(`cannot build the addon: missing ${headers.map(([h]) => `<${h}>`).join(', ')} (Debian: apt-get install ${headers.map(([, p]) => p).join(' ')})`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

// 3. Node's headers: those of the running Node (its prefix holds include/node), never downloaded.
const nodedir = process.env.npm_config_nodedir || path.dirname(path.dirname(process.execPath));
if (!existsSync(path.join(nodedir, 'include', 'node', 'node_api.h')))
  fail(`cannot build the addon: Node's headers are not in ${path.join(nodedir, 'include', 'node')} (install the headers of Node ${process.version}, or set npm_config_nodedir to a Node tree that has them)`);

// 4. node-gyp (a dependency of the package).
const gyp = createRequire(path.join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max', '--loglevel=error'], {
  cwd: path.join(root, 'addon'),
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (r.status !== 0) {
  const tail = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-30).join('\n');
  if (tail) process.stderr.write(`${tail}\n`);
  fail(`building the addon failed (node-gyp rebuild in ${path.join(root, 'addon')}); the compiler's messages are above`);
}
say(`addon built (runs on x86_64 Linux ${MIN_KERNEL.join('.')} or later)`);

// 5. V8's code cache of the command's bundle, for this Node and this installed file (bin/sysvisor.js
// takes a cache only made from the very file it loads): the command starts faster; without it, as usual.
const cache = spawnSync(process.execPath, [path.join(root, 'bin', 'sysvisor.js'), '--help'], { env: { ...process.env, SYSVISOR_CODE_CACHE: 'write' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (cache.status !== 0) say(`no code cache for this Node (the command starts slower): ${cache.stderr.trim().split('\n')[0] ?? `exit ${cache.status}`}`);
