// The trace placement suite (trace-placement.test.ts) again, every `sysvisor run` over the ptrace transport.
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./trace-placement.test.js');
