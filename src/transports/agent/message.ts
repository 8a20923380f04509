// The first message of an OCI runtime on the agent's socket: the container process state
// (runtime-spec config-linux.md, "seccomp": listenerPath), JSON, with the fds it names passed as
// SCM_RIGHTS (index in `fds` = index in SCM_RIGHTS). Validation is a pure function: the server
// reports its error in one line and closes every fd it received.

/** The container process state, validated. */
export interface ContainerProcessState {
  ociVersion: string;
  /** Names of the fds, in SCM_RIGHTS order. */
  fds: string[];
  /** Index of `seccompFd` in `fds` (and in the fds received). */
  seccompFdIndex: number;
  /** The container process (in the runtime's pid namespace). */
  pid: number;
  /** `linux.seccomp.listenerMetadata` of the container's config ('' when absent). */
  metadata: string;
  state: {
    ociVersion: string;
    id: string;
    status: string;
    /** The container's init process, when the runtime knows it. */
    pid: number | undefined;
    bundle: string;
    annotations: Record<string, string>;
  };
}

/** A message that is not a container process state this agent can serve. */
export class AgentMessageError extends Error {
  override name = 'AgentMessageError';
}

export interface ReceivedMessage {
  data: Buffer;
  /** How many fds came with it (SCM_RIGHTS). */
  fdCount: number;
  /** The sender passed more fds than the agent accepts (the kernel closed the rest). */
  fdsTruncated?: boolean;
}

/** Longest id accepted: it names the container in reports and in output file names. */
const MAX_ID = 256;

// A short printable excerpt of bytes that are not what was expected.
function excerpt(data: Buffer): string {
  const text = data.subarray(0, 40).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return JSON.stringify(text) + (data.length > 40 ? '...' : '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(what: string): never {
  throw new AgentMessageError(what);
}

function str(o: Record<string, unknown>, key: string, where: string, optional = false): string | undefined {
  const v = o[key];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string') fail(`${where}${key} must be a string${v === undefined ? ' (missing)' : ''}`);
  return v;
}

function pidOf(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > 0x3fffffff) fail(`${name} must be a positive integer (a process id), got ${JSON.stringify(v) ?? 'nothing'}`);
  return v;
}

/**
 * Parses and validates the container process state. Throws AgentMessageError with a one-line
 * reason: not JSON, a field missing or of the wrong type, no `seccompFd`, or a number of fds that
 * is not the number named in `fds`.
 */
export function parseContainerState(m: ReceivedMessage): ContainerProcessState {
  if (m.data.length === 0) fail(`empty message with ${m.fdCount} fd(s)`);
  let raw: unknown;
  try {
    raw = JSON.parse(m.data.toString('utf8'));
  } catch {
    fail(`not JSON: ${excerpt(m.data)}`);
  }
  if (!isObject(raw)) fail(`expected a JSON object (the container process state), got ${Array.isArray(raw) ? 'an array' : raw === null ? 'null' : typeof raw}`);

  const ociVersion = str(raw, 'ociVersion', '')!;
  const fds = raw['fds'];
  if (!Array.isArray(fds) || fds.some((f) => typeof f !== 'string')) fail('fds must be a list of fd names');
  const names = fds as string[];
  const seccompFdIndex = names.indexOf('seccompFd');
  if (seccompFdIndex < 0) fail(`no seccompFd in fds ${JSON.stringify(names)}`);
  if (names.indexOf('seccompFd', seccompFdIndex + 1) >= 0) fail('seccompFd named twice in fds');
  if (m.fdsTruncated) fail(`more fds were sent than the agent accepts (fds names ${names.length})`);
  if (m.fdCount !== names.length) fail(`fds names ${names.length} fd(s) (${names.join(', ')}) but ${m.fdCount} came with the message`);
  const pid = pidOf(raw['pid'], 'pid');
  const metadata = str(raw, 'metadata', '', true) ?? '';

  const state = raw['state'];
  if (!isObject(state)) fail(`state must be an object${state === undefined ? ' (missing)' : ''}`);
  const id = str(state, 'id', 'state.')!;
  if (id.length === 0 || id.length > MAX_ID || !/^[^\s/\\\x00-\x1f\x7f]+$/.test(id) || id === '.' || id === '..')
    fail(`state.id ${JSON.stringify(id.slice(0, MAX_ID))} is not a container id (1-${MAX_ID} characters, no spaces, slashes or control characters)`);
  const status = str(state, 'status', 'state.')!;
  const statePid = state['pid'] === undefined ? undefined : pidOf(state['pid'], 'state.pid');
  const bundle = str(state, 'bundle', 'state.')!;
  const annotations = state['annotations'] ?? {};
  if (!isObject(annotations) || Object.values(annotations).some((v) => typeof v !== 'string')) fail('state.annotations must map names to strings');

  return {
    ociVersion,
    fds: names,
    seccompFdIndex,
    pid,
    metadata,
    state: { ociVersion: str(state, 'ociVersion', 'state.', true) ?? ociVersion, id, status, pid: statePid, bundle, annotations: annotations as Record<string, string> },
  };
}

/**
 * Whether the bytes so far hold a whole JSON value: the server stops reading once they do (a
 * runtime may keep the connection open), or at end of stream.
 */
export function isCompleteJson(data: Buffer): boolean {
  // The state is an object: anything else is complete only at end of stream.
  let end = data.length - 1;
  while (end >= 0 && (data[end] === 0x20 || data[end] === 0x0a || data[end] === 0x0d || data[end] === 0x09)) end--;
  if (end < 0 || data[end] !== 0x7d) return false;
  try {
    JSON.parse(data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
