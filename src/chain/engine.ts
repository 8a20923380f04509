// The engine API: what a user-written engine implements.
import type { Interest } from '../filter/plan.js';
import type { Result } from './result.js';
import type { Syscall } from './syscall.js';
import type { NativeOpened, NativePlan } from './plan.js';

/**
 * The version of the engine API (this file, Result, Syscall) this sysvisor implements.
 * It grows when the API changes incompatibly; a factory may declare the version it was written for
 * (`apiVersion`), and a module that needs a newer one is refused in one line.
 */
export const ENGINE_API_VERSION = 1;

/** Calls the engines further out (nearer the kernel), then the executor. At most once. */
export type Next = () => Result | Promise<Result>;

/**
 * An engine watches or changes syscalls. Engines form an onion: the last one attached is
 * innermost (nearest the program). `handle` runs on entry innermost -> outermost; the code after
 * `next()` runs on exit outermost -> innermost. An engine may:
 * - observe (`return next()`), change arguments (`call.setArg`; paths with `call.setBytes` or
 *   `call.setLatin1`, exact for any bytes, or `call.setString` for text) before `next()`,
 * - answer without running the call (`return Result.value(0)` / `Result.error(ENOENT)`),
 * - give the tracee an fd it opened (`Result.fd(fd, cloexec)`),
 * - look at or replace the result after `await next()`,
 * - stop the calling thread by awaiting anything: only that thread waits.
 * Return synchronously when you can: a chain of synchronous engines never allocates a promise.
 */
export interface Engine {
  readonly name: string;
  /** The syscalls this engine wants, or 'all'. Calls another engine wanted may reach it too. */
  readonly interests: readonly Interest[] | 'all';
  /** Absolute path prefixes this engine maps: path calls outside all of them skip JS entirely. */
  readonly pathPrefixes?: readonly string[];
  /** True when relative paths must reach this engine even outside pathPrefixes (virtual cwd). */
  readonly relativePaths?: boolean;
  /**
   * Path components that send a path holding one of them (absolute or relative, anywhere in the
   * path) to JS even outside pathPrefixes: e.g. `unreal` for `../unreal/x` or `cd /; ls unreal`.
   */
  readonly pathComponents?: readonly string[];
  /** Path syscalls this engine must always see in JS, whatever their path (e.g. chdir). */
  readonly unrouted?: readonly string[];
  /**
   * What the engine does to some calls, as data (chain/plan.ts): for plan.syscalls, only the
   * mapping of the path argument by plan.path. When every engine of such a call's chain has a plan
   * for it, the pump maps and emulates the call in C++ and the engines are not entered.
   */
  readonly nativePlan?: NativePlan;
  /** The files opens run under this engine's plan gave (nativePlan.opens), oldest first. */
  nativeOpened?(files: readonly NativeOpened[]): void;
  /**
   * See every call that reaches the chain (whatever engine intercepted it) without adding to the
   * filter: for observers such as `trace`, which learn of the other calls by other means (eBPF).
   */
  readonly observesAll?: boolean;
  handle(call: Syscall, next: Next): Result | Promise<Result>;
  /**
   * Called once the command's process exists, before it runs its first instruction of COMMAND
   * (it waits until every engine's start has returned, `held`): e.g. attach eBPF tracing to its
   * tree. An engine loaded into a running scope gets the scope's first process, already running.
   */
  start?(root: EngineRoot): void | Promise<void>;
  /** Called once when the supervised tree is done (print reports, close files). */
  close?(): void | Promise<void>;
}

/** The first process an engine serves, given to its start hook. */
export interface EngineRoot {
  pid: number;
  /** It has not exec'd its command yet (held until every start hook returned). */
  held?: boolean;
}

/** Options from the command line: `name:key=v1,v2,key2=v` -> { key: [v1, v2], key2: [v] }. */
export type EngineOptions = Readonly<Record<string, readonly string[]>>;

/** Context handed to engine factories. */
export interface EngineContext {
  /** Writes one report line to the supervisor's stderr (never through the tracee's streams). */
  report(line: string): void;
  /** Syscalls the other engines of the stack intercept (for engines like `count` that follow them). */
  readonly siblings: readonly Engine[];
  /**
   * The engine's output: the file of an `o=` option, or the stderr of whoever started the engine
   * (the user's terminal, or a nested sysvisor's stderr). Written synchronously; close it once.
   */
  openOutput(file?: string): OutputSink;
  /** Syscalls the outermost filter notifies whatever their arguments, when it is fixed (engines loaded from inside). */
  readonly available?: ReadonlySet<number>;
  /** Made for a caller without privileges, who pays for what the engine holds: smaller defaults. */
  readonly constrained?: boolean;
}

/** Where an engine writes its report or trace. */
export interface OutputSink {
  readonly fd: number;
  write(text: string): void;
  close(): void;
}

export interface EngineFactory {
  readonly name: string;
  readonly summary: string;
  /** Known option keys with a one-line description each. */
  readonly options: Readonly<Record<string, string>>;
  /** A command line that shows the engine at work (`sysvisor run -e NAME:... -- COMMAND`), for --help. */
  readonly example?: string;
  /** Created after the other engines of the stack, so that `ctx.siblings` holds them. */
  readonly followsSiblings?: boolean;
  create(options: EngineOptions, ctx: EngineContext): Engine;
  /** The engine API version the factory was written for (ENGINE_API_VERSION); a newer one is refused. */
  readonly apiVersion?: number;
  /**
   * What an instance may intercept when it is loaded from inside a supervised tree (sysvisor load,
   * nested run): the outermost filter notifies these from the start, so that it can.
   */
  loadableInterests?(): readonly Interest[];
  /**
   * What an instance made with these options will hold in the supervisor (eBPF sessions, ring
   * buffer bytes), known before it is made: scopes pushed without privileges are charged with it.
   */
  resources?(options: EngineOptions, constrained: boolean): EngineResources;
}

export interface EngineResources {
  bpfSessions?: number;
  ringBytes?: number;
}
