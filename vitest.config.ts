import { defineConfig } from 'vitest/config';

/** The whole suite: one vitest project per workspace. */
export default defineConfig({
  test: {
    projects: ['api/vitest.config.ts', 'web/vitest.config.ts', 'infra/vitest.config.ts'],
  },
});
