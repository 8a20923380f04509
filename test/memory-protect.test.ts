// Writes into tracee memory respect its page protections: an emulated call whose output buffer the
// program cannot write gets EFAULT as natively (and its code is not overwritten), and a path
// rewritten in place is never written into a MAP_SHARED mapping (that would change the file).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run, sysvisor } from './helpers.js';
import { CONTROL_MAGIC } from '../src/scopes/protocol.js';

const PROTECT = path.join(ROOT, 'test', 'build', 'protect');
let dir: string;

beforeAll(() => {
  // On the disk's filesystem (user xattrs), not a tmpfs that may lack them.
  dir = mkdtempSync(path.join(ROOT, 'test', 'build', 'protect-'));
  writeFileSync(path.join(dir, 'f'), 'content\n');
  symlinkSync('f', path.join(dir, 'l'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('page protections of emulated outputs', () => {
  it('stat/readlink/statx/getxattr into read-only memory or code: EFAULT as natively, and the program goes on', async () => {
    const native = await run(PROTECT, ['outputs', dir]);
    expect(native.code).toBe(0);
    expect(native.stdout).toContain('stat-code r=-1 errno=14\n');
    expect(native.stdout).toContain('getxattr-ro r=-1 errno=14\n');
    expect(native.stdout).toMatch(/ro untouched=1\ndone\n$/);
    for (const P of ['/unreal', '/unreal/unreal']) {
      const virt = await sysvisor(['run', '-e', 'unreal', '--', PROTECT, 'outputs', P + dir]);
      expect({ P, code: virt.code, signal: virt.signal, stdout: virt.stdout, stderr: virt.stderr }).toEqual({
        P,
        code: 0,
        signal: null,
        stdout: native.stdout,
        stderr: '',
      });
    }
  });

  it('a path rewritten in place inside a MAP_SHARED file mapping: the file on disk is unchanged', async () => {
    const tmp = mkdtempSync(path.join(tmpdir(), 'sv-shared-'));
    try {
      const file = path.join(tmp, 'path');
      const content = Buffer.alloc(4096);
      content.write('/unreal/bin/true\0');
      writeFileSync(file, content);
      const r = await sysvisor(['run', '-e', 'unreal', '--', PROTECT, 'exec-shared', file]);
      expect(readFileSync(file).equals(content)).toBe(true);
      // The exec cannot be realized without changing the file: the program gets an errno.
      expect(r.stdout).toBe('execve errno=14\n');
      expect(r.code).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true });
    }
  });

  it('a control call whose response buffer is NULL gets EFAULT, as a kernel call would', async () => {
    const r = await sysvisor(['run', '--', PROTECT, 'control-null', String(CONTROL_MAGIC)]);
    expect(r.stdout).toBe('control r=-1 errno=14\n');
    expect(r.code).toBe(0);
  });
});
