// Numbers and strings as strace prints them (strace's util.c): hex, pointers, octal modes, quoted
// byte strings, string arrays, descriptors.

const ESCAPES: Record<number, string> = { 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

/**
 * Quotes bytes (a latin1 string) as strace does: printable ASCII as is, \t \n \v \f \r \" \\,
 * every other byte in octal with as few digits as possible, three when an octal digit follows.
 * `hex`: every byte as \xNN (strace's style for random data). `more`: append the "..." that
 * says the data goes on.
 */
export function quoteBytes(bytes: string, more = false, hex = false): string {
  let out = '"';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes.charCodeAt(i) & 0xff;
    if (hex) {
      out += '\\x' + c.toString(16).padStart(2, '0');
      continue;
    }
    const esc = ESCAPES[c];
    if (esc) out += esc;
    else if (c >= 0x20 && c <= 0x7e) out += String.fromCharCode(c);
    else {
      const next = i + 1 < bytes.length ? bytes.charCodeAt(i + 1) : 0;
      const oct = c.toString(8);
      out += '\\' + (next >= 0x30 && next <= 0x37 ? oct.padStart(3, '0') : oct);
    }
  }
  return out + '"' + (more ? '...' : '');
}

export const u32 = (v: number): number => v >>> 0;
export const i32 = (v: number): number => v | 0;

/** Unsigned 64-bit view of a signed 64-bit number (exact for |v| < 2^53 and for small negatives). */
export function u64(v: number): bigint {
  return BigInt.asUintN(64, BigInt(Math.trunc(v)));
}

/** A number in hex (its unsigned 64-bit value when negative). */
export function hex(v: number): string {
  // Numbers are exact up to 2^53: the common case (pointers, flags) needs no BigInt.
  if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) return '0x' + Math.trunc(v).toString(16);
  return '0x' + u64(v).toString(16);
}

/** A pointer: NULL or its address in hex. */
export function ptr(v: number): string {
  return v === 0 ? 'NULL' : hex(v);
}

/** printf's %#03o, as strace prints modes: 0644, 01777, 000. */
export function octal(v: number): string {
  const n = v >>> 0;
  return n === 0 ? '000' : ('0' + n.toString(8)).padStart(3, '0');
}

/** A file descriptor. */
export function fd(v: number): string {
  return String(i32(v));
}

/** A dirfd: AT_FDCWD or the descriptor. */
export function dirfd(v: number): string {
  return i32(v) === -100 ? 'AT_FDCWD' : String(i32(v));
}

/** The bytes of a latin1 byte string. */
export function bytesOf(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Little-endian unsigned 32-bit word of a byte string at `off`. */
export function le32(s: string, off: number): number {
  return (s.charCodeAt(off) | (s.charCodeAt(off + 1) << 8) | (s.charCodeAt(off + 2) << 16) | (s.charCodeAt(off + 3) << 24)) >>> 0;
}

/** An argv as strace prints it: `["ls", "-l"]`, each string cut at strSize, `...` when more
 *  elements follow. `data`: the strings, each followed by its NUL. */
export function strArray(data: string, more: boolean, strSize: number): string {
  const items = data.split('\0');
  items.pop(); // after the last NUL
  const parts = items.map((s) => quoteBytes(s.slice(0, strSize), s.length > strSize));
  if (more) parts.push('...');
  return `[${parts.join(', ')}]`;
}
