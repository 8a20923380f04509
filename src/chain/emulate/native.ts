// The calls the pump can run in C++ when every engine of the call's chain has a native plan for it
// (chain/plan.ts): for each, the operation of the addon's pathAs (or open: openAs, the fd installed
// by ADDFD; the xattr calls follow or not by AT_SYMLINK_NOFOLLOW in fixedFlags, setxattr's own flags
// are an operand apart, xflags) and where its
// operands are among the call's arguments (-1: none; no dirfd is AT_FDCWD). One table: the pump reads it (FastPathConfig.native), and the executor's emulators of
// these calls take their operands from it (operands(), in paths.ts and open.ts).
// test/native-plan.test.ts runs each call both ways and compares what the tracee gets.

import type { NativeCall } from '../../native/binding.js';
import { AT_FDCWD } from '../../syscalls/paths.js';
import { NATIVE_OPEN_FLAGS, O_CREAT, O_LARGEFILE, O_TRUNC, O_WRONLY } from './open-flags.js';

export type { NativeCall };

const AT_SYMLINK_NOFOLLOW = 0x100;

const call = (op: NativeCall['op'], o: Partial<NativeCall>): NativeCall => ({
  op, dirfd: -1, path: 0, out: -1, size: -1, name: -1, flags: -1, mode: -1, mask: -1, uid: -1, gid: -1, input: -1, xflags: -1, fixedFlags: 0, plainFlags: 0xffff_ffff, ...o,
});
// open, openat and creat: their flags forced O_LARGEFILE (64-bit); the pump runs those whose flags
// the kernel takes as they are (build_open_how drops nothing) and that ADDFD can install.
const open = (o: Partial<NativeCall>): NativeCall => call('open', { fixedFlags: O_LARGEFILE, plainFlags: NATIVE_OPEN_FLAGS, ...o });

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
  getxattr: call('getxattr', { name: 1, out: 2, size: 3 }),
  lgetxattr: call('getxattr', { name: 1, out: 2, size: 3, fixedFlags: AT_SYMLINK_NOFOLLOW }),
  setxattr: call('setxattr', { name: 1, input: 2, size: 3, xflags: 4 }),
  lsetxattr: call('setxattr', { name: 1, input: 2, size: 3, xflags: 4, fixedFlags: AT_SYMLINK_NOFOLLOW }),
  listxattr: call('listxattr', { out: 1, size: 2 }),
  llistxattr: call('listxattr', { out: 1, size: 2, fixedFlags: AT_SYMLINK_NOFOLLOW }),
  removexattr: call('removexattr', { name: 1 }),
  lremovexattr: call('removexattr', { name: 1, fixedFlags: AT_SYMLINK_NOFOLLOW }),
  chown: call('chown', { uid: 1, gid: 2 }),
  lchown: call('chown', { uid: 1, gid: 2, fixedFlags: AT_SYMLINK_NOFOLLOW }),
  fchownat: call('chown', { dirfd: 0, path: 1, uid: 2, gid: 3, flags: 4 }),
  mkdir: call('mkdir', { mode: 1 }),
  mkdirat: call('mkdir', { dirfd: 0, path: 1, mode: 2 }),
  utimensat: call('utimens', { dirfd: 0, path: 1, input: 2, flags: 3 }),
  open: open({ flags: 1, mode: 2 }),
  openat: open({ dirfd: 0, path: 1, flags: 2, mode: 3 }),
  creat: open({ mode: 1, fixedFlags: O_CREAT | O_WRONLY | O_TRUNC | O_LARGEFILE }),
};

/** A call's operands by its layout, as the pump takes them: NativeCall's fields, each the operand's value (an absent one is 0; no dirfd is AT_FDCWD; flags with the call's fixed flags). */
export type Operands = Omit<NativeCall, 'op' | 'fixedFlags' | 'plainFlags'>;

export function operands(args: readonly number[], c: NativeCall): Operands {
  const at = (i: number) => (i >= 0 ? args[i]! : 0);
  return {
    dirfd: c.dirfd >= 0 ? args[c.dirfd]! | 0 : AT_FDCWD,
    path: c.path,
    out: at(c.out),
    size: at(c.size),
    name: c.name,
    flags: (at(c.flags) | c.fixedFlags) | 0,
    mode: at(c.mode),
    mask: at(c.mask) >>> 0,
    uid: at(c.uid) >>> 0,
    gid: at(c.gid) >>> 0,
    input: at(c.input),
    xflags: at(c.xflags) | 0,
  };
}
