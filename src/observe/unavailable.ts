// Why an eBPF object could not be loaded, in a few words: shared by every engine that observes
// through eBPF (trace, count) and falls back to seccomp notifications without it.
import { existsSync } from 'node:fs';

/** Why eBPF is not available, in a few words, from the loader's error. */
export function bpfUnavailableReason(e: unknown): string {
  const err = e as { message?: string; code?: string };
  const msg = err?.message ?? String(e);
  if (!existsSync('/sys/kernel/btf/vmlinux')) return `the kernel has no BTF (/sys/kernel/btf/vmlinux): ${msg}`;
  if (err?.code === 'EPERM' || /not permitted/i.test(msg)) return `not permitted to load BPF programs (needs root or CAP_BPF+CAP_PERFMON): ${msg}`;
  return msg;
}
