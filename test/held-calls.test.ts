// An engine whose promise never resolves, under a COMMAND that ignores SIGINT and SIGTERM: once a
// call has been held for more than 5 s, a SIGTERM (or SIGINT) to sysvisor says which engine holds
// which calls, and a second one ends the run (the tree killed, exit 128+N). Ctrl-C typed on a
// terminal reports the same but never ends the run: the COMMAND may handle Ctrl-C itself.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, run } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sv-held-'));
const HANG = path.join(dir, 'hang.mjs');
writeFileSync(
  HANG,
  `export default {
  name: 'hang', summary: 'never answers getsid', options: {},
  create() {
    return { name: 'hang', interests: [{ syscall: 'getsid' }], handle: () => new Promise(() => {}) };
  },
};
`,
);
afterAll(() => rmSync(dir, { recursive: true }));

// COMMAND: ignores INT and TERM (inherited across exec), says its pid, then makes a getsid (a call
// nothing makes at start-up) that the engine holds forever.
const COMMAND = ['sh', '-c', `trap '' INT TERM; echo ready $$; exec python3 -c 'import os; os.getsid(0)'`];
const GETSID = 124;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The thread is in syscall nr (the first field of /proc/PID/syscall). */
function inSyscall(pid: number, nr: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/syscall`, 'latin1').split(' ')[0] === String(nr);
  } catch {
    return false;
  }
}

describe('calls held by an engine', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: the first reports who holds what, the second ends the run (exit %i), the tree killed', async (sig, code) => {
    const sv = spawn(process.execPath, [CLI, 'run', '-e', HANG, '--', ...COMMAND], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    sv.stdout.on('data', (d: Buffer) => (out += d.toString()));
    sv.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => sv.on('close', (c) => r(c)));
    while (!/ready \d+/.test(out)) await sleep(50);
    const pid = Number(/ready (\d+)/.exec(out)![1]);
    while (!inSyscall(pid, GETSID)) await sleep(50);
    // Held for more than 5 s: the report names the engine, the thread, the call.
    await sleep(5500);
    sv.kill(sig);
    while (!/a second/.test(err)) await sleep(50);
    expect(err).toMatch(new RegExp(`${sig}: 1 call held by engines for more than 5 s:\\n.*  hang: pid ${pid} getsid\\(\\) for \\d+\\.\\d s\\n`));
    expect(existsSync(`/proc/${pid}`)).toBe(true); // the COMMAND ignored the forwarded signal
    sv.kill(sig);
    expect(await exited).toBe(code);
    expect(err).toMatch(new RegExp(`${sig} again: ending the run \\(killing the tree\\)`));
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 60_000);

  it('Ctrl-C on the terminal reports but never ends the run', async () => {
    // In a pty: wait for "ready", hold 5.5 s, type Ctrl-C twice, wait, then check the command is
    // still there and end it with SIGKILL to sysvisor (its launcher then kills the tree).
    const driver = `
import os, pty, sys, time, signal
pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
def read_for(seconds, token=None):
    global out
    end = time.time() + seconds
    while time.time() < end and (token is None or token not in out):
        import select
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                out += os.read(master, 4096)
            except OSError:
                return
read_for(60, b'\\n')
import re
tracee = int(re.search(rb'ready (\\d+)', out).group(1))
while open('/proc/%d/syscall' % tracee).read().split(' ')[0] != '124':
    time.sleep(0.05)
time.sleep(5.5)
os.write(master, b'\\x03')
read_for(10, b'held by engines')
os.write(master, b'\\x03')
read_for(2)
alive = os.waitpid(pid, os.WNOHANG) == (0, 0)
print('alive' if alive else 'ended', flush=True)
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
sys.stdout.write(out.decode('latin1'))
`;
    const r = await run('python3', ['-c', driver, process.execPath, CLI, 'run', '-e', HANG, '--', ...COMMAND]);
    expect(r.stdout.split('\n')[0]).toBe('alive');
    expect(r.stdout).toMatch(/SIGINT: 1 call held by engines for more than 5 s:/);
    expect(r.stdout).not.toMatch(/a second SIGINT|ending the run/);
  }, 60_000);
});
