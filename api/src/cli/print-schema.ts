/** Prints the GraphQL schema (sorted SDL): `npm run schema` writes it to schema/schema.graphql. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSchema, printSortedSchema } from '../graphql/schema.js';
import { repoRoot } from '../services.js';

const sdl = printSortedSchema(await createSchema());
if (process.argv.includes('--write')) {
  const target = resolve(repoRoot, 'schema/schema.graphql');
  writeFileSync(target, sdl);
  console.log(`Wrote ${target}`);
} else {
  process.stdout.write(sdl);
}
