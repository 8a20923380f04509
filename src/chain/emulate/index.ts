// The executor's emulators: how a call whose arguments the engines changed (or whose result they
// want) is realized. Mechanism per call:
// - open family: opened by the supervisor as the tracee, the fd injected with ADDFD (open.ts);
// - other path calls: run by the supervisor as the tracee, outputs written back (paths.ts);
// - chdir, execve, bind/connect, and every fallback of the above: the changed argument rewritten
//   in the tracee's memory, CONTINUE, the original bytes restored at syscall exit (rewrite.ts);
// - getcwd: the kernel's cwd, for the engines to turn into their view on exit (process.ts).
import type { RawBinding } from '../../native/load.js';
import type { Emulator } from './open.js';
import { openEmulators } from './open.js';
import { pathEmulators } from './paths.js';
import { processEmulators } from './process.js';
import type { RewriteContext } from './rewrite.js';
import { SETS_CREDS, SETS_ROOT, syscallsWith } from '../../syscalls/table.js';

export type { Emulator } from './open.js';
export { openEmulators } from './open.js';
export { pathEmulators, xattrErrnoBeforeLookup } from './paths.js';
export { processEmulators, realCwd } from './process.js';
export { execName, linkBack, linkViews } from './view.js';
export { continueWithPatches, rewriteStrings, stringPatches, type Patch, type RewriteContext } from './rewrite.js';
export { addressBacks, putReturnedAddress, returnedAddress, setSocketPath, sockaddrCount, socketPath, sunAddress, sunPath, traceeSocketPath, sockaddrBytes, SOCKADDR_ARG } from './sockaddr.js';

export interface EmulatorOptions {
  /**
   * The filter was installed with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: rewritten arguments are
   * restored exactly at syscall exit (ptrace stop). Without it, by polling (a short window).
   * Read at each call: the transport may clear it when the kernel lacks the flag.
   */
  killableWait: boolean;
  report(line: string): void;
}

export type EmulateBinding = Pick<RawBinding, 'openAs' | 'pathAs' | 'EMULATE_FALLBACK' | 'rewriteContinue' | 'socketName' | 'taskInfo'> & Partial<Pick<RawBinding, 'redoSyscall' | 'socketWaits'>>;

/**
 * The calls that change what the addon's identity cache holds for a thread: its credentials (ids,
 * groups, capabilities, user namespace) and its process's root (ROOT_SYSCALLS). An engine that
 * marks calls with call.seeCredentials() (so that their emulation uses the cache) must see every
 * one of them and call forgetTracee({ tid, wholeProcess, rootChange }) on entry. The table's SETS_CREDS calls.
 */
export const CRED_SYSCALLS: readonly string[] = syscallsWith(SETS_CREDS);

/** Of CRED_SYSCALLS, those that may change the process's root or mount namespace. */
export const ROOT_SYSCALLS: readonly string[] = syscallsWith(SETS_ROOT);

/** How the emulators (and the executor) rewrite arguments in place. */
export function rewriteContext(binding: Pick<RawBinding, 'rewriteContinue'>, opts: EmulatorOptions): RewriteContext {
  return {
    binding,
    get killableWait() {
      return opts.killableWait;
    },
    report: (l) => opts.report(l),
  };
}

/** Every emulator, keyed by syscall name. */
export function defaultEmulators(binding: EmulateBinding, opts: EmulatorOptions, ctx = rewriteContext(binding, opts)): Record<string, Emulator> {
  return {
    ...openEmulators(binding, ctx),
    ...pathEmulators(binding, ctx),
    ...processEmulators(binding, ctx),
  };
}
