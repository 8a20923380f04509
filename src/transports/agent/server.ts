// `sysvisor agent`: the OCI seccomp agent. Container runtimes (runc, crun) configured with
// `linux.seccomp.listenerPath` connect to its AF_UNIX stream socket once per container and send the
// container process state JSON with the seccomp listener fd as SCM_RIGHTS; the agent serves each
// container with a fresh engine stack (see container.ts) until its processes are gone.
//
// Accepting: Node's net.Server on the path, paused on connect so that Node never reads the
// connection (read() would drop the fds). Receiving: the addon's recvWithFds (recvmsg with
// MSG_CMSG_CLOEXEC) when its FdPoll says the connection is readable, until the bytes are a whole
// JSON object or the runtime closes; a connection may take at most `messageTimeoutMs`.
import net from 'node:net';
import { chmodSync, closeSync, lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import type { FdPoll } from '../../native/binding.js';
import { loadBinding, type RawBinding } from '../../native/load.js';
import { Reporter } from '../../chain/report.js';
import { AgentMessageError, isCompleteJson, parseContainerState, type ContainerProcessState } from './message.js';
import { Holder, type HeldEntry } from './hold.js';
import { ContainerSession } from './container.js';
import { chooseProfile, DEFAULT_PROFILE } from './profiles.js';
import { loadBuiltinEngines, parseEngineSpec } from '../../engines/registry.js';
import type { MetricsFile } from './metrics.js';
import type { AgentLog } from './log.js';
import type { SpinOptions } from '../unotify/transport.js';

/** What /proc/self/fd/N of a seccomp listener links to. */
const SECCOMP_LISTENER = 'anon_inode:seccomp notify';
/** Bytes and fds read by one recvmsg. */
const CHUNK_BYTES = 64 << 10;
const CHUNK_FDS = 64;

export interface AgentOptions {
  socketPath: string;
  /** Engine specs, outermost first (module paths already registered under their names). */
  specs: readonly string[];
  /** Named stacks a container chooses by its listenerMetadata (profiles.ts). */
  profiles?: ReadonlyMap<string, readonly string[]>;
  /** Per-container counts (--metrics FILE). */
  metrics?: MetricsFile;
  /** The log the containers' lines and outputs go to (default stderr). */
  log?: AgentLog;
  binding?: RawBinding;
  /** The agent's lines; default prefix `sysvisor agent: `. */
  reporter?: Reporter;
  /** Largest state message accepted (default 1 MiB). */
  maxMessageBytes?: number;
  /** Time a connection has to send its whole message (default 10 s). */
  messageTimeoutMs?: number;
  /** Lines about bad connections: at most `lines` per `windowMs` (default 10 per minute). */
  badLines?: { lines: number; windowMs: number };
  /** The fd holder's socket (--hold): started if none listens; its containers are taken over. */
  hold?: string;
  /** Node's thread polls a container's listener after its calls (--spin; Pump.setSpin). */
  spin?: SpinOptions;
}

/**
 * Lines about bad connections, rate-limited: a client that keeps connecting with garbage cannot
 * fill the log. Past the limit, lines are counted and told in one line when the window ends.
 */
class BadLines {
  private shown = 0;
  private hidden = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly reporter: Reporter,
    private readonly limit: { lines: number; windowMs: number },
  ) {}

  line(text: string): void {
    if (!this.timer) {
      this.timer = setTimeout(() => this.endWindow(), this.limit.windowMs);
      this.timer.unref();
    }
    if (this.shown < this.limit.lines) {
      this.shown++;
      this.reporter.line(text);
    } else {
      this.hidden++;
    }
  }

  private endWindow(): void {
    this.timer = undefined;
    if (this.hidden) this.reporter.line(`${this.hidden} more bad connection(s) in ${this.limit.windowMs / 1000} s, not shown one by one`);
    this.shown = 0;
    this.hidden = 0;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.endWindow();
  }
}

export class AgentSocketError extends Error {
  override name = 'AgentSocketError';
}

