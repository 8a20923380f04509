// The whole-process benchmarks as descriptors: one command line each, grouped (`--only GROUP`)
// and compared within a family against its native and floor rows. Per-call variants run a
// command that makes N calls; per-run variants are whole commands (through `timed`). To add
// variants, append descriptors (a new group for a new family of comparisons).
import path from 'node:path';
import { packageRoot } from '../src/native/load.js';
import { unrealInterests } from '../src/engines/unreal/unreal.js';
import { syscallInfo, syscallNumber } from '../src/syscalls/table.js';
import { PATH_ARGS } from '../src/syscalls/paths.js';

export const ROOT = packageRoot();
export const BUILD = path.join(ROOT, 'bench', 'build');
export const LOOP = path.join(BUILD, 'loop');
export const FLOOR = path.join(BUILD, 'floor');
export const PTRACE_FLOOR = path.join(BUILD, 'ptrace-floor');
export const SYSVISOR = [process.execPath, path.join(ROOT, 'bin', 'sysvisor.js')];
export const TIMED = path.join(BUILD, 'timed');

/** Where a row's ratios point: the rows of its family with role `native` and `floor`. */
export type Role = 'native' | 'floor';

interface VariantBase {
  /** Stable id (JSON key, goals). */
  id: string;
  /** Shown in the table. */
  label: string;
  /** Selected with `--only GROUP`. */
  group: string;
  /** Rows compared with each other (ratios vs the family's native and floor rows). */
  family: string;
  role?: Role;
  /** Measure the peak RSS of the top process (a supervisor) in one extra run. */
  rss?: boolean;
  /** Facts this variant's stderr tells (e.g. the floor's SYNC_WAKE_UP probe). */
  facts?(stderr: string): Record<string, string | number | boolean>;
}

export interface PerCallVariant extends VariantBase {
  kind: 'per-call';
  /** Calls per timed run (full and --quick). */
  n: number;
  quickN: number;
  /** argv making n calls; command(0) is the start-up run. */
  command(n: number): string[];
}

export interface PerRunVariant extends VariantBase {
  kind: 'per-run';
  command(): string[];
}

export type Variant = PerCallVariant | PerRunVariant;

// The JS path alone (kernel=off: no eBPF tracepoints, whose cost lands on every syscall).
const COUNT_CHAIN = 'count:syscalls=getppid,o=/dev/null,kernel=off';
const sysvisorCount = (syscall: string, n: number) => [...SYSVISOR, 'run', '-e', COUNT_CHAIN, '--', LOOP, syscall, String(n)];

function floorFacts(stderr: string): Record<string, string | number | boolean> {
  const f: Record<string, string | number | boolean> = {};
  const m = /floor: sync_wake_up=(\S+) mode=(\S+)/.exec(stderr);
  if (m) {
    f['syncWakeUp'] = m[1]!;
    f['mode'] = m[2]!;
  }
  const c = /floor: notifications=(\d+)/.exec(stderr);
  if (c) f['notifications'] = Number(c[1]);
  return f;
}

function ptraceFloorFacts(stderr: string): Record<string, string | number | boolean> {
  const m = /ptrace-floor: mode=(\S+) stops=(\d+) answered=(\d+)/.exec(stderr);
  return m ? { mode: m[1]!, stops: Number(m[2]), answered: Number(m[3]) } : {};
}

/** A whole command natively and through /unreal (`cmd(P)` names the real / as P). */
function treeVariants(id: string, label: string, cmd: (P: string) => string[]): PerRunVariant[] {
  return [
    { kind: 'per-run', id: `${id}-native`, label: `${label}, native`, group: 'tree', family: id, role: 'native', command: () => cmd('') },
    { kind: 'per-run', id: `${id}-unreal`, label: `unreal: ${label} through /unreal`, group: 'tree', family: id,
      command: () => [...SYSVISOR, 'run', '-e', 'unreal', '--', ...cmd('/unreal')] },
  ];
}

