// What the arguments of a syscall are: the vocabulary of the table's argument lists
// (src/syscalls/table.ts). A kind says what the register holds and, for pointers, which way the
// memory goes (read by the kernel at entry, written by it at exit); the trace engine prints each
// kind its own way, path-mapping engines look for `path` and its `dirfd`.

/** The kinds, by what they are (the comment after each says how it reads). */
export const ARG_KINDS = {
  // Plain numbers.
  int: 'scalar', // a C int
  uint: 'scalar', // unsigned int
  long: 'scalar', // a signed long, an off_t
  ulong: 'scalar', // size_t, unsigned long
  hex: 'scalar', // a number best read in hex (keys, masks, magic numbers)
  bits: 'flags', // a flag word without a name table yet: 0, or its bits in hex
  ptr: 'pointer', // an address whose contents are not decoded
  mapoff: 'scalar', // mmap's offset
  // Identifiers.
  fd: 'fd', // a file descriptor
  dirfd: 'dirfd', // a directory fd the next `path` argument is relative to (or AT_FDCWD)
  pid: 'pid', // a process, thread or process group id
  sig: 'signal', // a signal number
  // C strings read at entry.
  path: 'path', // a file name the kernel resolves (relative to the cwd or the dirfd before it)
  str: 'string', // a string that is not resolved (an xattr name, a file system type, a symlink's target)
  // Flag words and enumerations: the kind names the set.
  oflags: 'flags', // open(2)'s O_ACCMODE | O_*
  fdflags: 'flags', // O_CLOEXEC | O_NONBLOCK of pipe2, dup3, eventfd2, epoll_create1, inotify_init1
  mode: 'flags', // permission bits (07777)
  fmode: 'flags', // file type and permission bits (S_IFIFO|0644), as mknod takes them
  umask: 'flags', // permission bits (0777)
  dev: 'scalar', // a device number (makedev(major, minor)), as mknod takes it
  atflags: 'flags', // AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH, ... (AT_EACCESS for faccessat*)
  unlinkflags: 'flags', // AT_REMOVEDIR
  renameflags: 'flags', // RENAME_*
  prot: 'flags', // PROT_*
  mapflags: 'flags', // MAP_* with the mapping type
  statxmask: 'flags', // STATX_*
  sighow: 'flags', // SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK
  whence: 'flags', // SEEK_*
  amode: 'flags', // F_OK or R_OK|W_OK|X_OK
  fcntlcmd: 'flags', // F_*
  futexop: 'flags', // FUTEX_* with _PRIVATE and FUTEX_CLOCK_REALTIME
  sockdomain: 'flags', // AF_*
  socktype: 'flags', // SOCK_* with SOCK_CLOEXEC, SOCK_NONBLOCK
  ioctl: 'flags', // ioctl request codes
  rlimres: 'flags', // RLIMIT_*
  archprctl: 'flags', // ARCH_*
  fadvice: 'flags', // POSIX_FADV_*
  madvice: 'flags', // MADV_*
  grndflags: 'flags', // GRND_*
  clockid: 'flags', // CLOCK_*
  waitopts: 'flags', // WNOHANG, __WALL, ...
  cloneflags: 'flags', // CLONE_*
  epollflags: 'flags', // EPOLL_CLOEXEC
  efdflags: 'flags', // EFD_SEMAPHORE, EFD_CLOEXEC, EFD_NONBLOCK
  tfdflags: 'flags', // TFD_CLOEXEC, TFD_NONBLOCK
  inflags: 'flags', // IN_CLOEXEC, IN_NONBLOCK (inotify_init1)
  msgflags: 'flags', // MSG_*
  sockflags: 'flags', // SOCK_CLOEXEC, SOCK_NONBLOCK (accept4)
  epollop: 'flags', // EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD
  sockproto: 'flags', // a protocol of the socket's domain (IPPROTO_TCP, NETLINK_ROUTE...)
  socklevel: 'flags', // SOL_SOCKET, SOL_TCP... (the option name after it is decoded with it)
  // Memory read at entry.
  sigsetIn: 'in', // a sigset_t (its size is the first `ulong` argument after it)
  sigactIn: 'in', // the kernel's struct sigaction
  strarray: 'in', // a NULL-terminated array of strings (argv)
  envarray: 'in', // a NULL-terminated array of strings that is counted, not read (envp)
  sockaddrIn: 'in', // a struct sockaddr, its length in the next argument
  iovIn: 'in', // struct iovec[] and the data they point to (writev), their count at the next argument
  rlimitIn: 'in', // struct rlimit
  stackIn: 'in', // stack_t (sigaltstack)
  cloneargs: 'in', // struct clone_args (clone3)
  sigeventIn: 'in', // struct sigevent (timer_create)
  itimerspecIn: 'in', // struct itimerspec
  timespecIn: 'in', // struct timespec (a timeout, a duration)
  epolleventIn: 'in', // struct epoll_event (epoll_ctl)
  sigframe: 'in', // rt_sigreturn's frame on the user stack (its signal mask), not an argument
  pollfds: 'in', // struct pollfd[] (its count is the next argument); the revents are read at exit
  socklen: 'in', // a socklen_t the kernel reads (room for the address before it) and writes back
  msghdrIn: 'in', // struct msghdr with its name, iovecs and control data (sendmsg)
  fdset: 'in', // select's fd_set (its size from nfds, argument 0); the ready ones are read at exit
  selsigmask: 'in', // pselect6's { const sigset_t *ss; size_t ss_len; } and the set it points to
  seltimeout: 'in', // select's timeout (a timeval; pselect6: a timespec), the time left read at exit
  // Memory written by the kernel, read at exit when the call succeeded.
  bufOut: 'out', // bytes, as many as the call returns
  bufOutHex: 'out', // bytes of random data (shown in hex)
  strOut: 'out', // a C string (getcwd)
  stat: 'out', // struct stat
  statx: 'out', // struct statx
  sigsetOut: 'out', // a sigset_t
  rlimitOut: 'out', // struct rlimit
  pipefds: 'out', // int[2]
  waitstatus: 'out', // int (a wait status)
  dirents: 'out', // struct linux_dirent64[] (counted)
  sockaddrOut: 'out', // a struct sockaddr the kernel writes, its length at the next argument
  iovOut: 'out', // struct iovec[] the kernel fills (readv), their count at the next argument
  msghdrOut: 'out', // struct msghdr the kernel fills (recvmsg): name, iovecs' data, control data, flags
  sockoptOut: 'out', // getsockopt's value, its length at the next argument (written back)
  sigactOut: 'out', // the kernel's struct sigaction
  stackOut: 'out', // stack_t
  utsname: 'out', // struct utsname
  sysinfo: 'out', // struct sysinfo
  statfs: 'out', // struct statfs
  timerid: 'out', // a timer_t the kernel writes
  itimerspecOut: 'out', // struct itimerspec
  epolleventsOut: 'out', // struct epoll_event[], as many as the call returns
  ioctlarg: 'out', // ioctl's argument: the struct of the request, read at exit (decoded per request)
  cpumask: 'out', // a CPU mask, as many bytes as the call returns
} as const;

export type ArgKind = keyof typeof ARG_KINDS;

/** What an argument is, whatever the way it prints. */
export type ArgClass = (typeof ARG_KINDS)[ArgKind];

/** An argument: its kind, or a buffer the kernel reads at entry whose length is argument `len`. */
export type Arg = ArgKind | { readonly kind: 'bufIn'; readonly len: number };

/** How the return value reads: a number, an address, none (the call does not return), a umask, a
 *  new file descriptor. */
export type RetKind = 'int' | 'hex' | 'none' | 'umask' | 'fd';

/** A buffer read at entry, its length in argument `len`. */
export const bufIn = (len: number): Arg => ({ kind: 'bufIn', len });

/** The class of an argument (a buffer read at entry is 'in'). */
export function argClass(a: Arg): ArgClass {
  return typeof a === 'object' ? 'in' : ARG_KINDS[a];
}
