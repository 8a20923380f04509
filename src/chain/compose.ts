// The onion. Handlers are ordered innermost first; handler i's `next` calls handler i+1 and the
// last one's `next` calls the executor. Synchronous all the way down unless an engine awaits.
// An fd result (Result.fd) leaving `next` is bound to the call's injector (given by the transport
// that received the call), so that an engine further in can read its `value` on the way out.
import type { Engine, Next } from './engine.js';
import { NextCalledTwiceError } from './errors.js';
import { Result } from './result.js';
import type { Syscall } from './syscall.js';

export type Step = (call: Syscall) => Result | Promise<Result>;

export function compose(innermostFirst: readonly Engine[], executor: Step): Step {
  const n = innermostFirst.length;
  return (call) => {
    call.route = innermostFirst;
    const dispatch = (i: number): Result | Promise<Result> => {
      if (i === n) return executor(call);
      const engine = innermostFirst[i]!;
      let called = false;
      const next: Next = () => {
        if (called) throw new NextCalledTwiceError(engine.name);
        called = true;
        const r = dispatch(i + 1);
        if (r instanceof Result) {
          if (r.kind === 'fd') r.bindInjector(call.inject);
          return r;
        }
        return typeof r?.then === 'function' ? r.then((res) => bindFd(call, res)) : r;
      };
      const r = engine.handle(call, next);
      if (typeof (r as Promise<Result> | undefined)?.then === 'function') holdUntilSettled(call, engine.name, r as Promise<Result>);
      return r;
    };
    return dispatch(0);
  };
}

// Records that `name` holds the call until its promise settles (reported by the CLI on SIGTERM).
function holdUntilSettled(call: Syscall, name: string, p: Promise<Result>): void {
  const held = (call.holding ??= []);
  held.push(name);
  const done = () => {
    const k = held.lastIndexOf(name);
    if (k >= 0) held.splice(k, 1);
  };
  p.then(done, done);
}

// For a result that arrives through a promise (an engine further out stopped the thread).
function bindFd(call: Syscall, r: Result): Result {
  if (r instanceof Result && r.kind === 'fd') r.bindInjector(call.inject);
  return r;
}
