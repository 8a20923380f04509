// Reports from the supervisor: one line each on fd 2, written synchronously (the supervisor never
// touches process.stderr, whose stream setup could change the flags of the fd it shares with the
// tracee). An error that repeats is printed once and counted.
import { writeSync } from 'node:fs';

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
    this.seen.set(text, n + 1);
    if (n === 0) this.line(text);
  }

  /** Summary of repeats, at the end. */
  flushRepeats(): void {
    for (const [text, n] of this.seen) if (n > 1) this.line(`(${n - 1} more) ${text}`);
    this.seen.clear();
  }
}
