// The engine contract "path calls outside all of an engine's pathPrefixes skip JS entirely" (and
// calls no engine wants now run as they are), over both transports: unotify's pump decides them on
// its receiving thread, the ptrace transport on its tracer thread (unotify::Router).
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { Result, supervise, type Engine, type Syscall } from '../src/index.js';
import { ROOT } from './helpers.js';

const PATHOP = path.join(ROOT, 'test', 'build', 'pathop');

// An engine that wants newfstatat (pathop's stat and lstat), only under /nowhere, and records the
// paths it is shown.
function observer(seen: string[]): Engine {
  return {
    name: 'observer',
    interests: [{ syscall: 'newfstatat' }],
    pathPrefixes: ['/nowhere'],
    handle(call: Syscall, next: () => Result | Promise<Result>) {
      seen.push(call.latin1(1) ?? '(unreadable)');
      return next();
    },
  };
}

describe('calls no engine needs to see skip JS', () => {
  for (const transport of ['unotify', 'ptrace'] as const) {
    it(`${transport}: an engine is shown only the path calls under its pathPrefixes; the others run as they are`, async () => {
      const seen: string[] = [];
      const args = ['lstat', '/etc/hostname', 'stat', '/nowhere/x', 'lstat', '/etc/passwd', 'stat', '/nowhere', 'lstat', '/nowheres'];
      const sup = supervise({ command: PATHOP, args, engines: [observer(seen)], transport });
      const st = await sup.done;
      expect(st.code).toBe(0);
      // (An fstat made as newfstatat(fd, "", AT_EMPTY_PATH) before main may reach it under unotify.)
      expect(seen.filter((p) => p !== '')).toEqual(['/nowhere/x', '/nowhere']);
      // Every one of them was intercepted (the filter wants newfstatat): 5 calls at least.
      expect(sup.intercepted).toBeGreaterThanOrEqual(5);
    });
  }
});
