import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { initialJsBudget } from './build/initial-js-budget.ts';
import { sharedModules } from './build/shared-modules.ts';

/** The API the dev server forwards to (`npm start` at the root serves it on 4000). */
const api = process.env.VITE_API_URL ?? 'http://localhost:4000';

/**
 * Two HTML entries: the app (index.html) and the GraphQL IDE (graphiql.html, React + GraphiQL,
 * bundled so it works offline). The IDE's code never loads with the app; the budget plugin
 * prints (and enforces) the gzip size of the app's first screen.
 */
export default defineConfig({
  plugins: [vue(), initialJsBudget({ 'index.html': 250 })],
  resolve: { alias: sharedModules },
  server: {
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: true },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      // React libraries inside GraphiQL mark modules "use client"; meaningless in a plain bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      checks: { pluginTimings: false },
      input: {
        app: fileURLToPath(new URL('./index.html', import.meta.url)),
        graphiql: fileURLToPath(new URL('./graphiql.html', import.meta.url)),
      },
    },
  },
});
