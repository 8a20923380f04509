// Helpers for the suites: paths, running the CLI as a real process, reading fds.
import { spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Result, type Engine } from '../src/index.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(ROOT, 'bin', 'sysvisor.js');
export const PROBE = path.join(ROOT, 'test', 'build', 'probe');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, collecting its output. */
export function run(cmd: string, args: readonly string[], opts: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1') }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

let transport: string | undefined;

/**
 * Makes every `sysvisor run` of this test file (through sysvisor() below) use this transport: a
 * suite runs over ptrace from a small file that sets it, then imports the suite (*.ptrace.test.ts).
 */
export function useTransport(name: 'unotify' | 'ptrace'): void {
  transport = name;
}

/** The transport useTransport set (undefined: sysvisor's default). */
export function usedTransport(): string | undefined {
  return transport;
}

/** `run` and its --transport as useTransport set it, for suites that start the CLI themselves. */
export function runArgs(): string[] {
  return transport === undefined ? ['run'] : ['run', '--transport', transport];
}

/** `sysvisor ARGS...` as a real process (`run` with the transport of useTransport, if set). */
export function sysvisor(args: readonly string[], opts: SpawnOptions & { input?: string | Buffer } = {}): Promise<RunResult> {
  const a = transport !== undefined && args[0] === 'run' ? ['run', '--transport', transport, ...args.slice(1)] : args;
  return run(process.execPath, [CLI, ...a], opts);
}

/** Open fds of this process (for leak checks). */
export function openFds(): string[] {
  return readdirSync('/proc/self/fd').sort();
}

export type CountTable = Map<string, { calls: number; errors: number; seconds: number }>;

/** The rows of a `strace -c`-style table (count's or strace's), without the total. */
export function parseCountTable(text: string): CountTable {
  const rows: CountTable = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*[\d.]+\s+([\d.]+)\s+\d+\s+(\d+)\s+(\d*)\s+(\w+)$/.exec(line);
    if (m && m[4] !== 'total') rows.set(m[4]!, { seconds: Number(m[1]), calls: Number(m[2]), errors: Number(m[3] || 0) });
  }
  return rows;
}

/** The table count wrote to `file`. */
export function readCountTable(file: string): CountTable {
  return parseCountTable(readFileSync(file, 'utf8'));
}

/** Answers getppid with 4242 in JS, counting the calls it sees. */
export function answering(): Engine & { seen: number } {
  const e = {
    name: 'answer',
    seen: 0,
    interests: [{ syscall: 'getppid' }],
    handle: () => {
      e.seen++;
      return Result.value(4242);
    },
  };
  return e as Engine & { seen: number };
}