/**
 * unreal's filter as the C floor's `--syscall` arguments, derived from its interests: a call
 * notified only when a dirfd is AT_FDCWD is `NR@ARG`, only when a pointer is not NULL `NR+ARG`,
 * any other `NR`. What the floor cannot test is left out: an open whose flags create or write,
 * relative to a real directory fd; a call with two such tests (renameat's two dirfds) is `NR`.
 * readPaths: a call with one path argument P (PATH_ARGS) is `...:P`, its path read before it is
 * continued, as the receiving thread reads it to decide (the rule: one read per call).
 */
export function unrealFloorSyscalls(readPaths = false): string[] {
  const AT_FDCWD = [-100, 0xffffff9c];
  const ALL = 0xffff_ffff_ffff_ffffn;
  const tests = new Map<number, Set<string>>();
  for (const i of unrealInterests('walk', 'enosys')) {
    const name = String(i.syscall);
    const nr = syscallNumber(name)!;
    const oflags = syscallInfo(name)?.args?.indexOf('oflags') ?? -1;
    const set = tests.get(nr) ?? new Set<string>();
    tests.set(nr, set);
    const t = i.when?.length === 1 ? i.when[0]! : undefined;
    if (t && 'eq' in t && AT_FDCWD.includes(Number(t.eq))) set.add(`@${t.arg}`);
    else if (t && 'anyBits' in t && BigInt(t.anyBits) === ALL) set.add(`+${t.arg}`);
    else if (!(t && 'anyBits' in t && t.arg === oflags)) set.add('');
  }
  const names = new Map([...tests.keys()].map((nr) => [nr, unrealInterests('walk', 'enosys').find((i) => syscallNumber(String(i.syscall)) === nr)!.syscall]));
  const read = (nr: number): string => {
    const paths = readPaths ? PATH_ARGS[String(names.get(nr))] : undefined;
    return paths?.length === 1 ? `:${paths[0]}` : '';
  };
  return [...tests].flatMap(([nr, set]) => ['--syscall', `${nr}${set.size === 1 ? [...set][0] : ''}${read(nr)}`]);
}

/**
 * A whole command natively, through /unreal, and under the C floor notifying what unreal's filter
 * notifies (unrealFloorSyscalls) and continuing every call: the least any supervisor answering
 * those notifications can add (the family's floor row); and under the same floor reading each
 * call's path first (the least a supervisor deciding by the path adds: one process_vm_readv per
 * call, never an earlier read trusted), compared with the floor row.
 */
function flooredTreeVariants(id: string, label: string, cmd: (P: string) => string[]): PerRunVariant[] {
  const [native, unreal] = treeVariants(id, label, cmd);
  const { role: _native, ...row } = native!;
  return [native!, { ...row, id: `${id}-floor`, label: `C floor: ${label}, unreal's notified calls continued`, role: 'floor',
    command: () => [FLOOR, '--continue', ...unrealFloorSyscalls(), '--', ...cmd('')] },
  { ...row, id: `${id}-floor-read`, label: `C floor: ${label}, unreal's notified calls continued, each path read first`,
    command: () => [FLOOR, '--continue', ...unrealFloorSyscalls(true), '--', ...cmd('')] }, unreal!];
}

/** Whole programs: group `programs`, natively, under the C floor and through /unreal (the family's native row first). */
function programVariants(id: string, label: string, cmd: (P: string) => string[]): PerRunVariant[] {
  return flooredTreeVariants(id, label, cmd).map((v) => ({ ...v, group: 'programs' }));
}

// The fixtures of the programs group, made by the first run that needs them (idempotent, outside
// the timed part; a half-made one is made again).
const GIT_DIR = '/tmp/sysvisor-bench-git';
const GIT_REPO = `[ -e ${GIT_DIR}/.done ] || { rm -rf ${GIT_DIR} && mkdir -p ${GIT_DIR} && cd ${GIT_DIR} && git init -q && `
  + `for d in $(seq 20); do mkdir d$d && for f in $(seq 100); do echo "$d $f" > d$d/f$f.txt; done; done && git add . && `
  + `git -c user.name=bench -c user.email=bench@localhost commit -qm fixture && echo "changed" > d1/f1.txt && touch .done; }`;
