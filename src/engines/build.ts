// Builds an engine stack from specs (outermost first). Engines that follow their siblings (count)
// are created after the others so they can see what the others intercept.
import type { Engine, EngineContext } from '../chain/engine.js';
import type { Reporter } from '../chain/report.js';
import { findEngine, parseEngineSpec, validateOptions } from './registry.js';
import { openLocalOutput } from './output.js';

export type ContextOptions = Partial<Pick<EngineContext, 'openOutput' | 'available'>>;

export function buildEngines(specs: readonly string[], reporter: Reporter, context: ContextOptions = {}): Engine[] {
  const parsed = specs.map((s) => {
    const spec = parseEngineSpec(s);
    const factory = findEngine(spec.name);
    validateOptions(factory, spec.options);
    return { spec, factory };
  });
  const engines: (Engine | undefined)[] = new Array(parsed.length);
  const report = (line: string) => reporter.line(line);
  for (const pass of [false, true]) {
    parsed.forEach(({ spec, factory }, i) => {
      if ((factory.followsSiblings === true) !== pass) return;
      const siblings = engines.filter((e): e is Engine => e !== undefined);
      engines[i] = factory.create(spec.options, { report, siblings, openOutput: context.openOutput ?? openLocalOutput, available: context.available });
    });
  }
  return engines as Engine[];
}
