import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // native addons (DuckDB) and child processes behave best in forked workers
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
