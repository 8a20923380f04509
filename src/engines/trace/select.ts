// `e=` of the trace engine: which syscalls are traced. Names, numbers and strace's classes
// (%file, %process, %network, %signal, %memory, %desc, %ipc, %creds, %clock, %stat...), a
// leading `!` to exclude (`e=!%memory`, i.e. everything but those), or `all`.
import { UsageError } from '../../chain/errors.js';
import { PATH_ARGS } from '../../syscalls/paths.js';
import { SYSCALLS, syscallNumber } from '../../syscalls/table.js';
import { MAX_SYSCALLS } from '../../observe/bpf-trace.js';

const PROCESS = ['clone', 'clone3', 'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'kill', 'tkill', 'tgkill', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'pidfd_open', 'pidfd_send_signal', 'unshare', 'setns'];
const NETWORK = ['socket', 'socketpair', 'bind', 'listen', 'accept', 'accept4', 'connect', 'getsockname', 'getpeername', 'sendto', 'recvfrom', 'sendmsg', 'recvmsg', 'sendmmsg', 'recvmmsg', 'shutdown', 'setsockopt', 'getsockopt'];
const SIGNAL = ['rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'rt_sigpending', 'rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'rt_sigsuspend', 'sigaltstack', 'kill', 'tkill', 'tgkill', 'pause', 'signalfd', 'signalfd4', 'pidfd_send_signal'];
const MEMORY = ['brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mlock', 'munlock', 'mlockall', 'munlockall', 'mincore', 'msync', 'remap_file_pages', 'mbind', 'set_mempolicy', 'get_mempolicy', 'migrate_pages', 'move_pages', 'pkey_mprotect', 'process_madvise', 'mseal', 'map_shadow_stack'];
const IPC = ['shmget', 'shmat', 'shmctl', 'shmdt', 'semget', 'semop', 'semctl', 'semtimedop', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr'];
const CREDS = ['getuid', 'geteuid', 'getgid', 'getegid', 'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'getresuid', 'setresgid', 'getresgid', 'setfsuid', 'setfsgid', 'getgroups', 'setgroups', 'capget', 'capset', 'prctl'];
const CLOCK = ['clock_gettime', 'clock_settime', 'clock_getres', 'clock_nanosleep', 'clock_adjtime', 'gettimeofday', 'settimeofday', 'time', 'adjtimex', 'nanosleep', 'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete', 'timerfd_create', 'timerfd_settime', 'timerfd_gettime'];
const STAT = ['stat', 'lstat', 'fstat', 'newfstatat', 'statx', 'statfs', 'fstatfs'];
// Calls taking a file descriptor as their first argument (strace's %desc, roughly).
const DESC = ['read', 'write', 'close', 'fstat', 'lseek', 'ioctl', 'pread64', 'pwrite64', 'readv', 'writev', 'pipe', 'pipe2', 'dup', 'dup2', 'dup3', 'fcntl', 'flock', 'fsync', 'fdatasync', 'ftruncate', 'getdents', 'getdents64', 'fchdir', 'fchmod', 'fchown', 'fstatfs', 'select', 'pselect6', 'poll', 'ppoll', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'inotify_init', 'inotify_init1', 'memfd_create', 'sendfile', 'splice', 'tee', 'copy_file_range', 'preadv', 'pwritev', 'preadv2', 'pwritev2', 'fallocate', 'fadvise64', 'readahead', 'openat', 'openat2', 'open', 'creat', 'close_range', 'newfstatat', 'statx', 'fgetxattr', 'fsetxattr', 'flistxattr', 'fremovexattr', 'syncfs', 'mmap'];

const CLASSES: Readonly<Record<string, readonly string[]>> = {
  file: Object.keys(PATH_ARGS),
  process: PROCESS,
  network: NETWORK,
  net: NETWORK,
  signal: SIGNAL,
  memory: MEMORY,
  ipc: IPC,
  creds: CREDS,
  clock: CLOCK,
  stat: STAT,
  desc: DESC,
};

/** Marks in `set` the numbers of one item (a name, a number or %class); false when unknown. */
function mark(set: Uint8Array, item: string, value: 0 | 1): boolean {
  if (item === 'all') {
    set.fill(value);
    return true;
  }
  if (item.startsWith('%')) {
    const names = CLASSES[item.slice(1)];
    if (!names) return false;
    for (const n of names) {
      const nr = syscallNumber(n);
      if (nr !== undefined) set[nr] = value;
    }
    return true;
  }
  const nr = /^\d+$/.test(item) ? Number(item) : syscallNumber(item);
  if (nr === undefined || nr >= MAX_SYSCALLS) return false;
  set[nr] = value;
  return true;
}

/**
 * The traced set (index = syscall number, 1 = traced) from the items of `e=`. No items: all.
 * Only exclusions (`!x`): all but those. Throws UsageError on an unknown name or class.
 */
export function selectSyscalls(items: readonly string[] | undefined): Uint8Array {
  const set = new Uint8Array(MAX_SYSCALLS);
  if (!items || items.length === 0) return set.fill(1);
  if (items.every((i) => i.startsWith('!'))) set.fill(1);
  for (const raw of items) {
    const neg = raw.startsWith('!');
    const item = neg ? raw.slice(1) : raw;
    if (!mark(set, item, neg ? 0 : 1)) {
      const classes = Object.keys(CLASSES).map((c) => '%' + c).join(' ');
      throw new UsageError(`trace: unknown syscall '${item}' in e= (names, numbers, all, or a class: ${classes})`);
    }
  }
  return set;
}

/** Names of the traced syscalls (known numbers only). */
export function selectedNames(set: Uint8Array): string[] {
  const out: string[] = [];
  for (let nr = 0; nr < SYSCALLS.length; nr++) if (set[nr] && SYSCALLS[nr]) out.push(SYSCALLS[nr]!);
  return out;
}
