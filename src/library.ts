// sysvisor as a library: supervise() takes engines the way the command line does (a built-in spec
// string, a factory with its options) or built Engine objects, and refuses in one line inside a
// supervised tree (the kernel allows its tree one listener: the sysvisor above holds it).
import type { Engine, EngineFactory, EngineOptions } from './chain/engine.js';
import { Reporter } from './chain/report.js';
import { UnsupportedFeatureError } from './chain/errors.js';
import { buildEngines, type EngineItem } from './engines/build.js';
import { loadBinding } from './native/load.js';
import { ControlClient } from './scopes/client.js';
import type { Supervision } from './transports/unotify/supervise.js';
import { supervise as superviseEngines, type SuperviseOptions as EngineSuperviseOptions } from './transports/ptrace/supervise.js';
import { requireKernel } from './transports/kernel.js';
import { builtinEnginesImported } from './engines/registry.js';
import { countFactory } from './engines/count/count.js';
import { unrealFactory } from './engines/unreal/unreal.js';
import { traceFactory } from './engines/trace/trace.js';

// The library names built-ins synchronously (supervise({ engines: ['count'] }), findEngine): it
// imports them all.
builtinEnginesImported([countFactory, unrealFactory, traceFactory]);

/** Option values as a library user writes them: `{ o: 'file', syscalls: ['read', 'write'] }`. */
export type EngineOptionValues = Readonly<Record<string, string | readonly string[]>>;

/**
 * An engine given to supervise(): a spec as on the command line (`'count:syscalls=read,o=FILE'`,
 * built-in or registered names), a factory (`countFactory`, or `{ factory, options }`), or an
 * Engine object built by the caller.
 */
export type EngineInput = string | EngineFactory | { factory: EngineFactory; options?: EngineOptionValues } | Engine;

export interface SuperviseOptions extends Omit<EngineSuperviseOptions, 'engines' | 'specs'> {
  /** Outermost first (nearest the kernel), as on the command line. */
  engines: readonly EngineInput[];
}

function toItem(e: EngineInput): EngineItem {
  if (typeof e === 'string' || 'handle' in e) return e;
  const { factory, options } = 'create' in e ? { factory: e, options: {} } : e;
  const opts: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(options ?? {})) opts[k] = typeof v === 'string' ? [v] : v;
  return { factory, options: opts };
}

function specOf(item: EngineItem): string {
  if (typeof item === 'string') return item;
  if ('handle' in item) return item.name;
  const opts = Object.entries(item.options ?? ({} as EngineOptions)).map(([k, v]) => `${k}=${v.join(',')}`);
  return opts.length ? `${item.factory.name}:${opts.join(',')}` : item.factory.name;
}

/**
 * Starts COMMAND under the engines. Throws CommandError (126/127) before forking, and
 * UnsupportedFeatureError (one line) on a kernel older than sysvisor needs.
 */
export function supervise(opts: SuperviseOptions): Supervision {
  requireKernel();
  const binding = opts.binding ?? loadBinding();
  const reporter = opts.reporter ?? new Reporter();
  if (new ControlClient(binding).hello() !== undefined)
    throw new UnsupportedFeatureError('supervise() inside a supervised tree', 'the sysvisor above holds the only seccomp listener its tree can have (EBUSY): nest with `sysvisor run -e ENGINE -- COMMAND`, or call supervise() outside the tree');
  const items = opts.engines.map(toItem);
  return superviseEngines({ ...opts, binding, reporter, engines: buildEngines(items, reporter), specs: items.map(specOf) });
}
