// Classic BPF for seccomp: instruction encoding, a tiny assembler with labels (long jumps go through
// `ja`, whose offset is 32 bits, so conditional jumps never exceed their 8-bit range), and an
// interpreter used by the unit tests to run generated programs without a kernel.

export interface Insn { code: number; jt: number; jf: number; k: number }

export const BPF = {
  LD_W_ABS: 0x20,
  JEQ_K: 0x15,
  JGE_K: 0x35,
  JSET_K: 0x45,
  JA: 0x05,
  RET_K: 0x06,
} as const;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  ALLOW: 0x7fff0000,
} as const;

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const X32_SYSCALL_BIT = 0x40000000;

/** Offsets in struct seccomp_data. */
export const DATA = { nr: 0, arch: 4, argLo: (i: number) => 16 + 8 * i, argHi: (i: number) => 20 + 8 * i } as const;

type Item = { insn: Insn; jt?: string; jf?: string; ja?: string } | { label: string };

/** Collects instructions with symbolic targets; `assemble()` resolves them. */
export class Assembler {
  private items: Item[] = [];
  private n = 0;

  newLabel(hint = 'L'): string {
    return `${hint}${this.n++}`;
  }
  label(name: string): void {
    this.items.push({ label: name });
  }
  load(offset: number): void {
    this.items.push({ insn: { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: offset } });
  }
  ret(action: number): void {
    this.items.push({ insn: { code: BPF.RET_K, jt: 0, jf: 0, k: action >>> 0 } });
  }
  ja(target: string): void {
    this.items.push({ insn: { code: BPF.JA, jt: 0, jf: 0, k: 0 }, ja: target });
  }
  /** Conditional jump; targets must be near (use `ja` for far ones). `undefined` = next insn. */
  jump(code: number, k: number, jt?: string, jf?: string): void {
    this.items.push({ insn: { code, jt: 0, jf: 0, k: k >>> 0 }, jt, jf });
  }

  assemble(): Insn[] {
    const at = new Map<string, number>();
    let pc = 0;
    for (const it of this.items) {
      if ('label' in it) at.set(it.label, pc);
      else pc++;
    }
    const out: Insn[] = [];
    const offset = (from: number, label: string | undefined): number => {
      if (label === undefined) return 0;
      const to = at.get(label);
      if (to === undefined) throw new Error(`cbpf: unknown label ${label}`);
      const d = to - from - 1;
      if (d < 0) throw new Error(`cbpf: backward jump to ${label}`);
      return d;
    };
    for (const it of this.items) {
      if ('label' in it) continue;
      const pcNow = out.length;
      const insn = { ...it.insn };
      if (it.ja !== undefined) insn.k = offset(pcNow, it.ja);
      if (it.jt !== undefined || it.jf !== undefined) {
        insn.jt = offset(pcNow, it.jt);
        insn.jf = offset(pcNow, it.jf);
        if (insn.jt > 255 || insn.jf > 255) throw new Error('cbpf: conditional jump out of range');
      }
      out.push(insn);
    }
    if (out.length > 4096) throw new Error(`cbpf: program too long (${out.length} > 4096 instructions)`);
    return out;
  }
}

/**
 * struct sock_filter[] as the kernel reads it (x86_64: little-endian, the order of a Uint32Array
 * here): code | jt << 16 | jf << 24, then k. Two word stores per instruction, not four Buffer
 * writes: a run encodes its filter once, at start-up, before any of it is compiled hot.
 */
export function encode(prog: readonly Insn[]): Buffer {
  const words = new Uint32Array(prog.length * 2);
  for (let i = 0; i < prog.length; i++) {
    const p = prog[i]!;
    if (p.code >>> 16 || p.jt >>> 8 || p.jf >>> 8) throw new RangeError(`cBPF instruction ${i}: code ${p.code}, jt ${p.jt}, jf ${p.jf} out of range`);
    words[2 * i] = (p.code & 0xffff) | ((p.jt & 0xff) << 16) | ((p.jf & 0xff) << 24);
    words[2 * i + 1] = p.k;
  }
  return Buffer.from(words.buffer);
}

/** Input of the interpreter: what seccomp_data holds. Args are unsigned 64-bit. */
export interface SeccompData { nr: number; arch: number; args?: readonly bigint[] }

/** Runs a seccomp cBPF program on one seccomp_data, as the kernel would; returns the action. */
export function run(prog: readonly Insn[], data: SeccompData): number {
  const word = (off: number): number => {
    if (off === DATA.nr) return data.nr >>> 0;
    if (off === DATA.arch) return data.arch >>> 0;
    const i = Math.floor((off - 16) / 8);
    const a = BigInt.asUintN(64, data.args?.[i] ?? 0n);
    return Number((off - 16) % 8 === 0 ? a & 0xffffffffn : a >> 32n);
  };
  let acc = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const p = prog[pc]!;
    switch (p.code) {
      case BPF.LD_W_ABS: acc = word(p.k); break;
      case BPF.JA: pc += p.k; break;
      case BPF.JEQ_K: pc += acc === p.k ? p.jt : p.jf; break;
      case BPF.JGE_K: pc += acc >= p.k ? p.jt : p.jf; break;
      case BPF.JSET_K: pc += (acc & p.k) !== 0 ? p.jt : p.jf; break;
      case BPF.RET_K: return p.k;
      default: throw new Error(`cbpf: unsupported opcode 0x${p.code.toString(16)}`);
    }
  }
  throw new Error('cbpf: program fell off the end');
}
