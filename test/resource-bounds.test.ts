// What the supervisor holds per process or thread it serves must not grow with the processes that
// come and go (issue 8: what an unprivileged user can make the supervisor hold is bounded). Each
// structure keyed by pid or tid is fed real processes that then exit, and must keep only the live.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Reporter } from '../src/chain/report.js';
import { Result } from '../src/chain/result.js';
import { loadBinding } from '../src/native/load.js';
import { ScopeTree } from '../src/scopes/tree.js';
import { supervise, taskInfoFn } from '../src/transports/unotify/supervise.js';
import { UnrealEngine } from '../src/engines/unreal/unreal.js';
import type { Engine } from '../src/chain/engine.js';
import { ROOT } from './helpers.js';

const binding = loadBinding();

/** `n` live processes (`sleep 60`), children of one shell that reaps them as they die. */
interface Batch {
  shell: ChildProcess;
  pids: number[];
}

async function sleepers(n: number): Promise<Batch> {
  const shell = spawn('sh', ['-c', `for i in $(seq ${n}); do sleep 60 & echo $!; done; wait`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pids: number[] = [];
  let buf = '';
  for await (const chunk of shell.stdout!) {
    buf += String(chunk);
    const lines = buf.split('\n');
    buf = lines.pop()!;
    pids.push(...lines.map(Number));
    if (pids.length === n) break;
  }
  return { shell, pids };
}

/** Kills the batch and waits until every process of it is reaped (the shell then exits). */
async function killAll(b: Batch): Promise<void> {
  const gone = b.shell.exitCode === null ? once(b.shell, 'exit') : Promise.resolve();
  for (const pid of b.pids) process.kill(pid, 'SIGKILL');
  await gone;
}

describe('what the supervisor holds per process served or message said is bounded', () => {
  it('the scope tree caches threads served only while they live (1300 processes, 100 alive)', async () => {
    const tree = new ScopeTree([], () => Result.value(0), taskInfoFn(binding));
    // A scope owned by this process: every child is its member, and the tree caches each one.
    const scope = tree.push(tree.root, process.pid, []);
    for (let round = 0; round < 12; round++) {
      const batch = await sleepers(100);
      for (const pid of batch.pids) expect(tree.scopeOf(pid)).toBe(scope);
      await killAll(batch);
    }
    const alive = await sleepers(100);
    try {
      for (const pid of alive.pids) expect(tree.scopeOf(pid)).toBe(scope);
      // 1200 processes gone, 100 alive: at most twice the live (or the prune threshold, 1024) + a batch.
      expect(tree.cached()).toBeGreaterThanOrEqual(100);
      expect(tree.cached()).toBeLessThanOrEqual(1024 + 100);
    } finally {
      await killAll(alive);
      tree.pop(scope);
    }
  }, 120_000);

  it('processes whose root changed are remembered only while they live (600 processes, 20 alive)', async () => {
    const before = binding.traceeCacheSizes().rootChanged;
    for (let round = 0; round < 20; round++) {
      const batch = await sleepers(30);
      // What unreal does on entry of chroot, pivot_root, unshare or setns.
      for (const pid of batch.pids) binding.forgetTracee({ tid: pid, rootChange: true });
      await killAll(batch);
    }
    const alive = await sleepers(20);
    try {
      for (const pid of alive.pids) binding.forgetTracee({ tid: pid, rootChange: true });
      const after = binding.traceeCacheSizes().rootChanged;
      expect(after - before).toBeGreaterThanOrEqual(20);
      // 600 gone, 20 alive: pruned whenever it doubles (from 64).
      expect(after - before).toBeLessThanOrEqual(64 + 30);
    } finally {
      await killAll(alive);
    }
  }, 120_000);

  it("unreal's #! script chains are kept only for threads alive (150 killed between two steps of a script's exec)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-chains-'));
    try {
      // A script whose interpreter only the engine can map: its exec takes two steps (the script,
      // then the interpreter the engine makes the thread exec instead).
      const script = path.join(dir, 's');
      writeFileSync(script, '#!/unreal/bin/sh\necho never\n', { mode: 0o755 });
      const unreal = new UnrealEngine(binding);
      // Holds the script's execve until exec-signalled's SIGUSR1 is pending on the thread: when the
      // call returns, its handler exits (7) before the interpreter's execve.
      const pending = (tid: number): boolean => {
        try {
          return (BigInt('0x' + /^SigPnd:\s*(\w+)/m.exec(readFileSync(`/proc/${tid}/status`, 'latin1'))![1]!) & 0x200n) !== 0n;
        } catch {
          return true; // gone
        }
      };
      const hold: Engine = {
        name: 'hold',
        interests: [{ syscall: 'execve' }],
        handle: async (call, next) => {
          if (call.traceeLatin1(0) === `/unreal${script}`) while (!pending(call.tid)) await new Promise((r) => setTimeout(r, 5));
          return next();
        },
      };
      const out = path.join(dir, 'out');
      const prog = path.join(ROOT, 'test', 'build', 'exec-signalled');
      const loop = `for i in $(seq 150); do (${prog} /unreal${script}; echo $?) & [ $((i % 50)) = 0 ] && wait; done >${out}; wait`;
      const st = await supervise({ command: 'sh', args: ['-c', loop], engines: [hold, unreal] }).done;
      expect(st.code).toBe(0);
      // Every process died by its handler between the two steps (none ran the script).
      expect(readFileSync(out, 'utf8').split('\n').filter((l) => l === '7')).toHaveLength(150);
      // 150 chains begun, none alive: pruned whenever the map doubles (from 64).
      expect(unreal.held().scriptChains).toBeLessThanOrEqual(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('the reporter counts the repeats of at most 1024 distinct messages (3000 made), each still said once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-report-'));
    const file = path.join(dir, 'stderr');
    const fd = openSync(file, 'w');
    try {
      const r = new Reporter(fd, '');
      // An engine's error can name what the tracee passed: as many messages as the tree likes.
      for (let i = 0; i < 3000; i++) {
        r.once(`engine error in openat(): no such thing: /x/${i}`);
        r.once(`engine error in openat(): no such thing: /x/${i}`);
      }
      r.once('the same again');
      r.once('the same again');
      expect(r.distinct()).toBeLessThanOrEqual(1024);
      r.flushRepeats();
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      // Every message once, every repeat summed once (as it is forgotten, or at the end).
      for (const i of [0, 1999, 2999]) {
        expect(lines.filter((l) => l === `engine error in openat(): no such thing: /x/${i}`)).toHaveLength(1);
        expect(lines.filter((l) => l === `(1 more) engine error in openat(): no such thing: /x/${i}`)).toHaveLength(1);
      }
      expect(lines.filter((l) => l === '(1 more) the same again')).toHaveLength(1);
      expect(lines).toHaveLength(2 * 3000 + 2);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
