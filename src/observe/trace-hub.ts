// One eBPF tracing session shared by every `trace` engine of a supervisor, so that what the
// supervisor holds (programs, maps, one ring buffer) does not grow with the number of scopes
// that trace. Each subscriber traces its own process trees: the hub keeps a map from traced
// tgid to the subscribers whose trees hold it, follows forks in user space as the kernel follows
// them in its own map, and hands each event only to the subscribers of its process. The kernel
// reports the union of what the subscribers want; a subscriber ignores the syscalls it did not
// ask for.
//
// Sessions differ only by what their programs copy per argument (fixed at load): subscribers
// whose buffer size rounds up to the same power of two share one (at most 8 in a supervisor:
// 32..4096 bytes; the formatter shows each engine's own `strSize` of the bytes captured).
// The ring size and delivery timing are the first subscriber's.
import { BpfTracer, DATA_CAP, MAX_SYSCALLS, type BpfTracerOptions, type SyscallCapture, type TraceEvent } from './bpf-trace.js';

export interface TraceSubscriber {
  /** What to capture for syscall nr, or undefined when this subscriber does not want it. */
  capture(nr: number): SyscallCapture | undefined;
  /** An event of one of its processes (the object is reused after the call: copy what is kept). */
  onEvent(ev: TraceEvent): void;
  /** The end of a batch of events. */
  onBatchEnd(): void;
}

/** A subscriber's handle on the shared session. */
export interface TraceSubscription {
  /** Trace a process and, from now on, every process it creates. */
  trace(pid: number): void;
  /** Delivers every pending event now (to every subscriber). */
  drain(): void;
  /** Events lost since this subscription began (a full ring), for every subscriber alike. */
  readonly dropped: number;
  readonly unfollowed: number;
  readonly missed: number;
  /** Ends the subscription; the session closes with its last subscriber. Idempotent. */
  close(): void;
}

/** Smallest power of two >= n, at least 32, at most DATA_CAP. */
function bufferClass(n: number): number {
  let c = 32;
  while (c < n && c < DATA_CAP) c *= 2;
  return c;
}

class Subscription implements TraceSubscription {
  readonly wanted = new Uint8Array(MAX_SYSCALLS);
  readonly #dropped0: number;
  readonly #unfollowed0: number;
  readonly #missed0: number;
  closed = false;

  constructor(
    readonly hub: TraceHub,
    readonly subscriber: TraceSubscriber,
  ) {
    for (let nr = 0; nr < MAX_SYSCALLS; nr++) this.wanted[nr] = subscriber.capture(nr) ? 1 : 0;
    this.#dropped0 = hub.tracer.dropped;
    this.#unfollowed0 = hub.tracer.unfollowed;
    this.#missed0 = hub.tracer.missed;
  }

  trace(pid: number): void {
    if (!this.closed) this.hub.trace(this, pid);
  }
  drain(): void {
    if (!this.closed) this.hub.drain();
  }
  get dropped(): number {
    return this.hub.tracer.closed ? 0 : this.hub.tracer.dropped - this.#dropped0;
  }
  get unfollowed(): number {
    return this.hub.tracer.closed ? 0 : this.hub.tracer.unfollowed - this.#unfollowed0;
  }
  get missed(): number {
    return this.hub.tracer.closed ? 0 : this.hub.tracer.missed - this.#missed0;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub.leave(this);
  }
}

/** The shared sessions of this supervisor, by buffer class. */
const HUBS = new Map<number, TraceHub>();

export class TraceHub {
  readonly tracer: BpfTracer;
  readonly #subs = new Set<Subscription>();
  /** tgid -> the subscriptions whose traced trees hold it. */
  readonly #owners = new Map<number, Set<Subscription>>();
  #started = false;

  private constructor(
    readonly bufferBytes: number,
    options: BpfTracerOptions,
  ) {
    this.tracer = new BpfTracer({ ...options, maxBuf: bufferBytes });
  }

  /**
   * Subscribes to the session of this supervisor that captures `options.maxBuf` bytes per
   * buffer, loading it on first use (throws the loader's error when the kernel refuses it).
   */
  static subscribe(options: BpfTracerOptions, subscriber: TraceSubscriber): TraceSubscription {
    const cls = bufferClass(options.maxBuf ?? 32);
    let hub = HUBS.get(cls);
    if (!hub) {
      hub = new TraceHub(cls, options);
      HUBS.set(cls, hub);
    }
    const sub = new Subscription(hub, subscriber);
    hub.#subs.add(sub);
    try {
      hub.#configure();
    } catch (e) {
      sub.close();
      throw e;
    }
    return sub;
  }

  /** The sessions loaded in this supervisor (for tests and reports). */
  static get sessions(): number {
    return HUBS.size;
  }

  /** Number of processes the hub routes events for (for tests). */
  get routedProcesses(): number {
    return this.#owners.size;
  }

  // The kernel reports the union of what the subscribers want (the capture of a syscall is
  // the same for all: it depends on the syscall and the session's sizes).
  #configure(): void {
    const subs = [...this.#subs];
    this.tracer.configureAll((nr) => {
      for (const s of subs) if (s.wanted[nr] === 1) return s.subscriber.capture(nr);
      return undefined;
    });
  }

  trace(sub: Subscription, pid: number): void {
    this.tracer.trace(pid);
    this.#own(pid, sub);
    if (this.#started) return;
    this.#started = true;
    this.tracer.startEach(
      (ev) => this.#route(ev),
      () => {
        for (const s of this.#subs) s.subscriber.onBatchEnd();
      },
    );
  }

  #own(tgid: number, sub: Subscription): void {
    let set = this.#owners.get(tgid);
    if (!set) this.#owners.set(tgid, (set = new Set()));
    set.add(sub);
  }

  #route(ev: TraceEvent): void {
    const owners = this.#owners.get(ev.tgid);
    if (!owners) return;
    if (ev.kind === 'fork' && ev.child && ev.child.tgid !== ev.tgid) {
      // A new process: it belongs to the trees of its parent (the kernel added it to its map).
      for (const s of owners) this.#own(ev.child.tgid, s);
    }
    const syscall = ev.kind === 'enter' || ev.kind === 'exit';
    for (const s of owners) {
      if (syscall && (ev.nr < 0 || ev.nr >= MAX_SYSCALLS || s.wanted[ev.nr] !== 1)) continue;
      s.subscriber.onEvent(ev);
    }
    if (ev.kind === 'exit_process') this.#owners.delete(ev.tgid);
  }

  drain(): void {
    if (this.#started && !this.tracer.closed) this.tracer.drain();
  }

  leave(sub: Subscription): void {
    if (!this.#subs.delete(sub)) return;
    if (this.#subs.size === 0) {
      this.tracer.close();
      this.#owners.clear();
      if (HUBS.get(this.bufferBytes) === this) HUBS.delete(this.bufferBytes);
      return;
    }
    // Processes only its trees held are no longer traced by the kernel.
    for (const [tgid, owners] of this.#owners) {
      if (!owners.delete(sub) || owners.size > 0) continue;
      this.#owners.delete(tgid);
      this.tracer.untrace(tgid);
    }
    this.#configure();
  }
}
