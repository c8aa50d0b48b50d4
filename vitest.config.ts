import { defineConfig } from 'vitest/config';

// Two projects: `unit` never boots a guest and runs in seconds; `guest` boots real kernels in
// QEMU, so it runs its files one at a time (2-core CI) with generous timeouts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['harness/**/*.test.ts'],
          exclude: ['harness/**/*.guest.test.ts'],
        },
      },
      {
        test: {
          name: 'guest',
          include: ['harness/**/*.guest.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
