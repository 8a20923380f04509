// The goals the benchmarks are held to (issues 2, 3, 4, 9, 11): each a ratio or a difference of
// measured variants, or undefined when its variants were not run. A goal whose figures cannot be
// (negative, not a number, noise as large as the figure: VariantResult.invalid) fails, and says why.
import type { RssResult, VariantResult } from './measure.js';

export interface GoalResult {
  value: number;
  unit: string;
  pass: boolean;
  /** Why the goal cannot be judged from this run (then pass is false). */
  why?: string;
}

export interface Goal {
  id: string;
  text: string;
  /** Measured value and whether it meets the goal; undefined when its variants were not run. */
  evaluate(r: ReadonlyMap<string, VariantResult>, rss: ReadonlyMap<string, RssResult>): GoalResult | undefined;
}

type Figure = 'perCall' | 'cmd' | 'wall';
const figure = (v: VariantResult, f: Figure) => (f === 'perCall' ? v.perCallUs : f === 'cmd' ? v.cmdMs ?? v.wallMs : v.wallMs);

/**
 * A goal on two variants' figures: `a / b` (or `a - b` with `diff`, or `b / a` with `faster`)
 * compared with `limit` (at most, or at least with `atLeast`).
 */
function goal(id: string, text: string, a: string, b: string, f: Figure, limit: number, o: { atLeast?: boolean; faster?: boolean; diff?: boolean; unit?: string } = {}): Goal {
  const unit = o.unit ?? (o.faster ? 'x faster' : 'x');
  return {
    id, text,
    evaluate: (r) => {
      const x = r.get(a), y = r.get(b);
      if (!x || !y) return undefined;
      const bad = [x, y].find((v) => v.invalid);
      if (bad) return { value: NaN, unit, pass: false, why: `${bad.id}: ${bad.invalid}` };
      const fa = figure(x, f)!, fb = figure(y, f)!;
      const value = o.diff ? fa - fb : o.faster ? fb / fa : fa / fb;
      if (!Number.isFinite(value) || (!o.diff && value <= 0)) return { value, unit, pass: false, why: 'the ratio is not a positive number' };
      return { value, unit, pass: o.atLeast ? value >= limit : value <= limit };
    },
  };
}

