// Dependencies point one way (issue 10): no module of src/ imports itself back through others,
// and no folder does either (engines/X and transports/X count as folders of their own; the files
// at the root of src/ are the package's entry). Type-only and dynamic imports count: a cycle of
// types is still two files that cannot be understood apart.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)[ \t]*(?:import|export)\s+(?:type\s+)?(?:[^;'"]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/** file -> the files of src/ it imports (relative specifiers; `.js` names the `.ts` source). */
function importGraph(files: readonly string[], read: (f: string) => string): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files) {
    const deps = new Set<string>();
    for (const m of read(f).matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      const target = path.resolve(path.dirname(f), spec).replace(/\.js$/, '.ts');
      deps.add(target.endsWith('.ts') ? target : `${target}.ts`);
    }
    g.set(f, [...deps]);
  }
  return g;
}

/** The strongly connected components with more than one node, or a node importing itself (Tarjan). */
function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** src/chain/emulate/x.ts -> chain; src/engines/trace/format/y.ts -> engines/trace; src/index.ts -> (root). */
function folderOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts.length === 1) return '(root)';
  if ((parts[0] === 'engines' || parts[0] === 'transports') && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts[0]!;
}

const rel = (f: string): string => path.relative(ROOT, f);

describe('import graph of src/', () => {
  const graph = importGraph(sources(SRC), (f) => readFileSync(f, 'utf8'));

  it('reads the imports it should (static, type-only, re-exports, multi-line, dynamic)', () => {
    const g = importGraph(['/p/a.ts'], () =>
      [
        "import x from './b.js';",
        "import type { T } from '../c.js';",
        "export { y } from './d/e.js';",
        'import {\n  one,\n  two,\n} from "./f.js";',
        "import './side.js';",
        "const m = await import('./lazy.js');",
        "import fs from 'node:fs';",
      ].join('\n'),
    );
    expect(g.get('/p/a.ts')!.sort()).toEqual(['/c.ts', '/p/b.ts', '/p/d/e.ts', '/p/f.ts', '/p/lazy.ts', '/p/side.ts']);
    // and on the real tree: the onion imports its results
    expect(graph.get(path.join(SRC, 'chain', 'compose.ts'))).toContain(path.join(SRC, 'chain', 'result.ts'));
  });

  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
  });

  it('has no cycle between files', () => {
    expect(cycles(graph).map((c) => c.map(rel))).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const folders = new Map<string, string[]>();
    const why = new Map<string, string>();
    for (const [f, deps] of graph) {
      const a = folderOf(f);
      const list = folders.get(a) ?? folders.set(a, []).get(a)!;
      for (const d of deps) {
        const b = folderOf(d);
        if (a === b || list.includes(b)) continue;
        list.push(b);
        why.set(`${a} -> ${b}`, `${rel(f)} -> ${rel(d)}`);
      }
    }
    const found = cycles(folders).map((c) => c.flatMap((a) => c.filter((b) => why.has(`${a} -> ${b}`)).map((b) => why.get(`${a} -> ${b}`)!)));
    expect(found).toEqual([]);
  });
});
