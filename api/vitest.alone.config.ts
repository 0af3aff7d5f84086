import { ALONE, apiProject } from './vitest.config.js';

/** The load-sensitive api tests (see ALONE): one file at a time, after the other projects. */
export default apiProject({
  name: 'api-alone',
  include: ALONE,
  exclude: ['**/node_modules/**', '**/dist/**'],
  fileParallelism: false,
  sequence: { groupOrder: 1 },
});
