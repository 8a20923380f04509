// A strict check of the Chrome/Perfetto trace-event JSON format (the "JSON Object Format" of the
// Trace Event Format document): what every Perfetto file the tests write must satisfy.

const PHASES = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'b', 'n', 'e', 's', 't', 'f', 'P', 'N', 'O', 'D', 'M', 'R', 'c']);
const METADATA = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);

/** The format errors of a parsed trace-event document (empty: valid). */
export function traceEventErrors(doc: unknown): string[] {
  const errors: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['the document is not a JSON object'];
  const d = doc as Record<string, unknown>;
  if (!Array.isArray(d['traceEvents'])) return ['traceEvents is not an array'];
  if (d['displayTimeUnit'] !== undefined && d['displayTimeUnit'] !== 'ms' && d['displayTimeUnit'] !== 'ns') errors.push(`displayTimeUnit ${String(d['displayTimeUnit'])}`);
  const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
  const isTime = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  (d['traceEvents'] as unknown[]).forEach((e, i) => {
    const at = `event ${i}`;
    if (typeof e !== 'object' || e === null) return void errors.push(`${at}: not an object`);
    const ev = e as Record<string, unknown>;
    const ph = ev['ph'];
    if (typeof ph !== 'string' || !PHASES.has(ph)) return void errors.push(`${at}: phase ${String(ph)}`);
    if (typeof ev['name'] !== 'string' || ev['name'] === '') errors.push(`${at}: no name`);
    if (!isInt(ev['pid'])) errors.push(`${at}: pid ${String(ev['pid'])}`);
    if (ev['args'] !== undefined && (typeof ev['args'] !== 'object' || ev['args'] === null || Array.isArray(ev['args']))) errors.push(`${at}: args not an object`);
    if (ph === 'M') {
      if (!METADATA.has(ev['name'] as string)) errors.push(`${at}: metadata ${String(ev['name'])}`);
      const args = ev['args'] as Record<string, unknown> | undefined;
      if ((ev['name'] === 'process_name' || ev['name'] === 'thread_name') && typeof args?.['name'] !== 'string') errors.push(`${at}: ${String(ev['name'])} without args.name`);
      if (ev['name'] === 'thread_name' && !isInt(ev['tid'])) errors.push(`${at}: thread_name without tid`);
      return;
    }
    if (!isInt(ev['tid'])) errors.push(`${at}: tid ${String(ev['tid'])}`);
    if (!isTime(ev['ts'])) errors.push(`${at}: ts ${String(ev['ts'])}`);
    if (ev['cat'] !== undefined && typeof ev['cat'] !== 'string') errors.push(`${at}: cat`);
    if (ph === 'X' && !isTime(ev['dur'])) errors.push(`${at}: dur ${String(ev['dur'])}`);
    if ((ph === 'i' || ph === 'I') && ev['s'] !== undefined && !['g', 'p', 't'].includes(ev['s'] as string)) errors.push(`${at}: scope ${String(ev['s'])}`);
  });
  return errors;
}