const GCC_DIR = '/tmp/sysvisor-bench-gcc';
const GCC_HEADERS = ['stdio.h', 'stdlib.h', 'string.h', 'unistd.h', 'fcntl.h', 'errno.h', 'signal.h', 'pthread.h', 'math.h', 'time.h',
  'sys/stat.h', 'sys/types.h', 'sys/socket.h', 'netinet/in.h', 'arpa/inet.h', 'sys/mman.h', 'dirent.h', 'poll.h', 'sys/wait.h', 'locale.h'];
const GCC_SOURCE = `mkdir -p ${GCC_DIR} && printf '${GCC_HEADERS.map((h) => `#include <${h}>\\n`).join('')}int f(void) { return getpid() + (int)strlen("x"); }\\n' > ${GCC_DIR}/x.c`;
const PY_IMPORTS = 'import json, email.parser, http.client, xml.dom.minidom, argparse, logging, decimal, unittest, asyncio, sqlite3, csv, tarfile';

const NEWFSTATAT = '262';
const OPENAT = '257';
const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'];

/** `loop CALL PATH N` natively, through /unreal over ptrace and over unotify, under proot and strace. */
function ptraceMappedVariants(call: 'lstat' | 'open', n: number, quickN: number): PerCallVariant[] {
  const what = call === 'open' ? 'open+close' : 'lstat';
  const base = { kind: 'per-call', group: 'ptrace', family: `ptrace-${call}` } as const;
  const loop = (p: string) => (k: number) => [LOOP, call, p, String(k)];
  const unreal = (transport: string) => (k: number) => [...SYSVISOR, 'run', '--transport', transport, '-e', 'unreal', '--', ...loop('/unreal/etc/hostname')(k)];
  return [
    { ...base, id: `ptrace-native-${call}`, label: `native ${what} /etc/hostname`, role: 'native', n: n * 10, quickN: quickN * 10, command: loop('/etc/hostname') },
    { ...base, id: `ptrace-unreal-${call}`, label: `unreal over ptrace: ${what} /unreal/etc/hostname`, n, quickN, command: unreal('ptrace') },
    { ...base, id: `ptrace-unreal-${call}-unotify`, label: `unreal over unotify: ${what} /unreal/etc/hostname`, n, quickN, command: unreal('unotify') },
    { ...base, id: `ptrace-proot-${call}`, label: `proot -b /etc:/unreal/etc ${what} /unreal/etc/hostname`, n, quickN,
      command: (k) => ['proot', '-b', '/etc:/unreal/etc', ...loop('/unreal/etc/hostname')(k)] },
    { ...base, id: `ptrace-strace-${call}`, label: `strace -f ${what} /etc/hostname`, n: n / 4, quickN: quickN / 4,
      command: (k) => ['strace', '-f', '-o', '/dev/null', ...loop('/etc/hostname')(k)] },
  ];
}

