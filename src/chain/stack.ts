// An engine stack: engines outermost first, as on the command line. For each syscall number it
// composes, once, the onion of the engines that want that number (innermost first).
import type { Engine } from './engine.js';
import { compose, type Step } from './compose.js';
import type { Interest } from '../filter/plan.js';
import { syscallNumber } from '../syscalls/table.js';

function wanted(engine: Engine): Set<number> | 'all' {
  if (engine.observesAll) return 'all';
  return declared(engine);
}

/** What the engine itself intercepts (an observer sees more: see Engine.observesAll). */
function declared(engine: Engine): Set<number> | 'all' {
  if (engine.interests === 'all') return 'all';
  const s = new Set<number>();
  for (const i of engine.interests) {
    const nr = typeof i.syscall === 'number' ? i.syscall : syscallNumber(i.syscall);
    if (nr !== undefined) s.add(nr);
  }
  return s;
}

export class EngineStack {
  /** Outermost first. */
  readonly engines: readonly Engine[];
  private readonly wants: (Set<number> | 'all')[];
  private readonly declares: (Set<number> | 'all')[];
  private readonly steps = new Map<number, Step>();

  constructor(engines: readonly Engine[], private readonly executor: Step) {
    this.engines = engines;
    this.wants = engines.map(wanted);
    this.declares = engines.map(declared);
  }

  /** The engines a call nr goes through, innermost first (the onion of step(nr)). */
  chain(nr: number): Engine[] {
    const inner: Engine[] = [];
    for (let i = this.engines.length - 1; i >= 0; i--) {
      const w = this.wants[i]!;
      if (w === 'all' || w.has(nr)) inner.push(this.engines[i]!);
    }
    return inner;
  }

  /** The composed onion for syscall nr (cached). */
  step(nr: number): Step {
    let s = this.steps.get(nr);
    if (!s) {
      s = compose(this.chain(nr), this.executor);
      this.steps.set(nr, s);
    }
    return s;
  }

  /**
   * Engines (outermost first) that intercept syscall nr. Observers (observesAll) count only for
   * what they declare themselves: a call that no other engine touches reaches them by other means
   * (eBPF), so they must not keep the transport's fast paths from continuing it.
   */
  enginesFor(nr: number): Engine[] {
    return this.engines.filter((_, i) => {
      const w = this.declares[i]!;
      return w === 'all' || w.has(nr);
    });
  }

  /** Union of the interests, for the filter. */
  interests(): Interest[] | 'all' {
    if (this.engines.some((e) => e.interests === 'all')) return 'all';
    return this.engines.flatMap((e) => e.interests as readonly Interest[]);
  }
}
