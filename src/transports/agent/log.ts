// The agent's log: stderr, or with --log FILE that file (appended to), reopened on SIGHUP so that
// logrotate can move it away. Every line of the agent, of its containers' reporters and of the
// engine outputs that go to the log is written to the fd of the moment.
import { closeSync, openSync, writeSync } from 'node:fs';
import { Reporter } from '../../chain/report.js';

export class AgentLog {
  private current: number;

  /** Opens FILE (created 0640, appended to); without one, the log is fd 2. Throws if it cannot. */
  constructor(private readonly file?: string) {
    this.current = file === undefined ? 2 : openSync(file, 'a', 0o640);
  }

  /** The fd to write to now. */
  get fd(): number {
    return this.current;
  }

  /** Opens the file again (a new one if it was moved) and closes the old fd; stderr: nothing to do. */
  reopen(): void {
    if (this.file === undefined) return;
    const fd = openSync(this.file, 'a', 0o640);
    const old = this.current;
    this.current = fd;
    closeSync(old);
  }

  /** Lines with `prefix` in front, to the log of the moment. */
  reporter(prefix: string): Reporter {
    return new LogReporter(this, prefix);
  }

  close(): void {
    if (this.file !== undefined) closeSync(this.current);
    this.current = 2;
  }
}

class LogReporter extends Reporter {
  constructor(
    private readonly log: AgentLog,
    private readonly linePrefix: string,
  ) {
    super(log.fd, linePrefix);
  }

  override line(text: string): void {
    try {
      writeSync(this.log.fd, this.linePrefix + text + '\n');
    } catch {
      // the log cannot be written: nothing else to tell
    }
  }
}
