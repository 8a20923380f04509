// The onion. Handlers are ordered innermost first; handler i's `next` calls handler i+1 and the
// last one's `next` calls the executor. Synchronous all the way down unless an engine awaits.
import type { Engine, Next } from './engine.js';
import { NextCalledTwiceError } from './errors.js';
import type { Result } from './result.js';
import type { Syscall } from './syscall.js';

export type Step = (call: Syscall) => Result | Promise<Result>;

export function compose(innermostFirst: readonly Engine[], executor: Step): Step {
  const n = innermostFirst.length;
  return (call) => {
    const dispatch = (i: number): Result | Promise<Result> => {
      if (i === n) return executor(call);
      const engine = innermostFirst[i]!;
      let called = false;
      const next: Next = () => {
        if (called) throw new NextCalledTwiceError(engine.name);
        called = true;
        return dispatch(i + 1);
      };
      return engine.handle(call, next);
    };
    return dispatch(0);
  };
}
