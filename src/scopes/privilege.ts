// Privilege of scope creators and members, read from the kernel (/proc).
//
// The kernel's own rule: a process without privileges may install a seccomp filter (or trace)
// only when what it watches cannot gain privileges by exec (no_new_privs; ptrace:
// LSM_UNSAFE_PTRACE). A scope works like a filter its creator installed, so the same rule holds:
// the engines of a scope made by an unprivileged process act only on processes that have
// no_new_privs set (inherited by every child and thread, never cleared), so that no setuid or
// file-capability exec among them gains anything.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const CAP_SYS_ADMIN = 21n;

function status(tid: number): string | null {
  try {
    return readFileSync(`/proc/${tid}/status`, 'latin1');
  } catch {
    return null;
  }
}

function field(text: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
}

/**
 * Privileged as the kernel decides it for installing a filter without no_new_privs: CAP_SYS_ADMIN
 * in the effective set, in the supervisor's own user namespace (capabilities in a child namespace
 * are worth nothing outside it).
 */
export function isPrivileged(tid: number): boolean {
  const s = status(tid);
  const eff = s === null ? undefined : field(s, 'CapEff');
  if (eff === undefined || ((BigInt(`0x${eff}`) >> CAP_SYS_ADMIN) & 1n) === 0n) return false;
  try {
    return readlinkSync(`/proc/${tid}/ns/user`) === readlinkSync('/proc/self/ns/user');
  } catch {
    return false;
  }
}

/**
 * True when every thread of process `tgid` has no_new_privs (a per-thread flag: a thread made by
 * one that lacks it lacks it too). The thread list is read again until no thread is new, so a
 * thread made during the check by a thread not yet checked is checked as well.
 */
export function noNewPrivs(tgid: number): boolean {
  const seen = new Set<string>();
  for (let round = 0; round < 64; round++) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${tgid}/task`);
    } catch {
      return false;
    }
    const fresh = tids.filter((t) => !seen.has(t));
    if (fresh.length === 0) return seen.size > 0;
    for (const t of fresh) {
      const s = status(Number(t));
      // A thread that exited meanwhile can make nothing any more.
      if (s !== null && field(s, 'NoNewPrivs') !== '1') return false;
      seen.add(t);
    }
  }
  return false;
}
