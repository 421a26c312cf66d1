import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup/event-loop.ts'],
    // Bounds for hangs, not measures: a busy machine runs sandboxes many times slower (helpers.ts HANG_MS).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Sandboxes are processes with ptrace; two cores run them well one file at a time.
    fileParallelism: false,
  },
});
