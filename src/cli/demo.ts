// `sysvisor demo` (what `npm start` runs): the main job on a default example.
import { writeSync } from 'node:fs';
import type { Reporter } from '../chain/report.js';
import { buildEngines } from '../engines/build.js';
import { loadBuiltinEngines } from '../engines/registry.js';
import { supervise, shellStatus } from '../transports/unotify/supervise.js';

const out = (text: string) => void writeSync(1, text);

async function show(title: string, specs: string[], command: string[], reporter: Reporter): Promise<number> {
  const quote = (a: string) => (/^[\w./:=,-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
  out(`\n$ sysvisor run ${specs.map((s) => `-e ${s} `).join('')}-- ${command.map(quote).join(' ')}\n`);
  out(`# ${title}\n`);
  const sup = supervise({ command: command[0]!, args: command.slice(1), engines: buildEngines(specs, reporter), reporter });
  return shellStatus(await sup.done);
}

export async function runDemo(reporter: Reporter): Promise<number> {
  await loadBuiltinEngines();
  out('sysvisor demo: programs run unchanged under engines (seccomp user notification + eBPF).\n');
  const steps: [string, string[], string[]][] = [
    ['path virtualization: /unreal/X is /X (same bytes as /etc/hostname)', ['unreal'], ['sh', '-c', 'cat /unreal/etc/hostname; cd /unreal/unreal/etc && pwd && cat hostname']],
    ['a tracer inside unreal shows what the program asked, and the fd unreal produced', ['unreal', 'trace:e=openat'], ['busybox', 'cat', '/unreal/etc/hostname']],
    ['the same tracer outside unreal shows what the kernel ran', ['trace:e=openat', 'unreal'], ['busybox', 'cat', '/unreal/etc/hostname']],
    ['nested virtualization: each unreal gives two levels, four in all', ['unreal'], [process.execPath, process.argv[1]!, 'run', '-e', 'unreal', '--', 'cat', '/unreal/unreal/unreal/unreal/etc/hostname']],
    ['count the syscalls of a small pipeline (like strace -c)', ['count'], ['sh', '-c', 'head -c 200 /etc/passwd | wc -c']],
  ];
  for (const [title, specs, cmd] of steps) {
    const status = await show(title, specs, cmd, reporter);
    if (status !== 0) return status;
  }
  return 0;
}
