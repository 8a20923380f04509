// Built-in engines by name, and the parser of `-e NAME[:key=val,...]` specs.
import type { EngineFactory, EngineOptions } from '../chain/engine.js';
import { UsageError } from '../chain/errors.js';
import { countFactory } from './count/count.js';
import { unrealFactory } from './unreal/unreal.js';
import { traceFactory } from './trace/trace.js';

const BUILTINS = new Map<string, EngineFactory>([
  [countFactory.name, countFactory],
  [unrealFactory.name, unrealFactory],
  [traceFactory.name, traceFactory],
]);

export function registerEngine(f: EngineFactory): void {
  BUILTINS.set(f.name, f);
}

export function builtinEngines(): readonly EngineFactory[] {
  return [...BUILTINS.values()];
}

/** Is `name` a registered engine (built-in or module)? */
export function isEngineName(name: string): boolean {
  return BUILTINS.has(name);
}

export function findEngine(name: string): EngineFactory {
  const f = BUILTINS.get(name);
  if (!f) throw new UsageError(`unknown engine '${name}' (known: ${[...BUILTINS.keys()].join(', ')})`);
  return f;
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