function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** Is there a process accepting connections on the socket at `file`? */
function probeLive(file: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(file);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', (e: NodeJS.ErrnoException) => {
      c.destroy();
      if (e.code === 'ECONNREFUSED') resolve(false);
      else reject(new AgentSocketError(`${file}: cannot tell whether another agent listens on it: ${e.message}`));
    });
  });
}

/** Frees the socket path: nothing there, or a stale socket (removed). Refuses anything else. */
async function claimPath(file: string): Promise<void> {
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new AgentSocketError(`${file}: ${(e as Error).message}`);
  }
  if (!st.isSocket()) throw new AgentSocketError(`${file} exists and is not a socket`);
  if (await probeLive(file)) throw new AgentSocketError(`${file} is in use: a process accepts connections on it`);
  unlinkSync(file); // stale: left by an agent that died
}

// One connection, until its message is whole (or it fails).
class Connection {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly fds: number[] = [];
  private truncated = false;
  private poll: FdPoll | undefined;
  private timer: NodeJS.Timeout | undefined;
  ended = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly binding: RawBinding,
    private readonly limits: { maxBytes: number; timeoutMs: number },
    private readonly onEnd: (c: Connection, r: { data: Buffer; fds: number[]; truncated: boolean } | { error: string; fds: number[] }) => void,
  ) {
    socket.on('error', () => {}); // nothing is read or written through Node
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) {
      this.end({ error: 'cannot get the fd of the connection', fds: [] });
      return;
    }
    this.timer = setTimeout(() => this.end({ error: `no complete message within ${limits.timeoutMs} ms`, fds: this.fds }), limits.timeoutMs);
    try {
      this.poll = new binding.FdPoll(fd, () => this.read(fd));
    } catch (e) {
      this.end({ error: (e as Error).message, fds: [] });
    }
  }

  private read(fd: number): void {
    while (!this.ended) {
      let r;
      try {
        r = this.binding.recvWithFds(fd, CHUNK_BYTES, CHUNK_FDS);
      } catch (e) {
        this.end({ error: (e as Error).message, fds: this.fds });
        return;
      }
      if (r === null) return; // wait for more
      this.fds.push(...r.fds);
      this.truncated ||= r.truncated;
      if (r.data.length === 0 && r.fds.length === 0) {
        this.end({ data: Buffer.concat(this.chunks), fds: this.fds, truncated: this.truncated }); // end of stream
        return;
      }
      this.chunks.push(r.data);
      this.size += r.data.length;
      if (this.size > this.limits.maxBytes) {
        this.end({ error: `message longer than ${this.limits.maxBytes} bytes`, fds: this.fds });
        return;
      }
      const data = Buffer.concat(this.chunks);
      if (isCompleteJson(data)) {
        this.end({ data, fds: this.fds, truncated: this.truncated });
        return;
      }
    }
  }

  /** Stops reading and closes the connection (the fds received are the receiver's). */
  end(r: { data: Buffer; fds: number[]; truncated: boolean } | { error: string; fds: number[] }): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.poll?.close(); // before Node closes the fd
    this.poll = undefined;
    this.socket.destroy();
    this.onEnd(this, r);
  }

  /** The agent stops: drop the connection and whatever it sent. */
  abort(): void {
    if (this.ended) return;
    this.end({ error: 'agent stopping', fds: this.fds });
  }
}

