// Loads the native addon. On failure the error lists every path that was tried.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { RawBinding } from './binding.js';

export type { RawBinding } from './binding.js';

let cached: RawBinding | undefined;

/** The package root: the nearest directory above this module holding package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** Candidate locations of the addon. */
function candidates(): string[] {
  const root = packageRoot();
  const fromEnv = process.env['SYSVISOR_ADDON'];
  return [
    ...(fromEnv ? [fromEnv] : []),
    path.join(root, 'addon', 'build', 'Release', 'sysvisor.node'),
    path.join(root, 'addon', 'build', 'Debug', 'sysvisor.node'),
  ];
}

export function loadBinding(): RawBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const file of candidates()) {
    try {
      cached = require(file) as RawBinding;
      return cached;
    } catch (e) {
      tried.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`cannot load the sysvisor addon (run \`npm run setup\`); tried:\n  ${tried.join('\n  ')}`);
}
