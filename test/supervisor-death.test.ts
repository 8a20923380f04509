// When the supervisor dies (SIGKILL: no code of it runs), its tree must not run on with every
// notified call failing with ENOSYS: by default the launcher kills the whole tree; with
// --on-supervisor-exit=continue the tree runs on, its calls continued as if no engine were there.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI, runArgs, usedTransport } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, ms = 20000): Promise<void> {
  for (const end = Date.now() + ms; !what(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

/** A process that exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function pids(file: string): number[] {
  return readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
}

/** Starts `sysvisor run ARGS` as its own process; resolves its pid. */
function start(args: string[]) {
  const sv = spawn(process.execPath, [CLI, ...runArgs(), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  sv.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => sv.on('exit', () => r()));
  return { sv, exited, stderr: () => stderr };
}

describe('supervisor death', () => {
  it('SIGKILL of the supervisor kills the whole tree; no file is left truncated by calls answered ENOSYS', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-death-'));
    try {
      // A parent, a background grandchild and a loop writing whole files through the engine.
      const script = `sleep 1000 & echo $$ $! > ${dir}/pids; i=0; while :; do i=$((i+1)); head -c 65536 /dev/zero > /unreal${dir}/f$i; done`;
      const { sv, exited } = start(['-e', 'unreal', '--', 'sh', '-c', script]);
      await until(() => existsSync(`${dir}/f20`));
      sv.kill('SIGKILL');
      await exited;
      const tree = pids(`${dir}/pids`);
      await sleep(1000);
      expect(tree.filter(alive)).toEqual([]);
      // every file but the one being written when the tree was killed is whole, and none came after
      const files = readdirSync(dir).filter((f) => f.startsWith('f')).map((f) => Number(f.slice(1))).sort((a, b) => a - b);
      const last = files[files.length - 1]!;
      expect(files).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      for (const n of files.slice(0, -1)) expect(statSync(`${dir}/f${n}`).size).toBe(65536);
      await sleep(300);
      expect(readdirSync(dir).filter((f) => f.startsWith('f')).length).toBe(files.length);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('with no engine (nothing notified but the control call) the tree dies with the supervisor too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sv-death-'));
    try {
      const { sv, exited } = start(['--', 'sh', '-c', `echo $$ > ${dir}/pid; exec sleep 1000`]);
      await until(() => existsSync(`${dir}/pid`) && readFileSync(`${dir}/pid`, 'utf8').endsWith('\n'));
      sv.kill('SIGKILL');
      await exited;
      await sleep(1000);
      expect(alive(pids(`${dir}/pid`)[0]!)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  // Continuing needs the listener the launcher keeps: ptrace refuses the option (a traced call
  // whose tracer is gone fails with ENOSYS), which test/ptrace.test.ts checks.
  if (usedTransport() !== 'ptrace') {
    it('--on-supervisor-exit=continue: the tree finishes, its calls continued', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sv-death-'));
      try {
        // openat is notified (unreal wants it); after the supervisor is gone the launcher continues it.
        const script = `echo $$ > ${dir}/pid; while [ ! -e ${dir}/go ]; do cat /etc/hostname > /dev/null; done; for i in $(seq 50); do cat /etc/hostname > ${dir}/f$i; done; echo finished > ${dir}/done`;
        const { sv, exited } = start(['--on-supervisor-exit=continue', '-e', 'unreal', '--', 'sh', '-c', script]);
        await until(() => existsSync(`${dir}/pid`));
        sv.kill('SIGKILL');
        await exited;
        // the kernel would answer ENOSYS if nobody held the listener: cat would fail
        await import('node:fs').then((fs) => fs.writeFileSync(`${dir}/go`, ''));
        await until(() => existsSync(`${dir}/done`));
        const hostname = readFileSync('/etc/hostname', 'utf8');
        for (let i = 1; i <= 50; i++) expect(readFileSync(`${dir}/f${i}`, 'utf8')).toBe(hostname);
        await until(() => !alive(pids(`${dir}/pid`)[0]!));
      } finally {
        rmSync(dir, { recursive: true });
      }
    });
    it('--on-supervisor-exit=continue: a call the supervisor received and never answered is continued too', async () => {
      // The engine holds one openat forever; the supervisor dies holding it. The kernel keeps that
      // call received (nobody else can receive it again): the launcher must answer it, even though
      // no other call comes to tell it where the ids are.
      const dir = mkdtempSync(path.join(tmpdir(), 'sv-held-death-'));
      const engine = path.join(dir, 'holder.mjs');
      writeFileSync(
        engine,
        `import { writeFileSync } from 'node:fs';
  export default { name: 'holder', summary: '', options: {}, create: () => ({ name: 'holder', interests: [{ syscall: 'openat' }],
    handle: (c, next) => ((c.string(1) ?? '').endsWith('held-here') ? (writeFileSync(${JSON.stringify(dir)} + '/holding', ''), new Promise(() => {})) : next()) }) };
  `,
      );
      writeFileSync(`${dir}/held-here`, 'the content\n');
      const sv = spawn(process.execPath, [CLI, ...runArgs(), '--on-supervisor-exit=continue', '-e', engine, '--', 'sh', '-c', `cat ${dir}/held-here > ${dir}/out; echo finished > ${dir}/done`], {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true, // its own process group: the tree is killed at the end whatever happens
      });
      const exited = new Promise<void>((r) => sv.on('exit', () => r()));
      try {
        await until(() => existsSync(`${dir}/holding`));
        sv.kill('SIGKILL');
        await exited;
        await until(() => existsSync(`${dir}/done`));
        expect(readFileSync(`${dir}/out`, 'utf8')).toBe('the content\n');
      } finally {
        try {
          process.kill(-sv.pid!, 'SIGKILL');
        } catch {
          // the group is gone
        }
        rmSync(dir, { recursive: true });
      }
    });
  }
});
