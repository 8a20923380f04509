// The getcwd/chdir differential suite (cwd-view.test.ts) again, every outer `sysvisor run` over the ptrace transport.
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./cwd-view.test.js');
