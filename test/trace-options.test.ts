// strace's options users reach for, as `trace` engine keys, each against the real strace where
// strace has the option: ts= (-t, -tt, -ttt), dur= (-T), fds= (-y), ff= (-ff), status=
// (-e status=), signal= (-e signal=), summary= (-c, -C); bad values are one line and exit 2.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run, sysvisor } from './helpers.js';
import { normalizedLines } from './trace-corpus.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-trace-opt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (ext = 'txt') => path.join(dir, `t${n++}.${ext}`);
/** Its calls and signals do not depend on timing (test/programs/strace-kill.c). */
const KILL = path.join(ROOT, 'test', 'build', 'strace-kill');

async function trace(options: string, argv: string[], cwd = dir): Promise<string> {
  const f = file();
  const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${f}${options ? ',' + options : ''}`, '--', ...argv], { cwd });
  expect(r.stderr).not.toMatch(/sysvisor/);
  return readFileSync(f, 'latin1');
}

/** Lines of a trace with each `<unfinished ...>` half joined to its `<... name resumed>` half (same pid). */
function joinHalves(lines: string[]): string[] {
  const open = new Map<string, number>();
  const out: string[] = [];
  for (const l of lines) {
    const u = /^(\d+ +)(.*) <unfinished \.\.\.>$/.exec(l);
    const r = /^(\d+ +)<\.\.\. [a-z0-9_]+ resumed>(.*)$/.exec(l);
    if (u) {
      open.set(u[1], out.length);
      out.push(u[1] + u[2]);
    } else if (r && open.has(r[1])) {
      out[open.get(r[1])!] += r[2];
      open.delete(r[1]);
    } else out.push(l);
  }
  return out;
}

async function strace(flags: string[], argv: string[], cwd = dir): Promise<string> {
  const f = file();
  const r = await run('strace', ['-f', ...flags, '-o', f, ...argv], { cwd });
  expect(r.code).not.toBeNull();
  return readFileSync(f, 'latin1');
}

/** Lines of a trace text without the pid prefix. */
const bodies = (text: string): string[] => text.trimEnd().split('\n').map((l) => l.replace(/^\d+ +/, ''));

describe('timestamps (ts=) and time spent (dur=)', () => {
  it('ts=us prints strace -tt\'s HH:MM:SS.uuuuuu, the wall clock of each line, in order per thread', async () => {
    const before = new Date();
    const text = await trace('ts=us', ['sh', '-c', 'cat /etc/hostname >/dev/null']);
    const after = new Date();
    const st = await strace(['-tt'], ['sh', '-c', 'cat /etc/hostname >/dev/null']);
    const shape = /^\d+ +\d\d:\d\d:\d\d\.\d{6} (\w+\(|<\.\.\. |\+\+\+ |--- )/;
    for (const l of st.trimEnd().split('\n')) expect(l).toMatch(shape);
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    const secondsOfDay = (d: Date) => d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds();
    const last = new Map<string, number>();
    for (const l of lines) {
      expect(l).toMatch(shape);
      const [, pid, h, m, s, us] = /^(\d+) +(\d\d):(\d\d):(\d\d)\.(\d{6}) /.exec(l)!;
      const t = Number(h) * 3600 + Number(m) * 60 + Number(s) + Number(us) / 1e6;
      expect(t).toBeGreaterThanOrEqual(secondsOfDay(before) - 1);
      expect(t).toBeLessThanOrEqual(secondsOfDay(after) + 1);
      expect(t, l).toBeGreaterThanOrEqual(last.get(pid!) ?? 0);
      last.set(pid!, t);
    }
    // The timestamp counts in the column ` = ` is aligned to, as in strace.
    const close = lines.find((l) => / close\(\d\) += 0$/.test(l))!;
    expect(close.indexOf('= 0')).toBe(40);
    expect(st.split('\n').find((l) => / close\(\d\) += 0$/.test(l))!.indexOf('= 0')).toBe(40);
  });

  it('ts=s and ts=unix print strace -t\'s and -ttt\'s forms', async () => {
    const s = await trace('ts=s', ['true']);
    expect(s).toMatch(/^\d+ +\d\d:\d\d:\d\d execve\(/m);
    const t0 = Date.now() / 1000;
    const u = await trace('ts=unix', ['true']);
    const t1 = Date.now() / 1000;
    const stamps = [...u.matchAll(/^\d+ +(\d+\.\d{6}) /gm)].map((m) => Number(m[1]));
    expect(stamps.length).toBe(u.trimEnd().split('\n').length);
    for (const t of stamps) {
      expect(t).toBeGreaterThanOrEqual(Math.floor(t0) - 1);
      expect(t).toBeLessThanOrEqual(t1 + 1);
    }
  });

  it('dur=on prints strace -T\'s <seconds> after each result, at least what the call slept', async () => {
    const text = await trace('dur=on', ['sleep', '0.2']);
    const sleep = /clock_nanosleep\(.*\) += 0 <(\d+\.\d{6})>$/m.exec(text);
    expect(sleep).not.toBeNull();
    expect(Number(sleep![1])).toBeGreaterThanOrEqual(0.2);
    for (const l of text.trimEnd().split('\n')) {
      if (/ = \?$|^\d+ +(\+\+\+|---)/.test(l)) continue; // no return, no time (as strace)
      expect(l).toMatch(/ = .* <\d+\.\d{6}>$/);
    }
  });
});

describe('descriptors with what they are (fds=on, strace -y)', () => {
  // cd and a relative open, dup2 of a descriptor that an exec inherits, a descriptor opened by
  // the shell and read by a child, close.
  const SCRIPT = 'cd /etc && cat hostname >/dev/null; exec 5</etc/hostname; cat <&5 >/dev/null';
  const FD_CALLS = /^(openat|read|close|dup2|newfstatat|fadvise64|fcntl)\(/;

  it('prints the same descriptor paths as strace -y', async () => {
    const ours = normalizedLines(await trace('fds=on', ['sh', '-c', SCRIPT], '/'));
    const theirs = normalizedLines(await strace(['-y'], ['sh', '-c', SCRIPT], '/'));
    // (The lines of the descriptors this test names: strace resolves symlinks through /proc, and
    // the runner's own descriptors differ between the two runs.)
    // dup2's new descriptor is what the runner's stdin is, which differs between the runs.
    const pick = (lines: string[]) => lines.filter((l) => FD_CALLS.test(l) && /<\/etc\/hostname>/.test(l) && !/^dup2\(/.test(l));
    expect(pick(theirs).length).toBeGreaterThan(8);
    expect(pick(ours)).toEqual(pick(theirs));
    expect(ours).toContain('openat(AT_FDCWD</etc>, "hostname", O_RDONLY) = 3</etc/hostname>');
    expect(ours.some((l) => /^dup2\(5<\/etc\/hostname>, 0(<[^>]*>)?\) = 0<\/etc\/hostname>$/.test(l))).toBe(true);
    expect(ours.some((l) => /^read\(0<\/etc\/hostname>, "/.test(l))).toBe(true);
  });

  it('a descriptor number reused for a pipe prints as the number alone (never its old path)', async () => {
    const text = await trace('fds=on', ['sh', '-c', 'exec 3</etc/hostname; exec 3<&-; cat /etc/hostname | head -1 >/dev/null']);
    // the two children of the pipeline run at once: a call another process's call interleaved prints in two
    // halves (`dup2(3, 0 <unfinished ...>` ... `<... dup2 resumed>) = 0`), as strace -f does: joined here
    const lines = joinHalves(text.split('\n'));
    const pipe = lines.findIndex((l) => / pipe2\(\[3, 4\], 0\) += 0$/.test(l));
    expect(lines.slice(0, pipe).some((l) => / close\(3<\/etc\/hostname>\)/.test(l))).toBe(true);
    expect(pipe).toBeGreaterThan(0);
    // (the new descriptor is what the runner gave: printed with its path when /proc named it)
    expect(lines.some((l) => / dup2\(3, 0(<[^>]+>)?\) += 0$/.test(l))).toBe(true);
    expect(lines.some((l) => / dup2\(4, 1(<[^>]+>)?\) += 1$/.test(l))).toBe(true);
  });
});

describe('one file per process (ff=on, strace -ff)', () => {
  it('writes FILE.PID per process, without the pid prefix, as strace -ff', async () => {
    const base = path.join(dir, 'ff');
    const r = await sysvisor(['run', '--sealed', '-e', `trace:o=${base},ff=on`, '--', 'sh', '-c', 'cat /etc/hostname >/dev/null; true']);
    expect(r.code).toBe(0);
    const sbase = path.join(dir, 'sff');
    await run('strace', ['-ff', '-o', sbase, 'sh', '-c', 'cat /etc/hostname >/dev/null; true']);
    const ours = readdirSync(dir).filter((f) => /^ff\.\d+$/.test(f));
    const theirs = readdirSync(dir).filter((f) => /^sff\.\d+$/.test(f));
    expect(ours.length).toBe(theirs.length);
    expect(ours.length).toBe(2);
    const texts = ours.map((f) => readFileSync(path.join(dir, f), 'latin1'));
    for (const t of texts) for (const l of t.trimEnd().split('\n')) expect(l).not.toMatch(/^\d+ /);
    expect(texts.filter((t) => /^execve\("\/usr\/bin\/cat"/m.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /^execve\("\/usr\/bin\/sh"/m.test(t))).toHaveLength(1);
  });
});

describe('status= and signal= (strace -e status=, -e signal=)', () => {
  it('status=failed shows the failed calls whole, as strace -e status=failed', async () => {
    const argv = ['cat', '/nonexistent/a', '/etc/hostname'];
    const ours = normalizedLines(await trace('status=failed', argv));
    const theirs = normalizedLines(await strace(['-e', 'status=failed'], argv));
    expect(theirs.length).toBeGreaterThan(2);
    expect(ours).toEqual(theirs);
    for (const l of ours) expect(l).toMatch(/ = -1 E|^\+\+\+ /);
  });

  it('status=!failed is every call that did not fail', async () => {
    const text = await trace('status=!failed', ['cat', '/nonexistent/a', '/etc/hostname']);
    expect(text).not.toMatch(/ = -1 E/);
    expect(text).not.toMatch(/unfinished|resumed/);
    expect(text).toMatch(/ exit_group\(1\) += \?$/m);
    expect(text).toMatch(/ read\(3, "/m);
  });

  it('signal= selects the signal lines as strace -e signal= does', async () => {
    for (const [ours, theirs] of [['signal=none', 'signal=none'], ['signal=!SIGCHLD', 'signal=!SIGCHLD'], ['signal=TERM', 'signal=SIGTERM']] as const) {
      const a = bodies(await trace(ours, [KILL])).filter((l) => l.startsWith('---'));
      const b = bodies(await strace(['-e', theirs], [KILL])).filter((l) => l.startsWith('---'));
      expect(a.map((l) => l.replace(/\d{3,}/g, 'N')), ours).toEqual(b.map((l) => l.replace(/\d{3,}/g, 'N')));
    }
  });
});

describe('summary= (strace -c, -C)', () => {
  /** The rows of a strace -c table: name -> [calls, errors]. */
  const rows = (text: string): Map<string, [number, number]> => {
    const out = new Map<string, [number, number]>();
    for (const m of text.matchAll(/^ *[\d.]+ +[\d.]+ +\d+ +(\d+) +(\d*) ?(\w+)$/gm)) out.set(m[3]!, [Number(m[1]), Number(m[2] || 0)]);
    return out;
  };

  it('summary=only prints strace -c\'s table: the same calls and errors per syscall', async () => {
    const ours = await trace('summary=only', [KILL]);
    const theirs = await strace(['-c'], [KILL]);
    expect(ours).toMatch(/^% time +seconds +usecs\/call +calls +errors +syscall\n-{6} -{11} -{11} -{9} -{9} -{16}\n/);
    expect(ours).not.toMatch(/^\d+ +\w+\(/m);
    const a = rows(ours);
    const b = rows(theirs);
    expect(a.get('total')![0]).toBeGreaterThan(30);
    // strace -c -f counts the traced program's calls as these do (its own start-up aside: execve
    // before the program's is the tracer's).
    expect(a).toEqual(b);
  });

  it('summary=on prints the trace, then the table', async () => {
    const text = await trace('summary=on', ['true']);
    const at = text.indexOf('% time');
    expect(at).toBeGreaterThan(0);
    expect(text.slice(0, at)).toMatch(/^\d+ +execve\(/);
    expect(text.slice(0, at)).toMatch(/exited with 0 \+\+\+\n$/);
    expect(rows(text.slice(at)).get('execve')).toEqual([1, 0]);
  });
});

describe('bad values', () => {
  it('are one line and exit 2', async () => {
    for (const spec of ['trace:ts=x', 'trace:dur=yes', 'trace:ff=on', 'trace:summary=maybe', 'trace:format=jsonl,summary=on', 'trace:status=lost', 'trace:signal=SIGNOPE', 'trace:o=/dev/null,ff=on,summary=on', 'trace:format=jsonl,ts=us']) {
      const r = await sysvisor(['run', '-e', spec, '--', 'true']);
      expect(r.code, spec).toBe(2);
      expect(r.stderr.trim().split('\n'), spec).toHaveLength(1);
      expect(r.stderr, spec).toMatch(/^sysvisor: /);
    }
  });
});

describe('decoded as strace decodes them: epoll events, ioctl structs', () => {
  const PY = '/usr/bin/python3';
  // epoll: ADD, a wait that returns an event, MOD, DEL (whose event strace prints as an address).
  // ioctl: FIONREAD on a pipe, and on a pseudo-terminal TCGETS (tcgetattr), TCSETS (tcsetattr),
  // TIOCSWINSZ and TIOCGWINSZ.
  const SCRIPT = [
    'import select, os, fcntl, termios, pty, struct',
    'r, w = os.pipe()',
    'e = select.epoll()',
    'e.register(r, select.EPOLLIN)',
    'os.write(w, b"xy")',
    'e.poll(1)',
    'e.modify(r, select.EPOLLIN | select.EPOLLET)',
    'e.unregister(r)',
    'fcntl.ioctl(r, termios.FIONREAD, b"0000")',
    'm, s = pty.openpty()',
    'a = termios.tcgetattr(s)',
    'termios.tcsetattr(s, termios.TCSANOW, a)',
    'fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))',
    'fcntl.ioctl(s, termios.TIOCGWINSZ, b"00000000")',
  ].join('\n');
  const CALLS = /^(epoll_ctl|epoll_wait|epoll_pwait|ioctl)\(/;
  /** (The epoll data python registers holds an address, which changes from run to run.) */
  const lines = (text: string) => normalizedLines(text).filter((l) => CALLS.test(l)).map((l) => l.replace(/u64=\d+/g, 'u64=N'));

  it('prints the same lines as strace', async () => {
    const ours = lines(await trace('e=epoll_ctl,epoll_wait,epoll_pwait,ioctl', [PY, '-S', '-c', SCRIPT]));
    const theirs = lines(await strace(['-e', 'trace=epoll_ctl,epoll_wait,epoll_pwait,ioctl'], [PY, '-S', '-c', SCRIPT]));
    expect(theirs.some((l) => /^epoll_wait\(\d+, \[\{events=EPOLLIN, data=/.test(l))).toBe(true);
    expect(theirs.some((l) => /^ioctl\(\d+, FIONREAD, \[2\]\) = 0$/.test(l))).toBe(true);
    expect(theirs.some((l) => /^ioctl\(\d+, TCGETS, \{c_iflag=/.test(l))).toBe(true);
    expect(theirs.some((l) => /^ioctl\(\d+, TIOCGWINSZ, \{ws_row=24, ws_col=80, /.test(l))).toBe(true);
    expect(ours).toEqual(theirs);
  });
});

describe('decoded as strace decodes them: getsockopt values', () => {
  const PY = '/usr/bin/python3';
  // An int ([N]), a length the kernel shortened ([8 => 4]), SO_LINGER and SO_PEERCRED structs,
  // other bytes (forced hex), and an unknown option that fails.
  const SCRIPT = [
    'import socket',
    's = socket.socket()',
    'a, b = socket.socketpair()',
    's.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)',
    's.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR, 8)',
    's.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)',
    's.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)',
    's.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)',
    'a.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)',
    'try: s.getsockopt(socket.SOL_SOCKET, 9999)',
    'except OSError: pass',
  ].join('\n');
  const lines = (text: string) => normalizedLines(text).filter((l) => l.startsWith('getsockopt('));

  it('prints the same lines as strace', async () => {
    const ours = lines(await trace('e=getsockopt', [PY, '-S', '-c', SCRIPT]));
    const theirs = lines(await strace(['-e', 'trace=getsockopt'], [PY, '-S', '-c', SCRIPT]));
    expect(theirs).toContain('getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [8 => 4]) = 0');
    expect(theirs.some((l) => l.startsWith('getsockopt(4, SOL_SOCKET, SO_PEERCRED, {pid=PID, uid=0, gid=0}, [12]) = 0'))).toBe(true);
    expect(theirs).toHaveLength(7);
    expect(ours).toEqual(theirs);
  });
});

describe('decoded as strace decodes them: readv and writev iovecs', () => {
  // Several iovecs, an empty one, one longer than -s, a read spread over two, more than 32
  // iovecs (strace prints 32, then ...), a read at end of file, and a failed write.
  const SCRIPT = [
    'import os',
    'r, w = os.pipe()',
    "os.writev(w, [b'abc', b'', b'x' * 100, b'\\n'])",
    'a, b = bytearray(2), bytearray(200)',
    'os.readv(r, [a, b])',
    "os.writev(w, [b'q'] * 40)",
    'os.readv(r, [bytearray(8)] * 40)',
    'os.close(w)',
    'os.readv(r, [a])',
    'try: os.writev(99, [b"z"])',
    'except OSError: pass',
  ].join('\n');
  const lines = (text: string) => normalizedLines(text).filter((l) => /^(readv|writev)\(/.test(l));

  it('prints the same lines as strace', async () => {
    const ours = lines(await trace('e=readv,writev', ['/usr/bin/python3', '-S', '-c', SCRIPT]));
    const theirs = lines(await strace(['-e', 'trace=readv,writev'], ['/usr/bin/python3', '-S', '-c', SCRIPT]));
    expect(theirs[0]).toBe('writev(4, [{iov_base="abc", iov_len=3}, {iov_base="", iov_len=0}, {iov_base="xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"..., iov_len=100}, {iov_base="\\n", iov_len=1}], 4) = 104');
    expect(theirs).toHaveLength(6);
    expect(ours).toEqual(theirs);
  });
});

describe('decoded as strace decodes them: select and pselect6 fd sets', () => {
  // Sets given and NULL, ready descriptors in and out, an empty set, timeouts that expire, zero
  // and none, EBADF, nfds beyond 64, pselect6's signal mask (test/programs/strace-select.c: no
  // result depends on timing).
  const SELECT = path.join(ROOT, 'test', 'build', 'strace-select');
  const lines = (text: string) => normalizedLines(text).filter((l) => /^p?select6?\(/.test(l));

  it('prints the same lines as strace: the sets and timeout given, the ready sets and the time left', async () => {
    const ours = lines(await trace('e=select,pselect6', [SELECT]));
    const theirs = lines(await strace(['-e', 'trace=select,pselect6'], [SELECT]));
    expect(theirs[0]).toBe('select(5, [3 4], [4], [3], {tv_sec=0, tv_usec=0}) = 2 (in [3], out [4], left {tv_sec=0, tv_usec=0})');
    expect(theirs).toContain('pselect6(101, [3 100], NULL, NULL, {tv_sec=0, tv_nsec=0}, NULL) = 2 (in [3 100], left {tv_sec=0, tv_nsec=0})');
    expect(theirs).toContain('select(5, NULL, [], NULL, {tv_sec=0, tv_usec=1000}) = 0 (Timeout)');
    expect(theirs).toContain('pselect6(4, [3], NULL, NULL, {tv_sec=0, tv_nsec=0}, {sigmask=[HUP USR1], sigsetsize=8}) = 1 (in [3], left {tv_sec=0, tv_nsec=0})');
    expect(theirs).toContain('pselect6(4, [3], NULL, NULL, {tv_sec=0, tv_nsec=0}, {sigmask=NULL, sigsetsize=8}) = 1 (in [3], left {tv_sec=0, tv_nsec=0})');
    expect(theirs).toHaveLength(10);
    expect(ours).toEqual(theirs);
  });

  it('without eBPF (via=notify) the calls print as strace prints them, their results unknown', async () => {
    const call = (l: string) => l.replace(/ += .*$/, '');
    const ours = lines(await trace('e=select,pselect6,via=notify', [SELECT]));
    const theirs = lines(await strace(['-e', 'trace=select,pselect6'], [SELECT]));
    expect(ours.every((l) => / = \?$/.test(l))).toBe(true);
    expect(ours.map(call)).toEqual(theirs.map(call));
  });
});

describe('without eBPF (via=notify): writev iovecs', () => {
  const SCRIPT = ['import os', 'r, w = os.pipe()', "os.writev(w, [b'abc', b'', b'x' * 100, b'\\n'])", "os.writev(w, [b'q'] * 40)"].join('\n');
  it('prints the iovecs as strace does (the result unknown)', async () => {
    const call = (l: string) => l.replace(/ += .*$/, '');
    const lines = (text: string) => normalizedLines(text).filter((l) => l.startsWith('writev('));
    const ours = lines(await trace('e=writev,via=notify', ['/usr/bin/python3', '-S', '-c', SCRIPT]));
    const theirs = lines(await strace(['-e', 'trace=writev'], ['/usr/bin/python3', '-S', '-c', SCRIPT]));
    expect(theirs).toHaveLength(2);
    expect(theirs[1]).toMatch(/^writev\(4, \[(\{iov_base="q", iov_len=1\}, ){32}\.\.\.\], 40\) = 40$/);
    expect(ours.map(call)).toEqual(theirs.map(call));
  });
});

describe("a vfork'd child's execve", () => {
  // Its argv strings (execl's literals) are not resident when the child enters execve, and its
  // parent's vfork returns while the exec runs: the line waits for the exec record's copy of argv
  // instead of being cut with the argv as an address (test/programs/strace-forkexec.c).
  const FORKEXEC = path.join(ROOT, 'test', 'build', 'strace-forkexec');
  it('shows its argv as strace does, every time', async () => {
    const theirs = (await strace(['-e', 'trace=execve,vfork'], [FORKEXEC])).split('\n');
    expect(theirs.some((l) => /execve\("\/bin\/sh", \["sh", "-c", "exit 7"\], 0x[0-9a-f]+ \/\* \d+ vars \*\/( <unfinished \.\.\.>|\) += 0)$/.test(l))).toBe(true);
    for (let i = 0; i < 5; i++) {
      const ours = await trace('e=execve,vfork', [FORKEXEC]);
      expect(ours, ours).toMatch(/execve\("\/bin\/sh", \["sh", "-c", "exit 7"\], 0x[0-9a-f]+ \/\* \d+ vars \*\/\) += 0\n/);
      expect(ours).toMatch(/execve\("\/bin\/echo", \["echo", "child"\], /);
    }
  });
});

describe('decoded as strace decodes them: sendmsg and recvmsg headers', () => {
  // Two iovecs; SCM_RIGHTS sent and received (the room for control data larger than what came);
  // inet names sent and received, a datagram cut (MSG_TRUNC); the room for a name the kernel
  // shortened (110 => 0); a receive that fails (only its entry's msg_namelen), a send that fails.
  const SCRIPT = [
    'import socket, os, array',
    'a, b = socket.socketpair()',
    "a.sendmsg([b'ping', b'pong'])",
    'b.recvmsg(64)',
    'r, w = os.pipe()',
    "a.sendmsg([b'fd'], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [r, w]))])",
    'b.recvmsg(16, 64)',
    'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    "u.bind(('127.0.0.1', 0))",
    'v = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    "v.bind(('127.0.0.1', 0))",
    "v.sendmsg([b'x' * 40], [], 0, u.getsockname())",
    'u.recvmsg(8)',
    'try: b.recvmsg(8, 0, socket.MSG_DONTWAIT)',
    'except OSError: pass',
    "try: v.sendmsg([b'z'], [], 0, ('127.0.0.1', 0))",
    'except OSError: pass',
  ].join('\n');
  // (ports differ from run to run)
  const lines = (text: string) => normalizedLines(text).filter((l) => /^(send|recv)msg\(/.test(l)).map((l) => l.replace(/htons\(\d+\)/g, 'htons(PORT)'));

  it('prints the same lines as strace', async () => {
    const argv = ['/usr/bin/python3', '-S', '-c', SCRIPT];
    const ours = lines(await trace('e=sendmsg,recvmsg', argv));
    const theirs = lines(await strace(['-e', 'trace=sendmsg,recvmsg'], argv));
    expect(theirs).toContain('sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="fd", iov_len=2}], msg_iovlen=1, msg_control=[{cmsg_len=24, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5, 6]}], msg_controllen=24, msg_flags=0}, 0) = 2');
    expect(theirs).toContain('recvmsg(9, {msg_name={sa_family=AF_INET, sin_port=htons(PORT), sin_addr=inet_addr("127.0.0.1")}, msg_namelen=16, msg_iov=[{iov_base="xxxxxxxx", iov_len=8}], msg_iovlen=1, msg_controllen=0, msg_flags=MSG_TRUNC}, 0) = 8');
    expect(theirs).toContain('recvmsg(4, {msg_namelen=110}, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)');
    expect(theirs).toHaveLength(8);
    expect(ours).toEqual(theirs);
  });

  it('without eBPF (via=notify) sendmsg prints as strace prints it, its result unknown', async () => {
    const call = (l: string) => l.replace(/ += .*$/, '');
    const argv = ['/usr/bin/python3', '-S', '-c', SCRIPT];
    const ours = lines(await trace('e=sendmsg,via=notify', argv));
    const theirs = lines(await strace(['-e', 'trace=sendmsg'], argv));
    expect(theirs).toHaveLength(4);
    expect(ours.map(call)).toEqual(theirs.map(call));
  });
});
