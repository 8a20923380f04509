// Bytes, not text: COMMAND's argv and environment reach it byte for byte (Node's process.argv and
// process.env would turn a byte that is not UTF-8 into U+FFFD), through the `sysvisor` shim, the
// CLI and a nested run; engines read and replace paths as bytes (Syscall.bytes/setBytes); `trace`
// shows such bytes escaped as strace does. Real processes and the real kernel throughout.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { supervise, type Engine, type Syscall, type Next } from '../src/index.js';
import { CLI, PROBE, ROOT, run } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sv-bytes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SHIM = path.join(ROOT, 'bin', 'sysvisor');
// The bytes \351 \377 \001 and a newline, made by printf in the shell (the test's own strings are text).
const WEIRD = `"$(printf 'x\\351\\377\\001\\ny')"`;
const HEX = '78 e9 ff 01 0a 79';
// COMMAND prints its first argument and $V in hex.
const SHOW = `sh -c 'printf %s "$1" | od -An -tx1; printf %s "$V" | od -An -tx1' sh`;

async function sh(script: string) {
  return run('sh', ['-c', script]);
}

describe('argv and environment are bytes', () => {
  for (const [label, prefix] of [
    ['through the bin shim', `${SHIM} run --`],
    ['node bin/sysvisor.js', `${process.execPath} ${CLI} run --`],
    ['-e unreal', `${SHIM} run -e unreal --`],
    ['a nested run', `${SHIM} run -- ${SHIM} run --`],
  ] as const) {
    it(`COMMAND gets an argument and a variable that are not UTF-8 byte for byte (${label})`, async () => {
      const native = await sh(`V=${WEIRD} ${SHOW} ${WEIRD}`);
      expect(native.stdout.replace(/\s+/g, ' ').trim()).toBe(`${HEX} ${HEX}`);
      const r = await sh(`V=${WEIRD} ${prefix} ${SHOW} ${WEIRD}`);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(native.stdout);
    });
  }

  it('a command whose name is not UTF-8 is found and run', async () => {
    const name = Buffer.concat([Buffer.from(path.join(dir, 'cmd')), Buffer.from([0xe9])]);
    writeFileSync(name, '#!/bin/sh\necho ran "$0"\n', { mode: 0o755 });
    const r = await sh(`PATH=${dir}:$PATH ${SHIM} run -- "$(printf 'cmd\\351')" | od -An -c`);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('r a n');
    expect(r.stdout).toContain('c   m   d 351');
  });
});

describe('variables the shim carries for COMMAND', () => {
  // COMMAND prints NODE_EXTRA_CA_CERTS in hex (or "unset"), whether SYSVISOR_EXTRA_CA_CERTS reached
  // it, then its grandparent's name (the supervisor: the launcher forks COMMAND) and whether that
  // process was started with NODE_EXTRA_CA_CERTS.
  const SHOW_CA = `sh -c '
    if [ -n "\${NODE_EXTRA_CA_CERTS+set}" ]; then printf %s "$NODE_EXTRA_CA_CERTS" | od -An -tx1; echo .; else echo unset; fi
    echo "carrier \${SYSVISOR_EXTRA_CA_CERTS+set}"
    sup=$(cut -d" " -f4 /proc/$PPID/stat)
    echo "supervisor $(cat /proc/$sup/comm) $(tr "\\0" "\\n" < /proc/$sup/environ | grep -c ^NODE_EXTRA_CA_CERTS=)"
  '`;
  for (const [label, set, shown] of [
    ['bytes that are not UTF-8', `NODE_EXTRA_CA_CERTS=${WEIRD}`, ` ${HEX}\n.`],
    ['empty', 'NODE_EXTRA_CA_CERTS=', '.'],
    ['unset', 'unset NODE_EXTRA_CA_CERTS;', 'unset'],
  ] as const) {
    it(`NODE_EXTRA_CA_CERTS (${label}) reaches COMMAND as given, and the Node the shim starts is without it`, async () => {
      const native = await sh(`${set} export NODE_EXTRA_CA_CERTS 2>/dev/null; ${SHOW_CA}`);
      expect(native.stdout.split('\n').slice(0, -3).join('\n').trim()).toBe(shown.trim());
      const r = await sh(`${set} export NODE_EXTRA_CA_CERTS 2>/dev/null; ${SHIM} run -- ${SHOW_CA}`);
      expect(r.stderr).toBe('');
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines.slice(0, -2).join('\n').trim()).toBe(shown.trim());
      expect(lines.slice(-2)).toEqual(['carrier ', 'supervisor node 0']);
    });
  }
});

describe('engines read and replace paths as bytes', () => {
  it('call.bytes() gives the exact bytes, call.setBytes() passes any bytes on', async () => {
    const real = Buffer.concat([Buffer.from(path.join(dir, 'real')), Buffer.from([0xff, 0x01])]);
    writeFileSync(real, 'bytes\n');
    let seen: Buffer | null = null;
    let text: string | null = null;
    const mapper: Engine = {
      name: 'bytes',
      interests: [{ syscall: 'openat' }],
      handle(call: Syscall, next: Next) {
        const p = call.bytes(1);
        if (p && p.subarray(0, 9).toString() === '/virtual/') {
          seen = p;
          text = call.string(1);
          call.setBytes(1, real);
          expect(call.bytes(1)).toEqual(real);
        }
        return next();
      },
    };
    const out = path.join(dir, 'probe-out');
    const virt = Buffer.from([...Buffer.from('/virtual/x'), 0xe9]);
    const sup = supervise({ command: PROBE, args: ['open', virt], engines: [mapper], env: { ...process.env, PROBE_OUT: out } });
    expect((await sup.done).code).toBe(0);
    expect(seen).toEqual(virt);
    expect(text).toBe('/virtual/x\ufffd');
    expect(readFileSync(out, 'utf8')).toMatch(/content bytes\n$/);
  });
});

describe('trace shows bytes that are not UTF-8 as strace does', () => {
  it('-e unreal -e trace (the notify path) and -e trace (eBPF) print \\351', async () => {
    const f = Buffer.concat([Buffer.from(path.join(dir, 'x')), Buffer.from([0xe9])]);
    writeFileSync(f, 'x\n');
    for (const [engines, shown] of [
      ['-e unreal -e trace:e=openat', `/unreal${dir}/x\\351`],
      ['-e trace:e=openat', `${dir}/x\\351`],
    ] as const) {
      const arg = shown.startsWith('/unreal') ? `/unreal${dir}/x` : `${dir}/x`;
      const r = await sh(`${SHIM} run ${engines} -- cat "${arg}$(printf '\\351')"`);
      expect(r.stdout).toBe('x\n');
      expect(r.stderr).toContain(`openat(AT_FDCWD, "${shown}", O_RDONLY) = 3`);
    }
  });
});
