import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Real ffmpeg, real daemons and a real S3 server share two cores: keep parallelism modest.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/teardown.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
