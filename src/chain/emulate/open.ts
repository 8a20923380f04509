// Emulation of the open family in the supervisor, permission-checked as the tracee (the addon's
// openAs takes its fsuid/fsgid/groups, cwd or dirfd, root and umask). The fd goes back by ADDFD.
import { constants as fsc } from 'node:fs';
import type { RawBinding } from '../../native/load.js';
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';

const AT_FDCWD = -100;
const O_CLOEXEC = 0o2000000;

export type Emulator = (call: Syscall, pid: number) => Result;

function openResult(call: Syscall, fd: number, flags: number): Result {
  return fd < 0 ? Result.error(-fd) : Result.fd(fd, (flags & O_CLOEXEC) !== 0, call.inject);
}

/** Emulators of the open family, keyed by syscall name. `pid` is the caller's thread id. */
export function openEmulators(binding: Pick<RawBinding, 'openAs'>): Record<string, Emulator> {
  const open = (call: Syscall, pid: number, dirfd: number, pathArg: number, flags: number, mode: number): Result => {
    const path = call.string(pathArg);
    if (path === null) return Result.error(14); // EFAULT
    if (path === '') return Result.error(2); // ENOENT
    return openResult(call, binding.openAs(pid, dirfd, path, flags, mode), flags);
  };
  return {
    open: (c, pid) => open(c, pid, AT_FDCWD, 0, c.args[1]!, c.args[2]!),
    openat: (c, pid) => open(c, pid, c.args[0]!, 1, c.args[2]!, c.args[3]!),
    creat: (c, pid) => open(c, pid, AT_FDCWD, 0, fsc.O_CREAT | fsc.O_WRONLY | fsc.O_TRUNC, c.args[1]!),
  };
}
