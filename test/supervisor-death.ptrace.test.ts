// The supervisor-death suite (supervisor-death.test.ts) again, every `sysvisor run` over the ptrace transport.
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./supervisor-death.test.js');
