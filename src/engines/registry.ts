// Built-in engines by name, and the parser of `-e NAME[:key=val,...]` specs.
// A built-in's module is imported when it is first named (loadBuiltinEngines), not when the
// registry is: a command that runs one engine does not load the others (start-up time). The
// library's entry loads them all (src/library.ts), so findEngine and builtinEngines are sync there.
import type { EngineFactory, EngineOptions } from '../chain/engine.js';
import { UsageError } from '../chain/errors.js';

/** The built-ins, in the order --help lists them. */
const BUILTIN_MODULES: ReadonlyMap<string, () => Promise<EngineFactory>> = new Map([
  ['count', async () => (await import('./count/count.js')).countFactory],
  ['unreal', async () => (await import('./unreal/unreal.js')).unrealFactory],
  ['trace', async () => (await import('./trace/trace.js')).traceFactory],
]);

const BUILTINS = new Map<string, EngineFactory>();
const MODULES = new Map<string, EngineFactory>();

/**
 * Imports the built-ins among `specs` (engine specs or names; anything else is left to findEngine
 * to report), all of them when `specs` is omitted. Once loaded, findEngine finds them.
 */
export async function loadBuiltinEngines(specs?: Iterable<unknown>): Promise<void> {
  const names = specs === undefined ? [...BUILTIN_MODULES.keys()] : [...specs].map((s) => (typeof s === 'string' ? s.split(':', 1)[0]! : ''));
  for (const name of names) {
    const load = BUILTIN_MODULES.get(name);
    if (load && !BUILTINS.has(name)) BUILTINS.set(name, await load());
  }
}

/** Built-ins imported statically (the library imports them all): findEngine finds them at once. */
export function builtinEnginesImported(factories: readonly EngineFactory[]): void {
  for (const f of factories) if (BUILTIN_MODULES.has(f.name)) BUILTINS.set(f.name, f);
}

export function registerEngine(f: EngineFactory): void {
  MODULES.set(f.name, f);
}

/** Every name: the built-ins', then the modules' (one of a built-in's name takes its place). */
function names(): string[] {
  return [...new Set([...BUILTIN_MODULES.keys(), ...MODULES.keys()])];
}

/** The engines by name, loaded built-ins (all of them after `loadBuiltinEngines()`) and modules. */
export function builtinEngines(): readonly EngineFactory[] {
  return names().flatMap((n) => MODULES.get(n) ?? BUILTINS.get(n) ?? []);
}

/** Is `name` a registered engine (built-in or module)? */
export function isEngineName(name: string): boolean {
  return BUILTIN_MODULES.has(name) || MODULES.has(name);
}

/** A registered engine module, else a built-in (which must have been loaded: loadBuiltinEngines). */
export function findEngine(name: string): EngineFactory {
  const f = MODULES.get(name) ?? BUILTINS.get(name);
  if (f) return f;
  if (BUILTIN_MODULES.has(name)) throw new Error(`built-in engine '${name}' is not loaded yet (loadBuiltinEngines)`);
  throw new UsageError(`unknown engine '${name}' (known: ${names().join(', ')})`);
}

export interface EngineSpec {
  name: string;
  options: EngineOptions;
}

/**
 * `count:syscalls=read,write,o=FILE` -> { name: 'count', options: { syscalls: [read, write], o: [FILE] } }.
 * A comma-separated item without `=` continues the list of the key before it.
 */
export function parseEngineSpec(spec: string): EngineSpec {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new UsageError(`bad engine name '${name}' in '${spec}'`);
  const options: Record<string, string[]> = {};
  if (colon >= 0) {
    let key: string | undefined;
    for (const item of spec.slice(colon + 1).split(',')) {
      const eq = item.indexOf('=');
      if (eq >= 0) {
        key = item.slice(0, eq);
        if (!/^[a-z][a-z0-9_-]*$/i.test(key)) throw new UsageError(`bad option name '${key}' in '${spec}'`);
        if (options[key]) throw new UsageError(`option '${key}' given twice in '${spec}'`);
        options[key] = item.slice(eq + 1) === '' ? [] : [item.slice(eq + 1)];
      } else if (key !== undefined && item !== '') {
        options[key]!.push(item);
      } else if (item !== '') {
        throw new UsageError(`option '${item}' needs a value (key=value) in '${spec}'`);
      }
    }
  }
  return { name, options };
}

/** Checks the option keys against the factory's list. */
export function validateOptions(f: EngineFactory, options: EngineOptions): void {
  for (const k of Object.keys(options)) {
    if (!(k in f.options)) throw new UsageError(`engine ${f.name}: unknown option '${k}' (known: ${Object.keys(f.options).join(', ') || 'none'})`);
  }
}
