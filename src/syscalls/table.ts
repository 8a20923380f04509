// The x86_64 system calls: one row per number with everything this project knows about it, as
// gVisor's linux64.go and strace's syscallent.h keep theirs. Every per-syscall list elsewhere is
// derived from here (path arguments, trace's signatures and classes, the credential calls, what
// `unreal` intercepts, what `count` counts by default); code looks numbers up here by name.
//
// A row: [number, name, facts, arguments, return]. Names and numbers are <asm/unistd_64.h>'s (the
// Linux 6.1 headers here, plus the calls added up to Linux 6.18). Facts are bits:
// - strace's classes (its syscallent.h flags, same names as its -e trace=%CLASS): DESC (%desc: takes
//   or returns a file descriptor), FILE (%file: takes a file name), IPC, NET (%network), PROC
//   (%process), SIG (%signal), MEM (%memory), STAT/LSTAT/FSTAT and STAT_LIKE (%stat %lstat %fstat
//   %%stat), STATFS/FSTATFS and STATFS_LIKE (%statfs %fstatfs %%statfs), PURE (%pure: getters
//   without arguments that never fail), CREDS (%creds), CLOCK (%clock);
// - SETS_CREDS: changes what the addon's identity cache holds for a thread (its uids/gids, groups,
//   capabilities, user namespace, or its process's root); SETS_ROOT: of those, the ones that may
//   change the root or the mount namespace;
// - EMULATED: the executor can realize a changed call as the tracee (src/chain/emulate);
// - COMMON: the calls most programs spend their syscalls on (`count`'s default set);
// - WALK: what a tree walk (find, tar c, rm -r, fts) makes for every entry relative to the
//   directory fd it holds: open a name, stat a name. Path-mapping engines leave these to the kernel
//   when the dirfd is a real directory (unless an `oflags` argument asks to create, write or
//   O_PATH), so that walks cost nothing; every other *at call is seen whatever its dirfd.
// - NOFOLLOW: a final symlink of its path arguments is never followed: the call acts on the name
//   itself (lstat, readlink, l*xattr, lchown; calls that create, remove or rename a name); for
//   linkat and name_to_handle_at, AT_SYMLINK_FOLLOW in its atflags makes the first path follow one.
//   Calls without it follow one unless their atflags (AT_SYMLINK_NOFOLLOW) or oflags (O_NOFOLLOW,
//   O_CREAT|O_EXCL) say otherwise.
// The arguments (kinds in ./kinds.ts), as many as strace prints, are given for every call but the
// ones the kernel does not implement (afs_syscall, vserver...), which print as six raw registers.
import { bufIn, type Arg, type RetKind } from './kinds.js';

export const DESC = 1 << 0;
export const FILE = 1 << 1;
export const IPC = 1 << 2;
export const NET = 1 << 3;
export const PROC = 1 << 4;
export const SIG = 1 << 5;
export const MEM = 1 << 6;
export const STAT = 1 << 7;
export const LSTAT = 1 << 8;
export const FSTAT = 1 << 9;
export const STAT_LIKE = 1 << 10;
export const STATFS = 1 << 11;
export const FSTATFS = 1 << 12;
export const STATFS_LIKE = 1 << 13;
export const PURE = 1 << 14;
export const CREDS = 1 << 15;
export const CLOCK = 1 << 16;
export const SETS_CREDS = 1 << 20;
export const SETS_ROOT = 1 << 21;
export const EMULATED = 1 << 22;
export const COMMON = 1 << 23;
export const WALK = 1 << 24;
export const NOFOLLOW = 1 << 25;

/**
 * strace's class names (-e trace=%NAME, and the legacy names without %) and their fact bits. A
 * syscall is in a class when it has all of the class's bits.
 */
export const STRACE_CLASSES: Readonly<Record<string, number>> = {
  '%desc': DESC, '%file': FILE, '%memory': MEM, '%process': PROC, '%creds': CREDS, '%signal': SIG,
  '%ipc': IPC, '%net': NET, '%network': NET, '%stat': STAT, '%lstat': LSTAT, '%fstat': FSTAT,
  '%%stat': STAT_LIKE, '%statfs': STATFS, '%fstatfs': FSTATFS, '%%statfs': STATFS_LIKE,
  '%pure': PURE, '%clock': CLOCK,
  desc: DESC, file: FILE, memory: MEM, process: PROC, signal: SIG, ipc: IPC, network: NET,
};

type Row = readonly [nr: number, name: string, facts: number, args?: readonly Arg[], ret?: RetKind];

