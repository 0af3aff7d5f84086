import { createRequire } from 'node:module';
import swc from 'unplugin-swc';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Tests whose verdict depends on the machine being quiet (rates with zero errors, wall-clock and
 * heap bounds): the `api-alone` project (vitest.alone.config.ts) runs them one file at a time
 * after every other project has finished, so a busy neighbour cannot fail them.
 */
export const ALONE = ['test/proof/soak.test.ts', 'test/proof/chaos.test.ts', 'test/proof/db-outage.test.ts', 'test/proof/hostile.test.ts', 'test/realtime/streams.test.ts'];
const IGNORED = ['**/node_modules/**', '**/dist/**'];

/** One api project: the shared transform and set-up, with its own name and files. */
export function apiProject(test: { name: string; include: string[]; exclude: string[] } & NonNullable<ViteUserConfig['test']>): ViteUserConfig {
  return defineConfig({
    plugins: [swc.vite({ module: { type: 'es6' } })],
    resolve: {
      // graphql 16 has no "exports": Node (and so type-graphql, Apollo) loads its CommonJS build,
      // while Vite would pick the .mjs one. Two copies break `instanceof` checks, so tests use
      // the same file Node does.
      alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
    },
    test: {
      root: new URL('.', import.meta.url).pathname,
      setupFiles: ['reflect-metadata'],
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...test,
    },
  });
}

export default apiProject({ name: 'api', include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'], exclude: [...ALONE, ...IGNORED] });
