import { defineConfig } from 'vitest/config';

// Slow suites (large tied blocks, scale): `npm run test:slow`, not part of `npm test`.
export default defineConfig({
  test: {
    include: ['tests/**/*.slow.test.ts'],
    testTimeout: 600_000,
    pool: 'forks',
  },
});
