// Micro-benchmarks (tinybench) of the pure TypeScript parts: the onion, the executor, filter
// planning. No kernel: a fake tracee memory.
import { Bench } from 'tinybench';
import { compose } from '../src/chain/compose.js';
import { createExecutor } from '../src/chain/executor.js';
import { EngineStack } from '../src/chain/stack.js';
import { Result } from '../src/chain/result.js';
import { Syscall, type TraceeMemory } from '../src/chain/syscall.js';
import type { Engine, Next } from '../src/chain/engine.js';
import { countFactory } from '../src/engines/count/count.js';
import { openLocalOutput } from '../src/engines/output.js';
import { planFilter, type Interest } from '../src/filter/plan.js';
import { syscallNumber } from '../src/syscalls/table.js';
import { stringPatches, type Patch } from '../src/chain/emulate/rewrite.js';
import { BenchError } from './measure.js';

export interface MicroResult {
  name: string;
  nsPerOp: number;
  opsPerSec: number;
  samples: number;
}

class FakeMemory implements TraceeMemory {
  private readonly strings = new Map<number, string>();
  writes = 0;
  constructor(strings: Record<number, string> = {}) {
    for (const [k, v] of Object.entries(strings)) this.strings.set(Number(k), v);
  }
  readString(addr: number): string | null {
    return this.strings.get(addr) ?? null;
  }
  readBytes(): Buffer | null {
    return null;
  }
  writeBytes(_addr: number, bytes: Buffer): number {
    this.writes++;
    return bytes.length;
  }
  prefetchedPath(): string | undefined {
    return undefined;
  }
  injectFd(): number {
    return -9; // EBADF: the micro-benchmarks never inject
  }
  valid(): boolean {
    return true;
  }
}

const passthrough = (name: string): Engine => ({
  name,
  interests: [{ syscall: 'getppid' }],
  handle: (_call: Syscall, next: Next) => next(),
});

export async function micro(quick: boolean): Promise<MicroResult[]> {
  const executor = createExecutor({ emulators: {}, report: () => {} });
  const mem = new FakeMemory({ 0x1000: '/unreal/etc/passwd' });
  const inject = () => -38;
  const GETPPID = syscallNumber('getppid')!;
  const OPENAT = syscallNumber('openat')!;
  const args = [0, 0, 0, 0, 0, 0];
  const one = compose([passthrough('p1')], executor);
  const three = compose([passthrough('p1'), passthrough('p2'), passthrough('p3')], executor);
  const count = countFactory.create({ syscalls: ['getppid'], o: ['/dev/null'] }, { report: () => {}, siblings: [], openOutput: openLocalOutput });
  const stack = new EngineStack([count], executor);
  // An engine that rewrites a path shorter, so that the executor rewrites it in place.
  const rewrite: Engine = {
    name: 'strip',
    interests: [{ syscall: 'openat' }],
    handle: (call, next) => {
      const p = call.string(1);
      if (p?.startsWith('/unreal/')) call.setString(1, p.slice(7));
      return next();
    },
  };
  // The engine's change, then the patches the executor would write in place (the write and its
  // restore at syscall exit need a real tracee: the whole-process variants measure those).
  const patched = (call: Syscall): Patch[] | null => {
    const out: { patches: Patch[] | null } = { patches: null };
    void rewrite.handle(call, () => {
      out.patches = stringPatches(call);
      return Result.CONTINUED;
    });
    return out.patches;
  };
  const fixed = new Syscall(1, GETPPID, args, mem, inject);
  const interests20: Interest[] = [
    'read', 'write', 'openat', 'close', 'newfstatat', 'fstat', 'lseek', 'mmap', 'munmap', 'brk',
    'execve', 'clone', 'clone3', 'fork', 'vfork', 'wait4', 'getdents64', 'readlink', 'access', 'statx',
  ].map((s) => ({ syscall: s }));
  const conditional: Interest[] = [
    { syscall: 'openat', when: [{ arg: 2, anyBits: 0o100 }] },
    { syscall: 'ioctl', when: [{ arg: 1, eq: 0x5401 }] },
    { syscall: 'getppid' },
  ];

  // Each sample runs a task `k` times, so that the timer's own cost (tens of ns) does not swamp
  // operations that take about as long.
  const tasks: { name: string; k: number; fn: () => unknown }[] = [
    { name: 'compose: 1 passthrough engine + executor', k: 1000, fn: () => one(fixed) },
    { name: 'compose: 3 passthrough engines + executor', k: 1000, fn: () => three(fixed) },
    { name: 'new Syscall + stack.step + count engine + executor', k: 1000, fn: () => stack.step(GETPPID)(new Syscall(1, GETPPID, [0, 0, 0, 0, 0, 0], mem, inject)) },
    { name: 'in-place rewrite planned: engine strips a prefix, patches computed', k: 100, fn: () => patched(new Syscall(1, OPENAT, [-100, 0x1000, 0, 0, 0, 0], mem, inject)) },
    { name: 'planFilter: 1 syscall', k: 10, fn: () => planFilter([{ syscall: 'getppid' }]) },
    { name: 'planFilter: 20 syscalls', k: 10, fn: () => planFilter(interests20) },
    { name: 'planFilter: argument tests', k: 10, fn: () => planFilter(conditional) },
    { name: 'planFilter: all', k: 10, fn: () => planFilter('all') },
  ];
  const bench = new Bench({ time: quick ? 100 : 500, warmupTime: quick ? 50 : 200 });
  let sink: unknown;
  for (const t of tasks) {
    const { k, fn } = t;
    bench.add(t.name, () => {
      for (let i = 0; i < k; i++) sink = fn();
    });
  }
  await bench.run();
  void sink;
  const check = patched(new Syscall(1, OPENAT, [-100, 0x1000, 0, 0, 0, 0], mem, inject));
  if (check?.length !== 1 || check[0]!.bytes.toString('latin1') !== '/etc/passwd\0') throw new BenchError('micro: the in-place rewrite was not planned');
  return bench.tasks.map((t, i) => {
    const r = t.result;
    if (r.state !== 'completed') throw new BenchError(`micro ${t.name}: ${r.state}${'error' in r ? `: ${String((r as { error: unknown }).error)}` : ''}`);
    const k = tasks[i]!.k;
    return { name: t.name, nsPerOp: (r.latency.mean * 1e6) / k, opsPerSec: (1000 * k) / r.latency.mean, samples: r.latency.samplesCount * k };
  });
}
