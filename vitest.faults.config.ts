import { defineConfig } from 'vitest/config';

/** `npm run test:faults`: two workers as two hosts (network and pid namespaces) against a PostgreSQL cluster of the test's own. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/cache-home.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
