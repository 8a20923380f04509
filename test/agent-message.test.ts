// The OCI agent's pure parts: validation of the container process state a runtime sends, and what
// the agent reads from the container's config.json.
import { describe, expect, it } from 'vitest';
import { AgentMessageError, isCompleteJson, parseContainerState } from '../src/transports/agent/message.js';
import { containerSeccomp, unseenWarnings } from '../src/transports/agent/config.js';
import { chooseProfile, parseProfiles, splitEngineList } from '../src/transports/agent/profiles.js';
import { syscallNumber } from '../src/syscalls/table.js';
import type { Engine } from '../src/chain/engine.js';

// What runc 1.1.5 sends (seen on this machine).
const RUNC = {
  ociVersion: '1.0.2-dev',
  fds: ['seccompFd'],
  pid: 32097,
  metadata: 'test',
  state: { ociVersion: '1.0.2-dev', id: 't1', status: 'creating', pid: 32097, bundle: '/tmp/b' },
};

const msg = (v: unknown, fdCount = 1, fdsTruncated = false) => ({ data: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), fdCount, fdsTruncated });
const reason = (v: unknown, fdCount = 1, fdsTruncated = false): string => {
  try {
    parseContainerState(msg(v, fdCount, fdsTruncated));
  } catch (e) {
    expect(e).toBeInstanceOf(AgentMessageError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('accepted');
};

describe('agent: container process state', () => {
  it("accepts runc's message", () => {
    const s = parseContainerState(msg(RUNC));
    expect(s).toEqual({
      ociVersion: '1.0.2-dev',
      fds: ['seccompFd'],
      seccompFdIndex: 0,
      pid: 32097,
      metadata: 'test',
      state: { ociVersion: '1.0.2-dev', id: 't1', status: 'creating', pid: 32097, bundle: '/tmp/b', annotations: {} },
    });
  });

  it('finds seccompFd among other fds (index = index in SCM_RIGHTS), annotations, no metadata', () => {
    const { metadata: _, ...noMeta } = RUNC;
    const s = parseContainerState(msg({ ...noMeta, fds: ['pidFd', 'seccompFd'], state: { ...RUNC.state, annotations: { a: 'b' } } }, 2));
    expect(s.seccompFdIndex).toBe(1);
    expect(s.metadata).toBe('');
    expect(s.state.annotations).toEqual({ a: 'b' });
  });

  it('refuses garbage, non-objects and empty messages in one line', () => {
    expect(reason('\x00\x01garbage that is not json at all, and quite long too')).toMatch(/^not JSON: "\.\.garbage that is not json at all, and q"\.\.\.$/);
    expect(reason('[1,2]')).toMatch(/expected a JSON object .* got an array/);
    expect(reason('null')).toMatch(/got null/);
    expect(reason('', 0)).toMatch(/empty message with 0 fd/);
  });

  it('requires seccompFd, once', () => {
    expect(reason({ ...RUNC, fds: ['pidFd'] })).toMatch(/no seccompFd in fds \["pidFd"\]/);
    expect(reason({ ...RUNC, fds: [] }, 0)).toMatch(/no seccompFd/);
    expect(reason({ ...RUNC, fds: undefined })).toMatch(/fds must be a list of fd names/);
    expect(reason({ ...RUNC, fds: ['seccompFd', 3] })).toMatch(/fds must be a list of fd names/);
    expect(reason({ ...RUNC, fds: ['seccompFd', 'seccompFd'] }, 2)).toMatch(/named twice/);
  });

  it('requires as many fds as named', () => {
    expect(reason(RUNC, 0)).toBe('fds names 1 fd(s) (seccompFd) but 0 came with the message');
    expect(reason(RUNC, 2)).toBe('fds names 1 fd(s) (seccompFd) but 2 came with the message');
    expect(reason(RUNC, 1, true)).toMatch(/more fds were sent than the agent accepts/);
  });

  it('checks types of pid, metadata and state', () => {
    expect(reason({ ...RUNC, pid: 0 })).toMatch(/^pid must be a positive integer/);
    expect(reason({ ...RUNC, pid: '12' })).toMatch(/^pid must be a positive integer/);
    expect(reason({ ...RUNC, pid: 1.5 })).toMatch(/^pid must be a positive integer/);
    expect(reason({ ...RUNC, ociVersion: 1 })).toBe('ociVersion must be a string');
    expect(reason({ ...RUNC, metadata: {} })).toBe('metadata must be a string');
    expect(reason({ ...RUNC, state: undefined })).toBe('state must be an object (missing)');
    expect(reason({ ...RUNC, state: { ...RUNC.state, id: undefined } })).toBe('state.id must be a string (missing)');
    expect(reason({ ...RUNC, state: { ...RUNC.state, bundle: 3 } })).toBe('state.bundle must be a string');
    expect(reason({ ...RUNC, state: { ...RUNC.state, pid: -1 } })).toMatch(/^state.pid must be a positive integer/);
    expect(reason({ ...RUNC, state: { ...RUNC.state, annotations: { a: 1 } } })).toMatch(/annotations must map names to strings/);
  });

  it('refuses ids that cannot name a container in reports and file names', () => {
    for (const id of ['', 'a/b', '..', 'a b', 'x\ny', 'z'.repeat(300)]) expect(reason({ ...RUNC, state: { ...RUNC.state, id } })).toMatch(/is not a container id/);
    expect(parseContainerState(msg({ ...RUNC, state: { ...RUNC.state, id: 'my-app_1.2+x' } })).state.id).toBe('my-app_1.2+x');
  });

  it('tells a whole JSON object from a part of one', () => {
    const whole = Buffer.from(JSON.stringify(RUNC) + '\n');
    expect(isCompleteJson(whole)).toBe(true);
    expect(isCompleteJson(whole.subarray(0, 40))).toBe(false);
    expect(isCompleteJson(Buffer.from('42'))).toBe(false); // not an object: complete only at end of stream
    expect(isCompleteJson(Buffer.from('garbage}'))).toBe(false);
  });
});

describe("agent: the container's config.json", () => {
  const nr = (s: string) => syscallNumber(s)!;

  it('notified syscalls: SCMP_ACT_NOTIFY rules, with or without argument tests', () => {
    const c = containerSeccomp({
      linux: {
        seccomp: {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86_64'],
          syscalls: [
            { names: ['getppid', 'openat', 'no_such_call'], action: 'SCMP_ACT_NOTIFY' },
            { names: ['ioctl'], action: 'SCMP_ACT_NOTIFY', args: [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }] },
            { names: ['read'], action: 'SCMP_ACT_ERRNO' },
          ],
        },
      },
    })!;
    expect([...c.notified].sort((a, b) => a - b)).toEqual([nr('ioctl'), nr('getppid'), nr('openat')].sort((a, b) => a - b));
    expect(c.killableWait).toBe(false);
    expect(c.foreignArchitectures).toEqual([]);
  });

  it('defaultAction SCMP_ACT_NOTIFY: all but unconditional other rules; flags; i386', () => {
    const c = containerSeccomp({
      linux: {
        seccomp: {
          defaultAction: 'SCMP_ACT_NOTIFY',
          flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
          syscalls: [
            { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
            { names: ['ioctl'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 1, op: 'SCMP_CMP_EQ' }] },
          ],
        },
      },
    })!;
    expect(c.notified.has(nr('openat'))).toBe(true);
    expect(c.notified.has(nr('ioctl'))).toBe(true);
    expect(c.notified.has(nr('read'))).toBe(false);
    expect(c.notified.has(nr('write'))).toBe(false);
    expect(c.killableWait).toBe(true);
    expect(c.foreignArchitectures).toEqual(['SCMP_ARCH_X86']);
  });

  it('no seccomp section: nothing known', () => {
    expect(containerSeccomp({ linux: {} })).toBeUndefined();
    expect(containerSeccomp('x')).toBeUndefined();
  });

  it('says which wanted syscalls an engine will not see', () => {
    const engine = (name: string, interests: Engine['interests']): Engine => ({ name, interests, handle: (_c, next) => next() });
    const notified = new Set([nr('openat'), nr('getppid')]);
    expect(unseenWarnings([engine('a', [{ syscall: 'openat' }, { syscall: nr('getppid') }])], notified)).toEqual([]);
    const lines = unseenWarnings([engine('b', [{ syscall: 'openat' }, { syscall: 'read' }, { syscall: 'read', when: [{ arg: 0, eq: 0 }] }]), engine('c', 'all')], notified);
    expect(lines).toEqual([
      "engine b: the container's seccomp filter does not notify read (SCMP_ACT_NOTIFY in linux.seccomp), so it will not see them",
      "engine c wants every syscall; the container's seccomp filter notifies 2",
    ]);
  });
});

describe('agent: profiles', () => {
  const known = (n: string) => ['count', 'unreal', 'trace'].includes(n);
  it('an engine list splits where an engine starts, not inside option lists', () => {
    expect(splitEngineList('unreal', known)).toEqual(['unreal']);
    expect(splitEngineList('count:syscalls=openat,getppid,unreal', known)).toEqual(['count:syscalls=openat,getppid', 'unreal']);
    expect(splitEngineList('unreal,trace:o=/tmp/t,./mine.mjs:x=1,count', known)).toEqual(['unreal', 'trace:o=/tmp/t', './mine.mjs:x=1', 'count']);
  });
  it('--profile NAME=...: a name given twice adds to it; bad ones are usage errors', () => {
    expect(parseProfiles(['a=unreal', 'b=count:syscalls=openat,getppid', 'a=trace'], known)).toEqual(
      new Map([
        ['a', ['unreal', 'trace']],
        ['b', ['count:syscalls=openat,getppid']],
      ]),
    );
    expect(() => parseProfiles(['unreal'], known)).toThrow(/^agent: --profile unreal: expected NAME=ENGINE/);
    expect(() => parseProfiles(['a='], known)).toThrow(/expected NAME=ENGINE/);
    expect(() => parseProfiles(['a b=unreal'], known)).toThrow(/bad profile name 'a b'/);
    expect(() => parseProfiles(['default=unreal'], known)).toThrow(/'default' is the -e stack/);
  });
  it('listenerMetadata chooses: ignored without profiles; empty or default is the -e stack; unknown is undefined', () => {
    const profiles = new Map([['files', ['unreal']]]);
    expect(chooseProfile('anything', new Map())).toBe('default');
    expect(chooseProfile('', profiles)).toBe('default');
    expect(chooseProfile('default', profiles)).toBe('default');
    expect(chooseProfile('files', profiles)).toBe('files');
    expect(chooseProfile(' files\n', profiles)).toBe('files');
    expect(chooseProfile('nope', profiles)).toBeUndefined();
  });
});
