import { defineConfig } from 'vitest/config';

// Three projects: `unit` never boots a guest and runs in seconds; `browser` opens report.html
// in headless Chromium (installed with apt by the tests themselves when missing, hence the
// long hook timeout); `guest` boots real kernels in QEMU, so it runs its files one at a time
// (2-core CI) with generous timeouts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['harness/**/*.test.ts'],
          exclude: ['harness/**/*.guest.test.ts', 'harness/**/*.browser.test.ts'],
        },
      },
      {
        test: {
          name: 'browser',
          include: ['harness/**/*.browser.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 600_000,
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
