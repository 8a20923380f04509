// The fds the user's shell handed to `sysvisor` (open without close-on-exec), which COMMAND must
// get as they were. Node marks low inherited fds close-on-exec at start-up, before any JS runs, so
// the `sysvisor` bin (a sh shim) records the set before it execs Node, in SYSVISOR_FDS. Started
// without the shim (`node bin/sysvisor.js`), the set is what Node left without close-on-exec.
import { readdirSync, readFileSync } from 'node:fs';

/** Environment variable the bin shim passes the inherited fds in ("0,1,2,9"; "" for none). */
export const FDS_ENV = 'SYSVISOR_FDS';

const O_CLOEXEC = 0o2000000;

/** Open fds of this process without close-on-exec, plus 0-2 (Node marks them too). */
function withoutCloexec(): number[] {
  const fds: number[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    try {
      const flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (fd <= 2 || (flags && (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0)) fds.push(fd);
    } catch {
      // the directory's own fd, closed by now
    }
  }
  return fds.sort((a, b) => a - b);
}

/**
 * The inherited fds (and removes SYSVISOR_FDS from `env`: it is not COMMAND's). Throws on a
 * malformed list.
 */
export function inheritedFds(env: NodeJS.ProcessEnv): number[] {
  const given = env[FDS_ENV];
  if (given === undefined) return withoutCloexec();
  delete env[FDS_ENV];
  if (given === '') return [];
  if (!/^\d+(,\d+)*$/.test(given)) throw new Error(`${FDS_ENV}: not a list of fds: ${given}`);
  return given.split(',').map(Number);
}
