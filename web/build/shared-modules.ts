import { fileURLToPath } from 'node:url';

/**
 * Modules the web client shares with the API, by import name → source file (the same names are
 * in tsconfig.json's `paths`). Only dependency-free modules belong here: the web image copies
 * these files and nothing else of the API.
 */
export const sharedModules: Record<string, string> = {
  '@trading-app/api/decimal': fileURLToPath(new URL('../../api/src/decimal.ts', import.meta.url)),
  '@trading-app/api/vocabulary': fileURLToPath(new URL('../../api/src/engine/types.ts', import.meta.url)),
};
