// One intercepted syscall as the engines see it: who made it, its number and arguments (as changed
// by the engines it has passed through), and access to the caller's memory.
import { syscallName } from '../syscalls/table.js';
import { SyscallGoneError } from './errors.js';
import type { FdInjector } from './result.js';

/** Access to the memory of the thread that made one syscall; every read is checked with ID_VALID. */
/**
 * An engine as a call sees it on its way: only its identity (the Engine interface of engine.ts
 * builds on Syscall, so the call names no more of it than this, and the two files do not import
 * each other).
 */
export interface RouteStop {
  readonly name: string;
}

export interface TraceeMemory {
  /**
   * A C string at addr as a byte string (one char per byte, Node's 'latin1': exact for any bytes),
   * or null when unreadable or when the call is gone.
   */
  readString(addr: number, max?: number): string | null;
  readBytes(addr: number, length: number): Buffer | null;
  /** Writes as the kernel would (page protections apply): 0, -EFAULT, or -errno. */
  writeBytes(addr: number, bytes: Buffer): number;
  /** The path the transport already read (once) for argument `index`, if any (a byte string). */
  prefetchedPath(index: number): string | undefined;
  /** Is the notification still pending? */
  valid(): boolean;
  /** Argument `index` exactly as the tracee passed it (unsigned 64-bit), when the transport knows it. */
  arg64?(index: number): bigint;
  /** Installs a supervisor fd in the caller: its fd number there, or -errno. */
  injectFd(localFd: number, cloexec: boolean, send: boolean): number;
}

// Paths are bytes, not text: `x\xe9` and `x\xff` are two names. Inside the chain a string argument
// is a "byte string" (Node's 'latin1' encoding: one char per byte, 0..255), which V8 stores one byte
// per char: exact, no Buffer allocated, and startsWith/split('/')/=== work byte for byte.
// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** A byte string's bytes as text (UTF-8; bytes that are not UTF-8 become U+FFFD). */
export function latin1ToText(bytes: string): string {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes;
}

