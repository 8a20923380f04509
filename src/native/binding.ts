// The raw native binding (addon/src): one declaration for everything the addon exports.

export interface SpawnedChild {
  pid: number;
  /** A pidfd for the child; the caller owns it. */
  pidfd: number;
  /** The seccomp listener fd, taken from the child; the caller owns it (hand it to a Pump). */
  listener: number;
}

export interface PumpStats {
  received: number;
  fastPath: number;
  pending: number;
}

export declare class Pump {
  /** Takes ownership of listenerFd; calls onBatch(count) once per wake-up with `batch` filled. */
  constructor(listenerFd: number, onBatch: (count: number) => void, onHangup: () => void);
  /** NOTIF_FIELDS numbers per notification: slot, pid, nr, a0..a5 (signed 64-bit as numbers). */
  readonly batch: Float64Array;
  readonly syncWakeUp: boolean;
  readonly fd: number;
  continue(slot: number): boolean;
  /** errno > 0 answers -errno; otherwise value. False when the notification is gone. */
  reply(slot: number, value: number, errno: number): boolean;
  /** Installs srcFd in the tracee; returns its fd number there, or -errno. `send` also replies. */
  addfd(slot: number, srcFd: number, cloexec: boolean, send: boolean): number;
  idValid(slot: number): boolean;
  /** The path read once by the C++ fast path for this notification, if any. */
  slotPath(slot: number): string | undefined;
  readString(slot: number, addr: number, max?: number): string | null;
  readBytes(slot: number, addr: number, length: number): Buffer | null;
  setPathRoute(nr: number, argIndex: number): void;
  setPrefixes(prefixes: readonly string[], relativeToJs: boolean): void;
  stats(): PumpStats;
  close(): void;
}

export interface RawBinding {
  spawn(file: string, argv: readonly string[], env: readonly string[], filter: Buffer, flags: number): SpawnedChild;
  watchExit(pidfd: number, callback: (code: number, signal: number) => void): void;
  pidfdSignal(pidfd: number, signal: number): boolean;
  closeFd(fd: number): void;
  Pump: typeof Pump;
  NOTIF_FIELDS: number;
  writeMem(pid: number, addr: number, bytes: Buffer): number;
  /** Opens as the tracee would (its fsuid/fsgid/groups, cwd or dirfd, root, umask): fd or -errno. */
  openAs(pid: number, dirfd: number, path: string, flags: number, mode: number): number;
}
