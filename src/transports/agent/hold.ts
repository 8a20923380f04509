// `sysvisor agent --hold PATH`: the containers' listeners are also kept by a small holder process
// (addon/src/agent/holder.c; protocol in hold_protocol.h), so that an agent that dies or restarts
// does not take them with it. The next agent gets every listener back from the holder and serves
// those containers again (takeover.ts restarts the calls the dead agent had received).
//
// The agent starts the holder itself when none listens on PATH (detached: it outlives the agent);
// the holder leaves once it holds nothing and no agent is connected.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import type { FdPoll, HoldPacket } from '../../native/binding.js';
import type { RawBinding } from '../../native/load.js';
import type { Reporter } from '../../chain/report.js';

/** A container held for a previous agent: its record and fds (ours now: listener, ids page). */
export interface HeldEntry {
  key: bigint;
  record: Buffer;
  listener: number;
  page: number;
}

export class HoldError extends Error {
  override name = 'HoldError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function closeQuietly(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

export class Holder {
  private poll: FdPoll | undefined;
  private gone = false;

  private constructor(
    private readonly binding: RawBinding,
    private readonly fd: number,
    readonly path: string,
    /** The holder's pid when this agent started it. */
    readonly startedPid: number | undefined,
    private readonly reporter: Reporter,
  ) {
    this.poll = new binding.FdPoll(fd, () => this.read());
  }

  /**
   * Connects to the holder on `path` (starting one if none listens) and takes the containers it
   * holds. A holder busy with another agent (one that just died: the holder has not seen it go
   * yet) is asked again for a few seconds.
   */
  static async connect(binding: RawBinding, path: string, reporter: Reporter): Promise<{ holder: Holder; held: HeldEntry[] }> {
    let startedPid: number | undefined;
    const deadline = Date.now() + 10_000;
    for (;;) {
      let fd: number;
      try {
        fd = binding.holdConnect(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOENT' && code !== 'ECONNREFUSED') || Date.now() > deadline) throw new HoldError(`--hold ${path}: ${(e as Error).message}`);
        if (startedPid === undefined) {
          const child = spawn(binding.holderPath(), [path], { detached: true, stdio: 'ignore' });
          child.on('error', () => {});
          child.unref();
          startedPid = child.pid ?? 0;
        }
        await sleep(20);
        continue;
      }
      const held: HeldEntry[] = [];
      let busy = false;
      try {
        for (;;) {
          const p = binding.holdRecv(fd, true)!;
          if (p.op === binding.holdOps.ENTRY && p.fds.length === 2) {
            held.push({ key: p.key, record: p.record, listener: p.fds[0]!, page: p.fds[1]! });
            continue;
          }
          closeQuietly(p.fds);
          if (p.op === binding.holdOps.END) break;
          if (p.op === binding.holdOps.BUSY) {
            busy = true;
            break;
          }
          throw new HoldError(`--hold ${path}: unexpected packet from the fd holder (op ${p.op})`);
        }
      } catch (e) {
        closeQuietly([fd, ...held.flatMap((h) => [h.listener, h.page])]);
        throw e instanceof HoldError ? e : new HoldError(`--hold ${path}: ${(e as Error).message}`);
      }
      if (!busy) return { holder: new Holder(binding, fd, path, startedPid, reporter), held };
      closeQuietly([fd]);
      if (Date.now() > deadline) throw new HoldError(`--hold ${path}: another agent is connected to the fd holder`);
      await sleep(50);
    }
  }

  // Answers to PUT: a refusal is told (the container is served, but not kept over a restart).
  private read(): void {
    while (!this.gone) {
      let p: HoldPacket | null;
      try {
        p = this.binding.holdRecv(this.fd, false);
      } catch (e) {
        this.lost((e as Error).message);
        return;
      }
      if (p === null) return;
      closeQuietly(p.fds);
      if (p.op === 0) {
        this.lost('it closed the connection');
        return;
      }
      if (p.op === this.binding.holdOps.NO) this.reporter.line(`fd holder refused to keep a container: ${p.record.toString('utf8')}`);
    }
  }

  private lost(why: string): void {
    if (this.gone) return;
    this.gone = true;
    this.poll?.close();
    this.poll = undefined;
    closeQuietly([this.fd]);
    this.reporter.line(`fd holder ${this.path} lost (${why}): containers started from now on are not kept over a restart`);
  }

  /** Has the holder keep `listener` and `page` (duplicates travel; the caller keeps its fds). */
  put(key: bigint, record: Buffer, listener: number, page: number): boolean {
    if (this.gone) return false;
    try {
      this.binding.holdSend(this.fd, this.binding.holdOps.PUT, key, record, [listener, page]);
      return true;
    } catch (e) {
      this.lost((e as Error).message);
      return false;
    }
  }

  /** The container is done: the holder closes its fds. */
  drop(key: bigint): void {
    if (this.gone) return;
    try {
      this.binding.holdSend(this.fd, this.binding.holdOps.DROP, key, Buffer.alloc(0), []);
    } catch (e) {
      this.lost((e as Error).message);
    }
  }

  /** The agent stops: the holder keeps what it holds, for the next agent. */
  close(): void {
    if (this.gone) return;
    this.gone = true;
    this.poll?.close();
    this.poll = undefined;
    closeQuietly([this.fd]);
  }
}
