// Pids named by a process in a pid namespace of its own (a container's): the control calls of a
// nested sysvisor name its command and its launcher by pid, as the caller sees them; the agent
// acts on them by its own pids. The kernel tells both: /proc/PID/status NSpid lists a process's
// pid in each pid namespace from the one of this /proc (the agent's) down to its own.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

function nsPids(pid: number): number[] | undefined {
  try {
    const m = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? m[1]!.trim().split(/\s+/).map(Number) : undefined;
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function sameNamespace(a: number | 'self', b: number): boolean {
  try {
    return readlinkSync(`/proc/${a}/ns/pid`) === readlinkSync(`/proc/${b}/ns/pid`);
  } catch {
    return false;
  }
}

/**
 * The agent's pid of the process that process `caller` (an agent pid) names `pid`: itself, or one
 * of its children or grandchildren (what the control calls name), seen from the caller's pid
 * namespace. Undefined when no such process is found. Identity when the caller shares the
 * agent's pid namespace.
 */
export function callerPid(caller: number, pid: number): number | undefined {
  if (sameNamespace('self', caller)) return pid;
  const own = nsPids(caller);
  if (!own || own.length < 2) return undefined;
  const level = own.length - 1; // the caller's namespace, in the NSpid lists of its descendants
  if (own[level] === pid) return caller;
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    const p = Number(name);
    if (!Number.isInteger(p) || p <= 0) continue;
    const parent = parentOf(p);
    if (parent === undefined) continue;
    const list = children.get(parent);
    if (list) list.push(p);
    else children.set(parent, [p]);
  }
  const below = [...(children.get(caller) ?? [])];
  below.push(...below.flatMap((c) => children.get(c) ?? []));
  return below.find((p) => nsPids(p)?.[level] === pid);
}
