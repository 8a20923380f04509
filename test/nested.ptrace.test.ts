// The nesting suite (nested.test.ts) again, every `sysvisor run` over the ptrace transport.
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./nested.test.js');
