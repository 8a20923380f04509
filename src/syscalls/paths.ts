// Which arguments of which x86_64 syscalls are paths. Used to route path calls through the C++
// fast path and by path-mapping engines. Two-path calls list both; `symlink`'s target is content,
// not a path to resolve, so only its link path is listed.
export const PATH_ARGS: Readonly<Record<string, readonly number[]>> = {
  open: [0], openat: [1], openat2: [1], creat: [0],
  stat: [0], lstat: [0], newfstatat: [1], statx: [1],
  access: [0], faccessat: [1], faccessat2: [1],
  readlink: [0], readlinkat: [1],
  execve: [0], execveat: [1],
  chdir: [0], chroot: [0],
  mkdir: [0], mkdirat: [1], rmdir: [0],
  unlink: [0], unlinkat: [1],
  rename: [0, 1], renameat: [1, 3], renameat2: [1, 3],
  link: [0, 1], linkat: [1, 3],
  symlink: [1], symlinkat: [2],
  chmod: [0], fchmodat: [1], fchmodat2: [1],
  chown: [0], lchown: [0], fchownat: [1],
  utime: [0], utimes: [0], utimensat: [1], futimesat: [1],
  truncate: [0], statfs: [0],
  mknod: [0], mknodat: [1],
  setxattr: [0], lsetxattr: [0], getxattr: [0], lgetxattr: [0],
  listxattr: [0], llistxattr: [0], removexattr: [0], lremovexattr: [0],
  inotify_add_watch: [1], name_to_handle_at: [1],
  mount: [1], umount2: [0], swapon: [0], swapoff: [0], acct: [0], pivot_root: [0, 1],
  uselib: [0], quotactl: [1], fanotify_mark: [4], open_tree: [1], move_mount: [1, 3], fspick: [1], mount_setattr: [1],
};

/**
 * For the path arguments of the *at calls: the index of the dirfd argument each one is relative
 * to (AT_FDCWD or an open directory). Absent: relative to the cwd.
 */
export const PATH_DIRFDS: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  openat: { 1: 0 }, openat2: { 1: 0 }, newfstatat: { 1: 0 }, statx: { 1: 0 },
  faccessat: { 1: 0 }, faccessat2: { 1: 0 }, readlinkat: { 1: 0 }, execveat: { 1: 0 },
  mkdirat: { 1: 0 }, unlinkat: { 1: 0 }, renameat: { 1: 0, 3: 2 }, renameat2: { 1: 0, 3: 2 },
  linkat: { 1: 0, 3: 2 }, symlinkat: { 2: 1 }, fchmodat: { 1: 0 }, fchmodat2: { 1: 0 },
  fchownat: { 1: 0 }, utimensat: { 1: 0 }, futimesat: { 1: 0 }, mknodat: { 1: 0 },
  name_to_handle_at: { 1: 0 }, fanotify_mark: { 4: 3 }, open_tree: { 1: 0 }, move_mount: { 1: 0, 3: 2 },
  fspick: { 1: 0 }, mount_setattr: { 1: 0 },
};

/** AT_FDCWD: the dirfd value meaning "relative to the cwd". */
export const AT_FDCWD = -100;
