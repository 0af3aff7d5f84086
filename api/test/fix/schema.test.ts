/**
 * The FIX tables that migration 0003 creates are the ones the FIX entities describe. SQLite:
 * MikroORM's schema diff after migrating is empty for them. MySQL: MikroORM's diff reports
 * every nullable column of MariaDB as changed, so the catalog (columns and indexes) of a
 * migrated database is compared with that of a database created from the entities.
 */
import type { MikroORM } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { knexOf } from '../../src/db/knex.js';
import { openOrm } from '../../src/db/orm.js';
import { migrate } from '../../src/db/migrations.js';
import { freshDatabase, mysqlReachable } from '../support/databases.js';

const FIX_TABLE = /`fix_/;
const mysqlOk = await mysqlReachable();

async function withOrm<T>(dialect: 'sqlite' | 'mysql', run: (orm: MikroORM) => Promise<T>): Promise<T> {
  const db = await freshDatabase(dialect);
  const { orm } = await openOrm(db.url);
  try {
    return await run(orm);
  } finally {
    await orm.close(true);
    await db.drop();
  }
}

/** Columns and indexes of the fix_ tables of the connected MySQL database. */
async function mysqlCatalog(orm: MikroORM) {
  const knex = knexOf(orm);
  const schema = orm.config.get('dbName') ?? '';
  const [columns] = await knex.raw(
    `select table_name t, column_name c, column_type type, is_nullable n, column_default d, column_key k from information_schema.columns
     where table_schema = ? and table_name like 'fix\\_%' order by table_name, ordinal_position`,
    [schema],
  );
  const [indexes] = await knex.raw(
    `select table_name t, index_name i, column_name c, seq_in_index s, non_unique u from information_schema.statistics
     where table_schema = ? and table_name like 'fix\\_%' order by table_name, index_name, seq_in_index`,
    [schema],
  );
  return { columns, indexes };
}

describe('FIX tables', () => {
  it('on SQLite are exactly what the FIX entities describe once migrated', async () => {
    await withOrm('sqlite', async (orm) => {
      expect(await migrate(orm)).toContain('0003-fix');
      const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
      expect(diff.split('\n').filter((line) => FIX_TABLE.test(line))).toEqual([]);
    });
  });

  it.skipIf(!mysqlOk)('on MySQL are exactly what the FIX entities describe once migrated', async () => {
    const migrated = await withOrm('mysql', async (orm) => {
      expect(await migrate(orm)).toContain('0003-fix');
      return mysqlCatalog(orm);
    });
    const generated = await withOrm('mysql', async (orm) => {
      const ddl = await orm.schema.getCreateSchemaSQL({ wrap: false });
      for (const statement of ddl.split(/;\s*$/m).map((s) => s.trim())) {
        if (FIX_TABLE.test(statement)) await knexOf(orm).raw(statement);
      }
      return mysqlCatalog(orm);
    });
    expect(migrated.columns.length).toBeGreaterThan(0);
    expect(migrated).toEqual(generated);
  });
});
