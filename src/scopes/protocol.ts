// The control protocol between a nested sysvisor (or `sysvisor load/unload/engines`) and the
// supervisor above it. The caller makes a prctl with an option no kernel knows (CONTROL_MAGIC);
// the supervisor's filter notifies exactly that call, and the supervisor answers it: the caller is
// identified by the kernel (the notification's thread id), never by what it says. Without a
// supervisor above, the kernel answers EINVAL. Works after `env -i`, needs no path or inherited fd.
//
//   prctl(CONTROL_MAGIC, op, request, requestLength, response, responseCapacity)
//     -> length of the JSON response written at `response`, or -errno
export { CONTROL_MAGIC } from '../native/contract.js'; // "SVVR", defined in addon/src/contract.h
export const RESPONSE_CAPACITY = 64 * 1024;
export const REQUEST_MAX = 64 * 1024;

export const OP = {
  /** {} -> { version, depth } */
  hello: 1,
  /** { engines: spec[] } -> { scope }: the caller's children form a new innermost scope. */
  push: 2,
  /** { scope } -> {}: closes the scope's engines (their reports go out) once its tree is done. */
  pop: 3,
  /** { engine: spec } -> { scope, engines }: adds an innermost engine to the caller's own scope. */
  load: 4,
  /** { engine: name } -> { scope, engines }: removes the innermost engine of that name from the caller's scope. */
  unload: 5,
  /** {} -> { scopes: [{ id, engines }] } from the outermost scope to the caller's. */
  list: 6,
} as const;

export type OpName = keyof typeof OP;

export interface ScopeInfo {
  id: number;
  /** Engine specs as loaded, outermost first. */
  engines: string[];
}

/** A refusal says whether it was bad input (an unknown engine, a bad option: exit status 2). */
export type ControlResponse = ({ ok: true } & Record<string, unknown>) | { ok: false; error: string; usage?: boolean };
