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

function executable(file: string): 'ok' | 'missing' | 'denied' {
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
export function resolveCommand(command: string, envPath: string | undefined, mappedPaths = false): string {
  if (command === '') throw new CommandError("'': command not found", 127);
  if (command.includes('/')) {
    const st = executable(command);
    if (st === 'ok' || (st === 'missing' && mappedPaths)) return command;
    if (st === 'missing') throw new CommandError(`${command}: No such file or directory`, 127);
    throw new CommandError(`${command}: Permission denied`, 126);
  }
  let denied: string | undefined;
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const file = path.join(dir || '.', command);
    const st = executable(file);
    if (st === 'ok') return file;
    if (st === 'denied') denied ??= file;
  }
  if (denied) throw new CommandError(`${denied}: Permission denied`, 126);
  throw new CommandError(`${command}: command not found`, 127);
}

/** An environment as execve takes it: NAME=value strings (unset entries left out). */
export function envStrings(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
}
