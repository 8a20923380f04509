// A container taken over from the fd holder after the previous agent died: the calls that agent
// had received and not answered are in the SENT state (kernel/seccomp.c): nobody can receive them
// again and, the listener being held, the kernel does not fail them either; they would wait
// forever. Each is restarted instead, before the new agent serves the listener: the thread
// re-executes the call and the new agent gets it as a fresh notification, so every call gets
// exactly one answer, from the engines.
//
// How (the addon's interruptTask/answerRestart/releaseTask, hold.cc): when some call received
// and not answered is found (an id still SENT below the last one the dead agent stored in the
// received-ids page), every thread of the container waiting in a seccomp notification is seized
// and interrupted (PTRACE_INTERRUPT): a thread waiting interruptibly leaves the wait with
// -ERESTARTSYS; the ids still SENT then are answered -ERESTARTNOINTR, which with the interrupt
// pending restarts the call (a thread waiting killably, SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
// leaves only this way). Each thread is released (PTRACE_DETACH) once it stopped. Without such a
// call, no thread is touched.
//
// Not undone: what the dead agent did for a call before dying (an emulated mkdir done, then the
// restarted call fails with EEXIST; an fd installed whose answer was never sent stays open in the
// container).
import { readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import type { RawBinding } from '../../native/load.js';

/** How far below the last received id a call may still be unanswered (as the launcher). */
const HELD_WINDOW = 65536;
/** Ids just above it: received right before the agent died, not stored yet. */
const ABOVE = 64;
/** The wchan of a thread waiting in a notification (the compiler may suffix it: `.isra.0`). */
const WAITING = /^seccomp_do_user_notification(\.|$)/;

function readOr(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // pid (comm) state ppid ...: comm may hold spaces and parentheses
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function pidNamespace(pid: number | 'self'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}

/** Is process `pid` the container's process `root`, or below it (its pid namespace, or its tree)? */
function inContainer(pid: number, root: number, rootNs: string | undefined): boolean {
  if (rootNs !== undefined && pidNamespace(pid) === rootNs) return true;
  for (let p: number | undefined = pid, depth = 0; p !== undefined && p > 1 && depth < 256; depth++, p = parentOf(p)) if (p === root) return true;
  return false;
}

/** Threads of the container waiting in a seccomp notification (received or not). */
export function waitingThreads(root: number): number[] {
  const ownNs = pidNamespace('self');
  const ns = pidNamespace(root);
  const rootNs = ns !== undefined && ns !== ownNs ? ns : undefined; // a pid namespace of its own
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    const waiting = tids.map(Number).filter((tid) => WAITING.test(readOr(`/proc/${pid}/task/${tid}/wchan`) ?? ''));
    if (waiting.length && inContainer(pid, root, rootNs)) out.push(...waiting);
  }
  return out;
}

/** The last id the previous agent stored in the received-ids page (0: none). */
export function lastReceived(page: number): bigint {
  const b = Buffer.alloc(8);
  return readSync(page, b, 0, 8, 0) === 8 ? b.readBigUInt64LE(0) : 0n;
}

export interface Restarted {
  /** Calls the previous agent had received and not answered, restarted. */
  restarted: number;
  /** Threads interrupted (those waiting for a call not yet received restart it too). */
  threads: number;
  /** What could not be done, one line each. */
  problems: string[];
  /** Resolves once every interrupted thread is released. */
  released: Promise<void>;
}

/**
 * Restarts the calls of the container (process `root`) that the previous agent received and did
 * not answer. Call it before the listener is served.
 */
export function restartReceived(binding: RawBinding, listener: number, page: number, root: number): Restarted {
  const problems: string[] = [];
  const last = lastReceived(page);
  // Nothing received and not answered (the common case): no thread is touched.
  if (last === 0n || binding.receivedIds(listener, last, HELD_WINDOW, ABOVE).length === 0) return { restarted: 0, threads: 0, problems, released: Promise.resolve() };
  const threads = waitingThreads(root);
  const interrupted: number[] = [];
  for (const tid of threads) {
    const r = binding.interruptTask(tid);
    if (r === 0) interrupted.push(tid);
    else if (r !== -3) problems.push(`thread ${tid}: cannot interrupt it (ptrace: errno ${-r})`); // -ESRCH: gone meanwhile
  }
  // again: those still waiting (a thread waiting interruptibly may have left at its interrupt)
  const ids = binding.receivedIds(listener, last, HELD_WINDOW, ABOVE);
  let restarted = 0;
  // Each call received and not answered has a thread waiting for it: all must be interrupted, as
  // -ERESTARTNOINTR reaching a thread without the interrupt pending would be seen as errno 513.
  if (problems.length === 0 && ids.length <= interrupted.length) {
    for (const id of ids) if (binding.answerRestart(listener, id) === 0) restarted++;
  } else if (ids.length) {
    problems.push(`${ids.length} call(s) the previous agent had received still wait: ${interrupted.length} waiting thread(s) of the container found and interrupted`);
  }
  return { restarted, threads: interrupted.length, problems, released: releaseAll(binding, interrupted) };
}

/** Detaches each thread once it stopped (at once, mostly: it was interrupted or answered). */
async function releaseAll(binding: RawBinding, tids: number[]): Promise<void> {
  let left = tids;
  while (left.length) {
    left = left.filter((tid) => binding.releaseTask(tid) === 0);
    if (left.length) await new Promise((r) => setTimeout(r, 5));
  }
}
