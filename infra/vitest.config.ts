import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'infra',
    root: new URL('.', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // The live tests (test/live) run the compiled app: build it once, before any file, if missing.
    globalSetup: ['test/live/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
