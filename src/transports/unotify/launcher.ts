// The supervisor's side of the launcher process (addon/src/launcher/launcher.c): starts it, talks
// to it over its control socket (addon/src/launcher/protocol.h) and reaps it, the only process the
// supervisor waits for. The launcher forks the command, holds it before exec until go(), installs
// the filter in it, hands over the listener, reaps the command's tree as its subreaper and, when
// the supervisor dies, kills the tree (or continues its calls).
import type { RawBinding } from '../../native/load.js';
import type { FdPoll } from '../../native/binding.js';
import { writeSync } from 'node:fs';
import { SysvisorError } from '../../chain/errors.js';
import { errnoName } from '../../syscalls/errno.js';

/** Messages (protocol.h). */
const MSG = { setup: 1, go: 2, kill: 3, bye: 4, pid: 10, listener: 11, failed: 12, exit: 13, empty: 14 } as const;
const OPT_NO_NEW_PRIVS = 1;
const OPT_CONTINUE = 2;
const OPT_NO_LISTENER = 4;
const MSG_BYTES = 16;
const STEPS: Record<number, [op: string, syscall: string]> = {
  1: ['install seccomp filter with a new listener', 'seccomp'],
  2: ['take the listener from the command', 'pidfd_getfd'],
  3: ['start the command', 'fork'],
  4: ['launcher setup', 'recv'],
};

export interface CommandStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal number that killed the command, or 0. */
  signal: number;
}

/** What the tree does when the supervisor dies: killed (default), or its calls continued. */
export type OnSupervisorExit = 'kill' | 'continue';

/** What the launcher process is started with: the command to run. */
export interface SpawnOptions {
  /** Resolved path of the command, and its argv (argv[0] first). */
  file: string | Buffer;
  /** Buffers are passed as their bytes exactly, strings as UTF-8. */
  argv: readonly (string | Buffer)[];
  /** NAME=value entries (Buffers exactly, strings as UTF-8). */
  env: readonly (string | Buffer)[];
  /** Fds handed on to the command at the same numbers (e.g. [0, 1, 2]); no other fd is. */
  fds: readonly number[];
}

/** What the launcher forks the command with (its SETUP message). */
export interface SetupOptions {
  /** seccomp filter (whole sock_filter instructions); empty: the command runs without one. */
  filter: Buffer;
  /** SECCOMP_FILTER_FLAG_* besides NEW_LISTENER. WAIT_KILLABLE_RECV is dropped on kernels without it. */
  flags: number;
  /** PR_SET_NO_NEW_PRIVS in the command before exec. */
  noNewPrivs?: boolean;
  /** Install the filter without a listener (SECCOMP_RET_TRACE filter of the ptrace transport). */
  noListener?: boolean;
  onSupervisorExit?: OnSupervisorExit;
}

export type LaunchOptions = SpawnOptions & SetupOptions;

export interface Started {
  /** The listener (the caller owns it), or undefined without a filter. */
  listener: number | undefined;
  /** The received-ids page that goes with the listener (the caller owns it; see the Pump constructor). */
  receivedIds?: number | undefined;
  /** The seccomp flags the filter was installed with. */
  flags: number;
}

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  promise.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  return { promise, resolve, reject };
}

export class Launcher {
  /** The launcher process (the supervisor's child). */
  readonly pid: number;
  private readonly pidfd: number;
  private readonly socket: number;
  private readonly poll: FdPoll;
  private readonly cmd = deferred<{ pid: number; pidfd: number }>();
  private readonly start = deferred<Started>();
  private readonly exit = deferred<CommandStatus>();
  private readonly tree = deferred<void>();
  private readonly end = deferred<void>();
  private socketOpen = true;
  private setupSent = false;
  private commandPidfd = -1;

  /** The command, held before exec until go(): its pid and a pidfd (owned by this object). */
  readonly command = this.cmd.promise;
  /** The command runs (after go()); rejects when it could not be started. */
  readonly started = this.start.promise;
  /** The command's exit status. */
  readonly exited = this.exit.promise;
  /** The command exited and every process of its tree was reaped. */
  readonly empty = this.tree.promise;
  /** The launcher exited and was reaped; every handle is closed. */
  readonly ended = this.end.promise;

  /**
   * Starts the launcher; throws when it cannot be started (the command is not run). Without the
   * SETUP options, the launcher starts and waits for them (setup()) before it forks the command:
   * its start overlaps what the supervisor does meanwhile (the engines, the filter's plan).
   */
  constructor(private readonly binding: RawBinding, o: SpawnOptions | LaunchOptions) {
    const h = binding.launch(o.file, o.argv, o.env, o.fds);
    this.pid = h.pid;
    this.pidfd = h.pidfd;
    this.socket = h.socket;
    this.poll = new binding.FdPoll(this.socket, () => this.read());
    binding.watchExit(this.pidfd, (code, signal) => this.onLauncherExit(code, signal));
    if ('filter' in o) this.setup(o);
  }

