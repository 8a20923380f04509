// `#!` scripts as the kernel reads them (fs/binfmt_script.c, load_script): the first
// BINPRM_BUF_SIZE bytes of the file; `#!`, optional spaces/tabs, the interpreter's name up to a
// space, tab or NUL, then everything else up to the end of the line (trailing spaces/tabs trimmed)
// as one optional argument. A line with no newline within the buffer is used only if a space, tab
// or NUL follows the name inside it (else the name may be truncated: ENOEXEC). Pure: no I/O.

/** The bytes of a file the kernel reads to choose its binary format (linux/binfmts.h). */
export const BINPRM_BUF_SIZE = 256;

/**
 * Script rewrites exec_binprm allows (fs/exec.c: `if (depth > 5) return -ELOOP`): a sixth script
 * in a chain of interpreters is ELOOP.
 */
export const MAX_SCRIPT_DEPTH = 5;

const ENOEXEC = 8;

export type Shebang = { interp: Buffer; arg: Buffer | null } | { errno: number };

const spacetab = (c: number | undefined) => c === 0x20 || c === 0x09;

/**
 * The interpreter and optional argument of a file that starts with `#!` (`head`: its first bytes,
 * at most BINPRM_BUF_SIZE; the kernel pads a shorter file with NULs), ENOEXEC where the kernel
 * finds no usable name, or null when the file is not a script.
 */
export function parseShebang(head: Buffer): Shebang | null {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return null;
  const buf = Buffer.alloc(BINPRM_BUF_SIZE);
  head.copy(buf, 0, 0, Math.min(head.length, BINPRM_BUF_SIZE));
  const last = BINPRM_BUF_SIZE - 1;
  const nonSpace = (from: number, to: number) => {
    for (let i = from; i <= to; i++) if (!spacetab(buf[i])) return i;
    return -1;
  };
  const terminator = (from: number, to: number) => {
    for (let i = from; i <= to; i++) if (spacetab(buf[i]) || buf[i] === 0) return i;
    return -1;
  };
  let end = buf.indexOf(0x0a);
  if (end < 0) {
    const first = nonSpace(2, last);
    if (first < 0 || terminator(first, last) < 0) return { errno: ENOEXEC };
    end = last;
  }
  while (spacetab(buf[end - 1])) end--;
  const name = nonSpace(2, end);
  if (name < 0 || name === end) return { errno: ENOEXEC };
  const sep = terminator(name, end);
  let arg: Buffer | null = null;
  if (sep >= 0 && buf[sep] !== 0) {
    const a = nonSpace(sep, end);
    if (a >= 0) arg = cString(buf.subarray(a, end));
  }
  return { interp: cString(buf.subarray(name, sep >= 0 && sep < end ? sep : end)), arg };
}

// The kernel passes C strings: an embedded NUL ends them.
function cString(b: Buffer): Buffer {
  const z = b.indexOf(0);
  return Buffer.from(z < 0 ? b : b.subarray(0, z));
}
