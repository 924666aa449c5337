import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // native addons (DuckDB) and child processes behave best in forked workers
    pool: 'forks',
    // a golden file that differs says how to accept the change (npm run test:update-goldens)
    setupFiles: ['test/helpers/golden-hint.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
