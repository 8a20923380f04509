// Which arguments of which x86_64 syscalls are paths, derived from the table's argument kinds.
// Used to route path calls through the C++ fast path and by path-mapping engines. Two-path calls
// list both; `symlink`'s target is content (kind `str`), not a path to resolve, so only its link
// path is listed.
import { TABLE } from './table.js';

const args: Record<string, number[]> = {};
const dirfds: Record<string, Record<number, number>> = {};
for (const s of TABLE) {
  let dirfd = -1;
  s.args?.forEach((a, i) => {
    if (a === 'dirfd') dirfd = i;
    if (a !== 'path') return;
    (args[s.name] ??= []).push(i);
    // A path is relative to the dirfd argument just before it, if any.
    if (dirfd >= 0) (dirfds[s.name] ??= {})[i] = dirfd;
    dirfd = -1;
  });
}

/** Path arguments by syscall name: `openat: [1]`, `renameat: [1, 3]`. */
export const PATH_ARGS: Readonly<Record<string, readonly number[]>> = args;

/**
 * For the path arguments of the *at calls: the index of the dirfd argument each one is relative
 * to (AT_FDCWD or an open directory). Absent: relative to the cwd.
 */
export const PATH_DIRFDS: Readonly<Record<string, Readonly<Record<number, number>>>> = dirfds;

/** AT_FDCWD: the dirfd value meaning "relative to the cwd". */
export const AT_FDCWD = -100;
