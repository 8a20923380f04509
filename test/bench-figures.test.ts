// Honest figures (issue 11): a benchmark figure that cannot be (not a number, not positive, or a
// spread between rounds as large as itself) is named as such, its ratios are left out and every
// goal that uses it fails with the reason. Pure code: results as measure() builds them.
import { describe, expect, it } from 'vitest';
import { GOALS } from '../bench/goals.js';
import { unsound, halfSpread, type VariantResult } from '../bench/measure.js';

const perCall = (id: string, rounds: number[]): VariantResult => {
  const sorted = [...rounds].sort((a, b) => a - b);
  const med = sorted.length % 2 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return {
    id, label: id, group: 'core', family: 'f', kind: 'per-call', n: 1000, perCallUs: med, wallMs: 1,
    rounds: rounds.map((x) => ({ perCallUs: x, wallMs: 1 })), facts: {},
    noise: halfSpread(rounds), invalid: unsound(med, rounds, 'µs/call'),
  };
};
const goal = (id: string) => GOALS.find((g) => g.id === id)!;

describe('figures that cannot be', () => {
  it('a negative per-call figure (start-up jitter larger than the calls) is unsound', () => {
    expect(unsound(-0.575, [0.4, -1.55], 'µs/call')).toMatch(/not positive/);
    expect(unsound(0, [0, 0], 'µs/call')).toMatch(/not positive/);
  });

  it('NaN, or a round without a figure, is unsound', () => {
    expect(unsound(NaN, [1, 2], 'µs/call')).toMatch(/not a number/);
    expect(unsound(undefined, [], 'ms')).toMatch(/not a number/);
    expect(unsound(2, [2, undefined], 'ms')).toMatch(/a round has no figure/);
  });

  it('a figure within its own noise is unsound; one clear of it is not', () => {
    expect(unsound(1, [0.1, 1, 2.2], 'µs/call')).toMatch(/noise ±1\.050 µs\/call .* as large as the figure 1\.000/);
    expect(unsound(14.2, [14.0, 14.2, 14.9], 'µs/call')).toBeUndefined();
    // One round: no spread is known; the figure stands on its sign alone.
    expect(halfSpread([3])).toBeUndefined();
    expect(unsound(3, [3], 'µs/call')).toBeUndefined();
  });

  it('a goal using an unsound figure fails and says why, whatever the ratio would be', () => {
    const r = new Map([
      ['sysvisor-getpid', perCall('sysvisor-getpid', [0.4, -1.55])],
      ['floor-getpid', perCall('floor-getpid', [1.2, 1.22])],
    ]);
    const res = goal('passthrough-vs-floor-filter').evaluate(r, new Map())!;
    expect(res.pass).toBe(false);
    expect(res.why).toMatch(/^sysvisor-getpid: .*not positive/);
  });

  it('a goal on sound figures is judged on its value', () => {
    const r = new Map([
      ['sysvisor-getppid', perCall('sysvisor-getppid', [20, 21, 22])],
      ['floor-getppid', perCall('floor-getppid', [14, 14.2, 14.4])],
    ]);
    const res = goal('js-chain-vs-floor').evaluate(r, new Map())!;
    expect(res.why).toBeUndefined();
    expect(res.value).toBeCloseTo(21 / 14.2, 6);
    expect(res.pass).toBe(true);
    r.set('sysvisor-getppid', perCall('sysvisor-getppid', [35, 36, 37]));
    expect(goal('js-chain-vs-floor').evaluate(r, new Map())!.pass).toBe(false);
  });

  it('a goal whose variants were not run is not evaluated', () => {
    expect(goal('mapped-lstat').evaluate(new Map(), new Map())).toBeUndefined();
  });
});