export class AgentServer {
  private readonly sessions = new Set<ContainerSession>();
  private readonly connections = new Set<Connection>();
  private closing: Promise<void> | undefined;
  private readonly badLines: BadLines;
  /** An idle in-kernel counter, while a stack counts in the kernel (holdSyscallTracepoints). */
  private tracepoints: { close(): void } | undefined;
  private spin: SpinOptions | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly socketPath: string,
    private readonly binding: RawBinding,
    private readonly specs: readonly string[],
    private readonly profiles: ReadonlyMap<string, readonly string[]>,
    private readonly reporter: Reporter,
    limits: { maxBytes: number; timeoutMs: number },
    /** Inode of the socket file created, so that only it is ever removed. */
    private readonly socketIno: number,
    badLines: { lines: number; windowMs: number },
    private readonly metrics: MetricsFile | undefined,
    private readonly log: AgentLog | undefined,
    private readonly holder: Holder | undefined,
  ) {
    this.badLines = new BadLines(reporter, badLines);
    server.on('connection', (socket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      const c = new Connection(socket, binding, limits, (c, r) => this.received(c, r));
      if (!c.ended) this.connections.add(c);
    });
    server.on('error', (e) => this.reporter.line(`socket: ${e.message}`));
  }

  /**
   * Listens on `socketPath` (created mode 0600; a stale socket there is replaced, a live one or
   * another file is refused with AgentSocketError).
   */
  static async listen(o: AgentOptions): Promise<AgentServer> {
    const binding = o.binding ?? loadBinding();
    const reporter = o.reporter ?? new Reporter(2, 'sysvisor agent: ');
    await loadBuiltinEngines(); // containers' engines are made synchronously, per container
    await claimPath(o.socketPath);
    let holder: Holder | undefined;
    let held: HeldEntry[] = [];
    if (o.hold !== undefined) {
      ({ holder, held } = await Holder.connect(binding, o.hold, reporter));
      reporter.line(`fd holder ${o.hold}${holder.startedPid ? ` started (pid ${holder.startedPid})` : ''}: ${held.length} container(s) held`);
    }
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        holder?.close();
        closeAll(held.flatMap((h) => [h.listener, h.page]));
        reject(new AgentSocketError(`${o.socketPath}: ${e.message}`));
      });
      // Created 0600 from the start: no moment where others could connect.
      const mask = process.umask(0o177);
      try {
        server.listen(o.socketPath, () => resolve());
      } finally {
        process.umask(mask);
      }
    });
    chmodSync(o.socketPath, 0o600);
    const limits = { maxBytes: o.maxMessageBytes ?? 1 << 20, timeoutMs: o.messageTimeoutMs ?? 10_000 };
    const agent = new AgentServer(server, o.socketPath, binding, o.specs, o.profiles ?? new Map(), reporter, limits, lstatSync(o.socketPath).ino, o.badLines ?? { lines: 10, windowMs: 60_000 }, o.metrics, o.log, holder);
    agent.spin = o.spin;
    agent.tracepoints = holdSyscallTracepoints(binding, [o.specs, ...(o.profiles?.values() ?? [])]);
    for (const h of held) agent.takeOver(h);
    return agent;
  }

  /** A container the holder kept for a previous agent: served again. */
  private takeOver(h: HeldEntry): void {
    let state: ContainerProcessState;
    try {
      const raw = JSON.parse(h.record.toString('utf8')) as ContainerProcessState;
      state = parseContainerState({ data: Buffer.from(JSON.stringify({ ociVersion: raw.ociVersion, fds: raw.fds, pid: raw.pid, metadata: raw.metadata, state: raw.state })), fdCount: 1 });
    } catch (e) {
      closeAll([h.listener, h.page]);
      this.holder!.drop(h.key);
      this.reporter.line(`fd holder: a container record that cannot be read (${(e as Error).message}): dropped`);
      return;
    }
    this.serve(state, [h.listener], { key: h.key, page: h.page });
  }

  // Node removes the socket file when the server closes; make sure, without touching another's.
  private removeSocket(): void {
    try {
      const st = lstatSync(this.socketPath);
      if (st.isSocket() && st.ino === this.socketIno) unlinkSync(this.socketPath);
    } catch {
      // gone already
    }
  }

  /** Containers being served. */
  get containers(): readonly ContainerSession[] {
    return [...this.sessions];
  }

  private bad(text: string): void {
    this.badLines.line(text);
  }

  private received(c: Connection, r: { data: Buffer; fds: number[]; truncated: boolean } | { error: string; fds: number[] }): void {
    this.connections.delete(c);
    if ('error' in r) {
      closeAll(r.fds);
      if (!this.closing) this.bad(`connection dropped: ${r.error}`);
      return;
    }
    if (this.closing) {
      closeAll(r.fds);
      return;
    }
    if (r.data.length === 0 && r.fds.length === 0) {
      this.bad('connection closed without a message');
      return;
    }
    let state;
    try {
      state = parseContainerState({ data: r.data, fdCount: r.fds.length, fdsTruncated: r.truncated });
    } catch (e) {
      closeAll(r.fds);
      if (!(e instanceof AgentMessageError)) throw e;
      this.bad(`malformed message: ${e.message}`);
      return;
    }
    const id = state.state.id;
    const listener = r.fds[state.seccompFdIndex]!;
    let kind: string;
    try {
      kind = readlinkSync(`/proc/self/fd/${listener}`);
    } catch (e) {
      kind = (e as Error).message;
    }
    if (kind !== SECCOMP_LISTENER) {
      closeAll(r.fds);
      this.bad(`malformed message: container ${id}: seccompFd is not a seccomp listener (${kind})`);
      return;
    }
    this.serve(state, r.fds);
  }

  private serve(state: ContainerProcessState, fds: number[], takeover?: { key: bigint; page: number }): void {
    const id = state.state.id;
    const profile = chooseProfile(state.metadata, this.profiles);
    if (profile === undefined)
      this.reporter.line(`container ${id}: unknown profile ${JSON.stringify(state.metadata.slice(0, 64))} (listenerMetadata; known: ${[DEFAULT_PROFILE, ...this.profiles.keys()].join(', ')}): its notified calls get EPERM`);
    const specs = profile === undefined ? undefined : profile === DEFAULT_PROFILE ? this.specs : this.profiles.get(profile)!;
    let session: ContainerSession;
    try {
      session = new ContainerSession({ binding: this.binding, state, fds, specs, profile: profile ?? '(unknown)', reporter: this.reporter, metrics: this.metrics, log: this.log, holder: this.holder, takeover, spin: this.spin });
    } catch (e) {
      this.reporter.line(`container ${id}: ${(e as Error).message}`); // its fds are closed
      return;
    }
    this.sessions.add(session);
    void session.done.then(() => this.sessions.delete(session));
  }

  /**
   * Stops listening (the socket file is removed), drops connections still sending, and stops
   * serving every container (their engines report; their notified calls now fail with ENOSYS).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const c of [...this.connections]) c.abort();
      await closed;
      this.removeSocket();
      this.badLines.close();
      await Promise.all([...this.sessions].map((s) => s.close()));
      this.holder?.close();
      this.tracepoints?.close();
    })();
    return this.closing;
  }
}

/**
 * A container's engines start at its attach, while its first notified call already waits in
 * seccomp. The kernel fires a call's sys_enter tracepoint only if the thread's syscall work flags,
 * read when the call entered, had it on (kernel/entry/common.c, syscall_trace_enter's `work`), and
 * the flag is on for every thread only while some program is attached there. So a counter attached
 * at the attach would miss the waiting call. While any stack counts in the kernel (count without
 * kernel=off), the agent keeps an idle counter attached (no syscall selected: its programs return
 * at their first lookup), and each container's counter sees its calls from the first one on.
 * Without eBPF nothing is held: count then reports it itself.
 */
function holdSyscallTracepoints(binding: RawBinding, stacks: Iterable<readonly string[]>): { close(): void } | undefined {
  let counts = false;
  for (const stack of stacks)
    for (const spec of stack) {
      const { name, options } = parseEngineSpec(spec);
      if (name === 'count' && options['kernel']?.[0] !== 'off') counts = true;
    }
  if (!counts) return undefined;
  try {
    const idle = new binding.CountSession();
    idle.setSyscalls([]);
    return idle;
  } catch {
    return undefined;
  }
}
