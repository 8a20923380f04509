// `sysvisor oci-seccomp`: the planner's filter in the OCI format, checked by running containers
// with runc and crun on its output (busybox rootfs, served by a real `sysvisor agent`), and its
// pure parts (conditions, exact 64-bit literals, merging into a bundle's section).
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sysvisor } from './helpers.js';
import { countRows, HOSTNAME, OciFixture, ociRuntime, ONLY_HERE, runIn, RUNTIMES, setSeccompText, type Runtime } from './oci.js';
import { ociSeccomp, ruleArgs, toJson } from '../src/filter/oci.js';
import { planFilter } from '../src/filter/plan.js';
import { SYSCALLS } from '../src/syscalls/table.js';
import { CONTROL_MAGIC } from '../src/scopes/protocol.js';

const fx = new OciFixture('sv-oci');
const dir = fx.dir;
const newId = (rt: Runtime) => fx.newId(rt);
const agent = (socket: string, engines: readonly string[]) => fx.agent(socket, engines);

/** A refusing default with every named syscall allowed but mkdir and mkdirat. */
function denyByDefault(): Record<string, unknown> {
  const names = SYSCALLS.filter((n) => n && n !== 'mkdir' && n !== 'mkdirat');
  return { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] };
}

describe('oci-seccomp: the planner in the OCI format', () => {
  it('argument tests: equality, all bits as != 0, a few bits as one masked rule each, two tests in one rule', () => {
    expect(ruleArgs(undefined)).toBeUndefined();
    expect(ruleArgs([[{ arg: 1, eq: -100 }]])).toEqual([[{ index: 1, value: 0xffffffffffffff9cn, op: 'SCMP_CMP_EQ' }]]);
    expect(ruleArgs([[{ arg: 4, anyBits: 0xffffffffffffffffn }]])).toEqual([[{ index: 4, value: 0n, op: 'SCMP_CMP_NE' }]]);
    expect(ruleArgs([[{ arg: 2, anyBits: 0b101 }]])).toEqual([
      [{ index: 2, value: 1n, valueTwo: 1n, op: 'SCMP_CMP_MASKED_EQ' }],
      [{ index: 2, value: 4n, valueTwo: 4n, op: 'SCMP_CMP_MASKED_EQ' }],
    ]);
    // seccomp(SECCOMP_SET_MODE_FILTER, flags with NEW_LISTENER): one rule, both conditions
    expect(ruleArgs([[{ arg: 0, eq: 1 }, { arg: 1, anyBits: 8 }]])).toEqual([
      [
        { index: 0, value: 1n, op: 'SCMP_CMP_EQ' },
        { index: 1, value: 8n, valueTwo: 8n, op: 'SCMP_CMP_MASKED_EQ' },
      ],
    ]);
    // Not sayable exactly: notified always (the engine's own check decides)
    expect(ruleArgs([[{ arg: 1, eq: 1 }, { arg: 1, eq: 2 }]])).toBeUndefined();
    expect(ruleArgs([[{ arg: 1, anyBits: 0xffff }]])).toBeUndefined();
    expect(toJson({ v: 0xffffffffffffff9cn, n: 1 }, 0)).toBe('{"v":18446744073709551516,"n":1}');
  });

  it('merging: the default and the rules stay; what the bundle lets run is notified, what it refuses is not', () => {
    const plan = planFilter([{ syscall: 'openat', when: [{ arg: 0, eq: -100 }] }, { syscall: 'getppid' }, { syscall: 'mkdir' }, { syscall: 'write' }]);
    const alone = ociSeccomp(plan, { socket: '/s' });
    expect(alone.seccomp).toMatchObject({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/s', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] });
    expect(alone.seccomp['syscalls']).toEqual([
      { names: ['mkdir', 'getppid'], action: 'SCMP_ACT_NOTIFY' },
      { names: ['openat'], action: 'SCMP_ACT_NOTIFY', args: [{ index: 0, value: 0xffffffffffffff9cn, op: 'SCMP_CMP_EQ' }] },
    ]);
    expect(alone.notes).toEqual([expect.stringMatching(/^left out: write, which the runtime calls before the agent has the listener/)]);
    expect(ociSeccomp(plan, { runtime: 'crun', socket: '/s' }).seccomp['syscalls']).toContainEqual({ names: ['write', 'mkdir', 'getppid'], action: 'SCMP_ACT_NOTIFY' });

    const deny = {
      linux: {
        seccomp: {
          defaultAction: 'SCMP_ACT_ERRNO',
          defaultErrnoRet: 1,
          architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
          flags: ['SECCOMP_FILTER_FLAG_LOG'],
          syscalls: [
            { names: ['openat', 'read', 'getppid'], action: 'SCMP_ACT_ALLOW' },
            { names: ['getppid'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
          ],
        },
      },
    };
    const merged = ociSeccomp(plan, { socket: '/s', merge: deny, runtime: 'runc-1.1' });
    expect(merged.seccomp).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      listenerPath: '/s',
      syscalls: [
        // getppid has a conditional rule: kept as the bundle says
        { names: ['read', 'getppid'], action: 'SCMP_ACT_ALLOW' },
        { names: ['getppid'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        // openat is allowed whatever its arguments: notified whatever its arguments (the default refuses)
        { names: ['openat'], action: 'SCMP_ACT_NOTIFY' },
      ],
    });
    expect(merged.notes).toEqual([
      expect.stringMatching(/^left out: write, /),
      expect.stringMatching(/^left out: mkdir, getppid, which the bundle refuses or allows only under conditions/),
      expect.stringMatching(/^no flags \(the bundle's SECCOMP_FILTER_FLAG_LOG dropped\): runc 1\.1 refuses them/),
    ]);
  });

  it('bad command lines: one line, exit 2', async () => {
    expect(await sysvisor(['oci-seccomp'])).toMatchObject({ code: 2, stdout: '', stderr: 'sysvisor: oci-seccomp: no engine (-e ENGINE)\n' });
    expect(await sysvisor(['oci-seccomp', '-e', 'count', '--runtime', 'docker'])).toMatchObject({ code: 2, stdout: '', stderr: "sysvisor: oci-seccomp: unknown --runtime 'docker' (any, runc-1.1, crun)\n" });
    const notJson = path.join(dir, 'not-json');
    writeFileSync(notJson, '{"linux": ');
    const r = await sysvisor(['oci-seccomp', '-e', 'count', '--merge', notJson]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sysvisor: oci-seccomp: \S+not-json is not JSON: .*\n$/);
    expect((await sysvisor(['oci-seccomp', '-e', 'count', '--merge', path.join(dir, 'none')])).stderr).toMatch(/^sysvisor: oci-seccomp: cannot read \S+none: ENOENT.*\n$/);
    expect((await sysvisor(['oci-seccomp', '-e', 'nope'])).code).toBe(2);
  });
});

describe.each(RUNTIMES)('oci-seccomp output run by %s', (rt) => {
  const runtime = ociRuntime(rt);

  it('-e unreal: accepted, and the container reads its own /unreal/etc/hostname through the agent', async () => {
    const S = path.join(dir, `${rt}-unreal.sock`);
    const out = await sysvisor(['oci-seccomp', '-e', 'unreal', '--socket', S, '--runtime', runtime]);
    expect(out.code).toBe(0);
    const seccomp = JSON.parse(out.stdout);
    expect(seccomp.listenerPath).toBe(S);
    // the planner's conditions, e.g. openat when its dirfd is not AT_FDCWD (64-bit literal exact)
    expect(out.stdout).toContain('18446744073709551516');
    const agentA = await agent(S, ['unreal']);
    const b = fx.bundle('cat /unreal/etc/hostname /unreal/etc/only-here; cat /etc/hostname');
    setSeccompText(b, out.stdout);
    const id = newId(rt);
    expect(await runIn(rt, b, id)).toMatchObject({ code: 0, stdout: `${HOSTNAME}\n${ONLY_HERE}\n${HOSTNAME}\n` });
    await agentA.waitFor(new RegExp(`container ${id} done \\(pid \\d+, profile default\\)\\n`));
    // the filter notifies all that unreal wants
    expect(agentA.stderr).not.toMatch(/does not notify/);
    expect(await agentA.stop()).toEqual({ code: 0, signal: null });
  });

  it('--merge into a deny-by-default profile: it stays one (mkdir refused), and the engines are served', async () => {
    const S = path.join(dir, `${rt}-merge.sock`);
    const script = 'cat /etc/hostname; mkdir /tmp/d || echo refused';
    const nativeB = fx.bundle(script, { seccomp: denyByDefault() });
    const native = await runIn(rt, nativeB, newId(rt));
    expect(native).toMatchObject({ code: 0, stdout: `${HOSTNAME}\nrefused\n` });
    expect(native.stderr).toContain('Operation not permitted');

    const out = await sysvisor(['oci-seccomp', '-e', 'unreal', '-e', 'count:syscalls=openat,mkdir', '--socket', S, '--runtime', runtime, '--merge', path.join(nativeB, 'config.json')]);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/^sysvisor oci-seccomp: left out: mkdir, mkdirat, which the bundle refuses/m);
    const seccomp = JSON.parse(out.stdout);
    expect(seccomp.defaultAction).toBe('SCMP_ACT_ERRNO');
    const agentA = await agent(S, ['unreal', 'count:syscalls=openat,mkdir']);
    const b = fx.bundle(`cat /unreal/etc/hostname; ${script}`);
    setSeccompText(b, out.stdout);
    const id = newId(rt);
    const served = await runIn(rt, b, id);
    expect(served).toMatchObject({ code: 0, stdout: `${HOSTNAME}\n${HOSTNAME}\nrefused\n` });
    expect(served.stderr).toContain('Operation not permitted');
    await agentA.waitFor(new RegExp(`container ${id} done \\(pid \\d+, profile default\\)\\n`));
    expect(countRows(agentA.stderr, id).get('openat')).toBeGreaterThanOrEqual(2);
    expect(countRows(agentA.stderr, id).has('mkdir')).toBe(false);
    expect(await agentA.stop()).toEqual({ code: 0, signal: null });
  });
});

describe('oci-seccomp: write is notified only for crun', () => {
  it('--runtime crun notifies write, and crun starts the container', async () => {
    const S = path.join(dir, 'crun-write.sock');
    // An engine that sees write and getppid (count counts in the kernel and notifies nothing):
    // each call it sees is noted in a file, then goes on to the kernel.
    const seen = path.join(dir, 'crun-write.seen');
    const mod = path.join(dir, 'seen.mjs');
    writeFileSync(
      mod,
      `import { appendFileSync } from 'node:fs';
export default {
  name: 'seen',
  summary: 'notes the calls it sees',
  options: {},
  create() {
    return {
      name: 'seen',
      interests: [{ syscall: 'write' }, { syscall: 'getppid' }],
      handle(call, next) { appendFileSync(${JSON.stringify(seen)}, call.name + '\\n'); return next(); },
    };
  },
};
`,
    );
    const out = await sysvisor(['oci-seccomp', '-e', mod, '--socket', S, '--runtime', 'crun']);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(out.stdout).syscalls).toEqual([
      { names: ['write', 'getppid'], action: 'SCMP_ACT_NOTIFY' },
      // the control call of a sysvisor run or load inside, answered by the agent
      { names: ['prctl'], action: 'SCMP_ACT_NOTIFY', args: [{ index: 0, value: CONTROL_MAGIC, op: 'SCMP_CMP_EQ' }] },
      // a program's own listener, named by the agent in one line (as under sysvisor run)
      {
        names: ['seccomp'],
        action: 'SCMP_ACT_NOTIFY',
        args: [
          { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
          { index: 1, value: 8, valueTwo: 8, op: 'SCMP_CMP_MASKED_EQ' },
        ],
      },
    ]);
    const agentA = await agent(S, [mod]);
    const b = fx.bundle('echo one; echo two');
    setSeccompText(b, out.stdout);
    const id = newId('crun');
    expect(await runIn('crun', b, id)).toMatchObject({ code: 0, stdout: 'one\ntwo\n' });
    await agentA.waitFor(new RegExp(`container ${id} done \\(pid \\d+, profile default\\)\\n`));
    expect(readFileSync(seen, 'utf8').split('\n').filter((l) => l === 'write').length).toBeGreaterThanOrEqual(2);
    expect(await agentA.stop()).toEqual({ code: 0, signal: null });
  });
});
