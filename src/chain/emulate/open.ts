// Emulation of the open family in the supervisor, permission-checked as the tracee (the addon's
// openAs walks the path with the tracee's root, cwd or dirfd and permissions, and opens with its
// fsuid/fsgid/groups/capabilities and umask). The fd goes back by ADDFD. Opens the supervisor must
// not do itself (devices, FIFOs, procfs, openat2 resolve flags) are rewritten in place and run by
// the kernel as the tracee (rewrite.ts).
import type { RawBinding } from '../../native/load.js';
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';
import { rewriteStrings, type RewriteContext } from './rewrite.js';
import { legacyOpenHow, openHowErrno, O_PATH } from './open-flags.js';
import { viewField } from './view.js';
import { NATIVE_CALLS, operands } from './native.js';

const O_CLOEXEC = 0o2000000;
const OPEN_HOW_SIZE = 24;
const EFAULT = 14;
const ENOENT = 2;
const EINVAL = 22;
const ENOSYS = 38;

export type Emulator = (call: Syscall, pid: number) => Result;

function openResult(call: Syscall, fd: number, flags: number): Result {
  return fd < 0 ? Result.error(-fd) : Result.fd(fd, (flags & O_CLOEXEC) !== 0, call.inject);
}

/** Emulators of the open family, keyed by syscall name. `pid` is the caller's thread id. */
export function openEmulators(binding: Pick<RawBinding, 'openAs'> & Partial<Pick<RawBinding, 'EMULATE_FALLBACK'>>, ctx?: RewriteContext): Record<string, Emulator> {
  const fallback = (call: Syscall): Result => (ctx ? rewriteStrings(call, ctx) : Result.error(ENOSYS));
  // Flags first, as the kernel checks them before it reads the path.
  const open = (call: Syscall, pid: number, dirfd: number, pathArg: number, flags: number, mode: number, resolve = 0): Result => {
    const bad = openHowErrno({ flags, mode });
    if (bad !== 0) return Result.error(bad);
    const path = call.latin1(pathArg);
    if (path === null) return Result.error(EFAULT);
    if (path === '') return Result.error(ENOENT);
    // ADDFD cannot install an O_PATH file (the kernel's fget refuses it): the kernel opens it.
    if (flags & O_PATH) return fallback(call);
    const fd = binding.openAs({ tid: pid, dirfd, path, flags, mode, resolve, cached: call.credentialsSeen, ...viewField(call) });
    if (fd === binding.EMULATE_FALLBACK) return fallback(call);
    return openResult(call, fd, flags);
  };
  // open, openat and creat take an int of flags and a umode_t, cleaned by the kernel first.
  const legacy = (call: Syscall, pid: number, dirfd: number, pathArg: number, flags: number, mode: number): Result => {
    const how = legacyOpenHow(flags | 0, mode & 0xffff);
    return open(call, pid, dirfd, pathArg, how.flags, how.mode);
  };
  // open, openat, creat: their operands where NATIVE_CALLS says (the pump's native plans read them there too).
  const legacyCalls = Object.entries(NATIVE_CALLS).filter(([, layout]) => layout.op === 'open');
  return {
    ...Object.fromEntries(
      legacyCalls.map(([name, layout]): [string, Emulator] => [
        name,
        (c, pid) => {
          const o = operands(c.args, layout);
          return legacy(c, pid, o.dirfd, o.path, o.flags, o.mode);
        },
      ]),
    ),
    openat2: (c, pid) => {
      const size = c.args[3]!;
      if (size < OPEN_HOW_SIZE) return Result.error(EINVAL);
      // A larger struct open_how (future fields) is the kernel's to check.
      if (size !== OPEN_HOW_SIZE) return fallback(c);
      const how = c.memory.readBytes(c.args[2]!, OPEN_HOW_SIZE);
      if (how === null) return Result.error(EFAULT);
      const flags = how.readBigUInt64LE(0);
      const mode = how.readBigUInt64LE(8);
      const resolve = how.readBigUInt64LE(16);
      const bad = openHowErrno({ flags, mode });
      if (bad !== 0) return Result.error(bad);
      if (resolve > 0xffffn) return fallback(c);
      return open(c, pid, c.args[0]! | 0, 1, Number(flags), Number(mode), Number(resolve));
    },
  };
}
