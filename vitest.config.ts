import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Install the test peers (moto, OpenBao, Prometheus, the databases) once, before the files that start them run in parallel.
    globalSetup: ['test/peers/moto.global.ts', 'test/peers/openbao.global.ts', 'test/peers/prometheus.global.ts', 'test/peers/databases.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
