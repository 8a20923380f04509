// The contract of the addon boundary (addon/src/contract.h, bpf/trace.h): defined once in C,
// exported by the addon, generated into src/native/contract.ts. These tests fail when the two
// sides drift: a header changed without regenerating, a hand copy of a number on either side, a
// kernel-side map sized differently from what TypeScript believes.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as contract from '../src/native/contract.js';
import { loadBinding } from '../src/native/load.js';
import { BpfTracer, decodeBatch, encodeSyscallCapture } from '../src/observe/bpf-trace.js';
import { CONTROL_MAGIC } from '../src/scopes/protocol.js';
import { ROOT } from './helpers.js';

/** Files under `dir` (recursively) whose name matches `ext`. */
function sources(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'build' && e.name !== 'node_modules') out.push(...sources(rel, ext));
    } else if (ext.test(e.name)) out.push(rel);
  }
  return out;
}

describe('addon boundary contract', () => {
  it('src/native/contract.ts holds exactly what the compiled addon exports', () => {
    const fromAddon = loadBinding().contract;
    expect({ ...contract }).toEqual(fromAddon);
  });

  it('the generator finds the committed file up to date', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-contract.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('no side keeps its own copy of a contract number', () => {
    // TypeScript: no definition of these names but the generated one (re-exports are fine).
    const tsDef = /\bconst\s+(MAX_SYSCALLS|NOTIF_FIELDS|CONTROL_MAGIC|REPLY_[A-Z]+|HDR_BYTES|ARGS_BYTES|DATA_DESC_BYTES|EVF_[A-Z_]+|DF_[A-Z]+|ARG_NONE)\s*=\s*\d/;
    const ts = [...sources('src', /\.ts$/), ...sources('bench', /\.ts$/)].filter((f) => f !== path.join('src', 'native', 'contract.ts'));
    expect(ts.filter((f) => tsDef.test(readFileSync(path.join(ROOT, f), 'utf8')))).toEqual([]);
    // C: the syscall bound and the magic are defined in contract.h only.
    const cDef = /#define\s+SVC?_MAX_SYSCALLS\b|=\s*512\s*;|0x53565652/i;
    const c = [...sources('addon/src', /\.(cc|h)$/), ...sources('bpf', /\.(c|h)$/)].filter((f) => f !== path.join('addon', 'src', 'contract.h'));
    expect(c.filter((f) => cDef.test(readFileSync(path.join(ROOT, f), 'utf8')))).toEqual([]);
    // BPF C names syscalls by __NR_*, never by number (nr == 59, nr = 15).
    const bpfRaw = /\bnr\s*(==|=)\s*\d+/;
    expect(sources('bpf', /\.bpf\.c$/).filter((f) => bpfRaw.test(readFileSync(path.join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')))).toEqual([]);
  });

  it('the control magic of the protocol is the contract one', () => {
    expect(CONTROL_MAGIC).toBe(contract.CONTROL_MAGIC);
    expect(Buffer.from([0x53, 0x56, 0x56, 0x52]).toString('latin1')).toBe('SVVR');
    expect(CONTROL_MAGIC).toBe(0x53565652);
  });

  it('the kernel-side maps take syscall numbers up to MAX_SYSCALLS - 1, no further', () => {
    const t = new BpfTracer({ ringBytes: 1 << 16 });
    try {
      expect(() => t.configure(contract.MAX_SYSCALLS - 1, 0)).not.toThrow();
      expect(() => t.configure(contract.MAX_SYSCALLS, 0)).toThrow(/nr/);
    } finally {
      t.close();
    }
    const c = new (loadBinding().CountSession)();
    try {
      expect(c.read().length).toBe(contract.MAX_SYSCALLS * contract.COUNT.FIELDS);
      expect(() => c.setSyscalls([contract.MAX_SYSCALLS - 1])).not.toThrow();
      expect(() => c.setSyscalls([contract.MAX_SYSCALLS])).toThrow(RangeError);
    } finally {
      c.close();
    }
  });

  it('a record laid out by the offsets of bpf/trace.h decodes field by field', () => {
    const { TRACE_EVENT: EV, TRACE_DATA: D, TRACE } = contract;
    const rec = Buffer.alloc(TRACE.PAYLOAD_OFF + 8);
    rec.writeUInt16LE(rec.length, EV.size);
    rec.writeUInt8(contract.TRACE_KIND.EXIT, EV.kind);
    rec.writeUInt8(contract.TRACE_EVF.ARGS | 1, EV.flags);
    rec.writeUInt32LE(4321, EV.tid);
    rec.writeUInt32LE(1234, EV.tgid);
    rec.writeInt32LE(257, EV.nr);
    rec.writeBigUInt64LE(123456789012345n, EV.ts_ns);
    rec.writeBigInt64LE(-2n, EV.ret);
    for (let i = 0; i < 6; i++) rec.writeBigInt64LE(BigInt(i * 1000 - 1), TRACE.HDR_BYTES + 8 * i);
    const desc = TRACE.HDR_BYTES + TRACE.ARGS_BYTES;
    rec.writeUInt16LE(8, desc + D.len);
    rec.writeUInt8(1, desc + D.arg);
    rec.writeUInt8(contract.TRACE_DF.STR | contract.TRACE_DF.TRUNC, desc + D.flags);
    rec.write('/etc/pas', TRACE.PAYLOAD_OFF, 'latin1');
    const [ev] = decodeBatch(rec, 1);
    expect(ev).toMatchObject({ kind: 'exit', tid: 4321, tgid: 1234, nr: 257, ts: 123456789012345, ret: -2, args: [-1, 999, 1999, 2999, 3999, 4999], trunc: 2 });
    expect(ev!.strs[1]).toBe('/etc/pas');
  });

  it('capture words use the bit fields of bpf/trace.h', () => {
    const { TRACE_CFG: CFG } = contract;
    const w = encodeSyscallCapture({ enter: true, strArgs: [1, 3], exitData: { arg: 2, mode: 'struct', size: 144 } });
    expect(w & CFG.ENTER).toBe(CFG.ENTER);
    expect(w & CFG.EXIT).toBe(CFG.EXIT);
    expect((w >>> CFG.STR0_SHIFT) & 7).toBe(2);
    expect((w >>> CFG.STR1_SHIFT) & 7).toBe(4);
    expect((w >>> CFG.EXIT_DATA_SHIFT) & 7).toBe(3);
    expect((w >>> CFG.EXIT_MODE_SHIFT) & 3).toBe(CFG.MODE_STRUCT);
    expect(((w >>> CFG.STRUCT_SHIFT) & 0xff) * 8).toBe(144);
  });
});
