import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';
import { sharedModules } from './build/shared-modules.ts';

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: sharedModules },
  test: {
    name: 'web',
    root: new URL('.', import.meta.url).pathname,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: true,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
