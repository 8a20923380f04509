// Emulation of the path syscalls other than open, run by the supervisor as the tracee (the addon's
// pathAs: the path walked with the tracee's root, cwd or dirfd and permissions, the call made with
// its fsuid/fsgid/groups/capabilities/umask), outputs written back to the tracee's memory. When the
// addon answers FALLBACK (a path through procfs, another user namespace) the changed path is
// rewritten in place and the kernel runs the call as the tracee (rewrite.ts).
import { constants as os } from 'node:os';
import type { RawBinding } from '../../native/load.js';
import type { PathRequest } from '../../native/binding.js';
import { AT_FDCWD } from '../../syscalls/paths.js';
import { Result } from '../result.js';
import type { Syscall } from '../syscall.js';
import type { Emulator } from './open.js';
import { rewriteStrings, type RewriteContext } from './rewrite.js';
import { linkBack, viewField } from './view.js';
import { NATIVE_CALLS, operands, type NativeCall, type Operands } from './native.js';

const E = os.errno;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const AT_EMPTY_PATH = 0x1000;
const STAT_SIZE = 144;
const STATX_SIZE = 256;
const STATFS_SIZE = 120;
const XATTR_SIZE_MAX = 65536;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
const MAX_HANDLE_SZ = 128;
const AT_HANDLE_MNT_ID_UNIQUE = 0x001;

export type PathBinding = Pick<RawBinding, 'pathAs' | 'EMULATE_FALLBACK'>;

/** A request without what run() fills in from the call: the thread, its path(s), the cache flag. */
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type PathOp = Without<PathRequest, 'tid' | 'path' | 'path2' | 'cached'>;

interface RunOptions {
  /** Argument index of the second path (rename, link: then the request has dirfd2). */
  second?: number;
  /** The call accepts an empty path with AT_EMPTY_PATH in these flags. */
  emptyOk?: number;
  /** Answer for a failure (default: the errno). */
  fail?: (errno: number) => Result;
}

// An attribute's name as the kernel imports it before the lookup (import_xattr_name): EFAULT
// where unreadable, ERANGE when empty or longer than XATTR_NAME_MAX (255).
function xattrName(call: Syscall, i: number): string | number {
  const n = call.memory.readString(call.args[i]!, 256);
  if (n === null) return call.memory.readBytes(call.args[i]!, 256) === null ? E.EFAULT : E.ERANGE;
  return n === '' ? E.ERANGE : n;
}

// setxattr's operands in the kernel's order (setxattr_copy, before the lookup): flags, name, size,
// value. An errno, or the name and value read.
function setxattrOperands(call: Syscall, o: Operands): { name: string; value: Buffer } | number {
  if (o.xflags & ~(XATTR_CREATE | XATTR_REPLACE)) return E.EINVAL;
  const n = xattrName(call, o.name);
  if (typeof n === 'number') return n;
  if (o.size < 0 || o.size > XATTR_SIZE_MAX) return E.E2BIG;
  const value = o.size === 0 ? Buffer.alloc(0) : call.memory.readBytes(o.input, o.size);
  return value === null ? E.EFAULT : { name: n, value };
}

/**
 * What the kernel answers an xattr call (one of NATIVE_CALLS with a name) before its lookup: the
 * errno of its flags, name, size or value (setxattrOperands, xattrName), or null when the call goes
 * on to the lookup. For an engine whose own walk of the path failed: the kernel says these first.
 */
export function xattrErrnoBeforeLookup(call: Syscall): number | null {
  const layout = NATIVE_CALLS[call.name];
  if (!layout || layout.name < 0) return null;
  const o = operands(call.args, layout);
  const r = layout.op === 'setxattr' ? setxattrOperands(call, o) : xattrName(call, o.name);
  return typeof r === 'number' ? r : null;
}

