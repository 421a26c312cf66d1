import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup/event-loop.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Sandboxes are processes with ptrace; two cores run them well one file at a time.
    fileParallelism: false,
  },
});
