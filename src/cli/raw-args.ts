// COMMAND's argv and environment are bytes, not text: Node decodes process.argv and process.env as
// UTF-8, so a byte that is not UTF-8 becomes U+FFFD. The kernel's copies of what this process was
// started with (/proc/self/cmdline, /proc/self/environ) give them exactly.
import { readFileSync } from 'node:fs';

/** The NUL-terminated entries of a /proc file, or null when it cannot be read. */
function entries(file: string): Buffer[] | null {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    return null;
  }
  const out: Buffer[] = [];
  let start = 0;
  for (let end = raw.indexOf(0); end >= 0; end = raw.indexOf(0, start)) {
    out.push(raw.subarray(start, end));
    start = end + 1;
  }
  if (start < raw.length) out.push(raw.subarray(start));
  return out;
}

/**
 * The bytes of `argv`, the last arguments this process was started with (process.argv.slice(2)),
 * read from /proc/self/cmdline. Each must decode to Node's string for it, else (another argv, a
 * rewritten command line) the strings are kept and passed as UTF-8.
 */
export function argvBytes(argv: readonly string[]): (string | Buffer)[] {
  const cmdline = entries('/proc/self/cmdline');
  if (!cmdline || cmdline.length < argv.length) return [...argv];
  const tail = cmdline.slice(cmdline.length - argv.length);
  for (let i = 0; i < argv.length; i++) if (tail[i]!.toString('utf8') !== argv[i]) return [...argv];
  return tail;
}

/**
 * Variables the bin shim passes under another name, so that the Node process it starts does not
 * have them, and that sysvisor gives back to COMMAND under their own name: carrier -> name.
 * NODE_EXTRA_CA_CERTS: when it is set (to anything, even a file that does not exist), Node 20
 * builds its whole root certificate store at start-up, ~45 ms of the command's start on this
 * machine kind, for TLS that sysvisor never does.
 */
export const CARRIED_ENV: Readonly<Record<string, string>> = { SYSVISOR_EXTRA_CA_CERTS: 'NODE_EXTRA_CA_CERTS' };

/** Puts the variables the shim carried back under their own names in `env` (process.env). */
export function restoreCarriedEnv(env: NodeJS.ProcessEnv): void {
  for (const [carrier, name] of Object.entries(CARRIED_ENV)) {
    const value = env[carrier];
    if (value === undefined) continue;
    delete env[carrier];
    env[name] = value;
  }
}

/**
 * This process's environment as it was started with (/proc/self/environ: NAME=value entries,
 * exactly), without the entries named in `drop`, the variables the shim carried (CARRIED_ENV) back
 * under their own names; null when it cannot be read.
 */
export function environBytes(drop: readonly string[] = []): Buffer[] | null {
  const env = entries('/proc/self/environ');
  if (!env) return null;
  const prefix = (e: Buffer, n: string) => {
    const k = Buffer.from(n + '=');
    return e.length >= k.length && k.equals(e.subarray(0, k.length));
  };
  const carried = Object.entries(CARRIED_ENV).filter(([carrier]) => env.some((e) => prefix(e, carrier)));
  // A carried variable replaces any entry of its own name (the shim unset it for Node).
  const dropped = [...drop, ...carried.map(([, name]) => name)];
  return env
    .filter((e) => !dropped.some((n) => prefix(e, n)))
    .map((e) => {
      const c = carried.find(([carrier]) => prefix(e, carrier));
      return c ? Buffer.concat([Buffer.from(c[1]), e.subarray(c[0].length)]) : e;
    });
}
