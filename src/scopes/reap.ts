// Ending the processes of a scope whose owner died without popping it. The owner was their
// subreaper, so they have been reparented: the tree is found again from what is known (the
// scope's command and the processes seen in it, each checked by start time) and everything
// descended from them in /proc. They are stopped first, so that none forks or exits while the
// tree is walked (a parent killed early would orphan its children out of sight), then killed,
// through pidfds: a recycled pid is never signalled.
import { readdirSync } from 'node:fs';
import type { RawBinding } from '../native/load.js';
import type { TaskInfo, TaskInfoFn } from './tree.js';

const SIGKILL = 9;
const SIGSTOP = 19;

export interface KnownProcess {
  pid: number;
  /** Start time as taskInfo reports it: the same pid with another start is another process. */
  start: number;
}

function allProcesses(taskInfo: TaskInfoFn): Map<number, TaskInfo> {
  const out = new Map<number, TaskInfo>();
  let names: string[] = [];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const t = taskInfo(Number(n));
    if (t && t.tgid === Number(n)) out.set(t.tgid, t);
  }
  return out;
}

/** Stops then kills `known` processes that still exist and all their descendants; returns how many. */
export function killTree(binding: Pick<RawBinding, 'pidfdOpen' | 'pidfdSignal' | 'closeFd'>, taskInfo: TaskInfoFn, known: readonly KnownProcess[], self = process.pid): number {
  const held = new Map<number, number>(); // pid -> pidfd, stopped
  const grab = (pid: number, start: number): void => {
    if (held.has(pid) || pid === self || pid <= 1) return;
    const fd = binding.pidfdOpen(pid);
    if (fd < 0) return;
    // The pidfd names the process that has this pid now: it must be the one we know.
    if (taskInfo(pid)?.start !== start) {
      binding.closeFd(fd);
      return;
    }
    held.set(pid, fd);
    binding.pidfdSignal(fd, SIGSTOP);
  };
  for (const k of known) grab(k.pid, k.start);
  // Descendants of what is held, until a walk finds nothing new (each round stops what it found).
  for (let round = 0; round < 16 && held.size > 0; round++) {
    const before = held.size;
    const procs = allProcesses(taskInfo);
    const children = new Map<number, TaskInfo[]>();
    for (const t of procs.values()) {
      const list = children.get(t.ppid);
      if (list) list.push(t);
      else children.set(t.ppid, [t]);
    }
    const queue = [...held.keys()];
    while (queue.length) {
      for (const c of children.get(queue.pop()!) ?? []) {
        if (held.has(c.tgid)) continue;
        grab(c.tgid, c.start);
        if (held.has(c.tgid)) queue.push(c.tgid);
      }
    }
    if (held.size === before) break;
  }
  for (const fd of held.values()) {
    binding.pidfdSignal(fd, SIGKILL);
    binding.closeFd(fd);
  }
  return held.size;
}