/** `loop CALL PATH N` natively, under the C floor (CONTINUE), under unreal outside and inside /unreal. */
function mappedVariants(call: 'lstat' | 'open', nr: string, n: number, quickN: number): PerCallVariant[] {
  const what = call === 'open' ? 'open+close' : 'lstat';
  const base = { kind: 'per-call', group: 'mapped', family: call } as const;
  return [
    { ...base, id: `native-${call}`, label: `native ${what} /etc/hostname`, role: 'native',
      n: n * 10, quickN: quickN * 10, command: (k) => [LOOP, call, '/etc/hostname', String(k)] },
    { ...base, id: `floor-${call}`, label: `C floor ${what} /etc/hostname (CONTINUE)`, role: 'floor', n, quickN,
      command: (k) => [FLOOR, '--continue', '--syscall', nr, '--', LOOP, call, '/etc/hostname', String(k)], facts: floorFacts },
    // The floor of an emulated open: the C supervisor opens the file itself and installs it (ADDFD),
    // inline and from a second thread (as sysvisor's replier does).
    ...(call === 'open'
      ? (['', '--worker'] as const).map((w): PerCallVariant => ({
          ...base, id: `floor-open-addfd${w ? '-worker' : ''}`, label: `C floor ${what} /etc/hostname (its own open, ADDFD${w ? ' from a worker thread' : ''})`, n, quickN,
          command: (k) => [FLOOR, '--addfd', '/etc/hostname', ...(w ? [w] : []), '--syscall', nr, '--', LOOP, call, '/etc/hostname', String(k)], facts: floorFacts,
        }))
      : []),
    { ...base, id: `unreal-${call}-outside`, label: `unreal: ${what} /etc/hostname (fast path)`, n, quickN,
      command: (k) => [...SYSVISOR, 'run', '-e', 'unreal', '--', LOOP, call, '/etc/hostname', String(k)] },
    { ...base, id: `unreal-${call}`, label: `unreal: ${what} /unreal/etc/hostname (emulated)`, n, quickN,
      command: (k) => [...SYSVISOR, 'run', '-e', 'unreal', '--', LOOP, call, '/unreal/etc/hostname', String(k)] },
  ];
}

