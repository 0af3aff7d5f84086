/**
 * Prints the CREATE statements MikroORM derives from the entities for one dialect: the starting
 * point of a new migration (`tsx`-free: run with vitest's swc via `npm run schema:sql -w api`).
 */
import 'reflect-metadata';
import { openOrm } from '../src/db/orm.js';

const url = process.argv[2] ?? 'sqlite::memory:';
const { orm } = await openOrm(url);
const sql = process.argv.includes('--update') ? await orm.schema.getUpdateSchemaSQL({ wrap: false }) : await orm.schema.getCreateSchemaSQL({ wrap: false });
process.stdout.write(sql);
await orm.close(true);
