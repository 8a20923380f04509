// Inherited fds reach COMMAND as they were: the `sysvisor` bin (a sh shim) records them before Node
// starts (Node marks low inherited fds close-on-exec); nothing of the supervisor's own leaks; the
// library API hands on exactly the fds it is given.
import { describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise } from '../src/index.js';
import { ROOT, run } from './helpers.js';

const BIN = path.join(ROOT, 'bin', 'sysvisor');

describe('inherited fds', () => {
  it('fds 3..40 the shell gave sysvisor reach COMMAND (exec 9>file; sysvisor run -- sh -c "echo x >&9")', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-fds-'));
    try {
      const open = Array.from({ length: 38 }, (_, i) => `exec ${i + 3}>${dir}/f${i + 3}`).join('; ');
      const r = await run('bash', ['-c', `${open}; ${BIN} run -- bash -c 'for n in $(seq 3 40); do echo x$n >&$n; done'`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      for (let n = 3; n <= 40; n++) expect(readFileSync(`${dir}/f${n}`, 'utf8')).toBe(`x${n}\n`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('COMMAND gets exactly the fds it would natively: none of the supervisor, none the shell closed', async () => {
    const script = 'exec 9>/dev/null 27>/dev/null 4<&- ; CMD ls /proc/self/fd';
    const native = await run('bash', ['-c', script.replace('CMD ', '')]);
    const sup = await run('bash', ['-c', script.replace('CMD', `${BIN} run -e count:o=/dev/null --`)]);
    expect(sup.stderr).toBe('');
    expect(sup.stdout).toBe(native.stdout);
    expect(native.stdout.split('\n')).toContain('9');
    const nested = await run('bash', ['-c', script.replace('CMD', `${BIN} run -- ${BIN} run -e count:o=/dev/null --`)]);
    expect(nested.stdout).toBe(native.stdout);
  });

  it('supervise() hands on exactly the fds it is given, close-on-exec or not here', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-fds-'));
    const fd = openSync(path.join(dir, 'mine'), 'w'); // Node opens it close-on-exec
    try {
      const out = path.join(dir, 'out');
      const list = async (fds?: number[]) => {
        const sup = supervise({ command: 'sh', args: ['-c', `ls /proc/self/fd > ${out}`], engines: [], ...(fds ? { fds } : {}) });
        expect((await sup.done).code).toBe(0);
        return readFileSync(out, 'utf8').trim().split('\n').map(Number).sort((a, b) => a - b);
      };
      // ls's own directory fd is the one after the last inherited one
      expect(await list()).toEqual([0, 1, 2, 3]);
      const given = await list([0, 1, 2, fd]);
      expect(given).toEqual([0, 1, 2, 3, fd]); // (fd > 3: Node's own fds come first)
      expect(await list([1])).toEqual([0, 1]); // 0 is the lowest free: ls's directory
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
  });

  it('a malformed fd list is one line and exit status 2', async () => {
    const r = await run(process.execPath, [path.join(ROOT, 'bin', 'sysvisor.js'), 'run', '--', 'true'], { env: { ...process.env, SYSVISOR_FDS: '1,x' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('sysvisor: SYSVISOR_FDS: not a list of fds: 1,x\n');
  });
});
