// Output sinks for engines: a file, or a shared stderr (never closed), written synchronously.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { OutputSink } from '../chain/engine.js';

export class FdSink implements OutputSink {
  private closed = false;
  constructor(readonly fd: number, private readonly owned: boolean) {}
  write(text: string): void {
    if (this.closed) return;
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length; ) {
      try {
        off += writeSync(this.fd, buf, off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking pipe: retry
        throw e;
      }
    }
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owned) closeSync(this.fd);
  }
}

/** For engines of the outermost scope: `o=FILE` is opened by the user running sysvisor. */
export function openLocalOutput(file?: string): OutputSink {
  if (file === undefined || file === '-') return new FdSink(2, false);
  return new FdSink(openSync(file, 'w'), true);
}
