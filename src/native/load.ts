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

/** The addon is not built, or cannot be loaded: one line saying how to build it. */
export class AddonError extends Error {
  override name = 'AddonError';
}

export function loadBinding(): RawBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  const files = candidates();
  for (const file of files) {
    if (!existsSync(file)) continue;
    try {
      cached = require(file) as RawBinding;
      return cached;
    } catch (e) {
      tried.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // Installed as a package the install step builds it (npm rebuild runs it again); a clone has setup.sh.
  const how = rebuildCommand(packageRoot());
  if (tried.length) throw new AddonError(`cannot load the addon (rebuild it: ${how}): ${tried.join('; ')}`);
  throw new AddonError(`the addon is not built (installed with --ignore-scripts?): run \`${how}\` (needs a C++ compiler, make, python3, libbpf-dev)`);
}

/** How to rebuild the addon of the package at `root`: a global install is PREFIX/lib/node_modules/sysvisor. */
function rebuildCommand(root: string): string {
  const parent = path.dirname(root);
  if (path.basename(parent) !== 'node_modules') return 'npm run setup';
  if (path.basename(path.dirname(parent)) !== 'lib') return 'npm rebuild sysvisor';
  const prefix = path.dirname(path.dirname(parent));
  return prefix === path.dirname(path.dirname(process.execPath)) ? 'npm rebuild -g sysvisor' : `npm rebuild -g --prefix ${prefix} sysvisor`;
}
