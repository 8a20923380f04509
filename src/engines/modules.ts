// User-written engines as modules: `-e ./my-engine.js[:opts]` or `--allow ./my-engine.js` on the
// outermost sysvisor. The module's default export is an EngineFactory; it is registered under its
// name, which processes inside may then load (`sysvisor load NAME`). Nothing inside a supervised
// tree can name a file: code is loaded only by the outermost supervisor, from its command line.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EngineFactory } from '../chain/engine.js';
import { UsageError } from '../chain/errors.js';
import { registerEngine } from './registry.js';

/** `./x.js:opts` -> the module path, or undefined for a built-in name. */
export function modulePath(spec: string): string | undefined {
  if (!spec.startsWith('.') && !spec.startsWith('/')) return undefined;
  const colon = spec.indexOf(':');
  return colon < 0 ? spec : spec.slice(0, colon);
}

function isFactory(f: unknown): f is EngineFactory {
  const x = f as EngineFactory;
  return !!x && typeof x.name === 'string' && typeof x.create === 'function' && typeof x.options === 'object';
}

/** Imports an engine module and registers its factory; returns the factory's name. */
export async function loadEngineModule(file: string): Promise<string> {
  const url = pathToFileURL(path.resolve(file)).href;
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    throw new UsageError(`engine module ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isFactory(mod.default)) throw new UsageError(`engine module ${file}: its default export is not an EngineFactory ({ name, summary, options, create })`);
  if (!/^[a-z][a-z0-9_-]*$/.test(mod.default.name)) throw new UsageError(`engine module ${file}: bad engine name '${mod.default.name}'`);
  registerEngine(mod.default);
  return mod.default.name;
}

/** Replaces module paths in specs by the names they register. */
export async function resolveSpecs(specs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const spec of specs) {
    const file = modulePath(spec);
    out.push(file === undefined ? spec : (await loadEngineModule(file)) + spec.slice(file.length));
  }
  return out;
}
