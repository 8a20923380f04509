// Line agreement between traces of the same program (the measure of issue "trace fidelity"): the
// share of one trace's lines that have an identical line in the other, after normalizing what
// differs from run to run whatever the tracer (pids, addresses, counts). Used by
// test/trace-corpus.test.ts on a corpus of everyday programs.

/** Whole calls of a `strace -f -o FILE` text (unfinished/resumed halves joined), pids dropped. */
export function traceLines(text: string): { lines: string[]; pids: Set<number> } {
  const lines: string[] = [];
  const pids = new Set<number>();
  const open = new Map<number, string>();
  for (const raw of text.split('\n')) {
    const m = /^(\d+) +(.*)$/.exec(raw);
    if (!m) continue;
    const pid = Number(m[1]);
    pids.add(pid);
    const rest = m[2]!;
    const u = / <unfinished \.\.\.>$/.exec(rest);
    if (u) {
      open.set(pid, rest.slice(0, u.index));
      continue;
    }
    const r = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    if (r) {
      const head = open.get(pid);
      open.delete(pid);
      lines.push((head ?? '') + r[1]!);
      continue;
    }
    lines.push(rest);
  }
  for (const head of open.values()) lines.push(head);
  return { lines, pids };
}

/** What differs between runs whatever the tracer: pids (the parent's too: each tracer starts the
 *  program from a process of its own, and the padding that follows the pid's width), addresses,
 *  execve's environment count. */
export function normalizeLine(line: string, pids: ReadonlySet<number>): string {
  return line
    .replace(/^(getppid\(\) += )\d+$/, '$1PID')
    // The padding before ` = ` (to column 40, pid prefix included) depends on the pid's width.
    .replace(/\) +(= (?:(?!\) +=).)*)$/, ') $1')
    .replace(/0x[0-9a-f]{5,}/g, '0xADDR')
    .replace(/\/\* \d+ vars \*\//g, '/* N vars */')
    .replace(/\b\d{2,}\b/g, (n) => (pids.has(Number(n)) ? 'PID' : n));
}

/** Normalized lines of a trace text, from the root's execve on (the tracers start differently). */
export function normalizedLines(text: string): string[] {
  const { lines, pids } = traceLines(text);
  const first = lines.findIndex((l) => l.startsWith('execve('));
  return lines.slice(Math.max(0, first)).map((l) => normalizeLine(l, pids));
}

/** Share (0..1) of `ref`'s lines that have an identical line in `other` (as multisets). */
export function agreement(ref: readonly string[], other: readonly string[]): number {
  if (ref.length === 0) return other.length === 0 ? 1 : 0;
  const counts = new Map<string, number>();
  for (const l of other) counts.set(l, (counts.get(l) ?? 0) + 1);
  let same = 0;
  for (const l of ref) {
    const n = counts.get(l) ?? 0;
    if (n > 0) {
      same++;
      counts.set(l, n - 1);
    }
  }
  return same / ref.length;
}

/** `ref`'s lines without an identical line in `other` (what is left after the multiset match). */
export function unmatched(ref: readonly string[], other: readonly string[]): string[] {
  const counts = new Map<string, number>();
  for (const l of other) counts.set(l, (counts.get(l) ?? 0) + 1);
  const out: string[] = [];
  for (const l of ref) {
    const n = counts.get(l) ?? 0;
    if (n > 0) counts.set(l, n - 1);
    else out.push(l);
  }
  return out;
}

/** A normalized line's form: every number (decimal or hex) abstracted, so that lines agree when
 *  they print the same call the same way, whatever values changed from run to run (times, sizes,
 *  random bytes' escapes, fd numbers). Where strace prints a struct and trace an address, the
 *  forms still differ. */
export function lineForm(line: string): string {
  const name = /^\w+\(/.exec(line)?.[0] ?? ''; // kept: pread64, pselect6
  const rest = line.slice(name.length);
  return name + rest.replace(/0x(?:ADDR|[0-9a-f]+)/g, '0xN').replace(/\\x[0-9a-f]{2}/g, '\\xHH').replace(/\d+/g, 'N');
}
