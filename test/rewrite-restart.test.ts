// A call rewritten in place that sleeps (a blocking open of a FIFO through the view, which the
// supervisor never opens itself: the kernel opens the real path as the tracee) is woken by the
// rewrite's own stop (PTRACE_INTERRUPT) and restarted by the kernel. It used to be restored,
// notified and rewritten again, over and over until the FIFO's other end opened: thousands of
// notifications, a supervisor CPU busy, and `trace` printing each as `= ? ERESTARTSYS`. The
// restart now runs with the rewritten bytes, unseen by the engines, and sleeps in the kernel: the
// program makes one call, as natively (checked against strace and count natively).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, readCountTable, run, sysvisor } from './helpers.js';

const PYTHON = '/usr/bin/python3';

/**
 * The pid of the process running `script` once it sleeps in a FIFO's open (wchan
 * wait_for_partner), after `after` if given (the same pid, asleep there anew: its wchan was seen
 * to leave first). Polls /proc; the test's timeout bounds it.
 */
async function sleeperOn(script: string, after?: number): Promise<number> {
  let left = after === undefined;
  for (;;) {
    for (const e of after !== undefined ? [String(after)] : readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        if (!readFileSync(`/proc/${e}/cmdline`, 'latin1').split('\0').includes(script)) continue;
        const wchan = readFileSync(`/proc/${e}/wchan`, 'latin1');
        if (wchan !== 'wait_for_partner') left = true;
        else if (left) return Number(e);
      } catch {
        // gone, or not ours to read
      }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'sv-restart-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A FIFO whose writer opens it `ms` after now and writes `hello`. */
function fifoWithWriter(name: string, ms: number): { fifo: string; done: Promise<void> } {
  const fifo = path.join(work, name);
  execFileSync('mkfifo', [fifo]);
  const w = spawn('sh', ['-c', `sleep ${ms / 1000}; echo hello > ${fifo}`], { stdio: 'ignore' });
  return { fifo, done: new Promise((r) => w.on('close', () => r())) };
}

/** The lines of an strace/trace output about `what`, pids and addresses taken out. */
function linesAbout(text: string, what: RegExp): string[] {
  return text
    .split('\n')
    .filter((l) => what.test(l))
    .map((l) => l.replace(/^\d+\s+/, '').replace(/si_pid=\d+/, 'si_pid=P').replace(/si_uid=\d+/, 'si_uid=U').replace(/\s+= /, ' = '));
}

describe('a sleeping call rewritten in place is restarted once, unseen by the engines', () => {
  it('cat of a FIFO through /unreal: one openat for count outside and trace inside, as natively', async () => {
    const native = fifoWithWriter('n', 500);
    const nativeCount = path.join(work, 'native.count');
    const nat = await sysvisor(['run', '-e', `count:o=${nativeCount}`, '--', 'cat', native.fifo]);
    await native.done;
    const viewed = fifoWithWriter('v', 500);
    const count = path.join(work, 'view.count');
    const trace = path.join(work, 'view.trace');
    const r = await sysvisor(['run', '-e', `count:o=${count}`, '-e', 'unreal', '-e', `trace:o=${trace}`, '--', 'cat', `/unreal${viewed.fifo}`]);
    await viewed.done;
    expect(nat).toMatchObject({ code: 0, stdout: 'hello\n' });
    expect(r).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' });
    // count, outside unreal, counts each notification of its layer: the restarts were thousands.
    // Natively one call; here at most one more: count's in-kernel counter sees the call's first
    // run end (-ERESTARTSYS) and its restart.
    const opens = readCountTable(count).get('openat')!, nativeOpens = readCountTable(nativeCount).get('openat')!;
    expect(opens.calls - nativeOpens.calls).toBeGreaterThanOrEqual(0);
    expect(opens.calls - nativeOpens.calls).toBeLessThanOrEqual(1);
    expect(linesAbout(readFileSync(trace, 'latin1'), /\/v"/)).toEqual([`openat(AT_FDCWD, "/unreal${viewed.fifo}", O_RDONLY) = 3`]);
  }, 60_000);

  it('a signal while it sleeps: the handler runs once and the calls are shown as strace shows them natively', async () => {
    const script = path.join(work, 'alarm.py');
    writeFileSync(
      script,
      [
        'import os, signal, sys',
        'n = [0]',
        'def on_alarm(s, f): n[0] += 1',
        'signal.signal(signal.SIGALRM, on_alarm)',
        'fd = os.open(sys.argv[1], os.O_RDONLY)',
        "print(os.read(fd, 100).decode().strip(), 'alarms', n[0])",
      ].join('\n'),
    );
    // Each run: once the program sleeps in the FIFO's open (its wchan), SIGALRM; once it sleeps
    // there again (Python retries an open that failed EINTR, PEP 475), the writer.
    const once = async (name: string, cmd: string[], fifoArg: (fifo: string) => string) => {
      const fifo = path.join(work, name);
      execFileSync('mkfifo', [fifo]);
      const done = run(cmd[0]!, [...cmd.slice(1), PYTHON, script, fifoArg(fifo)]);
      const pid = await sleeperOn(script);
      process.kill(pid, 'SIGALRM');
      await sleeperOn(script, pid);
      writeFileSync(fifo, 'hello\n');
      return { fifo, r: await done };
    };
    const straceOut = path.join(work, 'native.strace');
    const nat = await once('sn', ['strace', '-f', '-o', straceOut, '-e', 'trace=openat'], (f) => f);
    const trace = path.join(work, 'alarm.trace');
    const view = await once('sv', [process.execPath, CLI, 'run', '-e', 'unreal', '-e', `trace:o=${trace}`, '--'], (f) => `/unreal${f}`);
    expect(nat.r).toMatchObject({ code: 0, stdout: 'hello alarms 1\n' });
    expect(view.r).toMatchObject({ code: 0, stdout: nat.r.stdout, stderr: '' });
    const want = linesAbout(readFileSync(straceOut, 'latin1'), /openat\(.*\/sn"|--- SIGALRM/).map((l) => l.replace(`${nat.fifo}"`, `/unreal${view.fifo}"`));
    expect(want).toHaveLength(3); // the interrupted open, the signal, the retry
    expect(linesAbout(readFileSync(trace, 'latin1'), /openat\(.*\/sv"|--- SIGALRM/)).toEqual(want);
  }, 60_000);
});
