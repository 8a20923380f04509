// What an unprivileged user can make a root supervisor hold through nested scopes is bounded,
// refusals build nothing, and a scope whose owner dies without popping it ends. Real processes:
// nobody under a root-run sysvisor; scopectl (test/programs) pushes scopes without sysvisor's code.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, ROOT, sysvisor } from './helpers.js';
import { USER_LIMITS } from '../src/scopes/limits.js';

const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
const SCOPECTL = path.join(ROOT, 'test', 'build', 'scopectl');

interface Peak {
  fds: number;
  rssKb: number;
  stdout: string;
  stderr: string;
  code: number | null;
}

/**
 * Runs `sysvisor run -e unreal -- (as nobody) scopectl nest N SPEC`; when the innermost level says
 * "peak", reads the supervisor's fds and RSS, then lets the tree unwind.
 */
function nestAsNobody(n: number, spec: string): Promise<Peak> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'run', '-e', 'unreal', '--', ...NOBODY, SCOPECTL, 'nest', String(n), spec], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fds = -1;
    let rssKb = -1;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (fds < 0 && /^peak$/m.test(stdout)) {
        fds = readdirSync(`/proc/${child.pid}/fd`).length;
        rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
        child.stdin.end();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ fds, rssKb, stdout, stderr, code }));
  });
}

describe('what a user without privileges can make the supervisor hold', () => {
  it(`nobody pushing 30 nested trace scopes: ${USER_LIMITS.bpfSessions} work, the rest are refused in one line; the supervisor stays under 300 fds and 300 MB`, async () => {
    const r = await nestAsNobody(30, 'trace:e=getppid');
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('push ok:'))).toHaveLength(USER_LIMITS.bpfSessions);
    expect(lines[USER_LIMITS.bpfSessions]).toBe(
      `push refused: {"ok":false,"error":"refused: uid 65534 would hold ${USER_LIMITS.bpfSessions + 1} eBPF sessions in the supervisor (limit ${USER_LIMITS.bpfSessions} per user without privileges)","usage":false}`,
    );
    expect(lines.at(-1)).toBe('peak');
    expect(r.fds).toBeLessThan(300);
    expect(r.rssKb).toBeLessThan(300 * 1024);
    expect(r.code).toBe(0);
    console.log(`30 nested trace scopes pushed by nobody: ${USER_LIMITS.bpfSessions} accepted, supervisor ${r.fds} fds, RSS ${Math.round(r.rssKb / 1024)} MB`);
  });

  it('at least 8 nested scopes per user work', async () => {
    expect(USER_LIMITS.scopes).toBeGreaterThanOrEqual(8);
    const r = await nestAsNobody(8, 'unreal');
    expect(r.stdout.match(/^push ok:/gm)).toHaveLength(8);
    expect(r.code).toBe(0);
  });

  it('a ring buffer past the per-user budget is refused before anything is built', async () => {
    const r = await nestAsNobody(2, 'trace:e=getppid,ring=268435456');
    expect(r.stdout).toMatch(/^push refused: .*"refused: uid 65534 would hold 268435456 bytes of eBPF ring buffers in the supervisor \(limit 67108864 per user without privileges\)"/m);
    const idle = await nestAsNobody(0, 'trace:e=getppid');
    expect(r.fds).toBe(idle.fds);
  });

  it('a push refused after some of its engines were built leaks none of them', async () => {
    const idle = await nestAsNobody(0, 'trace:e=getppid');
    // A tracer on eBPF is built, then the next engine's factory refuses its options.
    const refused = await nestAsNobody(1, 'trace:e=getppid", "count:syscalls=getppid,kernel=off');
    expect(refused.stdout).toMatch(/^push refused: .*count: getppid is not intercepted by the outermost sysvisor/m);
    expect(refused.fds).toBe(idle.fds);
    // Both tracers are built, then the second is found to want every syscall (only outermost can).
    const unfit = await nestAsNobody(1, 'trace:e=getppid", "trace:via=notify');
    expect(unfit.stdout).toMatch(/^push refused: .*engine trace wants every syscall: it can only run outermost/m);
    expect(unfit.fds).toBe(idle.fds);
  });
});

describe('a scope whose owner dies without popping it', () => {
  const SV = `${process.execPath} ${CLI}`;
  // The nested sysvisor runs a command with a child and is killed with SIGKILL; the test waits
  // (bounded) for scope 1 to be gone, then (kill mode) for both processes to be dead, and says
  // which still live (a zombie does not count).
  const script = (mode: 'kill' | 'continue') =>
    `${SV} run ${mode === 'continue' ? '--on-supervisor-exit=continue' : ''} -e count:syscalls=getppid,o=/dev/null -- sh -c 'sleep 1000 & echo $! > kid; echo $$ > cmd; wait' & nested=$!
     until [ -s cmd ] && [ -s kid ]; do sleep 0.05; done
     kill -9 $nested; wait $nested
     alive() { [ -e /proc/$1 ] && [ "$(sed 's/.*) //' /proc/$1/stat | cut -c1)" != Z ]; }
     for i in $(seq 100); do ${SV} engines | grep -q '^scope 1' || break; sleep 0.1; done
     if [ ${mode} = kill ]; then for i in $(seq 100); do alive $(cat cmd) || alive $(cat kid) || break; sleep 0.05; done; fi
     alive $(cat cmd) && echo cmd alive; alive $(cat kid) && echo kid alive
     ${SV} engines; kill $(cat cmd) $(cat kid) 2>/dev/null; true`;

  it('is removed and its processes are killed (default)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-orphan-'));
    try {
      const r = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', 'sh', '-c', script('kill')], { cwd: dir });
      expect(r.stdout).toBe('scope 0: count:syscalls=getppid,o=/dev/null\n');
      // The nested run's launcher (the scope's owner) kills its tree when its sysvisor dies; the
      // supervisor above then ends the scope and kills whatever of it is left (none, or all of it
      // when the launcher itself was killed).
      expect(r.stderr).toMatch(/^sysvisor: scope 1: its owner died; \d+ process(es)? of it killed$/m);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('with --on-supervisor-exit=continue, is removed and its processes go on without its engines', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-orphan-'));
    try {
      const r = await sysvisor(['run', '-e', 'count:syscalls=getppid,o=/dev/null', '--', 'sh', '-c', script('continue')], { cwd: dir });
      expect(r.stdout).toBe('cmd alive\nkid alive\nscope 0: count:syscalls=getppid,o=/dev/null\n');
      expect(r.stderr).toMatch(/^sysvisor: scope 1: its owner died; its processes go on without its engines$/m);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
