// Why the kernel refuses ptrace (EPERM), named in one line: the facts are read from /proc, the
// wording is planned from them (pure, so every case is checked, Yama's too where this kernel has
// no Yama).
import { readFileSync } from 'node:fs';

/** What decides whether sysvisor may trace the command. */
export interface PtraceFacts {
  /** The command's tracer already (TracerPid), and its name; 0 when none. */
  tracerPid: number;
  tracerName?: string;
  /** /proc/sys/kernel/yama/ptrace_scope; undefined when the kernel has no Yama. */
  yamaScope?: number;
  /** Does sysvisor hold CAP_SYS_PTRACE (effective)? */
  capSysPtrace: boolean;
  /** Seccomp filters on sysvisor itself (a container profile may deny ptrace). */
  seccompFilters: number;
}

const CAP_SYS_PTRACE = 19n;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
}

function field(status: string | undefined, name: string): string | undefined {
  return status === undefined ? undefined : new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
}

/** The facts of now, for the command `pid`. */
export function readPtraceFacts(pid: number): PtraceFacts {
  const self = read('/proc/self/status');
  const tracerPid = Number(field(read(`/proc/${pid}/status`), 'TracerPid') ?? 0);
  const scope = read('/proc/sys/kernel/yama/ptrace_scope');
  const capEff = field(self, 'CapEff');
  return {
    tracerPid,
    tracerName: tracerPid > 0 ? read(`/proc/${tracerPid}/comm`)?.trim() : undefined,
    yamaScope: scope === undefined ? undefined : Number(scope.trim()),
    capSysPtrace: capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_PTRACE) & 1n) === 1n,
    seccompFilters: Number(field(self, 'Seccomp_filters') ?? 0),
  };
}

/** The reason, as the end of one line (after "the kernel refuses to trace the command (EPERM): "). */
export function ptraceRefusal(f: PtraceFacts): string {
  const unotify = '; use --transport unotify';
  if (f.tracerPid > 0)
    return `it is traced already, by pid ${f.tracerPid}${f.tracerName ? ` (${f.tracerName})` : ''}, and a process has one tracer${unotify}`;
  if (f.yamaScope === 3) return `Yama ptrace_scope is 3: no process may trace another (until reboot)${unotify}`;
  if (f.yamaScope === 2 && !f.capSysPtrace) return `Yama ptrace_scope is 2: tracing needs CAP_SYS_PTRACE, which sysvisor lacks${unotify}`;
  if (f.seccompFilters > 0) return `sysvisor runs under ${f.seccompFilters} seccomp filter${f.seccompFilters > 1 ? 's' : ''} (a container profile?) that may deny ptrace(2)${unotify}`;
  return `an LSM (AppArmor, SELinux) or a container profile denies ptrace${unotify}`;
}
