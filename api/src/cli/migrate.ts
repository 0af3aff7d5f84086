/** Migrates the database named by DATABASE_URL, once (the Kubernetes Job / compose one-shot). */
import 'reflect-metadata';
import { loadConfig } from '../config.js';
import { openOrm } from '../db/orm.js';
import { migrate } from '../db/migrations.js';

const config = loadConfig();
const { orm } = await openOrm(config.DATABASE_URL);
try {
  const applied = await migrate(orm);
  console.log(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date.');
} finally {
  await orm.close(true);
}
