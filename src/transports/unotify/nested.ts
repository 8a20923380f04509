// `sysvisor run` inside a supervised tree. The kernel allows one seccomp listener per filter
// chain, so a nested sysvisor does not install one: it asks the supervisor above to push its
// engines as a new innermost scope for its command's subtree, runs the command (held before exec
// until the scope exists), waits for the whole subtree (its launcher process is the subtree's child
// subreaper), then pops the scope, whose engines report, and exits with the command's status.
// Without privileges, the command runs with no_new_privs, as the kernel requires of an
// unprivileged filter: the supervisor serves a scope made without privileges only for processes
// that cannot gain any (see scopes/privilege.ts).
import { openSync, closeSync, constants as fsc } from 'node:fs';
import type { RawBinding } from '../../native/load.js';
import { envStrings, envValue, resolveCommand, type Environment } from './command.js';
import type { ExitStatus } from './supervise.js';
import { Launcher, type OnSupervisorExit } from './launcher.js';
import { parseEngineSpec } from '../../engines/registry.js';
import type { ControlClient } from '../../scopes/client.js';
import { isPrivileged } from '../../scopes/privilege.js';

export interface NestedRun {
  readonly done: Promise<ExitStatus>;
  /** pid of the command (0 until it was started). */
  readonly pid: number;
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

export function runNested(binding: RawBinding, client: ControlClient, command: string | Buffer, args: readonly (string | Buffer)[], specs: readonly string[], fds: readonly number[] = [0, 1, 2], onSupervisorExit: OnSupervisorExit = 'kill', env: Environment = process.env): NestedRun {
  const opened: number[] = [];
  const callerSpecs = withCallerOutputs(specs, opened);
  const file = resolveCommand(command, envValue(env, 'PATH'));
  // The launcher forks the command (held before exec) and is its subtree's subreaper.
  const launcher = new Launcher(binding, { file, argv: [command, ...args], env: envStrings(env), fds, filter: Buffer.alloc(0), flags: 0, onSupervisorExit, noNewPrivs: !isPrivileged(process.pid) });
  const done = (async (): Promise<ExitStatus> => {
    let scope: number;
    try {
      const child = await launcher.command;
      // The scope is the launcher's subtree (its owner), the command its first process.
      scope = client.call<{ scope: number }>('push', { engines: callerSpecs, pid: child.pid, owner: launcher.pid, orphans: onSupervisorExit }).scope;
    } catch (e) {
      launcher.kill();
      await launcher.bye();
      throw e;
    } finally {
      opened.forEach((fd) => closeSync(fd)); // the supervisor holds duplicates now
    }
    launcher.go();
    const status = await launcher.exited;
    await launcher.empty;
    try {
      client.call('pop', { scope });
    } catch {
      // the supervisor above is gone: nothing to report to
    }
    await launcher.bye();
    return status;
  })();
  let pid = 0;
  void launcher.command.then((c) => (pid = c.pid), () => {});
  return {
    done,
    get pid() {
      return pid;
    },
    kill: (signal) => launcher.signal(signal),
  };
}
