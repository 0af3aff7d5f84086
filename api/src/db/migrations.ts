import { Migration } from '@mikro-orm/migrations';
import type { MigrationObject, MikroORM } from '@mikro-orm/core';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dialect } from './dialect.js';
import { migrationsDir } from '../paths.js';

/**
 * The schema lives as plain SQL in the repository's `db/migrations/<dialect>/NNNN-name.sql`
 * (readable, reviewable, usable by the MySQL image), applied in name order by MikroORM's
 * migrator, which records them in `schema_migrations`. Statements are separated by `;` at
 * the end of a line.
 */
export function migrationsFor(dialect: Dialect): MigrationObject[] {
  const dir = join(migrationsDir, dialect);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((file) => {
      const statements = readFileSync(join(dir, file), 'utf8')
        .split(/;\s*$/m)
        .map((s) => s.trim())
        .filter((s) => s.length > 0 && !/^(--[^\n]*\n?)+$/.test(s));
      class SqlMigration extends Migration {
        override async up(): Promise<void> {
          for (const sql of statements) this.addSql(sql);
        }
      }
      return { name: file.replace(/\.sql$/, ''), class: SqlMigration };
    });
}

/** Migrates the database to the latest schema; returns the names of the migrations applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const done = await orm.getMigrator().up();
  return done.map((m) => m.name);
}
