import { defineConfig } from 'vitest/config';

// Tests run real processes under the real kernel: separate processes (the addon forks), generous
// timeouts for the slow baselines (strace, proot), no timing assertions anywhere.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // a TMPDIR per test file, checked empty at its end (test/setup/tmpdir.ts)
    setupFiles: ['test/setup/tmpdir.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
