// Nested supervision: `sysvisor run` inside `sysvisor run`, and engines loaded from inside.
// Real processes; the inner sysvisor joins the outer one through the control call.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, PROBE, ROOT, readCountTable, run, sysvisor } from './helpers.js';

const SV = `${process.execPath} ${CLI}`;

describe('nested sysvisor', () => {
  it('a nested run pushes a scope: both counts see the inner calls, exit status passes through', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-nest-'));
    try {
      const outer = path.join(dir, 'outer');
      const inner = path.join(dir, 'inner');
      const r = await sysvisor(['run', '-e', `count:syscalls=getppid,o=${outer}`, '--', process.execPath, CLI, 'run', '-e', `count:syscalls=getppid,o=${inner}`, '--', 'sh', '-c', `${PROBE} calls 7; exit 5`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(5);
      const innerCalls = readCountTable(inner).get('getppid')?.calls!;
      expect(innerCalls).toBeGreaterThanOrEqual(7);
      expect(readCountTable(outer).get('getppid')?.calls).toBe(innerCalls);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('works after env -i (no inherited environment or path is needed to find the supervisor)', async () => {
    const r = await sysvisor(['run', '--', 'env', '-i', process.execPath, CLI, 'engines']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('scope 0: (no engines)\n');
  });

  it('sysvisor load adds an engine to the caller scope for every process of it', async () => {
    const r = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', 'sh', '-c', `${SV} load count:syscalls=getppid && ${PROBE} calls 3 && ${SV} engines`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('scope 0: count:syscalls=getppid,o=/dev/null count:syscalls=getppid\n');
    expect(r.stderr).toMatch(/loaded count into scope 0/);
    expect(r.stderr).toMatch(/\s3\s+getppid\n/); // the loaded count's table, on the loader's stderr
  });

  it('an inner scope cannot unload an engine of an outer scope', async () => {
    const r = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', process.execPath, CLI, 'run', '--', 'sh', '-c', `${SV} unload count; echo rc=$?; ${SV} engines`]);
    expect(r.stdout).toBe('rc=1\nscope 0: count:syscalls=getppid,o=/dev/null\nscope 1: (no engines)\n');
    expect(r.stderr).toMatch(/count belongs to an outer scope/);
  });

  it("a less privileged process cannot change the engines of the scope it runs in", async () => {
    const nobody = 'setpriv --reuid=65534 --regid=65534 --clear-groups';
    const r = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', 'sh', '-c',
      `${nobody} ${SV} unload count; echo rc=$?; ${nobody} ${SV} load count:syscalls=getppid; echo rc=$?; ${SV} engines`]);
    expect(r.stdout).toBe('rc=1\nrc=1\nscope 0: count:syscalls=getppid,o=/dev/null\n');
    expect(r.stderr).toMatch(/permission denied: the engines of scope 0 belong to uid 0/);
    // nobody's own nested scope is its own to change
    const own = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', 'sh', '-c', `${nobody} ${SV} run -- sh -c '${SV} load count:syscalls=getppid,o=/dev/null && ${SV} engines'`]);
    // (o=FILE was opened by the loader, the supervisor holds its fd: the spec shows o=fd:N)
    expect(own.stdout).toMatch(/^scope 0: count:syscalls=getppid,o=\/dev\/null\nscope 1: count:syscalls=getppid,o=fd:\d+\n$/);
  });

  it('engines of an inner scope apply to its subtree only, not to a sibling outside it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-sib-'));
    try {
      const inner = path.join(dir, 'inner');
      // The sibling runs concurrently with the inner scope, outside it.
      const script = `${PROBE} calls 11 & ${SV} run -e count:syscalls=getppid,o=${inner} -- ${PROBE} calls 4; wait`;
      const r = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', 'sh', '-c', script]);
      expect(r.code).toBe(0);
      expect(readCountTable(inner).get('getppid')?.calls).toBe(4);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('two sibling scopes side by side: each sees only its own subtree, the outer scope sees both, outermost first', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-sibs-'));
    try {
      const [outer, a, b, fa, fb] = ['outer', 'a', 'b', 'fa', 'fb'].map((n) => path.join(dir, n));
      const hostname = readFileSync('/etc/hostname', 'utf8');
      // The FIFOs make the two scopes meet: each is still there when the other has run its command.
      await run('mkfifo', [fa!, fb!]);
      const sibA = `${SV} run -e unreal -e trace:e=openat,o=${a} -- sh -c 'cat /unreal/etc/hostname; echo a > ${fa}; cat ${fb} >/dev/null; ${SV} engines > ${a}.engines'`;
      const sibB = `${SV} run -e trace:e=openat,o=${b} -- sh -c 'cat /etc/passwd >/dev/null; cat ${fa} >/dev/null; echo b > ${fb}; ${SV} engines > ${b}.engines'`;
      const r = await sysvisor(['run', '--loadable', 'unreal', '-e', `trace:e=openat,o=${outer}`, '--', 'sh', '-c', `${sibA} & ${sibB}; wait`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(hostname);
      // Each lists its own chain, outermost scope first; the two inner scopes are different ones.
      const listA = readFileSync(`${a}.engines`, 'utf8');
      const listB = readFileSync(`${b}.engines`, 'utf8');
      expect(listA).toMatch(new RegExp(`^scope 0: trace:e=openat,o=${outer}\\nscope ([12]): unreal trace:e=openat,o=fd:\\d+\\n$`));
      expect(listB).toMatch(new RegExp(`^scope 0: trace:e=openat,o=${outer}\\nscope ([12]): trace:e=openat,o=fd:\\d+\\n$`));
      expect(listA.match(/scope ([12])/)![1]).not.toBe(listB.match(/scope ([12])/)![1]);
      const opened = (file: string): string[] => [...readFileSync(file, 'utf8').matchAll(/openat\(AT_FDCWD, "([^"]+)"/g)].map((m) => m[1]!);
      const inA = opened(a!);
      const inB = opened(b!);
      const inOuter = opened(outer!);
      // A's trace is innermost in its scope: it sees the program's own path, and nothing of B.
      expect(inA).toContain('/unreal/etc/hostname');
      expect(inA).not.toContain('/etc/passwd');
      expect(inA.filter((p) => p === fa || p === fb)).toEqual([fa, fb]);
      // B sees its own calls only.
      expect(inB).toContain('/etc/passwd');
      expect(inB.filter((p) => p.includes('hostname'))).toEqual([]);
      expect(inB.filter((p) => p === fa || p === fb)).toEqual([fa, fb]);
      // The outer scope sees both subtrees, A's call as A's unreal (further in) left it.
      expect(inOuter).toContain('/etc/passwd');
      expect(inOuter).toContain('/etc/hostname');
      expect(inOuter).not.toContain('/unreal/etc/hostname');
      expect(inOuter.filter((p) => p === fa)).toEqual([fa, fa]);
      expect(inOuter.filter((p) => p === fb)).toEqual([fb, fb]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('an engine that needs syscalls the outermost filter lacks is refused in one line', async () => {
    // (count with kernel=off counts what is notified; with eBPF it needs nothing from the filter)
    const r = await sysvisor(['run', '--', process.execPath, CLI, 'run', '-e', 'count:syscalls=getppid,kernel=off', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['sysvisor: count: getppid is not intercepted by the outermost sysvisor, so it cannot be counted from inside']);
  });

  it('--sealed: nothing can be loaded from inside', async () => {
    const r = await sysvisor(['run', '--sealed', '--', process.execPath, CLI, 'load', 'count']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/load: not running under sysvisor/);
  });

  it('under a foreign seccomp listener (not a sysvisor), --transport unotify says so in one line', async () => {
    // bench/build/floor is a bare C unotify supervisor: its listener takes the one slot (the
    // default transport, auto, then uses ptrace: test/ptrace.test.ts).
    const r = await run(path.join(ROOT, 'bench', 'build', 'floor'), ['--', process.execPath, CLI, 'run', '--transport', 'unotify', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^sysvisor: unsupported: second seccomp listener: .*\(EBUSY\)$/m);
  });

  it('signals and exit status of a nested command pass through', async () => {
    const r = await sysvisor(['run', '--', process.execPath, CLI, 'run', '--', 'sh', '-c', 'kill -TERM $$']);
    expect(r.code).toBe(143);
  });
});

describe('the four drawings of nested virtualization', () => {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  const hostname = readFileSync('/etc/hostname', 'utf8');

  it('1: sysvisor load unreal inside a supervised shell (outermost started with --loadable unreal)', async () => {
    const r = await sysvisor(['run', '--loadable', 'unreal', '--', 'sh', '-c', `${SV} load unreal && cat /unreal/etc/passwd`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(passwd);
  });

  it('1a: a bare sysvisor run (no engine) is a machine waiting for engines: sysvisor load unreal inside works', async () => {
    const r = await sysvisor(['run', '--', 'sh', '-c', `${SV} load unreal && cat /unreal/etc/hostname`]);
    expect(r).toMatchObject({ code: 0, stdout: hostname });
    // --sealed stays sealed
    const sealed = await sysvisor(['run', '--sealed', '--', 'sh', '-c', `${SV} load unreal`]);
    expect(sealed.code).not.toBe(0);
  });

  it('1b: a run naming engines, without --loadable, refuses to load unreal in one line (its calls are not in the filter)', async () => {
    const r = await sysvisor(['run', '-e', 'count:o=/dev/null', '--', 'sh', '-c', `${SV} load unreal`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/engine unreal needs syscalls the outermost sysvisor does not intercept .*: start it with --loadable unreal/);
  });

  it('2: a tracer nested inside unreal shows the /unreal path; unreal nested inside a tracer shows /etc/hostname', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-draw2-'));
    try {
      const inner = path.join(dir, 'inner.trace');
      const a = await sysvisor(['run', '-e', 'unreal', '--', process.execPath, CLI, 'run', '-e', `trace:e=openat,o=${inner}`, '--', 'cat', '/unreal/etc/hostname']);
      expect(a).toMatchObject({ code: 0, stdout: hostname });
      expect(readFileSync(inner, 'utf8')).toMatch(/openat\(AT_FDCWD, "\/unreal\/etc\/hostname", O_RDONLY\) = 3/);

      const outer = path.join(dir, 'outer.trace');
      const b = await sysvisor(['run', '--loadable', 'unreal', '-e', `trace:e=openat,o=${outer}`, '--', process.execPath, CLI, 'run', '-e', 'unreal', '--', 'cat', '/unreal/etc/hostname']);
      expect(b).toMatchObject({ code: 0, stdout: hostname });
      const text = readFileSync(outer, 'utf8');
      expect(text).toMatch(/openat\(AT_FDCWD, "\/etc\/hostname", O_RDONLY\) = 3/);
      expect(text).not.toMatch(/"\/unreal\/etc\/hostname"/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('3: unreal inside unreal gives four levels', async () => {
    const r = await sysvisor(['run', '-e', 'unreal', '--', process.execPath, CLI, 'run', '-e', 'unreal', '--', 'cat', '/unreal/unreal/unreal/unreal/etc/passwd']);
    expect(r).toMatchObject({ code: 0, stdout: passwd, stderr: '' });
  });

  it('4: a tracer in the inner of two nested unreal scopes shows the innermost view', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-draw4-'));
    try {
      const t = path.join(dir, 'inner.trace');
      const r = await sysvisor(['run', '-e', 'unreal', '--', process.execPath, CLI, 'run', '-e', 'unreal', '-e', `trace:e=openat,o=${t}`, '--', 'cat', '/unreal/unreal/unreal/etc/hostname']);
      expect(r).toMatchObject({ code: 0, stdout: hostname });
      expect(readFileSync(t, 'utf8')).toMatch(/openat\(AT_FDCWD, "\/unreal\/unreal\/unreal\/etc\/hostname", O_RDONLY\) = 3/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