export const VARIANTS: Variant[] = [
  // Intercepted: getppid is notified and answered (floor) or let through by the JS chain.
  { kind: 'per-call', id: 'native-getppid', label: 'native getppid', group: 'core', family: 'getppid', role: 'native',
    n: 2_000_000, quickN: 200_000, command: (n) => [LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'floor-getppid', label: 'C floor getppid (blocking RECV)', group: 'core', family: 'getppid', role: 'floor', rss: true,
    n: 100_000, quickN: 10_000, command: (n) => [FLOOR, '--', LOOP, 'getppid', String(n)], facts: floorFacts },
  { kind: 'per-call', id: 'floor-epoll-getppid', label: 'C floor getppid (epoll+RECV)', group: 'core', family: 'getppid',
    n: 100_000, quickN: 10_000, command: (n) => [FLOOR, '--epoll', '--', LOOP, 'getppid', String(n)], facts: floorFacts },
  { kind: 'per-call', id: 'sysvisor-getppid', label: 'sysvisor count getppid (JS chain)', group: 'core', family: 'getppid', rss: true,
    n: 100_000, quickN: 10_000, command: (n) => sysvisorCount('getppid', n) },
  { kind: 'per-call', id: 'sysvisor-getppid-kernel', label: 'sysvisor count getppid, counted in the kernel (not notified)', group: 'core', family: 'getppid',
    n: 100_000, quickN: 10_000, command: (n) => [...SYSVISOR, 'run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'strace-getppid', label: 'strace -f getppid', group: 'core', family: 'getppid',
    n: 5_000, quickN: 500, command: (n) => ['strace', '-f', '-o', '/dev/null', LOOP, 'getppid', String(n)] },
  // Not intercepted: getpid under the same filters runs at (near) native speed.
  { kind: 'per-call', id: 'native-getpid', label: 'native getpid', group: 'core', family: 'getpid', role: 'native',
    n: 5_000_000, quickN: 200_000, command: (n) => [LOOP, 'getpid', String(n)] },
  { kind: 'per-call', id: 'floor-getpid', label: 'C floor filter, getpid (not notified)', group: 'core', family: 'getpid', role: 'floor',
    n: 5_000_000, quickN: 200_000, command: (n) => [FLOOR, '--', LOOP, 'getpid', String(n)], facts: floorFacts },
  { kind: 'per-call', id: 'sysvisor-getpid', label: 'sysvisor filter, getpid (not notified)', group: 'core', family: 'getpid',
    n: 5_000_000, quickN: 200_000, command: (n) => sysvisorCount('getpid', n) },
  // count's in-kernel counter: raw sys_enter/sys_exit tracepoints run for every syscall of the
  // machine while it is loaded; getpid (neither notified nor counted) under it, against the row above:
  // what every syscall of the machine pays.
  { kind: 'per-call', id: 'sysvisor-getpid-kernel', label: 'getpid (not counted) while count\'s eBPF counter runs', group: 'core', family: 'getpid',
    n: 5_000_000, quickN: 200_000, command: (n) => [...SYSVISOR, 'run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', LOOP, 'getpid', String(n)] },
  // Nesting: a second count scope is one more chain step, not another round trip.
  { kind: 'per-call', id: 'nest1-getppid', label: 'one count scope, getppid', group: 'nest', family: 'nest', role: 'native',
    n: 100_000, quickN: 10_000, command: (n) => sysvisorCount('getppid', n) },
  { kind: 'per-call', id: 'nest2-getppid', label: 'two nested count scopes, getppid', group: 'nest', family: 'nest',
    n: 100_000, quickN: 10_000, command: (n) => [...SYSVISOR, 'run', '-e', COUNT_CHAIN, '--', ...SYSVISOR, 'run', '-e', COUNT_CHAIN, '--', LOOP, 'getppid', String(n)] },
  // Whole commands: find over /usr/share (issues 3 and 4), each through `timed`.
  { kind: 'per-run', id: 'find-native', label: 'find /usr/share, native', group: 'find', family: 'find', role: 'native',
    command: () => [TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-unreal-mapped', label: 'unreal: find /unreal/usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'unreal', '--', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'find-unreal-unmapped', label: 'unreal: find /usr/share (nothing mapped)', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'unreal', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-count', label: 'count (every syscall, in the kernel): find /usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'count:o=/dev/null', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-strace-c', label: 'strace -c -f -o /dev/null find /usr/share', group: 'find', family: 'find',
    command: () => ['strace', '-c', '-f', '-o', '/dev/null', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-proot', label: 'proot -b /usr:/unreal/usr find /unreal/usr/share', group: 'find', family: 'find',
    command: () => ['proot', '-b', '/usr:/unreal/usr', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'find-trace', label: 'trace:o=/dev/null: find /usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '-e', 'trace:o=/dev/null', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-strace', label: 'strace -f -o /dev/null find /usr/share', group: 'find', family: 'find',
    command: () => ['strace', '-f', '-o', '/dev/null', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-default', label: 'sysvisor run (no engine): find /usr/share', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'find-sealed', label: 'sysvisor run --sealed (no engine): find', group: 'find', family: 'find',
    command: () => [...SYSVISOR, 'run', '--sealed', '--', TIMED, 'find', '/usr/share'] },
  // Tree walks that read and write (issue 9 item 8): tar c, ls -laR, rm -r, cp -a of /usr/share/doc, native
  // and through /unreal. rm -r and cp -a work on a fresh copy in /tmp per run (made outside the
  // timed part); their modifying *at calls are notified whatever their dirfd.
  ...treeVariants('tar', 'tar -c /usr/share/doc | wc -c', (P) => [TIMED, 'sh', '-c', `tar -cf - ${P}/usr/share/doc | wc -c`]),
  // ls -l asks statx, getxattr and lgetxattr of every file by absolute path (issue 11's goal: <= 6x native).
  ...flooredTreeVariants('ls', 'ls -laR /usr/share/doc', (P) => [TIMED, 'sh', '-c', `ls -laR ${P}/usr/share/doc > /dev/null`]),
  ...treeVariants('rm', 'rm -r (copy of /usr/share/doc)', (P) => ['sh', '-c', `d=$(mktemp -d /tmp/bench-rm.XXXXXX) && cp -a /usr/share/doc "$d/t" && exec ${TIMED} rm -r "${P}$d"`]),
  ...treeVariants('cp', 'cp -a /usr/share/doc', (P) => ['sh', '-c', `d=$(mktemp -d /tmp/bench-cp.XXXXXX) && ${TIMED} cp -a ${P}/usr/share/doc "${P}$d/t"; rc=$?; rm -rf "$d"; exit $rc`]),
  // Real programs of issue 11's table, through /unreal against the same on real paths: `git status`
  // in a repository of 2,000 files (made once, outside the timed part), `gcc -c` of a file
  // including common headers with `-I/unreal/usr/include` (each header it finds there is opened
  // and stat'd through the view), Python importing stdlib modules from /unreal/usr/lib.
  ...programVariants('git', 'git status (2,000 files)', (P) => ['sh', '-c', `${GIT_REPO} && cd ${P}${GIT_DIR} && exec ${TIMED} git status --porcelain`]),
  ...programVariants('gcc', 'gcc -c -I/usr/include (common headers)', (P) => ['sh', '-c', `${GCC_SOURCE} && exec ${TIMED} gcc -c -I${P}/usr/include ${GCC_DIR}/x.c -o ${GCC_DIR}/x-$$.o`]),
  // GCC drops an -I directory that is a system directory (same dev/ino: /unreal/usr/include is
  // /usr/include), so the row above reads no header through the view; with -nostdinc and every
  // include directory named through it, each header is found, stat'd and opened there.
  ...programVariants('gcc-view', 'gcc -c -nostdinc -I/usr/include and the compiler\'s own include directories (common headers)', (P) => ['sh', '-c',
    `${GCC_SOURCE} && I=$(gcc -print-file-name=include) && M=$(gcc -print-multiarch) && exec ${TIMED} gcc -c -nostdinc -I${P}$I -I${P}/usr/include/$M -I${P}/usr/include ${GCC_DIR}/x.c -o ${GCC_DIR}/x-$$.o`]),
  ...programVariants('python', 'python3 imports from /usr/lib/python3.11', (P) => [TIMED, '/usr/bin/python3', '-B', '-c', `import sys; sys.path[:0] = ['${P}/usr/lib/python3.11']; ${PY_IMPORTS}`]),
  // Mapped calls (issue 11): lstat and open of one file natively, under the C floor continuing the
  // same call (the kernel round trip plus the call), under unreal outside its prefix (the receiving
  // thread reads the path and continues: no JS) and through /unreal (emulated as the tracee in JS;
  // open's fd installed by ADDFD). With the core group, the steps of README's breakdown table.
  ...mappedVariants('lstat', NEWFSTATAT, 100_000, 10_000),
  ...mappedVariants('open', OPENAT, 20_000, 2_000),
  { kind: 'per-call', id: 'unreal-lstat-nobody', label: 'unreal: lstat /unreal/etc/hostname as nobody', group: 'mapped', family: 'lstat',
    n: 20_000, quickN: 2_000, command: (n) => [...SYSVISOR, 'run', '-e', 'unreal', '--', ...AS_NOBODY, LOOP, 'lstat', '/unreal/etc/hostname', String(n)] },
  // Start-up (issue 11), part by part: Node alone, Node loading the addon (dlopen), the CLI loaded
  // (--version: the bundle, no engine), a run with no engine (every built-in loadable: all of them
  // imported), with unreal (only unreal imported), and with the engines that load eBPF programs.
  { kind: 'per-run', id: 'true-native', label: 'true, native', group: 'startup', family: 'startup', role: 'native', command: () => ['true'] },
  { kind: 'per-run', id: 'node-empty', label: 'node -e 0 (Node alone)', group: 'startup', family: 'startup', command: () => [process.execPath, '-e', '0'] },
  { kind: 'per-run', id: 'node-addon', label: 'node loading the addon (dlopen)', group: 'startup', family: 'startup',
    command: () => [process.execPath, '-e', `require(${JSON.stringify(path.join(ROOT, 'addon', 'build', 'Release', 'sysvisor.node'))})`] },
  { kind: 'per-run', id: 'sysvisor-version', label: 'sysvisor --version (the CLI loaded)', group: 'startup', family: 'startup', command: () => [...SYSVISOR, '--version'] },
  { kind: 'per-run', id: 'true-trace', label: 'sysvisor run -e trace:o=/dev/null -- true (eBPF)', group: 'startup', family: 'startup', command: () => [...SYSVISOR, 'run', '-e', 'trace:o=/dev/null', '--', 'true'] },
  { kind: 'per-run', id: 'true-count', label: 'sysvisor run -e count:o=/dev/null -- true (eBPF)', group: 'startup', family: 'startup', command: () => [...SYSVISOR, 'run', '-e', 'count:o=/dev/null', '--', 'true'] },
  { kind: 'per-run', id: 'true-default', label: 'sysvisor run -- true (no engine)', group: 'startup', family: 'startup', command: () => [...SYSVISOR, 'run', '--', 'true'] },
  { kind: 'per-run', id: 'true-unreal', label: 'sysvisor run -e unreal -- true', group: 'startup', family: 'startup', command: () => [...SYSVISOR, 'run', '-e', 'unreal', '--', 'true'] },
  // The installed `sysvisor` (the sh shim): it starts Node without NODE_EXTRA_CA_CERTS (Node 20
  // builds its root certificate store at start-up when it is set), and Node alone without it.
  { kind: 'per-run', id: 'true-unreal-bin', label: 'sysvisor (the bin shim) run -e unreal -- true', group: 'startup', family: 'startup', command: () => [path.join(ROOT, 'bin', 'sysvisor'), 'run', '-e', 'unreal', '--', 'true'] },
  { kind: 'per-run', id: 'node-empty-noca', label: 'env -u NODE_EXTRA_CA_CERTS node -e 0', group: 'startup', family: 'startup', command: () => ['env', '-u', 'NODE_EXTRA_CA_CERTS', process.execPath, '-e', '0'] },
  // The ptrace transport (issue 12) against the ptrace floor (bench/ptrace-floor.c): a bare C
  // tracer answering getppid at its seccomp stop (SECCOMP_RET_TRACE: only getppid stops), and with
  // plain PTRACE_SYSCALL (every call stops twice); strace with and without its seccomp filter.
  { kind: 'per-call', id: 'ptrace-native-getppid', label: 'native getppid', group: 'ptrace', family: 'ptrace', role: 'native',
    n: 2_000_000, quickN: 200_000, command: (n) => [LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'ptrace-floor-getppid', label: 'C ptrace floor getppid (RET_TRACE)', group: 'ptrace', family: 'ptrace', role: 'floor',
    n: 20_000, quickN: 2_000, command: (n) => [PTRACE_FLOOR, '--seccomp', '--', LOOP, 'getppid', String(n)], facts: ptraceFloorFacts },
  { kind: 'per-call', id: 'ptrace-floor-syscall-getppid', label: 'C ptrace floor getppid (PTRACE_SYSCALL)', group: 'ptrace', family: 'ptrace',
    n: 10_000, quickN: 1_000, command: (n) => [PTRACE_FLOOR, '--syscall-stops', '--', LOOP, 'getppid', String(n)], facts: ptraceFloorFacts },
  { kind: 'per-call', id: 'sysvisor-ptrace-getppid', label: 'sysvisor --transport ptrace count getppid', group: 'ptrace', family: 'ptrace',
    n: 20_000, quickN: 2_000, command: (n) => [...SYSVISOR, 'run', '--transport', 'ptrace', '-e', COUNT_CHAIN, '--', LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'ptrace-unotify-getppid', label: 'sysvisor --transport unotify count getppid', group: 'ptrace', family: 'ptrace',
    n: 20_000, quickN: 2_000, command: (n) => [...SYSVISOR, 'run', '--transport', 'unotify', '-e', COUNT_CHAIN, '--', LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'strace-plain-getppid', label: 'strace -f getppid', group: 'ptrace', family: 'ptrace',
    n: 5_000, quickN: 500, command: (n) => ['strace', '-f', '-o', '/dev/null', LOOP, 'getppid', String(n)] },
  { kind: 'per-call', id: 'strace-seccomp-getppid', label: 'strace -f --seccomp-bpf -e getppid', group: 'ptrace', family: 'ptrace',
    n: 5_000, quickN: 500, command: (n) => ['strace', '-f', '--seccomp-bpf', '-e', 'trace=getppid', '-o', '/dev/null', LOOP, 'getppid', String(n)] },
  // Whole commands over ptrace (issue 12): find through /unreal against proot, traced find against
  // strace, each against the same over unotify.
  { kind: 'per-run', id: 'ptrace-find-native', label: 'find /usr/share, native', group: 'ptrace-find', family: 'ptrace-find', role: 'native',
    command: () => [TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'ptrace-find-unreal', label: 'unreal over ptrace: find /unreal/usr/share', group: 'ptrace-find', family: 'ptrace-find',
    command: () => [...SYSVISOR, 'run', '--transport', 'ptrace', '-e', 'unreal', '--', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'ptrace-find-unreal-unotify', label: 'unreal over unotify: find /unreal/usr/share', group: 'ptrace-find', family: 'ptrace-find',
    command: () => [...SYSVISOR, 'run', '--transport', 'unotify', '-e', 'unreal', '--', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'ptrace-find-proot', label: 'proot -b /usr:/unreal/usr find /unreal/usr/share', group: 'ptrace-find', family: 'ptrace-find',
    command: () => ['proot', '-b', '/usr:/unreal/usr', TIMED, 'find', '/unreal/usr/share'] },
  { kind: 'per-run', id: 'ptrace-find-trace', label: 'trace:o=/dev/null over ptrace: find /usr/share', group: 'ptrace-find', family: 'ptrace-find',
    command: () => [...SYSVISOR, 'run', '--transport', 'ptrace', '-e', 'trace:o=/dev/null', '--', TIMED, 'find', '/usr/share'] },
  { kind: 'per-run', id: 'ptrace-find-strace', label: 'strace -f -o /dev/null find /usr/share', group: 'ptrace-find', family: 'ptrace-find',
    command: () => ['strace', '-f', '-o', '/dev/null', TIMED, 'find', '/usr/share'] },
  // Mapped calls over ptrace (issue 12): lstat and open+close through /unreal over each transport,
  // against proot binding the same directory and strace -f.
  ...ptraceMappedVariants('lstat', 20_000, 2_000),
  ...ptraceMappedVariants('open', 10_000, 1_000),
  // AF_UNIX datagrams under unreal (issue 9): cBPF cannot read a msghdr, so every sendmsg and
  // recvmsg is a round trip (continued in JS unless an address must be mapped).
  ...(['sendmsg', 'recvmsg'] as const).flatMap((m): PerCallVariant[] => [
    { kind: 'per-call', id: `native-${m}`, label: `native ${m} + ${m === 'sendmsg' ? 'recv' : 'send'}`, group: 'unreal-msg', family: m, role: 'native',
      n: 200_000, quickN: 20_000, command: (n) => [LOOP, m, String(n)] },
    { kind: 'per-call', id: `unreal-${m}`, label: `unreal: ${m} + ${m === 'sendmsg' ? 'recv' : 'send'} (round trip per ${m})`, group: 'unreal-msg', family: m,
      n: 50_000, quickN: 5_000, command: (n) => [...SYSVISOR, 'run', '-e', 'unreal', '--', LOOP, m, String(n)] },
  ]),
  // What SYNC_WAKE_UP is worth: the floor without it.
  { kind: 'per-call', id: 'floor-nosync-getppid', label: 'C floor getppid, no SYNC_WAKE_UP', group: 'nosync', family: 'getppid',
    n: 20_000, quickN: 2_000, command: (n) => [FLOOR, '--no-sync', '--', LOOP, 'getppid', String(n)], facts: floorFacts },
];
