// The caller's side of the control protocol: used by a nested `sysvisor run` and by
// `sysvisor load/unload/engines`.
import type { RawBinding } from '../native/load.js';
import { UsageError } from '../chain/errors.js';
import { OP, RESPONSE_CAPACITY, type OpName, type ScopeInfo } from './protocol.js';

const EINVAL = 22;

export class ControlCallError extends Error {
  override name = 'ControlCallError';
}

export class ControlClient {
  constructor(private readonly binding: Pick<RawBinding, 'control'>) {}

  /** Sends one request; throws ControlCallError with the supervisor's message on refusal. */
  call<T extends Record<string, unknown>>(op: OpName, request: Record<string, unknown> = {}): T {
    const { ret, response } = this.binding.control(OP[op], Buffer.from(JSON.stringify(request)), RESPONSE_CAPACITY);
    if (ret < 0) throw new ControlCallError(ret === -EINVAL ? 'not running under sysvisor' : `control ${op}: errno ${-ret}`);
    const r = JSON.parse(response.toString('utf8')) as { ok: boolean; error?: string; usage?: boolean } & T;
    if (!r.ok) throw r.usage ? new UsageError(r.error ?? 'bad input') : new ControlCallError(r.error ?? `control ${op} refused`);
    return r;
  }

  /** The supervisor above, or undefined when this process is not supervised by a sysvisor. */
  hello(): { version: number; depth: number; scope: number } | undefined {
    const { ret, response } = this.binding.control(OP.hello, Buffer.from('{}'), RESPONSE_CAPACITY);
    if (ret === -EINVAL) return undefined;
    if (ret < 0) throw new ControlCallError(`control hello: errno ${-ret}`);
    return JSON.parse(response.toString('utf8'));
  }

  list(): ScopeInfo[] {
    return this.call<{ scopes: ScopeInfo[] }>('list').scopes;
  }
}
