// The emulation entries of the addon take typed request objects (OpenRequest, PathRequest,
// RewriteRequest in src/native/binding.ts): fields are read by name, and a missing or mistyped
// one is a TypeError naming the entry and the field, never a value read from the wrong position.
import { closeSync, fstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBinding } from '../src/native/load.js';

const b = loadBinding();
const AT_FDCWD = -100;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvisor-requests-'));
const file = path.join(dir, 'f');
writeFileSync(file, 'x');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('emulation requests', () => {
  it('openAs opens as the named thread, by field', () => {
    const fd = b.openAs({ tid: process.pid, dirfd: AT_FDCWD, path: file, flags: 0, mode: 0 });
    expect(fd).toBeGreaterThan(2);
    try {
      expect(fstatSync(fd).ino).toBe(statSync(file).ino);
    } finally {
      closeSync(fd);
    }
    expect(b.openAs({ tid: process.pid, dirfd: AT_FDCWD, path: path.join(dir, 'none'), flags: 0, mode: 0 })).toBe(-2); // ENOENT
    // openat2 resolve flags are the kernel's to apply
    expect(b.openAs({ tid: process.pid, dirfd: AT_FDCWD, path: file, flags: 0, mode: 0, resolve: 0x08 })).toBe(b.EMULATE_FALLBACK);
  });

  it('a missing or mistyped field is a TypeError naming the entry and the field', () => {
    const open = b.openAs as (r: unknown) => number;
    expect(() => open(undefined)).toThrow(/^openAs: the request must be an object$/);
    expect(() => open({ tid: process.pid, dirfd: AT_FDCWD, path: file, mode: 0 })).toThrow(/^openAs: field 'flags' must be a number$/);
    expect(() => open({ tid: process.pid, dirfd: AT_FDCWD, path: file, flags: 0, mode: 0, resolve: '8' })).toThrow(/^openAs: field 'resolve' must be a number$/);
    const pathAs = b.pathAs as (r: unknown) => number;
    expect(() => pathAs({ op: 'access', tid: process.pid, dirfd: AT_FDCWD, path: file, mode: 4 })).toThrow(/^pathAs: field 'flags' must be a number$/);
    const rewrite = b.rewriteContinue as (r: unknown) => number;
    expect(() => rewrite([process.pid, [], false, true])).toThrow(/^rewriteContinue: field 'tid' must be a number$/);
    expect(() => rewrite({ tid: process.pid, regions: {}, exec: false, killableWait: true })).toThrow(/^rewriteContinue: field 'regions' must be an array$/);
    const forget = b.forgetTracee as (r: unknown) => void;
    expect(() => forget(process.pid)).toThrow(/^forgetTracee: the request must be an object$/);
    expect(() => forget({ tid: process.pid, wholeProcess: true })).not.toThrow();
    // several bad fields, or a getter that throws: one TypeError (the first), and Node lives on
    expect(() => pathAs({ op: 'access', tid: 'x', dirfd: 'y', path: 3, mode: 'm', flags: 'f' })).toThrow(/^pathAs: field 'tid' must be a number$/);
    expect(() => open({ tid: process.pid, dirfd: AT_FDCWD, get path(): string { throw new Error('getter'); }, flags: 0, mode: 0 })).toThrow(/^getter$/);
    expect(() => pathAs({ op: 'access', tid: process.pid, dirfd: AT_FDCWD, get path(): string { throw new Error('getter'); }, mode: 4, flags: 0 })).toThrow(/^getter$/);
  });
});