/** Text's UTF-8 bytes as a byte string. */
export function textToLatin1(text: string): string {
  return NON_ASCII.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

export class Syscall {
  readonly name: string;
  private orig: number[] | undefined; // a copy, made on the first change of an argument
  private strs: Map<number, string> | undefined;
  private readCache: Map<number, string> | undefined;
  private changedArgs = false;
  private resultWanted = false;
  private injectFn: FdInjector | undefined;
  private credsSeen = false;
  private memos: Map<symbol, unknown> | undefined;

  /**
   * For a chdir the executor checked: (st_dev, st_ino) of the directory it goes to, so that an
   * engine tracking the cwd can recognize it later. Undefined when unknown (the check fell back).
   */
  chdirTarget: readonly [number, number] | undefined;

  /**
   * For an execve an engine turns into another one (a `#!` script whose interpreter it maps, as
   * binfmt_script would; a program it reaches through a symlink naming its view): `path`, a byte
   * string the engines see again, and `argv0`, what replaces argv[0] (for a script: interpreter,
   * optional argument, the script's path as given), or null to keep the whole argv; the original
   * argv[1..] follow. The executor makes the thread call execve so and sets `at` to the address of
   * the new path in the tracee's memory (its lowest byte), placed below `below` when given (an
   * earlier step's strings, still in use).
   */
  execInstead: { path: string; argv0: readonly string[] | null; below?: number; at?: number } | undefined;

  /** The engines this call passes through, innermost first (set by the chain as it enters). */
  route: readonly RouteStop[] = [];

  /**
   * Names of the engines whose promise for this call is pending, innermost first (set by the
   * chain): the first is the one holding the call now. Undefined while none stopped the thread.
   */
  holding: string[] | undefined;

  constructor(
    /** Thread id of the caller (as seen by the supervisor). */
    readonly tid: number,
    readonly nr: number,
    /** Current arguments, as changed by the engines the call has passed through (change with setArg). */
    readonly args: readonly number[],
    readonly memory: TraceeMemory,
    inject?: FdInjector,
    /**
     * The transport's filter notifies every credential and root change (CRED_SYSCALLS): only then
     * is an engine's seeCredentials() believed.
     */
    private readonly credentialsVisible = false,
  ) {
    this.name = syscallName(nr);
    this.injectFn = inject;
  }

  /** Arguments as the tracee passed them. */
  get original(): readonly number[] {
    return this.orig ?? this.args;
  }

  /**
   * String arguments replaced by an engine (index -> new bytes, as a byte string); args[index]
   * keeps the pointer.
   */
  get strings(): Map<number, string> {
    return (this.strs ??= new Map());
  }

  /** Installs a supervisor fd in the caller (used by `Result.fd`). */
  get inject(): FdInjector {
    return (this.injectFn ??= (fd, cloexec, send) => this.memory.injectFd(fd, cloexec, send));
  }

  /** True when an engine changed an argument or a string argument. */
  get changed(): boolean {
    return this.changedArgs || (this.strs !== undefined && this.strs.size > 0);
  }

  /**
   * Ask for the call's result on exit even though no argument changed: the executor then emulates
   * the call when it can (instead of CONTINUE, whose result the chain never sees).
   */
  wantResult(): void {
    this.resultWanted = true;
  }

  /** True when an engine asked for the result (see wantResult). */
  get wantsResult(): boolean {
    return this.resultWanted;
  }

  /**
   * Said by an engine that sees every credential change of this thread (CRED_SYSCALLS) and calls
   * the addon's forgetTracee on each: the call's emulation may then use the identity cache.
   */
  seeCredentials(): void {
    this.credsSeen = true;
  }

  /**
   * True when an engine on the call's way sees the thread's credential changes (seeCredentials)
   * and the transport's filter shows it every one of them: the call's emulation may then use the
   * addon's identity cache.
   */
  get credentialsSeen(): boolean {
    return this.credsSeen && this.credentialsVisible;
  }

  /** The engines on this call's way further out than `engine` (nearer the kernel), innermost first. */
  furtherOut(engine: RouteStop): readonly RouteStop[] {
    const i = this.route.indexOf(engine);
    return i < 0 ? [] : this.route.slice(i + 1);
  }

  /** A value derived from this call, computed once (e.g. a socket address read from the tracee). */
  memo<T>(key: symbol, compute: () => T): T {
    const m = (this.memos ??= new Map());
    if (m.has(key)) return m.get(key) as T;
    const v = compute();
    m.set(key, v);
    return v;
  }

  /**
   * Argument i exactly: the 64-bit register as an unsigned bigint (`signed`: as a signed one), e.g.
   * an lseek offset of 2^60+1. `args[i]` is that register read as a signed 64-bit integer and
   * rounded to a number, exact only up to 2^53 in magnitude. Allocates a bigint: for the calls that
   * need it, never on every call.
   */
  arg64(i: number, signed = false): bigint {
    const now = this.args[i]!;
    const exact = this.orig === undefined || this.orig[i] === now ? this.memory.arg64?.(i) : undefined;
    const v = exact ?? BigInt(now);
    return signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v);
  }

  /**
   * Argument i as a C `int` (its low 32 bits, signed): fds, AT_FDCWD (-100, which `args[i]` shows
   * as 4294967196 since the kernel passes an int zero-extended), flags, modes. No allocation.
   */
  int(i: number): number {
    const v = this.args[i]!;
    return Math.abs(v) < 2 ** 53 ? v | 0 : Number(BigInt.asIntN(32, this.arg64(i)));
  }

  /** Set numeric argument i (e.g. flags). */
  setArg(i: number, value: number): void {
    if (this.args[i] !== value) {
      this.orig ??= this.args.slice();
      (this.args as number[])[i] = value;
      this.changedArgs = true;
    }
  }

  /**
   * String argument i (a path) as the engines before this one left it, as a byte string: one char
   * per byte (Node's 'latin1'), exact whatever the bytes. What an engine that maps paths reads.
   */
  latin1(i: number): string | null {
    const replaced = this.strs?.get(i);
    return replaced !== undefined ? replaced : this.traceeLatin1(i);
  }

  /** String argument i's bytes (a new Buffer), as the engines before this one left it. */
  bytes(i: number): Buffer | null {
    const s = this.latin1(i);
    return s === null ? null : Buffer.from(s, 'latin1');
  }

  /**
   * String argument i as text (UTF-8): bytes that are not UTF-8 become U+FFFD, so `x\xe9` and
   * `x\xff` read alike. For display and comparison with text; to change a path, use setLatin1 or
   * setBytes on what latin1()/bytes() gave.
   */
  string(i: number): string | null {
    const s = this.latin1(i);
    return s === null ? null : latin1ToText(s);
  }

  /** String argument i as the tracee passed it (a byte string): read once, then cached; ID_VALID-checked. */
  traceeLatin1(i: number): string | null {
    const cached = this.readCache?.get(i);
    if (cached !== undefined) return cached;
    // Read once (by the pump's fast path, or now), then check that the notification is still
    // valid before anything acts on it: the memory read could belong to a recycled thread.
    let s: string | null | undefined = this.memory.prefetchedPath(i);
    if (s === undefined) {
      if (this.original[i] === 0) return null;
      s = this.memory.readString(this.original[i]!, 4096); // null: unreadable, or no longer valid
      if (s === null && !this.memory.valid()) throw new SyscallGoneError(`read ${this.name} argument ${i}`);
    } else if (!this.memory.valid()) {
      throw new SyscallGoneError(`read ${this.name} argument ${i}`);
    }
    if (s !== null) (this.readCache ??= new Map()).set(i, s);
    return s;
  }

  /** Replace string argument i (a path) by these bytes, given as a byte string (see latin1()). */
  setLatin1(i: number, value: string): void {
    if (value.includes('\0')) throw new TypeError('string argument contains NUL');
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\xff]/.test(value)) throw new TypeError('setLatin1: a byte string has chars 0..255 only (use setString for text)');
    if (value === this.traceeLatin1(i)) this.strs?.delete(i);
    else this.strings.set(i, value);
  }

  /** Replace string argument i (a path) by these bytes. */
  setBytes(i: number, value: Uint8Array): void {
    this.setLatin1(i, Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
  }

  /** Replace string argument i (a path) by text, encoded as UTF-8. */
  setString(i: number, value: string): void {
    if (value.includes('\0')) throw new TypeError('string argument contains NUL');
    this.setLatin1(i, textToLatin1(value));
  }
}