export const GOALS: Goal[] = [
  goal('js-chain-vs-floor', 'intercepted getppid through the JS chain <= 1.6x the C floor', 'sysvisor-getppid', 'floor-getppid', 'perCall', 1.6),
  goal('passthrough-vs-floor-filter', 'non-intercepted getpid under sysvisor <= 1.05x the same under the floor filter', 'sysvisor-getpid', 'floor-getpid', 'perCall', 1.05),
  goal('vs-strace', 'intercepted call >= 10x faster than strace -f', 'sysvisor-getppid', 'strace-getppid', 'perCall', 10, { atLeast: true, faster: true }),
  goal('ptrace-vs-floor', 'intercepted getppid over the ptrace transport <= 1.5x the C ptrace floor (issue 12)', 'sysvisor-ptrace-getppid', 'ptrace-floor-getppid', 'perCall', 1.5),
  goal('unotify-vs-ptrace', 'intercepted getppid over unotify >= 3x faster than over ptrace (issue 12)', 'ptrace-unotify-getppid', 'sysvisor-ptrace-getppid', 'perCall', 3, { atLeast: true, faster: true }),
  goal('ptrace-vs-proot', 'unreal over ptrace find /unreal/usr/share no slower than proot (issue 12)', 'ptrace-find-unreal', 'ptrace-find-proot', 'cmd', 1),
  goal('nesting-cost', 'getppid under two nested count scopes <= 1.2x under one', 'nest2-getppid', 'nest1-getppid', 'perCall', 1.2),
  // Issue 11: mapped calls against the floor answering getppid (groups core and mapped).
  goal('mapped-lstat', 'unreal lstat /unreal/etc/hostname (emulated, as root) <= 2x the C floor getppid (issue 11)', 'unreal-lstat', 'floor-getppid', 'perCall', 2),
  goal('mapped-lstat-nobody', 'unreal lstat /unreal/etc/hostname as nobody <= 3x the C floor getppid (issue 11)', 'unreal-lstat-nobody', 'floor-getppid', 'perCall', 3),
  goal('mapped-open', 'unreal open+close of /unreal/etc/hostname (fd by ADDFD) <= 3x the C floor getppid (issue 11)', 'unreal-open', 'floor-getppid', 'perCall', 3),
  goal('unmapped-lstat', 'unreal lstat /etc/hostname (C++ fast path) <= 1.3x the C floor getppid (issue 11)', 'unreal-lstat-outside', 'floor-getppid', 'perCall', 1.3),
  goal('startup', 'sysvisor run -e unreal -- true <= 60 ms over native true (issue 11)', 'true-unreal', 'true-native', 'wall', 60, { diff: true, unit: 'ms' }),
  goal('startup-bin', 'the sysvisor bin run -e unreal -- true <= 60 ms over native true (issue 11)', 'true-unreal-bin', 'true-native', 'wall', 60, { diff: true, unit: 'ms' }),
  goal('unreal-vs-proot', 'unreal find /unreal/usr/share >= 20x faster than proot (issue 3)', 'find-unreal-mapped', 'find-proot', 'cmd', 20, { atLeast: true, faster: true }),
  goal('unreal-vs-native', 'unreal find /unreal/usr/share <= 3x native (issue 3)', 'find-unreal-mapped', 'find-native', 'cmd', 3),
  goal('unreal-unmapped', 'unreal find /usr/share (unmapped) <= 2x native (issue 3)', 'find-unreal-unmapped', 'find-native', 'cmd', 2),
  goal('unreal-find-1.5', 'unreal find /unreal/usr/share <= 1.5x native (issue 9)', 'find-unreal-mapped', 'find-native', 'cmd', 1.5),
  goal('unreal-tar', 'unreal tar -c /unreal/usr/share/doc <= 1.5x native (issue 9)', 'tar-unreal', 'tar-native', 'cmd', 1.5),
  goal('unreal-rm', 'unreal rm -r of a tree through /unreal <= 3x native (issue 9)', 'rm-unreal', 'rm-native', 'cmd', 3),
  goal('unreal-cp', 'unreal cp -a /unreal/usr/share/doc /unreal/tmp/... <= 3x native (issue 9)', 'cp-unreal', 'cp-native', 'cmd', 3),
  goal('unreal-ls', 'unreal ls -laR /unreal/usr/share/doc <= 6x native (issue 11)', 'ls-unreal', 'ls-native', 'cmd', 6),
  goal('unreal-git', 'unreal git status (2,000 files) through /unreal <= 2.5x native (issue 11)', 'git-unreal', 'git-native', 'cmd', 2.5),
  goal('unreal-gcc', 'unreal gcc -c -I/unreal/usr/include <= 1.3x native (issue 11)', 'gcc-unreal', 'gcc-native', 'cmd', 1.3),
  goal('count-vs-native', 'count (every syscall, in the kernel) find /usr/share <= 1.2x native (issue 14)', 'find-count', 'find-native', 'cmd', 1.2),
  goal('count-vs-strace-c', 'count find /usr/share >= 5x faster than strace -c -f (issue 14)', 'find-count', 'find-strace-c', 'cmd', 5, { atLeast: true, faster: true }),
  goal('trace-vs-native', 'trace find /usr/share <= 2x native (issue 4)', 'find-trace', 'find-native', 'cmd', 2),
  goal('trace-vs-strace', 'trace find /usr/share >= 10x faster than strace -f (issue 4)', 'find-trace', 'find-strace', 'cmd', 10, { atLeast: true, faster: true }),
  { id: 'supervisor-rss', text: 'supervisor peak RSS <= 80 MB',
    evaluate: (_r, rss) => {
      const values = ['sysvisor-getppid', 'sysvisor-getpid'].map((id) => rss.get(id)?.peakKb).filter((v): v is number => v !== undefined);
      if (values.length === 0) return undefined;
      const mb = Math.max(...values) / 1024;
      if (!Number.isFinite(mb) || mb <= 0) return { value: mb, unit: 'MB', pass: false, why: 'no peak RSS measured' };
      return { value: mb, unit: 'MB', pass: mb <= 80 };
    } },
];
