import { defineConfig } from 'vitest/config';

/** The whole suite: one vitest project per workspace. */
export default defineConfig({
  test: {
    // api-alone runs after the others (sequence.groupOrder 1): see api/vitest.config.ts.
    projects: ['api/vitest.config.ts', 'api/vitest.alone.config.ts', 'web/vitest.config.ts', 'infra/vitest.config.ts'],
  },
});
