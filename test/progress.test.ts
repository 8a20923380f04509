// Set-up and build print one progress line per step that takes more than a second
// (scripts/progress.sh, sourced by scripts/build.sh): the real bash, a step that runs until the
// test has seen its line, a step that ends at once.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

describe('scripts/progress.sh', () => {
  it('a step still running after a second says its name once; a quick one says nothing; the status is the command\'s', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-progress-'));
    const flag = path.join(dir, 'go');
    try {
      const script = `. ${JSON.stringify(path.join(ROOT, 'scripts', 'progress.sh'))}
step quick true
step "long one" sh -c 'until [ -e "$1" ]; do sleep 0.05; done' sh ${JSON.stringify(flag)}
step failing sh -c 'exit 3'; echo "failing: $?"
PROGRESS=setup step "other prefix" sh -c 'until [ -e "$1.2" ]; do sleep 0.05; done' sh ${JSON.stringify(flag)}`;
      const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise<void>((resolve) =>
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('build: long one\n')) writeFileSync(flag, '');
          if (stderr.includes('setup: other prefix\n')) {
            writeFileSync(`${flag}.2`, '');
            resolve();
          }
        }),
      );
      expect(await closed).toBe(0);
      expect(stderr).toBe('build: long one\nsetup: other prefix\n');
      expect(stdout).toBe('failing: 3\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
