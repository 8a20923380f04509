// Signals from a terminal: Ctrl-C reaches the whole foreground process group, COMMAND included;
// sysvisor must not forward it again (it forwards only what the kernel would not deliver).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CLI, ROOT, run } from './helpers.js';

const PTY = path.join(ROOT, 'test', 'programs', 'pty_ctrl_c.py');
// Counts SIGINTs: after the first, waits for a line on the terminal, then gives the others time
// to arrive before it reports.
const COUNTER = `
import signal, sys, time
n = 0
def h(s, f):
    global n
    n += 1
signal.signal(signal.SIGINT, h)
print('ready', flush=True)
while n == 0:
    time.sleep(0.01)
print('got', flush=True)
sys.stdin.readline()
time.sleep(0.5)
print('count', n, flush=True)
`;

describe('terminal signals', () => {
  it('one Ctrl-C on a terminal is one SIGINT for COMMAND (natively and under sysvisor)', async () => {
    const native = await run('python3', [PTY, 'python3', '-c', COUNTER]);
    expect(native.stdout).toMatch(/count 1\r?\n/);
    const sup = await run('python3', [PTY, process.execPath, CLI, 'run', '--', 'python3', '-c', COUNTER]);
    expect(sup.stdout).toMatch(/count 1\r?\n/);
    expect(sup.code).toBe(0);
  });

  it('a SIGINT sent to sysvisor alone (kill) is still forwarded, once', async () => {
    const sv = spawn(process.execPath, [CLI, 'run', '--', 'python3', '-c', COUNTER], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const seen = (token: string) => new Promise<void>((r) => {
      const check = () => out.includes(token) && r();
      sv.stdout!.on('data', (d: Buffer) => ((out += d.toString()), check()));
      check();
    });
    await seen('ready');
    sv.kill('SIGINT');
    await seen('got');
    sv.stdin!.end('end\n');
    await new Promise((r) => sv.on('close', r));
    expect(out).toMatch(/count 1\n/);
  });
});
