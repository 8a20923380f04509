// The unreal transparency suite (unreal-transparency.test.ts) again, every `sysvisor run` over the
// ptrace transport (nested runs too).
import { useTransport } from './helpers.js';

useTransport('ptrace');
await import('./unreal-transparency.test.js');