const ROWS: readonly Row[] = [
  [0, 'read', DESC | COMMON, ['fd', 'bufOut', 'ulong']],
  [1, 'write', DESC | COMMON, ['fd', bufIn(2), 'ulong']],
  [2, 'open', DESC | FILE | EMULATED, ['path', 'oflags', 'mode'], 'fd'],
  [3, 'close', DESC | COMMON, ['fd']],
  [4, 'stat', FILE | STAT | STAT_LIKE | EMULATED, ['path', 'stat']],
  [5, 'fstat', DESC | FSTAT | STAT_LIKE | COMMON, ['fd', 'stat']],
  [6, 'lstat', FILE | LSTAT | STAT_LIKE | EMULATED | NOFOLLOW, ['path', 'stat']],
  [7, 'poll', DESC, ['pollfds', 'uint', 'int']],
  [8, 'lseek', DESC | COMMON, ['fd', 'long', 'whence']],
  [9, 'mmap', DESC | MEM | COMMON, ['ptr', 'ulong', 'prot', 'mapflags', 'fd', 'mapoff'], 'hex'],
  [10, 'mprotect', MEM, ['ptr', 'ulong', 'prot']],
  [11, 'munmap', MEM | COMMON, ['ptr', 'ulong']],
  [12, 'brk', MEM | COMMON, ['ptr'], 'hex'],
  [13, 'rt_sigaction', SIG, ['sig', 'sigactIn', 'sigactOut', 'ulong']],
  [14, 'rt_sigprocmask', SIG, ['sighow', 'sigsetIn', 'sigsetOut', 'ulong']],
  [15, 'rt_sigreturn', SIG, ['sigframe']],
  [16, 'ioctl', DESC, ['fd', 'ioctl', 'ioctlarg']],
  [17, 'pread64', DESC, ['fd', 'bufOut', 'ulong', 'long']],
  [18, 'pwrite64', DESC, ['fd', bufIn(2), 'ulong', 'long']],
  [19, 'readv', DESC, ['fd', 'iovOut', 'int']],
  [20, 'writev', DESC, ['fd', 'iovIn', 'int']],
  [21, 'access', FILE | EMULATED | COMMON, ['path', 'amode']],
  [22, 'pipe', DESC, ['pipefds']],
  [23, 'select', DESC, ['int', 'fdset', 'fdset', 'fdset', 'seltimeout']],
  [24, 'sched_yield', 0, []],
  [25, 'mremap', MEM, ['ptr', 'ulong', 'ulong', 'bits', 'ptr'], 'hex'],
  [26, 'msync', MEM, ['ptr', 'ulong', 'bits']],
  [27, 'mincore', MEM, ['ptr', 'ulong', 'ptr']],
  [28, 'madvise', MEM, ['ptr', 'ulong', 'madvice']],
  [29, 'shmget', IPC, ['hex', 'ulong', 'bits']],
  [30, 'shmat', IPC | MEM, ['int', 'ptr', 'bits'], 'hex'],
  [31, 'shmctl', IPC, ['int', 'int', 'ptr']],
  [32, 'dup', DESC, ['fd'], 'fd'],
  [33, 'dup2', DESC, ['fd', 'fd'], 'fd'],
  [34, 'pause', SIG, []],
  [35, 'nanosleep', 0, ['timespecIn', 'ptr']],
  [36, 'getitimer', 0, ['int', 'ptr']],
  [37, 'alarm', 0, ['uint']],
  [38, 'setitimer', 0, ['int', 'ptr', 'ptr']],
  [39, 'getpid', PURE, []],
  [40, 'sendfile', DESC | NET, ['fd', 'fd', 'ptr', 'ulong']],
  [41, 'socket', NET, ['sockdomain', 'socktype', 'sockproto'], 'fd'],
  [42, 'connect', NET | EMULATED, ['fd', 'sockaddrIn', 'int']],
  [43, 'accept', NET | EMULATED, ['fd', 'sockaddrOut', 'socklen'], 'fd'],
  [44, 'sendto', NET | EMULATED, ['fd', bufIn(2), 'ulong', 'msgflags', 'sockaddrIn', 'int']],
  [45, 'recvfrom', NET | EMULATED, ['fd', 'bufOut', 'ulong', 'msgflags', 'ptr', 'ptr']],
  [46, 'sendmsg', NET | EMULATED, ['fd', 'msghdrIn', 'msgflags']],
  [47, 'recvmsg', NET | EMULATED, ['fd', 'msghdrOut', 'msgflags']],
  [48, 'shutdown', NET, ['fd', 'int']],
  [49, 'bind', NET | EMULATED, ['fd', 'sockaddrIn', 'int']],
  [50, 'listen', NET, ['fd', 'int']],
  [51, 'getsockname', NET | EMULATED, ['fd', 'sockaddrOut', 'socklen']],
  [52, 'getpeername', NET | EMULATED, ['fd', 'sockaddrOut', 'socklen']],
  [53, 'socketpair', NET, ['sockdomain', 'socktype', 'int', 'pipefds']],
  [54, 'setsockopt', NET, ['fd', 'socklevel', 'int', bufIn(4), 'int']],
  [55, 'getsockopt', NET, ['fd', 'socklevel', 'int', 'sockoptOut', 'socklen']],
  [56, 'clone', PROC | COMMON, ['cloneflags', 'ptr', 'ptr', 'ptr', 'ptr']],
  [57, 'fork', PROC | COMMON, []],
  [58, 'vfork', PROC | COMMON, []],
  [59, 'execve', FILE | PROC | SETS_CREDS | EMULATED | COMMON, ['path', 'strarray', 'envarray']],
  [60, 'exit', PROC, ['int'], 'none'],
  [61, 'wait4', PROC | COMMON, ['pid', 'waitstatus', 'waitopts', 'ptr']],
  [62, 'kill', SIG | PROC, ['pid', 'sig']],
  [63, 'uname', 0, ['utsname']],
  [64, 'semget', IPC, ['hex', 'int', 'bits']],
  [65, 'semop', IPC, ['int', 'ptr', 'uint']],
  [66, 'semctl', IPC, ['int', 'int', 'int', 'bits']],
  [67, 'shmdt', IPC | MEM, ['ptr']],
  [68, 'msgget', IPC, ['hex', 'bits']],
  [69, 'msgsnd', IPC, ['int', 'ptr', 'ulong', 'bits']],
  [70, 'msgrcv', IPC, ['int', 'ptr', 'ulong', 'long', 'bits']],
  [71, 'msgctl', IPC, ['int', 'int', 'ptr']],
  [72, 'fcntl', DESC, ['fd', 'fcntlcmd', 'ulong']],
  [73, 'flock', DESC, ['fd', 'int']],
  [74, 'fsync', DESC, ['fd']],
  [75, 'fdatasync', DESC, ['fd']],
  [76, 'truncate', FILE | EMULATED, ['path', 'long']],
  [77, 'ftruncate', DESC, ['fd', 'long']],
  [78, 'getdents', DESC, ['fd', 'dirents', 'ulong']],
  [79, 'getcwd', FILE | EMULATED, ['strOut', 'ulong']],
  [80, 'chdir', FILE | EMULATED, ['path']],
  [81, 'fchdir', DESC, ['fd']],
  [82, 'rename', FILE | EMULATED | NOFOLLOW, ['path', 'path']],
  [83, 'mkdir', FILE | EMULATED | NOFOLLOW, ['path', 'mode']],
  [84, 'rmdir', FILE | EMULATED | NOFOLLOW, ['path']],
  [85, 'creat', DESC | FILE | EMULATED, ['path', 'mode'], 'fd'],
  [86, 'link', FILE | EMULATED | NOFOLLOW, ['path', 'path']],
  [87, 'unlink', FILE | EMULATED | NOFOLLOW, ['path']],
  [88, 'symlink', FILE | EMULATED | NOFOLLOW, ['str', 'path']],
  [89, 'readlink', FILE | EMULATED | COMMON | NOFOLLOW, ['path', 'bufOut', 'ulong']],
  [90, 'chmod', FILE | EMULATED, ['path', 'mode']],
  [91, 'fchmod', DESC, ['fd', 'mode']],
  [92, 'chown', FILE | EMULATED, ['path', 'int', 'int']],
  [93, 'fchown', DESC, ['fd', 'int', 'int']],
  [94, 'lchown', FILE | EMULATED | NOFOLLOW, ['path', 'int', 'int']],
  [95, 'umask', 0, ['umask'], 'umask'],
  [96, 'gettimeofday', CLOCK, ['ptr', 'ptr']],
  [97, 'getrlimit', 0, ['rlimres', 'rlimitOut']],
  [98, 'getrusage', 0, ['int', 'ptr']],
  [99, 'sysinfo', 0, ['sysinfo']],
  [100, 'times', 0, ['ptr']],
  [101, 'ptrace', 0, ['int', 'pid', 'ptr', 'ptr']],
  [102, 'getuid', CREDS | PURE, []],
  [103, 'syslog', 0, ['int', 'ptr', 'int']],
  [104, 'getgid', CREDS | PURE, []],
  [105, 'setuid', CREDS | SETS_CREDS, ['int']],
  [106, 'setgid', CREDS | SETS_CREDS, ['int']],
  [107, 'geteuid', CREDS | PURE, []],
  [108, 'getegid', CREDS | PURE, []],
  [109, 'setpgid', 0, ['pid', 'pid']],
  [110, 'getppid', PURE, []],
  [111, 'getpgrp', PURE, []],
  [112, 'setsid', 0, []],
  [113, 'setreuid', CREDS | SETS_CREDS, ['int', 'int']],
  [114, 'setregid', CREDS | SETS_CREDS, ['int', 'int']],
  [115, 'getgroups', CREDS, ['int', 'ptr']],
  [116, 'setgroups', CREDS | SETS_CREDS, ['int', 'ptr']],
  [117, 'setresuid', CREDS | SETS_CREDS, ['int', 'int', 'int']],
  [118, 'getresuid', CREDS, ['ptr', 'ptr', 'ptr']],
  [119, 'setresgid', CREDS | SETS_CREDS, ['int', 'int', 'int']],
  [120, 'getresgid', CREDS, ['ptr', 'ptr', 'ptr']],
  [121, 'getpgid', 0, ['pid']],
  [122, 'setfsuid', CREDS | SETS_CREDS, ['int']],
  [123, 'setfsgid', CREDS | SETS_CREDS, ['int']],
  [124, 'getsid', 0, ['pid']],
  [125, 'capget', CREDS, ['ptr', 'ptr']],
  [126, 'capset', CREDS | SETS_CREDS, ['ptr', 'ptr']],
  [127, 'rt_sigpending', SIG, ['sigsetOut', 'ulong']],
  [128, 'rt_sigtimedwait', SIG, ['sigsetIn', 'ptr', 'ptr', 'ulong']],
  [129, 'rt_sigqueueinfo', SIG | PROC, ['pid', 'sig', 'ptr']],
  [130, 'rt_sigsuspend', SIG, ['sigsetIn', 'ulong']],
  [131, 'sigaltstack', SIG, ['stackIn', 'stackOut']],
  [132, 'utime', FILE | EMULATED, ['path', 'ptr']],
  [133, 'mknod', FILE | EMULATED | NOFOLLOW, ['path', 'fmode', 'dev']],
  [134, 'uselib', FILE, ['path']],
  [135, 'personality', 0, ['hex']],
  [136, 'ustat', STATFS_LIKE, ['bits', 'ptr']],
  [137, 'statfs', FILE | STATFS | STATFS_LIKE | EMULATED, ['path', 'statfs']],
  [138, 'fstatfs', DESC | FSTATFS | STATFS_LIKE, ['fd', 'statfs']],
  [139, 'sysfs', 0, ['int', 'ulong', 'ulong']],
  [140, 'getpriority', 0, ['int', 'int']],
  [141, 'setpriority', 0, ['int', 'int', 'int']],
  [142, 'sched_setparam', 0, ['pid', 'ptr']],
  [143, 'sched_getparam', 0, ['pid', 'ptr']],
  [144, 'sched_setscheduler', 0, ['pid', 'int', 'ptr']],
  [145, 'sched_getscheduler', 0, ['pid']],
  [146, 'sched_get_priority_max', 0, ['int']],
  [147, 'sched_get_priority_min', 0, ['int']],
  [148, 'sched_rr_get_interval', 0, ['pid', 'ptr']],
  [149, 'mlock', MEM, ['ptr', 'ulong']],
  [150, 'munlock', MEM, ['ptr', 'ulong']],
  [151, 'mlockall', MEM, ['bits']],
  [152, 'munlockall', MEM, []],
  [153, 'vhangup', 0, []],
  [154, 'modify_ldt', 0, ['int', 'ptr', 'ulong']],
  [155, 'pivot_root', FILE | SETS_CREDS | SETS_ROOT | EMULATED, ['path', 'path']],
  [156, '_sysctl', 0],
  [157, 'prctl', CREDS, ['int', 'ulong', 'ulong', 'ulong', 'ulong']],
  [158, 'arch_prctl', 0, ['archprctl', 'ptr']],
  [159, 'adjtimex', CLOCK, ['ptr']],
  [160, 'setrlimit', 0, ['rlimres', 'rlimitIn']],
  [161, 'chroot', FILE | SETS_CREDS | SETS_ROOT | EMULATED, ['path']],
  [162, 'sync', 0, []],
  [163, 'acct', FILE, ['path']],
  [164, 'settimeofday', CLOCK, ['ptr', 'ptr']],
  [165, 'mount', FILE, ['str', 'path', 'str', 'hex', 'ptr']],
  [166, 'umount2', FILE, ['path', 'int']],
  [167, 'swapon', FILE, ['path', 'bits']],
  [168, 'swapoff', FILE, ['path']],
  [169, 'reboot', 0, ['hex', 'hex', 'hex', 'ptr']],
  [170, 'sethostname', 0, [bufIn(1), 'ulong']],
  [171, 'setdomainname', 0, [bufIn(1), 'ulong']],
  [172, 'iopl', 0, ['int']],
  [173, 'ioperm', 0, ['ulong', 'ulong', 'int']],
  [174, 'create_module', 0],
  [175, 'init_module', 0, ['ptr', 'ulong', 'str']],
  [176, 'delete_module', 0, ['str', 'bits']],
  [177, 'get_kernel_syms', 0],
  [178, 'query_module', 0],
  [179, 'quotactl', FILE, ['hex', 'path', 'int', 'ptr']],
  [180, 'nfsservctl', 0],
  [181, 'getpmsg', NET],
  [182, 'putpmsg', NET],
  [183, 'afs_syscall', 0],
  [184, 'tuxcall', 0],
  [185, 'security', 0],
  [186, 'gettid', PURE, []],
  [187, 'readahead', DESC, ['fd', 'long', 'ulong']],
  [188, 'setxattr', FILE | EMULATED, ['path', 'str', bufIn(3), 'ulong', 'int']],
  [189, 'lsetxattr', FILE | EMULATED | NOFOLLOW, ['path', 'str', bufIn(3), 'ulong', 'int']],
  [190, 'fsetxattr', DESC, ['fd', 'str', bufIn(3), 'ulong', 'int']],
  [191, 'getxattr', FILE | EMULATED, ['path', 'str', 'bufOut', 'ulong']],
  [192, 'lgetxattr', FILE | EMULATED | NOFOLLOW, ['path', 'str', 'bufOut', 'ulong']],
  [193, 'fgetxattr', DESC, ['fd', 'str', 'bufOut', 'ulong']],
  [194, 'listxattr', FILE | EMULATED, ['path', 'bufOut', 'ulong']],
  [195, 'llistxattr', FILE | EMULATED | NOFOLLOW, ['path', 'bufOut', 'ulong']],
  [196, 'flistxattr', DESC, ['fd', 'bufOut', 'ulong']],
  [197, 'removexattr', FILE | EMULATED, ['path', 'str']],
  [198, 'lremovexattr', FILE | EMULATED | NOFOLLOW, ['path', 'str']],
  [199, 'fremovexattr', DESC, ['fd', 'str']],
  [200, 'tkill', SIG | PROC, ['pid', 'sig']],
  [201, 'time', CLOCK, ['ptr']],
  [202, 'futex', 0, ['ptr', 'futexop', 'int', 'timespecIn', 'ptr', 'int']],
  [203, 'sched_setaffinity', 0, ['pid', 'ulong', 'ptr']],
  [204, 'sched_getaffinity', 0, ['pid', 'ulong', 'cpumask']],
  [205, 'set_thread_area', 0, ['ptr']],
  [206, 'io_setup', MEM, ['uint', 'ptr']],
  [207, 'io_destroy', MEM, ['ptr']],
  [208, 'io_getevents', 0, ['ptr', 'long', 'long', 'ptr', 'ptr']],
  [209, 'io_submit', 0, ['ptr', 'long', 'ptr']],
  [210, 'io_cancel', 0, ['ptr', 'ptr', 'ptr']],
  [211, 'get_thread_area', 0, ['ptr']],
  [212, 'lookup_dcookie', 0, ['bits', 'ptr', 'ulong']],
  [213, 'epoll_create', DESC, ['int'], 'fd'],
  [214, 'epoll_ctl_old', 0],
  [215, 'epoll_wait_old', 0],
  [216, 'remap_file_pages', MEM, ['ptr', 'ulong', 'bits', 'ulong', 'bits']],
  [217, 'getdents64', DESC | COMMON, ['fd', 'dirents', 'ulong']],
  [218, 'set_tid_address', 0, ['ptr']],
  [219, 'restart_syscall', 0, []],
  [220, 'semtimedop', IPC, ['int', 'ptr', 'uint', 'ptr']],
  [221, 'fadvise64', DESC, ['fd', 'long', 'long', 'fadvice']],
  [222, 'timer_create', 0, ['clockid', 'sigeventIn', 'timerid']],
  [223, 'timer_settime', 0, ['int', 'bits', 'itimerspecIn', 'itimerspecOut']],
  [224, 'timer_gettime', 0, ['int', 'itimerspecOut']],
  [225, 'timer_getoverrun', 0, ['int']],
  [226, 'timer_delete', 0, ['int']],
  [227, 'clock_settime', CLOCK, ['clockid', 'ptr']],
  [228, 'clock_gettime', CLOCK, ['clockid', 'ptr']],
  [229, 'clock_getres', CLOCK, ['clockid', 'ptr']],
  [230, 'clock_nanosleep', 0, ['clockid', 'int', 'timespecIn', 'ptr']],
  [231, 'exit_group', PROC, ['int'], 'none'],
  [232, 'epoll_wait', DESC, ['fd', 'epolleventsOut', 'int', 'int']],
  [233, 'epoll_ctl', DESC, ['fd', 'epollop', 'fd', 'epolleventIn']],
  [234, 'tgkill', SIG | PROC, ['pid', 'pid', 'sig']],
  [235, 'utimes', FILE | EMULATED, ['path', 'ptr']],
  [236, 'vserver', 0],
  [237, 'mbind', MEM, ['ptr', 'ulong', 'int', 'ptr', 'ulong', 'bits']],
  [238, 'set_mempolicy', MEM, ['int', 'ptr', 'ulong']],
  [239, 'get_mempolicy', MEM, ['ptr', 'ptr', 'ulong', 'ptr', 'bits']],
  [240, 'mq_open', DESC, ['str', 'oflags', 'mode', 'ptr'], 'fd'],
  [241, 'mq_unlink', 0, ['str']],
  [242, 'mq_timedsend', DESC, ['fd', bufIn(2), 'ulong', 'uint', 'ptr']],
  [243, 'mq_timedreceive', DESC, ['fd', 'bufOut', 'ulong', 'ptr', 'ptr']],
  [244, 'mq_notify', DESC, ['fd', 'ptr']],
  [245, 'mq_getsetattr', DESC, ['fd', 'ptr', 'ptr']],
  [246, 'kexec_load', 0, ['ulong', 'ulong', 'ptr', 'bits']],
  [247, 'waitid', PROC, ['int', 'pid', 'ptr', 'waitopts', 'ptr']],
  [248, 'add_key', 0, ['str', 'str', bufIn(3), 'ulong', 'int']],
  [249, 'request_key', 0, ['str', 'str', 'str', 'int']],
  [250, 'keyctl', 0, ['int', 'ulong', 'ulong', 'ulong', 'ulong']],
  [251, 'ioprio_set', 0, ['int', 'int', 'int']],
  [252, 'ioprio_get', 0, ['int', 'int']],
  [253, 'inotify_init', DESC, [], 'fd'],
  [254, 'inotify_add_watch', DESC | FILE | EMULATED, ['fd', 'path', 'hex']],
  [255, 'inotify_rm_watch', DESC, ['fd', 'int']],
  [256, 'migrate_pages', MEM, ['pid', 'ulong', 'ptr', 'ptr']],
  [257, 'openat', DESC | FILE | EMULATED | COMMON | WALK, ['dirfd', 'path', 'oflags', 'mode'], 'fd'],
  [258, 'mkdirat', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'mode']],
  [259, 'mknodat', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'fmode', 'dev']],
  [260, 'fchownat', DESC | FILE | EMULATED, ['dirfd', 'path', 'int', 'int', 'atflags']],
  [261, 'futimesat', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr']],
  [262, 'newfstatat', DESC | FILE | FSTAT | STAT_LIKE | EMULATED | COMMON | WALK, ['dirfd', 'path', 'stat', 'atflags']],
  [263, 'unlinkat', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'unlinkflags']],
  [264, 'renameat', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'dirfd', 'path']],
  [265, 'linkat', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'dirfd', 'path', 'atflags']],
  [266, 'symlinkat', DESC | FILE | EMULATED | NOFOLLOW, ['str', 'dirfd', 'path']],
  [267, 'readlinkat', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'bufOut', 'ulong']],
  [268, 'fchmodat', DESC | FILE | EMULATED, ['dirfd', 'path', 'mode']],
  [269, 'faccessat', DESC | FILE | EMULATED, ['dirfd', 'path', 'amode']],
  [270, 'pselect6', DESC, ['int', 'fdset', 'fdset', 'fdset', 'seltimeout', 'selsigmask']],
  [271, 'ppoll', DESC, ['pollfds', 'uint', 'ptr', 'sigsetIn', 'ulong']],
  [272, 'unshare', SETS_CREDS | SETS_ROOT, ['cloneflags']],
  [273, 'set_robust_list', 0, ['ptr', 'ulong']],
  [274, 'get_robust_list', 0, ['pid', 'ptr', 'ptr']],
  [275, 'splice', DESC, ['fd', 'ptr', 'fd', 'ptr', 'ulong', 'bits']],
  [276, 'tee', DESC, ['fd', 'fd', 'ulong', 'bits']],
  [277, 'sync_file_range', DESC, ['fd', 'long', 'long', 'bits']],
  [278, 'vmsplice', DESC, ['fd', 'ptr', 'ulong', 'bits']],
  [279, 'move_pages', MEM, ['pid', 'ulong', 'ptr', 'ptr', 'ptr', 'bits']],
  [280, 'utimensat', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr', 'atflags']],
  [281, 'epoll_pwait', DESC, ['fd', 'epolleventsOut', 'int', 'int', 'sigsetIn', 'ulong']],
  [282, 'signalfd', DESC | SIG, ['fd', 'sigsetIn', 'ulong'], 'fd'],
  [283, 'timerfd_create', DESC, ['clockid', 'tfdflags'], 'fd'],
  [284, 'eventfd', DESC, ['uint'], 'fd'],
  [285, 'fallocate', DESC, ['fd', 'bits', 'long', 'long']],
  [286, 'timerfd_settime', DESC, ['fd', 'bits', 'ptr', 'ptr']],
  [287, 'timerfd_gettime', DESC, ['fd', 'ptr']],
  [288, 'accept4', NET | EMULATED, ['fd', 'sockaddrOut', 'socklen', 'sockflags'], 'fd'],
  [289, 'signalfd4', DESC | SIG, ['fd', 'sigsetIn', 'ulong', 'bits'], 'fd'],
  [290, 'eventfd2', DESC, ['uint', 'efdflags'], 'fd'],
  [291, 'epoll_create1', DESC, ['epollflags'], 'fd'],
  [292, 'dup3', DESC, ['fd', 'fd', 'fdflags'], 'fd'],
  [293, 'pipe2', DESC, ['pipefds', 'fdflags']],
  [294, 'inotify_init1', DESC, ['inflags'], 'fd'],
  [295, 'preadv', DESC, ['fd', 'iovOut', 'int', 'long']],
  [296, 'pwritev', DESC, ['fd', 'iovIn', 'int', 'long']],
  [297, 'rt_tgsigqueueinfo', PROC | SIG, ['pid', 'pid', 'sig', 'ptr']],
  [298, 'perf_event_open', DESC, ['ptr', 'pid', 'int', 'fd', 'bits'], 'fd'],
  [299, 'recvmmsg', NET, ['fd', 'ptr', 'uint', 'msgflags', 'ptr']],
  [300, 'fanotify_init', DESC, ['bits', 'bits'], 'fd'],
  [301, 'fanotify_mark', DESC | FILE, ['fd', 'bits', 'bits', 'dirfd', 'path']],
  [302, 'prlimit64', 0, ['pid', 'rlimres', 'rlimitIn', 'rlimitOut']],
  [303, 'name_to_handle_at', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'ptr', 'ptr', 'atflags']],
  [304, 'open_by_handle_at', DESC, ['fd', 'ptr', 'oflags'], 'fd'],
  [305, 'clock_adjtime', CLOCK, ['clockid', 'ptr']],
  [306, 'syncfs', DESC, ['fd']],
  [307, 'sendmmsg', NET | EMULATED, ['fd', 'ptr', 'uint', 'msgflags']],
  [308, 'setns', DESC | SETS_CREDS | SETS_ROOT, ['fd', 'cloneflags']],
  [309, 'getcpu', 0, ['ptr', 'ptr', 'ptr']],
  [310, 'process_vm_readv', 0, ['pid', 'ptr', 'ulong', 'ptr', 'ulong', 'ulong']],
  [311, 'process_vm_writev', 0, ['pid', 'ptr', 'ulong', 'ptr', 'ulong', 'ulong']],
  [312, 'kcmp', 0, ['pid', 'pid', 'int', 'ulong', 'ulong']],
  [313, 'finit_module', DESC, ['fd', 'str', 'bits']],
  [314, 'sched_setattr', 0, ['pid', 'ptr', 'bits']],
  [315, 'sched_getattr', 0, ['pid', 'ptr', 'uint', 'bits']],
  [316, 'renameat2', DESC | FILE | EMULATED | NOFOLLOW, ['dirfd', 'path', 'dirfd', 'path', 'renameflags']],
  [317, 'seccomp', 0, ['int', 'bits', 'ptr']],
  [318, 'getrandom', 0, ['bufOutHex', 'ulong', 'grndflags']],
  [319, 'memfd_create', DESC, ['str', 'uint'], 'fd'],
  [320, 'kexec_file_load', DESC, ['fd', 'fd', 'ulong', 'str', 'bits']],
  [321, 'bpf', DESC, ['int', 'ptr', 'uint']],
  [322, 'execveat', DESC | FILE | PROC | SETS_CREDS | EMULATED, ['dirfd', 'path', 'strarray', 'envarray', 'atflags']],
  [323, 'userfaultfd', DESC, ['bits'], 'fd'],
  [324, 'membarrier', 0, ['int', 'bits', 'int']],
  [325, 'mlock2', MEM, ['ptr', 'ulong', 'bits']],
  [326, 'copy_file_range', DESC, ['fd', 'ptr', 'fd', 'ptr', 'ulong', 'uint']],
  [327, 'preadv2', DESC, ['fd', 'iovOut', 'int', 'long', 'long', 'bits']],
  [328, 'pwritev2', DESC, ['fd', 'iovIn', 'int', 'long', 'long', 'bits']],
  [329, 'pkey_mprotect', MEM, ['ptr', 'ulong', 'prot', 'int']],
  [330, 'pkey_alloc', 0, ['bits', 'bits']],
  [331, 'pkey_free', 0, ['int']],
  [332, 'statx', DESC | FILE | FSTAT | STAT_LIKE | EMULATED | COMMON | WALK, ['dirfd', 'path', 'atflags', 'statxmask', 'statx']],
  [333, 'io_pgetevents', 0, ['ptr', 'long', 'long', 'ptr', 'ptr', 'ptr']],
  [334, 'rseq', 0, ['ptr', 'hex', 'int', 'hex']],
  [335, 'uretprobe', 0, []],
  [336, 'uprobe', 0, []],
  [424, 'pidfd_send_signal', DESC | SIG | PROC, ['fd', 'sig', 'ptr', 'bits']],
  [425, 'io_uring_setup', DESC, ['uint', 'ptr'], 'fd'],
  [426, 'io_uring_enter', DESC | SIG, ['fd', 'uint', 'uint', 'bits', 'ptr', 'ulong']],
  [427, 'io_uring_register', DESC | MEM, ['fd', 'uint', 'ptr', 'uint']],
  [428, 'open_tree', DESC | FILE, ['dirfd', 'path', 'bits'], 'fd'],
  [429, 'move_mount', DESC | FILE, ['dirfd', 'path', 'dirfd', 'path', 'bits']],
  [430, 'fsopen', DESC, ['str', 'bits'], 'fd'],
  [431, 'fsconfig', DESC | FILE, ['fd', 'uint', 'str', 'ptr', 'int']],
  [432, 'fsmount', DESC, ['fd', 'bits', 'bits'], 'fd'],
  [433, 'fspick', DESC | FILE, ['dirfd', 'path', 'bits'], 'fd'],
  [434, 'pidfd_open', DESC, ['pid', 'bits'], 'fd'],
  [435, 'clone3', PROC | COMMON, ['cloneargs', 'ulong']],
  [436, 'close_range', 0, ['uint', 'uint', 'uint']],
  [437, 'openat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr', 'ulong'], 'fd'],
  [438, 'pidfd_getfd', DESC, ['fd', 'fd', 'bits'], 'fd'],
  [439, 'faccessat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'amode', 'atflags']],
  [440, 'process_madvise', DESC, ['fd', 'ptr', 'ulong', 'madvice', 'bits']],
  [441, 'epoll_pwait2', DESC, ['fd', 'epolleventsOut', 'int', 'ptr', 'sigsetIn', 'ulong']],
  [442, 'mount_setattr', DESC | FILE, ['dirfd', 'path', 'atflags', 'ptr', 'ulong']],
  [443, 'quotactl_fd', DESC, ['fd', 'bits', 'int', 'ptr']],
  [444, 'landlock_create_ruleset', DESC, ['ptr', 'ulong', 'bits'], 'fd'],
  [445, 'landlock_add_rule', DESC, ['fd', 'int', 'ptr', 'bits']],
  [446, 'landlock_restrict_self', DESC, ['fd', 'bits']],
  [447, 'memfd_secret', DESC, ['bits'], 'fd'],
  [448, 'process_mrelease', DESC, ['fd', 'bits']],
  [449, 'futex_waitv', 0, ['ptr', 'uint', 'bits', 'ptr', 'clockid']],
  [450, 'set_mempolicy_home_node', MEM, ['ptr', 'ulong', 'ulong', 'bits']],
  [451, 'cachestat', DESC, ['fd', 'ptr', 'ptr', 'bits']],
  [452, 'fchmodat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'mode', 'atflags']],
  [453, 'map_shadow_stack', MEM, ['ptr', 'ulong', 'bits'], 'hex'],
  [454, 'futex_wake', 0, ['ptr', 'bits', 'int', 'bits']],
  [455, 'futex_wait', 0, ['ptr', 'bits', 'bits', 'bits', 'ptr', 'clockid']],
  [456, 'futex_requeue', 0, ['ptr', 'bits', 'int', 'int']],
  [457, 'statmount', 0, ['ptr', 'ptr', 'ulong', 'bits']],
  [458, 'listmount', 0, ['ptr', 'ptr', 'ulong', 'bits']],
  [459, 'lsm_get_self_attr', 0, ['uint', 'ptr', 'ptr', 'bits']],
  [460, 'lsm_set_self_attr', 0, ['uint', 'ptr', 'ulong', 'bits']],
  [461, 'lsm_list_modules', 0, ['ptr', 'ptr', 'bits']],
  [462, 'mseal', MEM, ['ptr', 'ulong', 'bits']],
  [463, 'setxattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'str', 'ptr', 'ulong']],
  [464, 'getxattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'str', 'ptr', 'ulong']],
  [465, 'listxattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'bufOut', 'ulong']],
  [466, 'removexattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'str']],
  [467, 'open_tree_attr', DESC | FILE, ['dirfd', 'path', 'bits', 'ptr', 'ulong']],
  [468, 'file_getattr', DESC | FILE, ['dirfd', 'path', 'ptr', 'ulong', 'atflags']],
  [469, 'file_setattr', DESC | FILE, ['dirfd', 'path', 'ptr', 'ulong', 'atflags']],
];

/** One syscall: its number, name, facts, and, when known, its arguments and return kind. */
export interface SyscallInfo {
  readonly nr: number;
  readonly name: string;
  readonly facts: number;
  readonly args?: readonly Arg[];
  readonly ret?: RetKind;
}

const BY_NR: (SyscallInfo | undefined)[] = [];
const BY_NAME = new Map<string, SyscallInfo>();
for (const [nr, name, facts, args, ret] of ROWS) {
  const info: SyscallInfo = { nr, name, facts, ...(args && { args }), ...(ret && { ret }) };
  BY_NR[nr] = info;
  BY_NAME.set(name, info);
}

/** Every syscall, in number order. */
export const TABLE: readonly SyscallInfo[] = [...BY_NAME.values()];

/** x86_64 system call names indexed by number. Holes are empty strings. */
export const SYSCALLS: readonly string[] = Array.from(BY_NR, (s) => s?.name ?? '');

/** The x86_64 number of a syscall name, or undefined. */
export function syscallNumber(name: string): number | undefined {
  return BY_NAME.get(name)?.nr;
}

/** The number of a syscall this code names (module-load lookups): throws for an unknown name. */
export function nrOf(name: string): number {
  const nr = BY_NAME.get(name)?.nr;
  if (nr === undefined) throw new Error(`no x86_64 syscall named ${name}`);
  return nr;
}

/** The name of an x86_64 syscall number, or `syscall_NNN` for unknown numbers (as strace prints). */
export function syscallName(nr: number): string {
  return SYSCALLS[nr] || `syscall_${nr}`;
}

/** What the table says about a syscall (by name or number), or undefined. */
export function syscallInfo(key: string | number): SyscallInfo | undefined {
  return typeof key === 'number' ? BY_NR[key] : BY_NAME.get(key);
}

/** The names of the syscalls that have every bit of `facts`, in number order. */
export function syscallsWith(facts: number): string[] {
  return TABLE.filter((s) => (s.facts & facts) === facts).map((s) => s.name);
}
