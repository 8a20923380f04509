// The launcher process: the supervisor waits only for what it started; the tree's orphans are
// reaped by the launcher (the tree's subreaper), never by the program that embeds sysvisor.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise } from '../src/index.js';

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
});
