// User-written engines as modules: `-e ./my-engine.js[:opts]` or `--allow ./my-engine.js` on the
// outermost sysvisor. The module exports an EngineFactory (ESM `export default`, CommonJS
// `module.exports =` or tsc's `exports.default =`), or a function that takes the sysvisor API and
// returns one. It is registered under its name, which processes inside may then load
// (`sysvisor load NAME`). Nothing inside a supervised tree can name a file: code is loaded only by
// the outermost supervisor, from its command line.
//
// `import ... from 'sysvisor'` in an engine module resolves to this running copy (a resolution hook
// registered before the first module is imported), so results and classes are the supervisor's own;
// results from another copy are still recognised (Result is branded with Symbol.for).
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENGINE_API_VERSION, type EngineFactory } from '../chain/engine.js';
import { UsageError } from '../chain/errors.js';
import { registerEngine } from '../engines/registry.js';


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

// How a module is imported: import(); the command's bundle runs as a script (bin/sysvisor.js), where
// Node 20 has no loader for import() (it asks for --experimental-vm-modules): the bin hands its own.
let importUrl = (url: string): Promise<unknown> => import(url);

export function useImporter(f: (url: string) => Promise<unknown>): void {
  importUrl = f;
}

let hooked = false;
/** Resolves `sysvisor` to this copy for every module imported from now on (compiled build only). */
function resolveSysvisorHere(): void {
  if (hooked) return;
  hooked = true;
  const self = import.meta.url;
  // The command's bundle (dist/bundle/sysvisor.cjs, scripts/bundle.mjs) holds the API too; api.mjs
  // beside it hands out that copy. The compiled modules' is dist/src/index.js.
  const bundled = self.endsWith('.cjs');
  if (!(bundled || self.endsWith('.js')) || typeof register !== 'function') return; // sources run by the test runner; Node < 20.6
  register(new URL('./resolve-hook.js', self), { data: { index: new URL(bundled ? './api.mjs' : '../index.js', self).href } });
}

/** The factory a module exports, in any of the accepted shapes. */
async function factoryOf(mod: { default?: unknown }): Promise<unknown> {
  let f = mod.default;
  // CommonJS compiled by tsc: `exports.default = factory` with `exports.__esModule = true`.
  if (f && typeof f === 'object' && (f as { __esModule?: unknown }).__esModule && 'default' in f) f = (f as { default: unknown }).default;
  // A function of the API: (sysvisor) => factory, for modules that cannot import it (CommonJS).
  if (typeof f === 'function' && !isFactory(f)) f = await (f as (api: unknown) => unknown)(await import('../index.js'));
  return f;
}

/** Imports an engine module and registers its factory; returns the factory's name. */
export async function loadEngineModule(file: string): Promise<string> {
  resolveSysvisorHere();
  const url = pathToFileURL(path.resolve(file)).href;
  const what = `engine module ${file}`;
  let f: unknown;
  try {
    f = await factoryOf((await importUrl(url)) as { default?: unknown });
  } catch (e) {
    throw new UsageError(`${what}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`);
  }
  if (!isFactory(f)) throw new UsageError(`${what}: its export is not an EngineFactory ({ name, summary, options, create }) nor a function of the sysvisor API returning one`);
  if (!/^[a-z][a-z0-9_-]*$/.test(f.name)) throw new UsageError(`${what}: bad engine name '${f.name}'`);
  const wants = (f as { apiVersion?: unknown }).apiVersion;
  if (wants !== undefined && !(Number.isInteger(wants) && (wants as number) >= 1 && (wants as number) <= ENGINE_API_VERSION))
    throw new UsageError(`${what}: engine ${f.name} needs engine API version ${String(wants)}; this sysvisor has ${ENGINE_API_VERSION}`);
  registerEngine(f);
  return f.name;
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
