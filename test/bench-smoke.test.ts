// `npm run bench` still runs: a quick pass of the core group, real processes. It checks that the
// table is printed and the JSON is complete and sane; never how fast anything is.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, run } from './helpers.js';

const RUNNER = path.join(ROOT, 'dist', 'bench', 'run.js');
const CORE = [
  'native-getppid',
  'floor-getppid',
  'floor-epoll-getppid',
  'sysvisor-getppid',
  'sysvisor-getppid-kernel',
  'strace-getppid',
  'native-getpid',
  'floor-getpid',
  'sysvisor-getpid',
  'sysvisor-getpid-kernel',
];
const GOALS = ['js-chain-vs-floor', 'passthrough-vs-floor-filter', 'vs-strace', 'supervisor-rss'];

const dir = mkdtempSync(path.join(tmpdir(), 'sysvisor-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface VariantJson {
  id: string;
  group: string;
  family: string;
  kind: string;
  n: number;
  perCallUs: number;
  loopPerCallUs: number;
  startupMs: number;
  wallMs: number;
  rounds: { perCallUs: number; wallMs: number; startupMs: number }[];
  vsFloor?: number;
  vsNative?: number;
  peakRssKb?: number;
  invalid?: string;
}

describe('npm run bench (quick, core group)', () => {
  it('prints the table and the goals, and writes complete JSON', async () => {
    expect(existsSync(RUNNER), `${RUNNER} missing: run \`npm run build\``).toBe(true);
    const json = path.join(dir, 'out.json');
    const raw = await run(process.execPath, [RUNNER, '--quick', '--only', 'core', '--json', json]);
    // run() decodes as latin1; the table is UTF-8 (µs).
    const r = { ...raw, stdout: Buffer.from(raw.stdout, 'latin1').toString('utf8') };
    expect(r.stderr).not.toMatch(/^bench: (?!round|\d+ variants|peak RSS)/m);
    expect(r.code).toBe(0);

    // The table: a header and one row per core variant, none of the other groups.
    expect(r.stdout).toMatch(/^variant\s+N\s+µs\/call\s+±\s+loop µs\/call\s+startup ms\s+x floor\s+x native\s+peak RSS MB$/m);
    // Quick mode says what it cannot measure.
    expect(r.stdout).toMatch(/^quick run: 2 round\(s\) and N\/10: .* shown as "\?" and fails its goals/m);
    for (const label of ['native getppid', 'C floor getppid (blocking RECV)', 'C floor getppid (epoll+RECV)', 'sysvisor count getppid (JS chain)', 'strace -f getppid', 'native getpid'])
      expect(r.stdout).toContain(label);
    expect(r.stdout).not.toContain('no SYNC_WAKE_UP');
    expect(r.stdout).not.toContain('micro-benchmarks');
    expect(r.stdout).toMatch(/SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: C floor (on|off|unsupported)/);
    // Every goal is evaluated (pass or fail, whichever: this is no timing test).
    expect(r.stdout.match(/^\s+\[(PASS|FAIL)\] /gm)).toHaveLength(GOALS.length);

    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      quick: boolean;
      groups: string[];
      variants: Record<string, VariantJson>;
      goals: Record<string, { value?: number; pass?: boolean; skipped?: boolean; why?: string }>;
      micro: unknown[];
      host: { kernel: string };
    };
    expect(out.quick).toBe(true);
    expect(out.groups).toEqual(['core']);
    expect(Object.keys(out.variants).sort()).toEqual([...CORE].sort());
    for (const id of CORE) {
      const v = out.variants[id]!;
      expect(v.id).toBe(id);
      expect(v.group).toBe('core');
      expect(v.kind).toBe('per-call');
      expect(v.n).toBeGreaterThan(0);
      // The per-call figure is a difference of two wall times and could come out <= 0 for the
      // native rows on a very noisy machine; the loop's own clock cannot.
      expect(Number.isFinite(v.perCallUs)).toBe(true);
      expect(v.loopPerCallUs).toBeGreaterThan(0);
      expect(v.startupMs).toBeGreaterThan(0);
      expect(v.wallMs).toBeGreaterThan(0);
      expect(v.rounds.length).toBeGreaterThanOrEqual(1);
      // Ratios to the family's native and floor rows, left out only when a figure is unsound.
      const family = id.includes('getppid') ? 'getppid' : 'getpid';
      const sound = [id, `native-${family}`, `floor-${family}`].every((x) => out.variants[x]!.invalid === undefined);
      if (sound) {
        expect(v.vsNative).toBeDefined();
        expect(v.vsFloor).toBeDefined();
      } else expect(v.vsNative === undefined || v.vsFloor === undefined).toBe(true);
    }
    expect(out.variants['sysvisor-getppid']!.perCallUs).toBeGreaterThan(0);
    expect(out.variants['floor-getppid']!.perCallUs).toBeGreaterThan(0);
    expect(out.variants['strace-getppid']!.perCallUs).toBeGreaterThan(0);
    expect(out.variants['sysvisor-getppid']!.peakRssKb).toBeGreaterThan(0);
    for (const g of GOALS) {
      const goal = out.goals[g]!;
      expect(goal.skipped).toBeUndefined();
      expect(typeof goal.pass).toBe('boolean');
      // A figure that cannot be trusted fails its goal and says why; any other has a value.
      if (goal.why !== undefined) {
        expect(goal.pass).toBe(false);
        expect(r.stdout).toContain(`cannot be judged: ${goal.why}`);
      } else expect(Number.isFinite(goal.value)).toBe(true);
    }
    // The same for each row: a figure that is not positive, or within its own noise, is named.
    for (const id of CORE) {
      const v = out.variants[id]!;
      if (!(v.perCallUs > 0)) expect(v.invalid).toBeDefined();
      if (v.invalid !== undefined) expect(r.stdout).toContain(v.invalid);
    }
    expect(out.micro).toEqual([]);
  });

  it('rejects an unknown group with one line and exit status 2', async () => {
    const r = await run(process.execPath, [RUNNER, '--only', 'nonsense']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("unknown group 'nonsense'");
  });
});
