// The unreal differential suite (unreal.test.ts) again, every `sysvisor run` over the ptrace transport.
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./unreal.test.js');
