// The path calls the pump can run in C++ when every engine of the call's chain has a native plan
// for it (chain/plan.ts): for each, the operation of the addon's pathAs and where its operands are
// among the call's arguments, as the emulators of paths.ts take them (-1: none; no dirfd is
// AT_FDCWD). test/native-plan.test.ts runs each call both ways and compares what the tracee gets.

import type { NativeCall } from '../../native/binding.js';

export type { NativeCall };

const AT_SYMLINK_NOFOLLOW = 0x100;

const call = (op: NativeCall['op'], o: Partial<NativeCall>): NativeCall => ({ op, dirfd: -1, path: 0, out: -1, size: -1, flags: -1, mode: -1, mask: -1, fixedFlags: 0, ...o });

export const NATIVE_CALLS: Readonly<Record<string, NativeCall>> = {
  stat: call('stat', { out: 1 }),
  lstat: call('stat', { out: 1, fixedFlags: AT_SYMLINK_NOFOLLOW }),
  newfstatat: call('stat', { dirfd: 0, path: 1, out: 2, flags: 3 }),
  statx: call('statx', { dirfd: 0, path: 1, flags: 2, mask: 3, out: 4 }),
  access: call('access', { mode: 1 }),
  faccessat: call('access', { dirfd: 0, path: 1, mode: 2 }),
  faccessat2: call('access', { dirfd: 0, path: 1, mode: 2, flags: 3 }),
  readlink: call('readlink', { out: 1, size: 2 }),
  readlinkat: call('readlink', { dirfd: 0, path: 1, out: 2, size: 3 }),
};
