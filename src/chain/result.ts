// The result of a syscall as it travels back out through the engines (exit phase).

/** Installs a supervisor fd in the tracee and returns its number there (or -errno). */
export type FdInjector = (localFd: number, cloexec: boolean, send: boolean) => number;

export type ResultKind = 'continued' | 'value' | 'error' | 'fd';

/** Marks results on the prototype, so that a result made by another copy of the package is one too. */
const RESULT_BRAND: unique symbol = Symbol.for('sysvisor.Result');

/**
 * What a syscall produced. Kinds:
 * - `continued`: the kernel runs the call as the tracee made it; its value is not known here;
 * - `value` / `error`: the call is answered with this value or errno without running it;
 * - `fd`: the supervisor opened a file for the tracee; the fd is injected on reply (ADDFD, then the
 *   answer), or earlier, when an engine reads `value` on the way out (then its number is known).
 */
export class Result {
  /** `x instanceof Result` checks the brand, not the prototype: engine modules may import another copy. */
  static [Symbol.hasInstance](x: unknown): x is Result {
    return typeof x === 'object' && x !== null && (x as { [RESULT_BRAND]?: unknown })[RESULT_BRAND] === true;
  }

  private constructor(
    readonly kind: ResultKind,
    private val: number,
    readonly errno: number,
    readonly localFd: number,
    readonly cloexec: boolean,
    private injector: FdInjector | undefined,
    /** Made from what the kernel returned after running the call itself (see Result.ran). */
    readonly ran = false,
  ) {}

  /** Let the kernel run it (no value known to the chain). */
  static readonly CONTINUED = new Result('continued', 0, 0, -1, false, undefined);

  static value(v: number): Result {
    return new Result('value', v, 0, -1, false, undefined);
  }
  static error(errno: number): Result {
    if (!Number.isInteger(errno) || errno <= 0 || errno > 4095) throw new RangeError(`errno must be 1..4095, got ${errno}`);
    return new Result('error', -errno, errno, -1, false, undefined);
  }
  /**
   * What the kernel returned after running the call (a value, or -errno), when the transport
   * waited for it (the ptrace transport's syscall-exit stop, for an engine that wants the result):
   * `value` or `error` for the engines outside, and `ran`, since the kernel ran it: whoever counts
   * the calls the kernel runs (count's in-kernel counter) has seen it already.
   */
  static ran(v: number): Result {
    return v < 0 && v >= -4095 ? new Result('error', v, -v, -1, false, undefined, true) : new Result('value', v, 0, -1, false, undefined, true);
  }

  /**
   * A supervisor-owned fd to give the tracee. The chain closes `localFd` once it is installed and
   * before the tracee gets its answer, so that the tracee's own close is the file's last, as
   * natively (its flocks released, the file exec'able without ETXTBSY).
   */
  static fd(localFd: number, cloexec: boolean, injector?: FdInjector): Result {
    return new Result('fd', -1, 0, localFd, cloexec, injector);
  }

  /** True once an fd result has been installed in the tracee (its number is then `value`). */
  injected = false;

  /**
   * The return value the tracee will see. For `fd`, reading it installs the fd now (ADDFD without
   * SEND) so its number is known. For `continued`, NaN: the kernel has not run the call yet.
   */
  get value(): number {
    if (this.kind === 'continued') return NaN;
    if (this.kind === 'fd' && !this.injected) {
      if (!this.injector) throw new Error('fd result has no injector yet (read it after next())');
      const n = this.injector(this.localFd, this.cloexec, false);
      this.injected = true;
      this.val = n;
    }
    return this.val;
  }

  get failed(): boolean {
    return this.kind === 'error' || (this.kind === 'fd' && this.injected && this.val < 0);
  }

  /**
   * Binds an fd result to the notification that will receive it: done by the chain as the result
   * leaves `next()`, with the injector the transport gave the call (Syscall.inject).
   */
  bindInjector(injector: FdInjector): void {
    this.injector ??= injector;
  }
}
Object.defineProperty(Result.prototype, RESULT_BRAND, { value: true });
