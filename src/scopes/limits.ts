// What a user without privileges can make the supervisor hold through control calls: scopes,
// engines, eBPF sessions, ring buffer bytes, control calls being served. Charged before anything
// is built; past a limit the call is refused in one line. The figures are documented in README
// (threat model).
import type { EngineResources } from '../chain/engine.js';
import { findEngine, parseEngineSpec, validateOptions } from '../engines/registry.js';

export interface Limits {
  /** Open scopes (nested runs) per user. */
  scopes: number;
  /** Engines in those scopes, pushed or loaded. */
  engines: number;
  /** eBPF sessions (trace, count's in-kernel counter): each holds ~25 fds and its ring. */
  bpfSessions: number;
  /** eBPF ring buffer bytes, summed (each is mapped twice into the supervisor). */
  ringBytes: number;
  /** Control calls (push, load) being served at once. */
  pending: number;
}

export const USER_LIMITS: Readonly<Limits> = {
  scopes: 16,
  engines: 32,
  bpfSessions: 8,
  ringBytes: 64 << 20,
  pending: 4,
};

export type Cost = { [K in keyof Limits]: number };

const NOUNS: Record<keyof Limits, string> = {
  scopes: 'nested scopes',
  engines: 'engines',
  bpfSessions: 'eBPF sessions',
  ringBytes: 'bytes of eBPF ring buffers',
  pending: 'control calls in progress',
};

export class LimitError extends Error {
  override name = 'LimitError';
}

export function zeroCost(): Cost {
  return { scopes: 0, engines: 0, bpfSessions: 0, ringBytes: 0, pending: 0 };
}

/** The cost of engines made from these specs, from their factories, without making them. */
export function costOfSpecs(specs: readonly string[], constrained = true): Cost {
  const cost = zeroCost();
  for (const s of specs) {
    const spec = parseEngineSpec(s);
    const factory = findEngine(spec.name);
    validateOptions(factory, spec.options);
    const r: EngineResources = factory.resources?.(spec.options, constrained) ?? {};
    cost.engines += 1;
    cost.bpfSessions += r.bpfSessions ?? 0;
    cost.ringBytes += r.ringBytes ?? 0;
  }
  return cost;
}

/** A charge against one user's budget; released once, when what it paid for is gone. */
export interface Lease {
  readonly cost: Cost;
  release(): void;
}

/** Per-user usage, charged before building and released when scopes and engines end. */
export class Budget {
  private readonly used = new Map<number, Cost>();

  constructor(private readonly limits: Readonly<Limits> = USER_LIMITS) {}

  /** Charges `cost` to `uid`, or throws a LimitError naming the first limit it would pass. */
  take(uid: number, cost: Cost): Lease {
    const used = this.used.get(uid) ?? zeroCost();
    for (const k of Object.keys(this.limits) as (keyof Limits)[]) {
      if (cost[k] > 0 && used[k] + cost[k] > this.limits[k]) {
        throw new LimitError(`refused: uid ${uid} would hold ${used[k] + cost[k]} ${NOUNS[k]} in the supervisor (limit ${this.limits[k]} per user without privileges)`);
      }
    }
    for (const k of Object.keys(cost) as (keyof Limits)[]) used[k] += cost[k];
    this.used.set(uid, used);
    let released = false;
    return {
      cost,
      release: () => {
        if (released) return;
        released = true;
        const u = this.used.get(uid)!;
        for (const k of Object.keys(cost) as (keyof Limits)[]) u[k] -= cost[k];
        if (Object.values(u).every((v) => v === 0)) this.used.delete(uid);
      },
    };
  }

  /** What `uid` holds now (for tests and reports). */
  usage(uid: number): Cost {
    return { ...(this.used.get(uid) ?? zeroCost()) };
  }
}
