/** Prints the GraphQL schema (sorted SDL): `npm run schema` writes it to schema/schema.graphql. */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { createSchema, printSortedSchema } from '../graphql/schema.js';
import { schemaFile } from '../paths.js';

const sdl = printSortedSchema(await createSchema());
if (process.argv.includes('--write')) {
  writeFileSync(schemaFile, sdl);
  console.log(`Wrote ${schemaFile}`);
} else {
  process.stdout.write(sdl);
}
