// Two projects: fast unit tests, and end-to-end tests that build network namespaces (root only).
// e2e files run one at a time (npm test passes --no-file-parallelism): they share the machine's two cores
// and must not disturb each other's timing or interface names.
import { defineConfig } from 'vitest/config';
import { scaled } from './test/support/time-scale.js';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['relay/**/*.test.ts', 'lab/**/*.test.ts', 'native/**/*.test.ts', 'bench/**/*.test.ts', 'ci/**/*.test.ts', 'test/**/*.test.ts', 'soak/**/*.test.ts'],
          exclude: ['**/*.e2e.test.ts', '**/node_modules/**', 'dist/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**', 'dist/**'],
          // Stretched inside the test VM (test/vm/), whose emulated CPU is several times slower.
          testTimeout: scaled(180_000),
          hookTimeout: scaled(120_000),
        },
      },
    ],
  },
});
