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
// - COMMON: the calls most programs spend their syscalls on (`count`'s default set).
// The arguments (kinds in ./kinds.ts) are given for the calls the trace engine decodes and for
// every call that takes a path; a row without them prints as six raw registers.
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
  [2, 'open', DESC | FILE | EMULATED, ['path', 'oflags', 'mode']],
  [3, 'close', DESC | COMMON, ['fd']],
  [4, 'stat', FILE | STAT | STAT_LIKE | EMULATED, ['path', 'stat']],
  [5, 'fstat', DESC | FSTAT | STAT_LIKE | COMMON, ['fd', 'stat']],
  [6, 'lstat', FILE | LSTAT | STAT_LIKE | EMULATED, ['path', 'stat']],
  [7, 'poll', DESC, ['ptr', 'uint', 'int']],
  [8, 'lseek', DESC | COMMON, ['fd', 'long', 'whence']],
  [9, 'mmap', DESC | MEM | COMMON, ['ptr', 'ulong', 'prot', 'mapflags', 'fd', 'mapoff'], 'hex'],
  [10, 'mprotect', MEM, ['ptr', 'ulong', 'prot']],
  [11, 'munmap', MEM | COMMON, ['ptr', 'ulong']],
  [12, 'brk', MEM | COMMON, ['ptr'], 'hex'],
  [13, 'rt_sigaction', SIG, ['sig', 'sigactIn', 'sigactOut', 'ulong']],
  [14, 'rt_sigprocmask', SIG, ['sighow', 'sigsetIn', 'sigsetOut', 'ulong']],
  [15, 'rt_sigreturn', SIG, []],
  [16, 'ioctl', DESC, ['fd', 'ioctl', 'ptr']],
  [17, 'pread64', DESC, ['fd', 'bufOut', 'ulong', 'long']],
  [18, 'pwrite64', DESC, ['fd', bufIn(2), 'ulong', 'long']],
  [19, 'readv', DESC],
  [20, 'writev', DESC],
  [21, 'access', FILE | EMULATED | COMMON, ['path', 'amode']],
  [22, 'pipe', DESC, ['pipefds']],
  [23, 'select', DESC],
  [24, 'sched_yield', 0, []],
  [25, 'mremap', MEM],
  [26, 'msync', MEM],
  [27, 'mincore', MEM],
  [28, 'madvise', MEM, ['ptr', 'ulong', 'madvice']],
  [29, 'shmget', IPC],
  [30, 'shmat', IPC | MEM],
  [31, 'shmctl', IPC],
  [32, 'dup', DESC, ['fd']],
  [33, 'dup2', DESC, ['fd', 'fd']],
  [34, 'pause', SIG, []],
  [35, 'nanosleep', 0, ['ptr', 'ptr']],
  [36, 'getitimer', 0],
  [37, 'alarm', 0, ['uint']],
  [38, 'setitimer', 0],
  [39, 'getpid', PURE, []],
  [40, 'sendfile', DESC | NET, ['fd', 'fd', 'ptr', 'ulong']],
  [41, 'socket', NET, ['sockdomain', 'socktype', 'int']],
  [42, 'connect', NET | EMULATED, ['fd', 'ptr', 'int']],
  [43, 'accept', NET],
  [44, 'sendto', NET, ['fd', bufIn(2), 'ulong', 'hex', 'ptr', 'int']],
  [45, 'recvfrom', NET, ['fd', 'bufOut', 'ulong', 'hex', 'ptr', 'ptr']],
  [46, 'sendmsg', NET],
  [47, 'recvmsg', NET],
  [48, 'shutdown', NET, ['fd', 'int']],
  [49, 'bind', NET | EMULATED, ['fd', 'ptr', 'int']],
  [50, 'listen', NET, ['fd', 'int']],
  [51, 'getsockname', NET],
  [52, 'getpeername', NET],
  [53, 'socketpair', NET],
  [54, 'setsockopt', NET],
  [55, 'getsockopt', NET],
  [56, 'clone', PROC | COMMON, ['cloneflags', 'ptr', 'ptr', 'ptr', 'ptr']],
  [57, 'fork', PROC | COMMON, []],
  [58, 'vfork', PROC | COMMON, []],
  [59, 'execve', FILE | PROC | SETS_CREDS | EMULATED | COMMON, ['path', 'strarray', 'envarray']],
  [60, 'exit', PROC, ['int'], 'none'],
  [61, 'wait4', PROC | COMMON, ['pid', 'waitstatus', 'waitopts', 'ptr']],
  [62, 'kill', SIG | PROC, ['pid', 'sig']],
  [63, 'uname', 0, ['ptr']],
  [64, 'semget', IPC],
  [65, 'semop', IPC],
  [66, 'semctl', IPC],
  [67, 'shmdt', IPC | MEM],
  [68, 'msgget', IPC],
  [69, 'msgsnd', IPC],
  [70, 'msgrcv', IPC],
  [71, 'msgctl', IPC],
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
  [82, 'rename', FILE | EMULATED, ['path', 'path']],
  [83, 'mkdir', FILE | EMULATED, ['path', 'mode']],
  [84, 'rmdir', FILE | EMULATED, ['path']],
  [85, 'creat', DESC | FILE | EMULATED, ['path', 'mode']],
  [86, 'link', FILE | EMULATED, ['path', 'path']],
  [87, 'unlink', FILE | EMULATED, ['path']],
  [88, 'symlink', FILE | EMULATED, ['str', 'path']],
  [89, 'readlink', FILE | EMULATED | COMMON, ['path', 'bufOut', 'ulong']],
  [90, 'chmod', FILE | EMULATED, ['path', 'mode']],
  [91, 'fchmod', DESC, ['fd', 'mode']],
  [92, 'chown', FILE | EMULATED, ['path', 'int', 'int']],
  [93, 'fchown', DESC, ['fd', 'int', 'int']],
  [94, 'lchown', FILE | EMULATED, ['path', 'int', 'int']],
  [95, 'umask', 0, ['umask'], 'umask'],
  [96, 'gettimeofday', CLOCK],
  [97, 'getrlimit', 0, ['rlimres', 'rlimitOut']],
  [98, 'getrusage', 0],
  [99, 'sysinfo', 0, ['ptr']],
  [100, 'times', 0],
  [101, 'ptrace', 0],
  [102, 'getuid', CREDS | PURE, []],
  [103, 'syslog', 0],
  [104, 'getgid', CREDS | PURE, []],
  [105, 'setuid', CREDS | SETS_CREDS, ['int']],
  [106, 'setgid', CREDS | SETS_CREDS, ['int']],
  [107, 'geteuid', CREDS | PURE, []],
  [108, 'getegid', CREDS | PURE, []],
  [109, 'setpgid', 0, ['pid', 'pid']],
  [110, 'getppid', PURE, []],
  [111, 'getpgrp', PURE, []],
  [112, 'setsid', 0, []],
  [113, 'setreuid', CREDS | SETS_CREDS],
  [114, 'setregid', CREDS | SETS_CREDS],
  [115, 'getgroups', CREDS],
  [116, 'setgroups', CREDS | SETS_CREDS],
  [117, 'setresuid', CREDS | SETS_CREDS],
  [118, 'getresuid', CREDS],
  [119, 'setresgid', CREDS | SETS_CREDS],
  [120, 'getresgid', CREDS],
  [121, 'getpgid', 0, ['pid']],
  [122, 'setfsuid', CREDS | SETS_CREDS],
  [123, 'setfsgid', CREDS | SETS_CREDS],
  [124, 'getsid', 0, ['pid']],
  [125, 'capget', CREDS],
  [126, 'capset', CREDS | SETS_CREDS],
  [127, 'rt_sigpending', SIG],
  [128, 'rt_sigtimedwait', SIG],
  [129, 'rt_sigqueueinfo', SIG | PROC],
  [130, 'rt_sigsuspend', SIG],
  [131, 'sigaltstack', SIG],
  [132, 'utime', FILE | EMULATED, ['path', 'ptr']],
  [133, 'mknod', FILE | EMULATED, ['path', 'fmode', 'dev']],
  [134, 'uselib', FILE, ['path']],
  [135, 'personality', 0],
  [136, 'ustat', STATFS_LIKE],
  [137, 'statfs', FILE | STATFS | STATFS_LIKE | EMULATED, ['path', 'ptr']],
  [138, 'fstatfs', DESC | FSTATFS | STATFS_LIKE, ['fd', 'ptr']],
  [139, 'sysfs', 0],
  [140, 'getpriority', 0, ['int', 'int']],
  [141, 'setpriority', 0],
  [142, 'sched_setparam', 0],
  [143, 'sched_getparam', 0],
  [144, 'sched_setscheduler', 0],
  [145, 'sched_getscheduler', 0],
  [146, 'sched_get_priority_max', 0],
  [147, 'sched_get_priority_min', 0],
  [148, 'sched_rr_get_interval', 0],
  [149, 'mlock', MEM],
  [150, 'munlock', MEM],
  [151, 'mlockall', MEM],
  [152, 'munlockall', MEM],
  [153, 'vhangup', 0],
  [154, 'modify_ldt', 0],
  [155, 'pivot_root', FILE | SETS_CREDS | SETS_ROOT | EMULATED, ['path', 'path']],
  [156, '_sysctl', 0],
  [157, 'prctl', CREDS],
  [158, 'arch_prctl', 0, ['archprctl', 'ptr']],
  [159, 'adjtimex', CLOCK],
  [160, 'setrlimit', 0],
  [161, 'chroot', FILE | SETS_CREDS | SETS_ROOT | EMULATED, ['path']],
  [162, 'sync', 0, []],
  [163, 'acct', FILE, ['path']],
  [164, 'settimeofday', CLOCK],
  [165, 'mount', FILE, ['str', 'path', 'str', 'hex', 'ptr']],
  [166, 'umount2', FILE, ['path', 'int']],
  [167, 'swapon', FILE, ['path', 'hex']],
  [168, 'swapoff', FILE, ['path']],
  [169, 'reboot', 0],
  [170, 'sethostname', 0],
  [171, 'setdomainname', 0],
  [172, 'iopl', 0],
  [173, 'ioperm', 0],
  [174, 'create_module', 0],
  [175, 'init_module', 0],
  [176, 'delete_module', 0],
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
  [187, 'readahead', DESC],
  [188, 'setxattr', FILE | EMULATED, ['path', 'str', bufIn(3), 'ulong', 'int']],
  [189, 'lsetxattr', FILE | EMULATED, ['path', 'str', bufIn(3), 'ulong', 'int']],
  [190, 'fsetxattr', DESC, ['fd', 'str', bufIn(3), 'ulong', 'int']],
  [191, 'getxattr', FILE | EMULATED, ['path', 'str', 'bufOut', 'ulong']],
  [192, 'lgetxattr', FILE | EMULATED, ['path', 'str', 'bufOut', 'ulong']],
  [193, 'fgetxattr', DESC, ['fd', 'str', 'bufOut', 'ulong']],
  [194, 'listxattr', FILE | EMULATED, ['path', 'bufOut', 'ulong']],
  [195, 'llistxattr', FILE | EMULATED, ['path', 'bufOut', 'ulong']],
  [196, 'flistxattr', DESC, ['fd', 'bufOut', 'ulong']],
  [197, 'removexattr', FILE | EMULATED, ['path', 'str']],
  [198, 'lremovexattr', FILE | EMULATED, ['path', 'str']],
  [199, 'fremovexattr', DESC, ['fd', 'str']],
  [200, 'tkill', SIG | PROC, ['pid', 'sig']],
  [201, 'time', CLOCK],
  [202, 'futex', 0, ['ptr', 'futexop', 'int', 'ptr', 'ptr', 'int']],
  [203, 'sched_setaffinity', 0],
  [204, 'sched_getaffinity', 0, ['pid', 'ulong', 'ptr']],
  [205, 'set_thread_area', 0],
  [206, 'io_setup', MEM],
  [207, 'io_destroy', MEM],
  [208, 'io_getevents', 0],
  [209, 'io_submit', 0],
  [210, 'io_cancel', 0],
  [211, 'get_thread_area', 0],
  [212, 'lookup_dcookie', 0],
  [213, 'epoll_create', DESC],
  [214, 'epoll_ctl_old', 0],
  [215, 'epoll_wait_old', 0],
  [216, 'remap_file_pages', MEM],
  [217, 'getdents64', DESC | COMMON, ['fd', 'dirents', 'ulong']],
  [218, 'set_tid_address', 0, ['ptr']],
  [219, 'restart_syscall', 0, []],
  [220, 'semtimedop', IPC],
  [221, 'fadvise64', DESC, ['fd', 'long', 'long', 'fadvice']],
  [222, 'timer_create', 0],
  [223, 'timer_settime', 0],
  [224, 'timer_gettime', 0],
  [225, 'timer_getoverrun', 0],
  [226, 'timer_delete', 0],
  [227, 'clock_settime', CLOCK],
  [228, 'clock_gettime', CLOCK, ['clockid', 'ptr']],
  [229, 'clock_getres', CLOCK],
  [230, 'clock_nanosleep', 0, ['clockid', 'int', 'ptr', 'ptr']],
  [231, 'exit_group', PROC, ['int'], 'none'],
  [232, 'epoll_wait', DESC],
  [233, 'epoll_ctl', DESC],
  [234, 'tgkill', SIG | PROC, ['pid', 'pid', 'sig']],
  [235, 'utimes', FILE | EMULATED, ['path', 'ptr']],
  [236, 'vserver', 0],
  [237, 'mbind', MEM],
  [238, 'set_mempolicy', MEM],
  [239, 'get_mempolicy', MEM],
  [240, 'mq_open', DESC],
  [241, 'mq_unlink', 0],
  [242, 'mq_timedsend', DESC],
  [243, 'mq_timedreceive', DESC],
  [244, 'mq_notify', DESC],
  [245, 'mq_getsetattr', DESC],
  [246, 'kexec_load', 0],
  [247, 'waitid', PROC],
  [248, 'add_key', 0],
  [249, 'request_key', 0],
  [250, 'keyctl', 0],
  [251, 'ioprio_set', 0],
  [252, 'ioprio_get', 0],
  [253, 'inotify_init', DESC],
  [254, 'inotify_add_watch', DESC | FILE | EMULATED, ['fd', 'path', 'hex']],
  [255, 'inotify_rm_watch', DESC],
  [256, 'migrate_pages', MEM],
  [257, 'openat', DESC | FILE | EMULATED | COMMON, ['dirfd', 'path', 'oflags', 'mode']],
  [258, 'mkdirat', DESC | FILE | EMULATED, ['dirfd', 'path', 'mode']],
  [259, 'mknodat', DESC | FILE | EMULATED, ['dirfd', 'path', 'fmode', 'dev']],
  [260, 'fchownat', DESC | FILE | EMULATED, ['dirfd', 'path', 'int', 'int', 'atflags']],
  [261, 'futimesat', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr']],
  [262, 'newfstatat', DESC | FILE | FSTAT | STAT_LIKE | EMULATED | COMMON, ['dirfd', 'path', 'stat', 'atflags']],
  [263, 'unlinkat', DESC | FILE | EMULATED, ['dirfd', 'path', 'unlinkflags']],
  [264, 'renameat', DESC | FILE | EMULATED, ['dirfd', 'path', 'dirfd', 'path']],
  [265, 'linkat', DESC | FILE | EMULATED, ['dirfd', 'path', 'dirfd', 'path', 'atflags']],
  [266, 'symlinkat', DESC | FILE | EMULATED, ['str', 'dirfd', 'path']],
  [267, 'readlinkat', DESC | FILE | EMULATED, ['dirfd', 'path', 'bufOut', 'ulong']],
  [268, 'fchmodat', DESC | FILE | EMULATED, ['dirfd', 'path', 'mode']],
  [269, 'faccessat', DESC | FILE | EMULATED, ['dirfd', 'path', 'amode']],
  [270, 'pselect6', DESC],
  [271, 'ppoll', DESC],
  [272, 'unshare', SETS_CREDS | SETS_ROOT, ['cloneflags']],
  [273, 'set_robust_list', 0, ['ptr', 'ulong']],
  [274, 'get_robust_list', 0],
  [275, 'splice', DESC],
  [276, 'tee', DESC],
  [277, 'sync_file_range', DESC],
  [278, 'vmsplice', DESC],
  [279, 'move_pages', MEM],
  [280, 'utimensat', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr', 'atflags']],
  [281, 'epoll_pwait', DESC],
  [282, 'signalfd', DESC | SIG],
  [283, 'timerfd_create', DESC],
  [284, 'eventfd', DESC],
  [285, 'fallocate', DESC],
  [286, 'timerfd_settime', DESC],
  [287, 'timerfd_gettime', DESC],
  [288, 'accept4', NET],
  [289, 'signalfd4', DESC | SIG],
  [290, 'eventfd2', DESC, ['uint', 'fdflags']],
  [291, 'epoll_create1', DESC, ['fdflags']],
  [292, 'dup3', DESC, ['fd', 'fd', 'fdflags']],
  [293, 'pipe2', DESC, ['pipefds', 'fdflags']],
  [294, 'inotify_init1', DESC, ['fdflags']],
  [295, 'preadv', DESC],
  [296, 'pwritev', DESC],
  [297, 'rt_tgsigqueueinfo', PROC | SIG],
  [298, 'perf_event_open', DESC],
  [299, 'recvmmsg', NET],
  [300, 'fanotify_init', DESC],
  [301, 'fanotify_mark', DESC | FILE, ['fd', 'hex', 'hex', 'dirfd', 'path']],
  [302, 'prlimit64', 0, ['pid', 'rlimres', 'ptr', 'rlimitOut']],
  [303, 'name_to_handle_at', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr', 'ptr', 'atflags']],
  [304, 'open_by_handle_at', DESC],
  [305, 'clock_adjtime', CLOCK],
  [306, 'syncfs', DESC, ['fd']],
  [307, 'sendmmsg', NET],
  [308, 'setns', DESC | SETS_CREDS | SETS_ROOT],
  [309, 'getcpu', 0],
  [310, 'process_vm_readv', 0],
  [311, 'process_vm_writev', 0],
  [312, 'kcmp', 0],
  [313, 'finit_module', DESC],
  [314, 'sched_setattr', 0],
  [315, 'sched_getattr', 0],
  [316, 'renameat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'dirfd', 'path', 'renameflags']],
  [317, 'seccomp', 0],
  [318, 'getrandom', 0, ['bufOutHex', 'ulong', 'grndflags']],
  [319, 'memfd_create', DESC, ['str', 'uint']],
  [320, 'kexec_file_load', DESC],
  [321, 'bpf', DESC],
  [322, 'execveat', DESC | FILE | PROC | SETS_CREDS | EMULATED, ['dirfd', 'path', 'strarray', 'envarray', 'atflags']],
  [323, 'userfaultfd', DESC],
  [324, 'membarrier', 0],
  [325, 'mlock2', MEM],
  [326, 'copy_file_range', DESC],
  [327, 'preadv2', DESC],
  [328, 'pwritev2', DESC],
  [329, 'pkey_mprotect', MEM],
  [330, 'pkey_alloc', 0],
  [331, 'pkey_free', 0],
  [332, 'statx', DESC | FILE | FSTAT | STAT_LIKE | EMULATED | COMMON, ['dirfd', 'path', 'atflags', 'statxmask', 'statx']],
  [333, 'io_pgetevents', 0],
  [334, 'rseq', 0, ['ptr', 'hex', 'int', 'hex']],
  [335, 'uretprobe', 0],
  [336, 'uprobe', 0],
  [424, 'pidfd_send_signal', DESC | SIG | PROC],
  [425, 'io_uring_setup', DESC],
  [426, 'io_uring_enter', DESC | SIG],
  [427, 'io_uring_register', DESC | MEM],
  [428, 'open_tree', DESC | FILE, ['dirfd', 'path', 'hex']],
  [429, 'move_mount', DESC | FILE, ['dirfd', 'path', 'dirfd', 'path', 'hex']],
  [430, 'fsopen', DESC],
  [431, 'fsconfig', DESC | FILE],
  [432, 'fsmount', DESC],
  [433, 'fspick', DESC | FILE, ['dirfd', 'path', 'hex']],
  [434, 'pidfd_open', DESC],
  [435, 'clone3', PROC | COMMON],
  [436, 'close_range', 0, ['uint', 'uint', 'uint']],
  [437, 'openat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'ptr', 'ulong']],
  [438, 'pidfd_getfd', DESC],
  [439, 'faccessat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'amode', 'atflags']],
  [440, 'process_madvise', DESC],
  [441, 'epoll_pwait2', DESC],
  [442, 'mount_setattr', DESC | FILE, ['dirfd', 'path', 'atflags', 'ptr', 'ulong']],
  [443, 'quotactl_fd', DESC],
  [444, 'landlock_create_ruleset', DESC],
  [445, 'landlock_add_rule', DESC],
  [446, 'landlock_restrict_self', DESC],
  [447, 'memfd_secret', DESC],
  [448, 'process_mrelease', DESC],
  [449, 'futex_waitv', 0],
  [450, 'set_mempolicy_home_node', MEM],
  [451, 'cachestat', DESC],
  [452, 'fchmodat2', DESC | FILE | EMULATED, ['dirfd', 'path', 'mode', 'atflags']],
  [453, 'map_shadow_stack', MEM],
  [454, 'futex_wake', 0],
  [455, 'futex_wait', 0],
  [456, 'futex_requeue', 0],
  [457, 'statmount', 0],
  [458, 'listmount', 0],
  [459, 'lsm_get_self_attr', 0],
  [460, 'lsm_set_self_attr', 0],
  [461, 'lsm_list_modules', 0],
  [462, 'mseal', MEM],
  [463, 'setxattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'str', 'ptr', 'ulong']],
  [464, 'getxattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'str', 'ptr', 'ulong']],
  [465, 'listxattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'bufOut', 'ulong']],
  [466, 'removexattrat', DESC | FILE, ['dirfd', 'path', 'atflags', 'str']],
  [467, 'open_tree_attr', DESC | FILE, ['dirfd', 'path', 'hex', 'ptr', 'ulong']],
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
