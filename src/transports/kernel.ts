// What sysvisor needs from the kernel, by version: one table, read by the command (refuses below
// the minimum in one line), by the install step of the npm package (says so at install) and
// summarized in the README. Versions are those of the mainline release that added each feature.
import { release } from 'node:os';
import { UnsupportedFeatureError } from '../chain/errors.js';

export type KernelVersion = readonly [major: number, minor: number];

export interface KernelFeature {
  readonly feature: string;
  readonly since: KernelVersion;
  /** `required`: sysvisor refuses to run below it; `degrades`: probed at run time, with a fallback. */
  readonly need: 'required' | 'degrades';
  /** What happens below `since`. */
  readonly below: string;
}

export const KERNEL_FEATURES: readonly KernelFeature[] = [
  { feature: 'seccomp user notification (SECCOMP_FILTER_FLAG_NEW_LISTENER)', since: [5, 0], need: 'required', below: 'no interception at all' },
  { feature: 'pidfd_open', since: [5, 3], need: 'required', below: 'exit watch and identity checks impossible' },
  { feature: 'pidfd_getfd', since: [5, 6], need: 'required', below: 'the listener cannot be taken from the child' },
  { feature: 'SECCOMP_ADDFD_FLAG_SEND', since: [5, 14], need: 'required', below: 'fds opened for the tracee cannot be installed and answered in one step' },
  { feature: 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', since: [5, 19], need: 'degrades', below: 'a signal can interrupt a call the supervisor already took, and arguments rewritten in place are restored by polling (the filter is installed without the flag)' },
  { feature: 'SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP', since: [6, 6], need: 'degrades', below: 'each intercepted call costs several times more (probed on the listener)' },
  { feature: 'PIDFD_THREAD', since: [6, 9], need: 'degrades', below: 'no per-thread identity cache: credentials are read from /proc for each emulated call' },
  { feature: 'PIDFD_GET_INFO', since: [6, 13], need: 'degrades', below: 'no per-thread identity cache: credentials are read from /proc for each emulated call' },
  { feature: 'setxattrat/getxattrat/listxattrat/removexattrat', since: [6, 13], need: 'degrades', below: 'unreal emulates the *xattr calls through /proc/self/fd paths' },
];

/** The oldest kernel sysvisor runs on: the newest of the required features. */
export const MIN_KERNEL: KernelVersion = KERNEL_FEATURES.filter((f) => f.need === 'required')
  .map((f) => f.since)
  .reduce((a, b) => (compare(a, b) >= 0 ? a : b));

function compare(a: KernelVersion, b: KernelVersion): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** `6.18.0-1-amd64` -> [6, 18]; undefined when the release string is not `M.N...`. */
export function parseRelease(text: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const show = (v: KernelVersion) => `${v[0]}.${v[1]}`;

/** The features this kernel lacks (by its release number), required ones first. */
export function missingFeatures(text = release()): KernelFeature[] {
  const v = parseRelease(text);
  if (!v) return [];
  return KERNEL_FEATURES.filter((f) => compare(v, f.since) < 0).sort((a, b) => (a.need === b.need ? 0 : a.need === 'required' ? -1 : 1));
}

/** Throws, in one line, when the kernel is older than MIN_KERNEL. */
export function requireKernel(text = release()): void {
  const missing = missingFeatures(text).find((f) => f.need === 'required');
  if (missing) throw new UnsupportedFeatureError('kernel', `Linux ${text} is older than ${show(MIN_KERNEL)}, which sysvisor needs (${missing.feature} is ${show(missing.since)}: below it, ${missing.below})`);
}

/** One line per feature this kernel lacks, for the install step. */
export function kernelReport(text = release()): string[] {
  return missingFeatures(text).map((f) => `${f.need === 'required' ? 'refused' : 'degraded'} on Linux ${text}: ${f.feature} is ${show(f.since)}: ${f.below}`);
}
