// The npm package where npm users put it: `npm pack`, then `npm install ./sysvisor-*.tgz` in a fresh
// app (the install step builds the addon against the running Node's headers) and `npm install -g`.
// Dependencies come from the npm cache when they are there (--prefer-offline), else the registry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sv-package-'));
const app = path.join(dir, 'app');
const prefix = path.join(dir, 'global');
const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = npmEnv) => run('npm', args, { cwd, env });
let tarball = '';

beforeAll(async () => {
  // The suite runs after the build (npm test = setup, then vitest): pack what is built, without
  // running `prepack` (scripts/build.sh) a second time while other suites run.
  const r = await npm(['pack', '--ignore-scripts', '--pack-destination', dir], ROOT);
  expect(r.code, r.stderr).toBe(0);
  tarball = path.join(dir, readdirSync(dir).find((f) => /^sysvisor-.*\.tgz$/.test(f))!);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm package', () => {
  it('ships the compiled JS, the addon sources and the CO-RE skeletons; not tests, benchmarks or CI', async () => {
    const r = await run('tar', ['-tzf', tarball]);
    const files = r.stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'man/sysvisor.1', 'bin/sysvisor.js', 'bin/package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'scripts/install.js', 'addon/binding.gyp', 'addon/src/module.cc', 'bpf/build/trace.skel.h', 'bpf/build/count.skel.h'])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(test|bench|dist\/bench|\.ci|src\/.*\.ts$)|vmlinux\.h|\.map$|\.tsbuildinfo/.test(f))).toEqual([]);
  });

  it('npm install in a fresh app builds the addon; npx sysvisor runs; the library imports', async () => {
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const install = await npm(['install', '--prefer-offline', '--foreground-scripts', tarball], app);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stderr).toMatch(/sysvisor: addon built \(runs on x86_64 Linux 5\.14 or later\)/);
    const r = await run('npx', ['--no-install', 'sysvisor', 'run', '-e', 'unreal', '--', 'cat', '/unreal/etc/hostname'], { cwd: app });
    expect(r).toMatchObject({ code: 0, stdout: readFileSync('/etc/hostname', 'latin1'), stderr: '' });
    const lib = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('sysvisor'); console.log(typeof m.supervise, typeof m.Result.value)"], { cwd: app });
    expect(lib).toMatchObject({ code: 0, stdout: 'function function\n' });
  }, 900_000);

  it('npm install -g --ignore-scripts: the first run says in one line how to build (exit 2); a missing compiler is named in one line; with it, the global command runs and its man page is installed', async () => {
    const install = await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', tarball], dir);
    expect(install.code, install.stderr).toBe(0);
    const bin = path.join(prefix, 'bin', 'sysvisor');
    const r = await run(bin, ['run', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`sysvisor: the addon is not built (installed with --ignore-scripts?): run \`npm rebuild -g --prefix ${prefix} sysvisor\` (needs a C++ compiler, make, python3, libbpf-dev)\n`);
    // The rebuild it names runs the install step, which names what is missing before compiling.
    const rebuild = await npm(['rebuild', '-g', '--prefix', prefix, '--foreground-scripts', 'sysvisor'], dir, { ...npmEnv, CXX: '/nonexistent/c++' });
    expect(rebuild.code).not.toBe(0);
    expect(rebuild.stderr).toContain('sysvisor: cannot build the addon: missing /nonexistent/c++ (Debian: apt-get install g++)\n');
    expect((await run(bin, ['run', '--', 'true'])).code).toBe(2);
    // With the compiler there, the same rebuild builds it: the global command runs, and npm
    // linked the package's man page where man finds it.
    const built = await npm(['rebuild', '-g', '--prefix', prefix, '--foreground-scripts', 'sysvisor'], dir);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/sysvisor: addon built \(runs on x86_64 Linux 5\.14 or later\)/);
    const r2 = await run(bin, ['run', '-e', 'unreal', '--', 'cat', '/unreal/etc/hostname']);
    expect(r2).toMatchObject({ code: 0, stdout: readFileSync('/etc/hostname', 'latin1'), stderr: '' });
    const man = await run('man', ['-w', 'sysvisor'], { env: { ...process.env, MANPATH: path.join(prefix, 'share', 'man') } });
    expect(man.code).toBe(0);
    expect(lstatSync(path.join(prefix, 'share', 'man', 'man1', 'sysvisor.1')).isSymbolicLink()).toBe(true);
    expect(man.stdout).toBe(`${path.join(prefix, 'lib', 'node_modules', 'sysvisor', 'man', 'sysvisor.1')}\n`);
  }, 900_000);
});