/** Emulators of the path calls (not open/chdir/execve), keyed by syscall name. */
export function pathEmulators(binding: PathBinding, ctx: RewriteContext): Record<string, Emulator> {
  const FALLBACK = binding.EMULATE_FALLBACK;

  // Runs operation `op` on the path of argument `pathArg`; FALLBACK rewrites in place; a negative
  // result is an errno; then `ok`.
  const run = (call: Syscall, pathArg: number, op: PathOp, o: RunOptions = {}, ok: (r: number) => Result = () => Result.value(0)): Result => {
    const path = call.latin1(pathArg);
    if (path === null) return Result.error(E.EFAULT);
    const path2 = o.second !== undefined ? call.latin1(o.second) : undefined;
    if (path2 === null) return Result.error(E.EFAULT);
    if (path === '' || path2 === '') {
      // An empty path names the dirfd itself (AT_EMPTY_PATH): not a path to emulate.
      return o.emptyOk !== undefined && (o.emptyOk & AT_EMPTY_PATH) !== 0 ? rewriteStrings(call, ctx) : Result.error(E.ENOENT);
    }
    const req = { ...op, tid: call.tid, path, cached: call.credentialsSeen, ...viewField(call), ...(path2 !== undefined ? { path2 } : {}) } as PathRequest;
    const r = binding.pathAs(req);
    if (r === FALLBACK) return rewriteStrings(call, ctx);
    if (r < 0) return o.fail ? o.fail(-r) : Result.error(-r);
    return ok(r);
  };

  // Writes len bytes of out to the tracee at addr (as the kernel would: EFAULT where it cannot).
  const put = (call: Syscall, addr: number, out: Buffer, len: number, value: number): Result => {
    if (len === 0) return Result.value(value);
    const w = call.memory.writeBytes(addr, out.subarray(0, len));
    return w < 0 ? Result.error(-w) : Result.value(value);
  };

  const dfd = (v: number) => v | 0;

  const stat = (call: Syscall, dirfd: number, p: number, buf: number, flags: number): Result => {
    const out = Buffer.alloc(STAT_SIZE);
    return run(call, p, { op: 'stat', dirfd, flags, out }, { emptyOk: flags }, () => put(call, buf, out, STAT_SIZE, 0));
  };

  const access = (call: Syscall, dirfd: number, p: number, mode: number, flags: number): Result =>
    run(call, p, { op: 'access', dirfd, mode, flags }, { emptyOk: flags });

  const readlink = (call: Syscall, dirfd: number, p: number, buf: number, size: number): Result => {
    if ((size | 0) <= 0) return Result.error(E.EINVAL);
    // A procfs link an engine shows in its view: the kernel answers (as the tracee), the view's
    // path replaces its answer at exit.
    const back = linkBack(call);
    if (back.from !== undefined && back.to !== undefined)
      return rewriteStrings(call, ctx, false, { linkBack: { addr: buf, size: size | 0, from: Buffer.from(back.from, 'latin1'), to: Buffer.from(back.to, 'latin1') } });
    const out = Buffer.alloc(Math.min(size, 65536));
    return run(call, p, { op: 'readlink', dirfd, out }, {}, (n) => put(call, buf, out, n, n));
  };

  const chmod = (call: Syscall, dirfd: number, p: number, mode: number, flags: number): Result =>
    run(call, p, { op: 'chmod', dirfd, mode, flags }, { emptyOk: flags });

  const chown = (call: Syscall, dirfd: number, p: number, uid: number, gid: number, flags: number): Result =>
    run(call, p, { op: 'chown', dirfd, uid: uid >>> 0, gid: gid >>> 0, flags }, { emptyOk: flags });

  // struct timespec[2] from the tracee (or null for "now").
  const timespecs = (call: Syscall, addr: number): Buffer | null | undefined => (addr === 0 ? null : call.memory.readBytes(addr, 32) ?? undefined);

  // struct timeval[2] -> struct timespec[2]; undefined when unreadable, 'inval' for bad microseconds.
  const timevals = (call: Syscall, addr: number): Buffer | null | undefined | 'inval' => {
    if (addr === 0) return null;
    const tv = call.memory.readBytes(addr, 32);
    if (tv === null) return undefined;
    const ts = Buffer.alloc(32);
    for (let i = 0; i < 2; i++) {
      const usec = tv.readBigInt64LE(i * 16 + 8);
      if (usec < 0n || usec >= 1000000n) return 'inval';
      ts.writeBigInt64LE(tv.readBigInt64LE(i * 16), i * 16);
      ts.writeBigInt64LE(usec * 1000n, i * 16 + 8);
    }
    return ts;
  };

  const utimens = (call: Syscall, dirfd: number, p: number, times: Buffer | null | undefined | 'inval', flags: number): Result => {
    if (times === undefined) return Result.error(E.EFAULT);
    if (times === 'inval') return Result.error(E.EINVAL);
    return run(call, p, { op: 'utimens', dirfd, times, flags }, { emptyOk: flags });
  };

  const mknod = (call: Syscall, dirfd: number, p: number, mode: number, dev: number): Result =>
    run(call, p, { op: 'mknod', dirfd, mode, dev });

  const setxattr = (call: Syscall, o: Operands): Result => {
    const v = setxattrOperands(call, o);
    if (typeof v === 'number') return Result.error(v);
    const follow = (o.flags & AT_SYMLINK_NOFOLLOW) === 0;
    return run(call, o.path, { op: 'setxattr', dirfd: o.dirfd, follow, name: v.name, value: v.value, flags: o.xflags });
  };

  const getxattr = (call: Syscall, o: Operands): Result => {
    const n = xattrName(call, o.name);
    if (typeof n === 'number') return Result.error(n);
    const size = Math.min(Math.max(o.size, 0), XATTR_SIZE_MAX);
    const out = size > 0 ? Buffer.alloc(size) : null;
    const follow = (o.flags & AT_SYMLINK_NOFOLLOW) === 0;
    return run(call, o.path, { op: 'getxattr', dirfd: o.dirfd, follow, name: n, out }, {}, (r) => (out ? put(call, o.out, out, r, r) : Result.value(r)));
  };

  const listxattr = (call: Syscall, o: Operands): Result => {
    const size = Math.min(Math.max(o.size, 0), XATTR_SIZE_MAX);
    const out = size > 0 ? Buffer.alloc(size) : null;
    const follow = (o.flags & AT_SYMLINK_NOFOLLOW) === 0;
    return run(call, o.path, { op: 'listxattr', dirfd: o.dirfd, follow, out }, {}, (r) => (out ? put(call, o.out, out, r, r) : Result.value(r)));
  };

  const removexattr = (call: Syscall, o: Operands): Result => {
    const n = xattrName(call, o.name);
    if (typeof n === 'number') return Result.error(n);
    const follow = (o.flags & AT_SYMLINK_NOFOLLOW) === 0;
    return run(call, o.path, { op: 'removexattr', dirfd: o.dirfd, follow, name: n });
  };

  const rename = (call: Syscall, od: number, o: number, nd: number, n: number, flags: number): Result =>
    run(call, o, { op: 'rename', dirfd: od, flags, dirfd2: nd }, { second: n });

  const link = (call: Syscall, od: number, o: number, nd: number, n: number, flags: number): Result =>
    run(call, o, { op: 'link', dirfd: od, flags, dirfd2: nd }, { second: n, emptyOk: flags });

  const symlink = (call: Syscall, target: number, nd: number, p: number): Result => {
    const t = call.latin1(target);
    if (t === null) return Result.error(E.EFAULT);
    if (t === '') return Result.error(E.ENOENT);
    return run(call, p, { op: 'symlink', dirfd: nd, target: t });
  };

  const a = (c: Syscall, i: number) => c.args[i]!;

  const statx = (c: Syscall, o: Operands): Result => {
    const out = Buffer.alloc(STATX_SIZE);
    return run(c, o.path, { op: 'statx', dirfd: o.dirfd, flags: o.flags, mask: o.mask, out }, { emptyOk: o.flags }, () =>
      put(c, o.out, out, STATX_SIZE, 0),
    );
  };

  // The calls the pump may run under native plans: their operands where NATIVE_CALLS says.
  const byOp: Record<Exclude<NativeCall['op'], 'open'>, (c: Syscall, o: Operands) => Result> = {
    stat: (c, o) => stat(c, o.dirfd, o.path, o.out, o.flags),
    statx,
    access: (c, o) => access(c, o.dirfd, o.path, o.mode, o.flags),
    readlink: (c, o) => readlink(c, o.dirfd, o.path, o.out, o.size),
    getxattr,
    listxattr,
    setxattr,
    removexattr,
    chown: (c, o) => chown(c, o.dirfd, o.path, o.uid, o.gid, o.flags),
    mkdir: (c, o) => run(c, o.path, { op: 'mkdir', dirfd: o.dirfd, mode: o.mode }),
    // A NULL path works on the dirfd itself: not a path call.
    utimens: (c, o) => (c.args[o.path] === 0 ? rewriteStrings(c, ctx) : utimens(c, o.dirfd, o.path, timespecs(c, o.input), o.flags)),
  };
  const planned: Record<string, Emulator> = {};
  for (const [name, layout] of Object.entries(NATIVE_CALLS)) {
    if (layout.op !== 'open') planned[name] = (c) => byOp[layout.op as keyof typeof byOp](c, operands(c.args, layout));
  }

  return {
    ...planned,
    rmdir: (c) => run(c, 0, { op: 'unlink', dirfd: AT_FDCWD, flags: AT_REMOVEDIR }),
    unlink: (c) => run(c, 0, { op: 'unlink', dirfd: AT_FDCWD, flags: 0 }),
    unlinkat: (c) => {
      if ((a(c, 2) & ~AT_REMOVEDIR) !== 0) return Result.error(E.EINVAL);
      return run(c, 1, { op: 'unlink', dirfd: dfd(a(c, 0)), flags: a(c, 2) });
    },
    rename: (c) => rename(c, AT_FDCWD, 0, AT_FDCWD, 1, 0),
    renameat: (c) => rename(c, dfd(a(c, 0)), 1, dfd(a(c, 2)), 3, 0),
    renameat2: (c) => rename(c, dfd(a(c, 0)), 1, dfd(a(c, 2)), 3, a(c, 4)),
    link: (c) => link(c, AT_FDCWD, 0, AT_FDCWD, 1, 0),
    linkat: (c) => link(c, dfd(a(c, 0)), 1, dfd(a(c, 2)), 3, a(c, 4)),
    symlink: (c) => symlink(c, 0, AT_FDCWD, 1),
    symlinkat: (c) => symlink(c, 0, dfd(a(c, 1)), 2),
    chmod: (c) => chmod(c, AT_FDCWD, 0, a(c, 1), 0),
    fchmodat: (c) => chmod(c, dfd(a(c, 0)), 1, a(c, 2), 0),
    fchmodat2: (c) => chmod(c, dfd(a(c, 0)), 1, a(c, 2), a(c, 3)),
    utime: (c) => {
      const addr = a(c, 1);
      if (addr === 0) return utimens(c, AT_FDCWD, 0, null, 0);
      const ub = c.memory.readBytes(addr, 16);
      if (ub === null) return Result.error(E.EFAULT);
      const ts = Buffer.alloc(32);
      ts.writeBigInt64LE(ub.readBigInt64LE(0), 0);
      ts.writeBigInt64LE(ub.readBigInt64LE(8), 16);
      return utimens(c, AT_FDCWD, 0, ts, 0);
    },
    utimes: (c) => utimens(c, AT_FDCWD, 0, timevals(c, a(c, 1)), 0),
    futimesat: (c) => utimens(c, dfd(a(c, 0)), 1, timevals(c, a(c, 2)), 0),
    truncate: (c) => run(c, 0, { op: 'truncate', dirfd: AT_FDCWD, length: a(c, 1) }),
    statfs: (c) => {
      const out = Buffer.alloc(STATFS_SIZE);
      return run(c, 0, { op: 'statfs', dirfd: AT_FDCWD, out }, {}, () => put(c, a(c, 1), out, STATFS_SIZE, 0));
    },
    mknod: (c) => mknod(c, AT_FDCWD, 0, a(c, 1), a(c, 2)),
    mknodat: (c) => mknod(c, dfd(a(c, 0)), 1, a(c, 2), a(c, 3)),
    inotify_add_watch: (c) => run(c, 1, { op: 'inotify', dirfd: AT_FDCWD, fd: a(c, 0), mask: a(c, 2) >>> 0 }, {}, (wd) => Result.value(wd)),
    name_to_handle_at: (c) => {
      const handle = a(c, 2);
      const flags = a(c, 4);
      const hb = c.memory.readBytes(handle, 4);
      if (hb === null) return Result.error(E.EFAULT);
      const bytes = hb.readUInt32LE(0);
      if (bytes > MAX_HANDLE_SZ) return Result.error(E.EINVAL);
      const out = Buffer.alloc(8 + bytes + 8);
      out.writeUInt32LE(bytes, 0);
      const mntLen = flags & AT_HANDLE_MNT_ID_UNIQUE ? 8 : 4;
      const done = (r: number): Result => {
        const h = put(c, handle, out, 8 + bytes, r);
        if (h.kind === 'error') return h;
        return put(c, a(c, 3), out.subarray(out.length - 8), mntLen, r);
      };
      // EOVERFLOW: the kernel tells the size it needs in handle_bytes.
      const fail = (errno: number): Result => {
        if (errno !== E.EOVERFLOW) return Result.error(errno);
        const h = put(c, handle, out, 8, 0);
        return h.kind === 'error' ? h : Result.error(errno);
      };
      return run(c, 1, { op: 'nameToHandle', dirfd: dfd(a(c, 0)), flags, out }, { emptyOk: flags, fail }, done);
    },
  };
}
