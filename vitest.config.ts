import { configDefaults, defineConfig } from 'vitest/config';

// test/optional/ holds suites whose peer cannot be installed here (Lowkey Vault's jar is on no registry
// this machine reaches): `npm run test:optional` runs them when the peer is given. `npm test` leaves
// them out rather than counting them as skipped.
const optional = process.env.KEYROT_TEST_OPTIONAL === '1';

export default defineConfig({
  test: {
    include: optional ? ['test/optional/**/*.test.ts'] : ['test/**/*.test.ts'],
    exclude: optional ? configDefaults.exclude : [...configDefaults.exclude, 'test/optional/**'],
    // Install the test peers (moto, OpenBao, Prometheus, the databases) once, before the files that start them run in parallel.
    globalSetup: ['test/peers/moto.global.ts', 'test/peers/openbao.global.ts', 'test/peers/prometheus.global.ts', 'test/peers/databases.global.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
