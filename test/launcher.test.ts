// The launcher process: the supervisor waits only for what it started; the tree's orphans are
// reaped by the launcher (the tree's subreaper), never by the program that embeds sysvisor.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise } from '../src/index.js';
import { spawnLauncher } from '../src/transports/unotify/supervise.js';
import { loadBinding } from '../src/native/load.js';
import { CLI, run } from './helpers.js';

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'sv-launcher-'));
}

describe('launcher', () => {
  it("supervise() leaves the embedding program's own children to it", async () => {
    // A child of this process that exits while a supervised tree runs and ends.
    const own = spawn('sh', ['-c', 'sleep 0.4; exit 7'], { stdio: 'ignore' });
    const ownExit = new Promise<number | null>((r) => own.on('exit', (code) => r(code)));
    const sup = supervise({ command: 'sh', args: ['-c', 'sleep 0.1 & sleep 0.2; exit 3'], engines: [] });
    expect((await sup.done).code).toBe(3);
    expect(await ownExit).toBe(7);
    // and one that outlives the supervision entirely
    const later = spawn('sh', ['-c', 'exit 9'], { stdio: 'ignore' });
    expect(await new Promise((r) => later.on('exit', (code) => r(code)))).toBe(9);
  });

  it('orphans of the tree go to its launcher, which reaps them; done waits for them', async () => {
    const dir = tmp();
    try {
      const out = path.join(dir, 'parent');
      // The inner sh is orphaned when the outer exits, then records who its parent is.
      const script = `sh -c 'sleep 0.3; read _ _ _ pp _ < /proc/$$/stat; cat /proc/$pp/comm > ${out}; echo $$ > ${out}.pid' & exit 4`;
      const sup = supervise({ command: 'sh', args: ['-c', script], engines: [] });
      expect((await sup.done).code).toBe(4);
      // done resolved after the orphan finished ...
      expect(readFileSync(out, 'utf8')).toBe('sysvisor-launch\n');
      // ... and nothing of it is left, not even a zombie
      expect(existsSync(`/proc/${readFileSync(`${out}.pid`, 'utf8').trim()}`)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  // Start-up: the CLI starts the launcher before the engines load and the filter is planned; the
  // command is forked when its filter comes (Launcher.setup).
  it('a launcher started before the filter is planned runs the command under it, as supervise() alone does', async () => {
    const binding = loadBinding();
    const launcher = spawnLauncher(binding, { command: 'sh', args: ['-c', 'exit 5'] });
    expect(launcher).toBeDefined();
    // Nothing is forked before the setup: the launcher has no child yet.
    await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(`/proc/${launcher!.pid}/task/${launcher!.pid}/children`, 'utf8')).toBe('');
    const sup = supervise({ command: 'sh', args: ['-c', 'exit 5'], engines: [], binding, launcher });
    expect((await sup.done).code).toBe(5);
    await launcher!.ended;
    expect(existsSync(`/proc/${launcher!.pid}`)).toBe(false);
  });

  it('a launcher given up before its setup exits without forking the command, and is reaped', async () => {
    const dir = tmp();
    try {
      const mark = path.join(dir, 'ran');
      const launcher = spawnLauncher(loadBinding(), { command: 'touch', args: [mark] })!;
      launcher.abandon();
      await expect(launcher.command).rejects.toThrow(/the launcher process ended/);
      await launcher.ended;
      expect(existsSync(`/proc/${launcher.pid}`)).toBe(false);
      expect(existsSync(mark)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('a command that cannot be resolved as it is gets no early launcher (supervise says why)', () => {
    expect(spawnLauncher(loadBinding(), { command: '/nonexistent/cmd' })).toBeUndefined();
    expect(spawnLauncher(loadBinding(), { command: 'no-such-command-here' })).toBeUndefined();
  });

  it('sysvisor run that fails after its launcher started (an unknown engine) never runs COMMAND and leaves no process', async () => {
    const dir = tmp();
    try {
      const mark = path.join(dir, 'ran');
      const r = await run(process.execPath, [CLI, 'run', '-e', 'nosuch', '--', 'touch', mark]);
      expect(r.stderr).toMatch(/^sysvisor: unknown engine 'nosuch'/);
      expect(r.code).toBe(2);
      await new Promise((res) => setTimeout(res, 200));
      expect(existsSync(mark)).toBe(false);
      // no launcher of that run is left (one would hold the mark's directory in its argv)
      const left = (await run('pgrep', ['-f', `sysvisor-launcher .* ${mark}`])).stdout;
      expect(left).toBe('');
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