  /** The filter and options: the launcher forks the command (held until go()). Sent once. */
  setup(o: SetupOptions): void {
    if (this.setupSent) throw new Error('launcher: setup sent twice');
    this.setupSent = true;
    const opts = (o.noNewPrivs ? OPT_NO_NEW_PRIVS : 0) | (o.onSupervisorExit === 'continue' ? OPT_CONTINUE : 0) | (o.noListener ? OPT_NO_LISTENER : 0);
    this.send(MSG.setup, o.flags, opts, o.filter);
  }

  /**
   * Gives up a launcher whose setup was never sent (the run failed before its command was
   * forked): its end of the socket is closed, it exits without forking, and is reaped.
   */
  abandon(): void {
    if (!this.setupSent) this.closeSocket();
  }

  /** Lets the command install its filter and exec. */
  go(): void {
    this.send(MSG.go);
  }

  /** SIGKILLs every process of the command's tree (a held command never runs). */
  kill(): void {
    this.send(MSG.kill);
  }

  /** Sends a signal to the command (not to the rest of its tree); false once it is gone. */
  signal(sig: number): boolean {
    return this.commandPidfd >= 0 && this.binding.pidfdSignal(this.commandPidfd, sig);
  }

  /** The supervisor is done: the launcher exits once the tree is gone; resolves when it was reaped. */
  bye(): Promise<void> {
    this.send(MSG.bye);
    return this.ended;
  }

  private send(type: number, a = 0, b = 0, payload?: Buffer): void {
    if (!this.socketOpen) return;
    const m = Buffer.alloc(MSG_BYTES + (payload?.length ?? 0));
    m.writeInt32LE(type, 0);
    m.writeInt32LE(a, 4);
    m.writeInt32LE(b, 8);
    payload?.copy(m, MSG_BYTES);
    try {
      writeSync(this.socket, m); // one SOCK_SEQPACKET record
    } catch {
      // the launcher is gone: its exit is reported by watchExit
    }
  }

  private read(): void {
    while (this.socketOpen) {
      let r;
      try {
        // at most 2 fds: the listener and its received-ids page
        r = this.binding.recvWithFds(this.socket, MSG_BYTES, 2);
      } catch {
        r = { data: Buffer.alloc(0), fds: [] as number[], truncated: false };
      }
      if (r === null) return;
      if (r.data.length < MSG_BYTES) {
        r.fds.forEach((fd) => this.binding.closeFd(fd));
        this.closeSocket(); // end of stream: the launcher exited
        return;
      }
      this.onMessage(r.data.readInt32LE(0), r.data.readInt32LE(4), r.data.readInt32LE(8), r.fds);
    }
  }

  private onMessage(type: number, a: number, b: number, fds: number[]): void {
    switch (type) {
      case MSG.pid:
        this.commandPidfd = fds[0] ?? -1;
        this.cmd.resolve({ pid: a, pidfd: this.commandPidfd });
        return;
      case MSG.listener:
        this.start.resolve({ listener: fds[0], flags: b, receivedIds: fds[1] });
        return;
      case MSG.failed: {
        const [op, syscall] = STEPS[a] ?? ['launch', 'launcher'];
        this.start.reject(new SysvisorError(op, Object.assign(new Error(errnoName(b)), { code: errnoName(b), errno: -b, syscall })));
        break;
      }
      case MSG.exit:
        this.exit.resolve(a < 0 ? { code: null, signal: b } : { code: a, signal: 0 });
        // exited before running (e.g. killed while held): no listener will come
        this.start.resolve({ listener: undefined, flags: 0 });
        break;
      case MSG.empty:
        this.tree.resolve();
        break;
    }
    fds.forEach((fd) => this.binding.closeFd(fd));
  }

  private closeSocket(): void {
    if (!this.socketOpen) return;
    this.socketOpen = false;
    this.poll.close();
    this.binding.closeFd(this.socket);
  }

  private onLauncherExit(code: number, signal: number): void {
    this.read(); // whatever it said last
    this.closeSocket();
    this.binding.closeFd(this.pidfd);
    if (this.commandPidfd >= 0) this.binding.closeFd(this.commandPidfd);
    this.commandPidfd = -1;
    const gone = new SysvisorError('launcher', new Error(`the launcher process ended (${signal ? `signal ${signal}` : `status ${code}`}) before the command was started`));
    this.cmd.reject(gone);
    this.start.reject(gone);
    // Killed itself: what is left of its tree is no longer the supervisor's to wait for.
    this.exit.resolve({ code: null, signal: 9 });
    this.tree.resolve();
    this.end.resolve();
  }
}

