// The spin of Node's thread after the calls it received itself (Pump.setSpin; `sysvisor agent
// --spin`; on by default there and in supervise, i.e. `sysvisor run`) and its back-off (addon/src/spin.h, Spinner, shared with the ptrace
// transport): a spin that keeps running out costs about one in 65, one that pays keeps paying. The
// turn bound (1 ms) is tested with real containers in agent.test.ts.
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { supervise } from '../src/index.js';
import { answering, ROOT } from './helpers.js';

// sparse N US [BURST]: N getppid calls in bursts of BURST, US µs apart.
const SPARSE = path.join(ROOT, 'test', 'build', 'sparse');
const LOOP = path.join(ROOT, 'bench', 'build', 'loop');


/** COMMAND ARGS under an engine answering getppid in JS (spin: the pump's, else the default), all CALLS seen: its pump's counts. */
async function served(command: string, args: string[], calls: number, spin?: { us: number; yieldBetween: boolean }) {
  const engine = answering();
  const sup = supervise({ command, args, engines: [engine], ...(spin ? { spin } : {}) });
  expect(await sup.done).toMatchObject({ code: 0 });
  expect(engine.seen).toBe(calls);
  return sup.pumpStats()!;
}

describe('the spin after the calls Node\'s thread received', () => {
  it('calls far apart (300 µs, a 100 µs spin) skip almost every spin; bursts of calls back to back keep spinning after each pause', async () => {
    const f = await served(SPARSE, ['600', '300'], 600, { us: 100, yieldBetween: true });
    // No call comes within a spin (unless Node's thread was preempted while it spun); after 7 that
    // ran out (backing off to 64), 1 spin in 65.
    expect(f.receivedOnLoop).toBeGreaterThan(300);
    expect(f.spinHits).toBeLessThan(f.receivedOnLoop / 8);
    expect(f.spinSkips).toBeGreaterThan(f.receivedOnLoop * 0.75);

    // 40 bursts of 100, 3 ms apart: the spin runs out at each pause, skips the next one only (the
    // burst's first spin pays and ends the back-off), and finds the rest of the burst.
    const n = await served(SPARSE, ['4000', '3000', '100'], 4000, { us: 1000, yieldBetween: true });
    expect(n.receivedOnLoop).toBeGreaterThan(2000);
    expect(n.spinHits).toBeGreaterThan(n.receivedOnLoop / 2);
    expect(n.spinSkips).toBeLessThan(n.receivedOnLoop / 8);
  });

  it('supervise (sysvisor run) spins by default: calls back to back are found by the spin; { us: 0 } turns it off', async () => {
    const s = await served(LOOP, ['getppid', '5000'], 5000);
    expect(s.receivedOnLoop).toBeGreaterThan(2500);
    expect(s.spinHits).toBeGreaterThan(s.receivedOnLoop / 2);

    const o = await served(LOOP, ['getppid', '5000'], 5000, { us: 0, yieldBetween: true });
    expect(o.receivedOnLoop).toBeGreaterThan(2500);
    expect(o.spinHits + o.spinMisses + o.spinSkips).toBe(0);
  });

});
