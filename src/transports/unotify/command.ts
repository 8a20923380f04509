// Resolves COMMAND as execvp would, before forking, so that "not found" (127) and "cannot execute"
// (126) are told in one clear line without a child.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(message: string, readonly exitCode: 126 | 127) {
    super(message);
  }
}

// Names are bytes: a Buffer command is resolved on its bytes (kept as a byte string, 'latin1').
type Name = string | Buffer;

function executable(file: Name): 'ok' | 'missing' | 'denied' {
  try {
    const st = statSync(file);
    if (st.isDirectory()) return 'denied';
    accessSync(file, constants.X_OK);
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : 'missing';
  }
}

/**
 * `mappedPaths`: an engine maps paths, so a path that is missing here may exist in the engines'
 * view: let the child's execve (which the engines see) decide, and report like above (127).
 */
export function resolveCommand<T extends Name>(command: T, envPath: Name | undefined, mappedPaths = false): T {
  const bytes = Buffer.isBuffer(command);
  // Byte strings throughout when the command is bytes; back to a Buffer for the file system.
  const name = bytes ? command.toString('latin1') : (command as string);
  const fsName = (s: string): Name => (bytes ? Buffer.from(s, 'latin1') : s);
  const text = (s: string) => (bytes ? Buffer.from(s, 'latin1').toString('utf8') : s);
  if (name === '') throw new CommandError("'': command not found", 127);
  if (name.includes('/')) {
    const st = executable(command);
    if (st === 'ok' || (st === 'missing' && mappedPaths)) return command;
    if (st === 'missing') throw new CommandError(`${text(name)}: No such file or directory`, 127);
    throw new CommandError(`${text(name)}: Permission denied`, 126);
  }
  let denied: string | undefined;
  const dirs = envPath === undefined ? '/usr/local/bin:/usr/bin:/bin' : Buffer.isBuffer(envPath) ? envPath.toString(bytes ? 'latin1' : 'utf8') : envPath;
  for (const dir of dirs.split(':')) {
    const file = path.join(dir || '.', name);
    const st = executable(fsName(file));
    if (st === 'ok') return fsName(file) as T;
    if (st === 'denied') denied ??= file;
  }
  if (denied) throw new CommandError(`${text(denied)}: Permission denied`, 126);
  throw new CommandError(`${text(name)}: command not found`, 127);
}

/**
 * An environment: an object of text values, or the entries exactly as execve takes them
 * (`NAME=value`, bytes as Buffers: what the CLI reads from /proc/self/environ).
 */
export type Environment = NodeJS.ProcessEnv | readonly (string | Buffer)[];

/** An environment as execve takes it: NAME=value entries (unset entries left out). */
export function envStrings(env: Environment): (string | Buffer)[] {
  if (Array.isArray(env)) return [...(env as readonly (string | Buffer)[])];
  return Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}

/** The value of NAME in an environment (the first entry, as getenv finds it), or undefined. */
export function envValue(env: Environment, name: string): string | Buffer | undefined {
  if (!Array.isArray(env)) return (env as NodeJS.ProcessEnv)[name];
  const key = Buffer.from(name + '=');
  for (const e of env as readonly (string | Buffer)[]) {
    const b = typeof e === 'string' ? Buffer.from(e) : e;
    if (b.length >= key.length && key.equals(b.subarray(0, key.length))) return typeof e === 'string' ? e.slice(key.length) : b.subarray(key.length);
  }
  return undefined;
}
