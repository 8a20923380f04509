// Builds an engine stack from specs (outermost first). Engines that follow their siblings (count)
// are created after the others so they can see what the others intercept.
import type { Engine, EngineContext, EngineFactory, EngineOptions, EngineRoot } from '../chain/engine.js';
import { UsageError } from '../chain/errors.js';
import { syscallNumber } from '../syscalls/table.js';
import type { Reporter } from '../chain/report.js';
import { findEngine, parseEngineSpec, validateOptions } from './registry.js';
import { openLocalOutput } from './output.js';

export type ContextOptions = Partial<Pick<EngineContext, 'openOutput' | 'available' | 'constrained'>>;

/** A spec (`count:o=FILE`), a factory with its options (the library), or an engine already built. */
export type EngineItem = string | { factory: EngineFactory; options?: EngineOptions } | Engine;

export function buildEngines(specs: readonly EngineItem[], reporter: Reporter, context: ContextOptions = {}): Engine[] {
  const parsed = specs.map((s) => {
    if (typeof s !== 'string' && 'handle' in s) return { built: s };
    const spec = typeof s === 'string' ? parseEngineSpec(s) : { name: s.factory.name, options: s.options ?? {} };
    const factory = typeof s === 'string' ? findEngine(spec.name) : s.factory;
    validateOptions(factory, spec.options);
    return { spec, factory };
  });
  const engines: (Engine | undefined)[] = parsed.map((p) => p.built);
  const report = (line: string) => reporter.line(line);
  try {
    for (const pass of [false, true]) {
      parsed.forEach(({ spec, factory }, i) => {
        if (!factory || !spec || (factory.followsSiblings === true) !== pass) return;
        const siblings = engines.filter((e): e is Engine => e !== undefined);
        engines[i] = create(factory, spec.options, { report, siblings, openOutput: context.openOutput ?? openLocalOutput, available: context.available, constrained: context.constrained });
      });
    }
  } catch (e) {
    // The engines made before the one that failed hold resources (eBPF sessions, outputs).
    void closeEngines(
      engines.filter((x, i): x is Engine => x !== undefined && parsed[i]!.built === undefined),
      reporter,
    );
    throw e;
  }
  return engines as Engine[];
}

/** Closes engines innermost first; a failing close is reported, never thrown. */
export async function closeEngines(engines: readonly Engine[], reporter: Reporter): Promise<void> {
  for (const e of [...engines].reverse()) {
    try {
      await e.close?.();
    } catch (err) {
      reporter.line(`engine ${e.name}: close: ${(err as Error).message}`);
    }
  }
}

/** Runs every engine's start hook for the command, which waits before exec until they return; a
 * hook that throws is reported in one line and `abort` is called (the command is then killed). */
export async function startEngines(engines: readonly Engine[], root: EngineRoot, reporter: Reporter, abort: () => void): Promise<void> {
  try {
    for (const e of engines) if (e.start) await e.start(root);
  } catch (err) {
    reporter.line(`engine start: ${(err as Error)?.message ?? String(err)}`);
    abort();
  }
}

/** factory.create, checked: what it throws (a bad option, an o=FILE that cannot be opened) and a
 * syscall its interests name that does not exist are bad input, reported in one line with the engine. */
function create(factory: EngineFactory, options: EngineOptions, ctx: EngineContext): Engine {
  let engine: Engine;
  try {
    engine = factory.create(options, ctx);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`engine ${factory.name}: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}`);
  }
  if (engine.interests !== 'all')
    for (const { syscall: s } of engine.interests) {
      const nr = typeof s === 'number' ? s : syscallNumber(s);
      if (nr === undefined || !Number.isInteger(nr) || nr < 0 || nr >= 0x40000000) throw new UsageError(`engine ${factory.name}: unknown syscall '${String(s)}' in its interests`);
    }
  return engine;
}
