// Reports from the supervisor: one line each on fd 2, written synchronously (the supervisor never
// touches process.stderr, whose stream setup could change the flags of the fd it shares with the
// tracee). An error that repeats is printed once and counted.
import { writeSync } from 'node:fs';

/**
 * Distinct messages whose repeats are counted at once. Messages can name what the tracee passed
 * (an engine's error), so past this the oldest is summed up and forgotten: what the supervisor
 * holds stays bounded whatever the tree makes it say.
 */
const MAX_DISTINCT = 1024;

export class Reporter {
  private seen = new Map<string, number>();
  constructor(private readonly fd = 2, private readonly prefix = 'sysvisor: ') {}

  line(text: string): void {
    try {
      writeSync(this.fd, this.prefix + text + '\n');
    } catch {
      // stderr closed: nothing else to tell
    }
  }

  /** Prints the first occurrence of each distinct message; later ones are only counted. */
  once(text: string): void {
    const n = this.seen.get(text) ?? 0;
    if (n === 0 && this.seen.size >= MAX_DISTINCT) {
      const [oldest, count] = this.seen.entries().next().value!;
      if (count > 1) this.line(`(${count - 1} more) ${oldest}`);
      this.seen.delete(oldest);
    }
    this.seen.set(text, n + 1);
    if (n === 0) this.line(text);
  }

  /** Distinct messages being counted (for the tests of its bound). */
  distinct(): number {
    return this.seen.size;
  }

  /** Summary of repeats, at the end. */
  flushRepeats(): void {
    for (const [text, n] of this.seen) if (n > 1) this.line(`(${n - 1} more) ${text}`);
    this.seen.clear();
  }
}
