// The execve differential suite (exec-identity.test.ts) again, every outer `sysvisor run` over the ptrace transport.
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./exec-identity.test.js');
