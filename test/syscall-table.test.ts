// The syscall table against its sources: the kernel headers for names and numbers, the real
// strace for its classes, the executor for what it can emulate.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run } from './helpers.js';
import { EMULATED, FILE, NET, nrOf, SETS_CREDS, SETS_ROOT, STRACE_CLASSES, SYSCALLS, syscallInfo, syscallName, syscallNumber, syscallsWith, TABLE } from '../src/syscalls/table.js';
import { PATH_ARGS, PATH_DIRFDS } from '../src/syscalls/paths.js';
import { selectedNames, selectSyscalls } from '../src/syscalls/select.js';
import { defaultEmulators } from '../src/chain/emulate/index.js';
import { loadBinding } from '../src/native/load.js';
import { formatArgs } from '../src/engines/trace/format/syscall-args.js';

const UNISTD = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
const EVERY = path.join(ROOT, 'test', 'build', 'every-syscall');

describe('syscall table', () => {
  it('has every name and number of <asm/unistd_64.h>, and calls newer than it only on numbers it leaves free', () => {
    const header = new Map<string, number>();
    for (const m of readFileSync(UNISTD, 'latin1').matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) header.set(m[1]!, Number(m[2]));
    expect(header.size).toBeGreaterThan(300);
    for (const [name, nr] of header) {
      expect(syscallNumber(name), name).toBe(nr);
      expect(syscallName(nr)).toBe(name);
    }
    // Calls newer than the headers (uretprobe, cachestat, mseal...) take numbers they do not use.
    const used = new Set(header.values());
    for (const s of TABLE) if (!header.has(s.name)) expect(used.has(s.nr), s.name).toBe(false);
    expect(TABLE.length).toBeGreaterThan(header.size);
    expect(SYSCALLS.length).toBe(TABLE[TABLE.length - 1]!.nr + 1);
    expect(syscallName(400)).toBe('syscall_400');
    expect(() => nrOf('nosuchcall')).toThrow(/no x86_64 syscall named nosuchcall/);
  });

  it('pairs every dirfd with the path after it, and every path call is in %file', () => {
    for (const s of TABLE) {
      s.args?.forEach((a, i) => {
        if (a === 'dirfd') expect(s.args!.slice(i + 1).find((b) => b === 'path' || b === 'dirfd'), `${s.name} arg ${i}`).toBe('path');
      });
      if (PATH_ARGS[s.name]) expect(s.facts & FILE, s.name).toBe(FILE);
    }
    expect(PATH_ARGS['renameat']).toEqual([1, 3]);
    expect(PATH_DIRFDS['renameat']).toEqual({ 1: 0, 3: 2 });
    expect(PATH_ARGS['symlinkat']).toEqual([2]);
    expect(PATH_DIRFDS['symlinkat']).toEqual({ 2: 1 });
    expect(PATH_DIRFDS['open']).toBeUndefined();
    expect(PATH_ARGS['getcwd']).toBeUndefined();
  });

  it('marks the credential and root calls', () => {
    expect(syscallsWith(SETS_ROOT)).toEqual(['pivot_root', 'chroot', 'unshare', 'setns']);
    for (const name of syscallsWith(SETS_ROOT)) expect(syscallInfo(name)!.facts & SETS_CREDS).toBe(SETS_CREDS);
    expect(new Set(syscallsWith(SETS_CREDS))).toEqual(new Set([
      'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid',
      'setgroups', 'capset', 'execve', 'execveat', 'unshare', 'setns', 'chroot', 'pivot_root',
    ]));
  });

  it('marks EMULATED exactly the calls the executor has an emulator for', () => {
    const emulators = defaultEmulators(loadBinding(), { killableWait: true, report: () => {} });
    expect(syscallsWith(EMULATED).sort()).toEqual(Object.keys(emulators).sort());
  });
});

describe("strace's classes", () => {
  // Each class as the installed strace applies it: the names it prints for a program that makes
  // every syscall number once (none of them runs: see test/programs/every-syscall.c).
  const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-classes-'));
  const straceLines = async (expr: string): Promise<string> => {
    const out = path.join(dir, 'out');
    const r = await run('strace', ['-qq', '-o', out, '-e', `trace=${expr}`, EVERY, '0', '511']);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'latin1');
    rmSync(out);
    return text;
  };
  const traced = async (expr: string): Promise<Set<string>> => {
    const names = new Set<string>();
    for (const m of (await straceLines(expr)).matchAll(/^([a-z0-9_]+)\(/gm)) if (!m[1]!.startsWith('syscall_')) names.add(m[1]!);
    return names;
  };

  it('are the installed strace binary\'s sets, for every syscall it knows', async () => {
    const known = await traced('all');
    // strace knows the calls of its time: the table's calls up to the last number it names.
    expect(known.size).toBeGreaterThan(300);
    for (const [cls] of Object.entries(STRACE_CLASSES)) {
      const ours = selectedNames(selectSyscalls([cls])).filter((n) => known.has(n));
      expect(new Set(ours), cls).toEqual(await traced(cls));
    }
  });

  it('give every implemented call as many arguments as strace prints, most of them alike', async () => {
    // Each call with all arguments 0, as strace printed it and as the trace formatter prints it.
    const lines = [...(await straceLines('all')).matchAll(/^([a-z0-9_]+)\((.*)\) += -1 ENOSYS/gm)];
    rmSync(dir, { recursive: true, force: true });
    // strace prints these by their values (an operation, a flag that adds an argument), or as a
    // resumption or a signal frame.
    const byValue = new Set(['rt_sigreturn', 'restart_syscall', 'mremap', 'ptrace', 'syslog', 'reboot', 'mq_open', 'keyctl', 'membarrier', 'preadv2', 'pwritev2']);
    let alike = 0;
    for (const [, name, args] of lines) {
      const info = syscallInfo(name!);
      if (!info) continue; // a number strace does not know
      if (!info.args) {
        // Only what the kernel does not implement has no arguments in the table.
        expect(info.facts & ~(NET), name).toBe(0);
        continue;
      }
      const mine = formatArgs({ name: name!, args: [0, 0, 0, 0, 0, 0], ret: -38 });
      if (mine === args) alike++;
      else if (!byValue.has(name!)) expect(topLevel(mine).length, `${name}: ${mine} | strace ${args}`).toBe(topLevel(args!).length);
    }
    expect(alike).toBeGreaterThan(280);
  });

  it('hold the facts issue readers check first', () => {
    const names = (cls: string) => new Set(selectedNames(selectSyscalls([cls])));
    expect(names('%file').has('getcwd')).toBe(true);
    expect(names('%network').has('sendfile')).toBe(true);
    for (const n of ['pidfd_open', 'setns', 'unshare']) expect(names('%process').has(n), n).toBe(false);
    expect(names('%desc').has('pidfd_open')).toBe(true);
    expect(names('%%stat')).toEqual(new Set(['stat', 'fstat', 'lstat', 'newfstatat', 'statx']));
    expect(names('%FILE')).toEqual(names('%file'));
  });
});

/** The top-level items of an argument list (commas inside quotes, brackets and braces kept). */
function topLevel(list: string): string[] {
  if (list === '') return [];
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      out.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(list.slice(start).trim());
  return out;
}
