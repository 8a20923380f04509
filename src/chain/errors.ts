// Errors of the chain, shaped like Node's system errors where they stand for one.

/** `next()` was called twice by one engine: that would run the syscall twice. */
export class NextCalledTwiceError extends Error {
  override name = 'NextCalledTwiceError';
  constructor(engine: string) {
    super(`engine ${engine}: next() called twice for one syscall`);
  }
}

/** The notification is no longer valid (the thread was interrupted or died): normal, not a fault. */
export class SyscallGoneError extends Error {
  override name = 'SyscallGoneError';
  readonly code = 'ENOENT';
  constructor(what: string) {
    super(`${what}: notification no longer valid`);
  }
}

/** A kernel feature this machine lacks, probed and reported by name. */
export class UnsupportedFeatureError extends Error {
  override name = 'UnsupportedFeatureError';
  constructor(readonly feature: string, detail: string, options?: ErrorOptions) {
    super(`unsupported: ${feature}: ${detail}`, options);
  }
}

/** Bad user input (engine name, option, command line): one line, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An operation on the kernel failed: message names the operation, `cause` the system error. */
export class SysvisorError extends Error {
  override name = 'SysvisorError';
  readonly code: string | undefined;
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  constructor(op: string, cause: unknown) {
    const c = cause as { code?: string; errno?: number; syscall?: string; message?: string };
    super(`${op}: ${c?.message ?? String(cause)}`, { cause });
    this.code = c?.code;
    this.errno = c?.errno;
    this.syscall = c?.syscall;
  }
}
