// --help, `sysvisor help ENGINE` and `sysvisor completion`: every built-in engine with its options
// and an example that runs; the bash completion script, completed by the real bash.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtinEngines, loadBuiltinEngines } from '../src/engines/registry.js';
import { RUN_OPTIONS, SUBCOMMANDS } from '../src/cli/help.js';
import { CLI, ROOT, run, sysvisor } from './helpers.js';

// The registry imports a built-in when it is named: the test goes over all of them.
await loadBuiltinEngines();
const ENGINES = ['count', 'unreal', 'trace'];

describe('--help', () => {
  it('lists every built-in engine with its options and an example; help NAME shows one; bad names exit 2', async () => {
    const r = await sysvisor(['--help']);
    expect(r.code).toBe(0);
    expect(builtinEngines().map((f) => f.name)).toEqual(ENGINES);
    for (const f of builtinEngines()) {
      expect(r.stdout).toContain(`  ${f.name}  ${f.summary}\n`);
      for (const k of Object.keys(f.options)) expect(r.stdout).toContain(`      ${k}=...  `);
      expect(f.example).toMatch(new RegExp(`^sysvisor run -e ${f.name}\\b.* -- `));
      expect(r.stdout).toContain(`    example: ${f.example}\n`);
      const one = await sysvisor(['help', f.name]);
      expect(one.code).toBe(0);
      expect(one.stdout.startsWith(`  ${f.name}  `)).toBe(true);
      expect(one.stdout).toContain(f.example!);
    }
    expect((await sysvisor(['run', '--help'])).stdout).toBe(r.stdout);
    const bad = await sysvisor(['help', 'nosuch']);
    expect(bad).toMatchObject({ code: 2, stdout: '', stderr: "sysvisor: unknown engine 'nosuch' (known: count, unreal, trace)\n" });
  });

  it("each engine's example runs as shown (exit 0, the command's output)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-help-'));
    try {
      for (const f of builtinEngines()) {
        // `sysvisor` is the bin of this clone, through a shell as a user types it
        const r = await run('sh', ['-c', f.example!], { cwd: dir, env: { ...process.env, PATH: `${path.join(ROOT, 'bin')}:${process.env['PATH']}` } });
        expect(r.code, `${f.example}: ${r.stderr}`).toBe(0);
        expect(r.stdout.length, f.example).toBeGreaterThan(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bash completion', () => {
  /** COMPREPLY for the command line `line` (cursor at its end), completed by bash with the script. */
  async function complete(line: string): Promise<string[]> {
    const script = `source <(${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} completion)
COMP_LINE=$1; COMP_POINT=\${#COMP_LINE}
read -ra COMP_WORDS <<< "$(sed 's/\\([:=]\\)/ \\1 /g' <<< "$COMP_LINE")"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
_sysvisor
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await run('bash', ['-c', script, 'complete', line]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  it('subcommands, run options, engine names, option keys after NAME: and after a comma', async () => {
    expect(await complete('sysvisor r')).toEqual(['run']);
    expect(await complete('sysvisor run --lo')).toEqual(['--loadable']);
    expect(await complete('sysvisor run -e ')).toEqual(builtinEngines().map((f) => f.name));
    expect(await complete('sysvisor run -e co')).toEqual(['count']);
    // bash's word starts after the ':': candidates are shown from there
    expect(await complete('sysvisor run -e count:')).toEqual(['syscalls=', 'o=', 'kernel=']);
    expect(await complete('sysvisor run -e count:o=x,ke')).toEqual(['x,kernel=']);
    expect(await complete('sysvisor run --loadable ')).toEqual(['all', ...builtinEngines().map((f) => f.name)]);
    expect(await complete('sysvisor agent --so')).toEqual(['--socket']);
    expect(await complete('sysvisor run -e unreal -- ech')).toContain('echo');
  });
});

describe('man page (man/sysvisor.1, installed with the package)', () => {
  it('renders without a warning and documents every subcommand, run option and engine (its options and example)', async () => {
    const r = await run('man', ['--warnings', '-l', path.join(ROOT, 'man', 'sysvisor.1')], { env: { ...process.env, MANWIDTH: '1000', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = r.stdout;
    for (const cmd of SUBCOMMANDS) expect(text).toContain(cmd.startsWith('-') ? cmd : `sysvisor ${cmd}`);
    for (const opt of RUN_OPTIONS) expect(text).toContain(opt);
    for (const f of builtinEngines()) {
      expect(text).toMatch(new RegExp(`\\n   ${f.name}\\n`));
      for (const k of Object.keys(f.options)) expect(text, `${f.name} ${k}`).toContain(`${k}=`);
      expect(text).toContain(f.example!);
    }
  });
});
