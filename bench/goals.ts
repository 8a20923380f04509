// The goals the benchmarks are held to (issue 2, 3, 4): each a ratio of measured variants, or
// undefined when its variants were not run.
import type { RssResult, VariantResult } from './measure.js';

export interface Goal {
  id: string;
  text: string;
  /** Measured value and whether it meets the goal; undefined when its variants were not run. */
  evaluate(r: ReadonlyMap<string, VariantResult>, rss: ReadonlyMap<string, RssResult>): { value: number; unit: string; pass: boolean } | undefined;
}

const perCall = (r: ReadonlyMap<string, VariantResult>, id: string) => r.get(id)?.perCallUs;
/** a/b of two whole commands' own times. */
function ratio(r: ReadonlyMap<string, VariantResult>, a: string, b: string, pass: (x: number) => boolean, unit: string) {
  const x = r.get(a)?.cmdMs, y = r.get(b)?.cmdMs;
  if (x === undefined || y === undefined) return undefined;
  return { value: x / y, unit, pass: pass(x / y) };
}

export const GOALS: Goal[] = [
  { id: 'js-chain-vs-floor', text: 'intercepted getppid through the JS chain <= 1.6x the C floor',
    evaluate: (r) => {
      const a = perCall(r, 'sysvisor-getppid'), b = perCall(r, 'floor-getppid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x', pass: a / b <= 1.6 };
    } },
  { id: 'passthrough-vs-floor-filter', text: 'non-intercepted getpid under sysvisor <= 1.05x the same under the floor filter',
    evaluate: (r) => {
      const a = perCall(r, 'sysvisor-getpid'), b = perCall(r, 'floor-getpid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x', pass: a / b <= 1.05 };
    } },
  { id: 'vs-strace', text: 'intercepted call >= 10x faster than strace -f',
    evaluate: (r) => {
      const a = perCall(r, 'strace-getppid'), b = perCall(r, 'sysvisor-getppid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x faster', pass: a / b >= 10 };
    } },
  { id: 'nesting-cost', text: 'getppid under two nested count scopes <= 1.2x under one',
    evaluate: (r) => {
      const a = perCall(r, 'nest2-getppid'), b = perCall(r, 'nest1-getppid');
      if (a === undefined || b === undefined) return undefined;
      return { value: a / b, unit: 'x', pass: a / b <= 1.2 };
    } },
  { id: 'unreal-vs-proot', text: 'unreal find /unreal/usr/share >= 20x faster than proot (issue 3)',
    evaluate: (r) => ratio(r, 'find-proot', 'find-unreal-mapped', (x) => x >= 20, 'x faster') },
  { id: 'unreal-vs-native', text: 'unreal find /unreal/usr/share <= 3x native (issue 3)',
    evaluate: (r) => ratio(r, 'find-unreal-mapped', 'find-native', (x) => x <= 3, 'x') },
  { id: 'unreal-unmapped', text: 'unreal find /usr/share (unmapped) <= 2x native (issue 3)',
    evaluate: (r) => ratio(r, 'find-unreal-unmapped', 'find-native', (x) => x <= 2, 'x') },
  { id: 'unreal-find-1.5', text: 'unreal find /unreal/usr/share <= 1.5x native (issue 9)',
    evaluate: (r) => ratio(r, 'find-unreal-mapped', 'find-native', (x) => x <= 1.5, 'x') },
  { id: 'unreal-tar', text: 'unreal tar -c /unreal/usr/share/doc <= 1.5x native (issue 9)',
    evaluate: (r) => ratio(r, 'tar-unreal', 'tar-native', (x) => x <= 1.5, 'x') },
  { id: 'unreal-rm', text: 'unreal rm -r of a tree through /unreal <= 3x native (issue 9)',
    evaluate: (r) => ratio(r, 'rm-unreal', 'rm-native', (x) => x <= 3, 'x') },
  { id: 'unreal-cp', text: 'unreal cp -a /unreal/usr/share/doc /unreal/tmp/... <= 3x native (issue 9)',
    evaluate: (r) => ratio(r, 'cp-unreal', 'cp-native', (x) => x <= 3, 'x') },
  { id: 'trace-vs-native', text: 'trace find /usr/share <= 2x native (issue 4)',
    evaluate: (r) => ratio(r, 'find-trace', 'find-native', (x) => x <= 2, 'x') },
  { id: 'trace-vs-strace', text: 'trace find /usr/share >= 10x faster than strace -f (issue 4)',
    evaluate: (r) => ratio(r, 'find-strace', 'find-trace', (x) => x >= 10, 'x faster') },
  { id: 'supervisor-rss', text: 'supervisor peak RSS <= 80 MB',
    evaluate: (_r, rss) => {
      const values = ['sysvisor-getppid', 'sysvisor-getpid'].map((id) => rss.get(id)?.peakKb).filter((v): v is number => v !== undefined);
      if (values.length === 0) return undefined;
      const mb = Math.max(...values) / 1024;
      return { value: mb, unit: 'MB', pass: mb <= 80 };
    } },
];
