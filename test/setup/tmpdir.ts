// Each test file gets a temporary directory of its own as TMPDIR (os.tmpdir(), and every program
// the tests start, inherit it). When the file is done, the directory is removed, so `npm test`
// leaves nothing in /tmp; anything still in it was a leak of the file: named, and the file fails.
// The directory is searchable by everyone (0755): tests run programs as nobody inside it.
import { afterAll } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const base = process.env['TMPDIR'] || '/tmp';
const dir = mkdtempSync(path.join(base, 'sv-test-'));
chmodSync(dir, 0o755);
process.env['TMPDIR'] = dir;

afterAll(() => {
  process.env['TMPDIR'] = base;
  let left: string[] = [];
  try {
    left = readdirSync(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (left.length) throw new Error(`tmpdir: this test file left temporary files behind: ${left.join(', ')}`);
});
