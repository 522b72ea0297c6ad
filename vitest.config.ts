import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      '{shared,server,admin-desktop,site}/test/**/*.test.{ts,tsx}',
      'site/e2e/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    // Browser and build tests share one machine's two cores; keep files from fighting for them.
    fileParallelism: true,
    maxWorkers: 2,
    env: { ASTRO_TELEMETRY_DISABLED: '1' },
  },
});
