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
 * This process's environment as it was started with (/proc/self/environ: NAME=value entries,
 * exactly), without the entries named in `drop`; null when it cannot be read.
 */
export function environBytes(drop: readonly string[] = []): Buffer[] | null {
  const env = entries('/proc/self/environ');
  if (!env) return null;
  const keys = drop.map((n) => Buffer.from(n + '='));
  return env.filter((e) => !keys.some((k) => e.length >= k.length && k.equals(e.subarray(0, k.length))));
}
