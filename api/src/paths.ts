/** Where the repository's files are, from api/src or api/dist alike (both are two levels down). */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Plain-SQL migrations, one folder per dialect. */
export const migrationsDir = resolve(repoRoot, 'db/migrations');

/** The product catalog loaded on first start (CATALOG_PATH overrides it). */
export const defaultCatalogPath = resolve(repoRoot, 'db/seeds/products.csv');

/** The built web client served on the API's port (WEB_DIST overrides it). */
export const defaultWebDist = resolve(repoRoot, 'web/dist');

/** The GraphQL schema file `npm run schema` writes. */
export const schemaFile = resolve(repoRoot, 'schema/schema.graphql');
