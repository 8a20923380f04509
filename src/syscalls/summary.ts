// The table of `strace -c`: calls, errors and time per syscall, sorted by time. Printed by the
// count engine and by trace's summary=.

export interface SummaryRow {
  calls: number;
  errors: number;
  seconds: number;
}

/** The table as `strace -c` prints it, with its total line. */
export function summaryTable(entries: Iterable<readonly [string, SummaryRow]>): string {
  const rows = [...entries].sort((a, b) => b[1].seconds - a[1].seconds || b[1].calls - a[1].calls);
  const total = rows.reduce((t, [, r]) => ({ calls: t.calls + r.calls, errors: t.errors + r.errors, seconds: t.seconds + r.seconds }), { calls: 0, errors: 0, seconds: 0 });
  const line = (pct: string, secs: string, usecs: string, calls: string, errors: string, name: string) =>
    `${pct.padStart(6)} ${secs.padStart(11)} ${usecs.padStart(11)} ${calls.padStart(9)} ${errors.padStart(9)} ${name}`;
  const fmt = (name: string, r: SummaryRow) =>
    line(
      total.seconds > 0 ? ((100 * r.seconds) / total.seconds).toFixed(2) : '0.00',
      r.seconds.toFixed(6),
      r.calls ? Math.round((r.seconds * 1e6) / r.calls).toString() : '0',
      String(r.calls),
      r.errors ? String(r.errors) : '',
      name,
    );
  const dash = line('------', '-----------', '-----------', '---------', '---------', '----------------');
  return [
    line('% time', 'seconds', 'usecs/call', 'calls', 'errors', 'syscall'),
    dash,
    ...rows.map(([n, r]) => fmt(n, r)),
    dash,
    fmt('total', total).replace(/^\s*[\d.]+/, (m) => '100.00'.padStart(m.length)),
  ].join('\n') + '\n';
}
