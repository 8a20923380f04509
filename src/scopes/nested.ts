// `sysvisor run` inside a supervised tree. The kernel allows one seccomp listener per filter
// chain, so a nested sysvisor does not install one: it asks the supervisor above to push its
// engines as a new innermost scope for its command's subtree, runs the command (held before exec
// until the scope exists), waits for the whole subtree (it is the subtree's child subreaper), then
// pops the scope, whose engines report, and exits with the command's status.
import { openSync, closeSync, constants as fsc } from 'node:fs';
import type { RawBinding } from '../native/load.js';
import { envStrings, resolveCommand } from '../transports/unotify/command.js';
import type { ExitStatus } from '../transports/unotify/supervise.js';
import { parseEngineSpec } from '../engines/registry.js';
import type { ControlClient } from './client.js';

export interface NestedRun {
  readonly done: Promise<ExitStatus>;
  kill(signal: number): boolean;
}

// Outputs named on the command line are opened here, by the caller, with its own permissions;
// the supervisor receives only the fd (o=fd:N) and takes a duplicate.
export function withCallerOutputs(specs: readonly string[], opened: number[]): string[] {
  return specs.map((spec) => {
    const o = parseEngineSpec(spec).options['o']; // names and options are checked by the supervisor

    if (!o || o.length !== 1 || o[0] === '-') return spec;
    const fd = openSync(o[0]!, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC, 0o666);
    opened.push(fd);
    return spec.replace(/(^|[:,])o=[^,]*/, `$1o=fd:${fd}`);
  });
}

export function runNested(binding: RawBinding, client: ControlClient, command: string, args: readonly string[], specs: readonly string[]): NestedRun {
  const opened: number[] = [];
  const callerSpecs = withCallerOutputs(specs, opened);
  const file = resolveCommand(command, process.env['PATH']);
  binding.setSubreaper();
  const env = envStrings(process.env);
  const child = binding.spawn(file, [command, ...args], env, Buffer.alloc(0), 0, true);
  let scope: number;
  try {
    scope = client.call<{ scope: number }>('push', { engines: callerSpecs, pid: child.pid }).scope;
  } catch (e) {
    binding.pidfdSignal(child.pidfd, 9);
    binding.release(child.pid);
    binding.closeFd(child.pidfd);
    opened.forEach((fd) => closeSync(fd));
    throw e;
  }
  opened.forEach((fd) => closeSync(fd)); // the supervisor holds duplicates now
  binding.release(child.pid);
  let closed = false;
  const done = new Promise<ExitStatus>((resolve) => {
    binding.watchExit(child.pidfd, (code, signal) => {
      closed = true;
      binding.closeFd(child.pidfd);
      const status = signal ? { code: null, signal } : { code, signal: 0 };
      binding.reapChildren(() => {
        try {
          client.call('pop', { scope });
        } catch {
          // the supervisor above is gone: nothing to report to
        }
        resolve(status);
      });
    });
  });
  return { done, kill: (signal) => !closed && binding.pidfdSignal(child.pidfd, signal) };
}
