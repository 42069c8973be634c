import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Multi-host faults need root and a minute: `npm run test:faults` (vitest.faults.config.ts), which .ci/run runs too.
    exclude: [...configDefaults.exclude, 'test/faults/**'],
    globalSetup: ['test/cache-home.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Training tests are CPU-bound; two at once on a 2-core machine only slow each other.
    fileParallelism: false,
  },
});
