import { MikroORM, type Options } from '@mikro-orm/core';
import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import { MySqlDriver } from '@mikro-orm/mysql';
import { Migrator } from '@mikro-orm/migrations';
import { ReflectMetadataProvider } from '@mikro-orm/core';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { User } from '../modules/accounts/user.entity.js';
import { Session } from '../modules/accounts/session.entity.js';
import { Product } from '../modules/products/product.entity.js';
import { Order } from '../modules/orders/order.entity.js';
import { Execution } from '../modules/orders/execution.entity.js';
import { IdBlock } from './id-block.entity.js';
import { FixSessionRecord } from '../modules/fix/fix-session.entity.js';
import { FixClOrdId } from '../modules/fix/fix-cl-ord-id.entity.js';
import { migrationsFor } from './migrations.js';
import type { Dialect } from './dialect.js';

/** Every entity of the platform. */
export const entities = [User, Session, Product, Order, Execution, IdBlock, FixSessionRecord, FixClOrdId];


/** Parses `sqlite:<path>` / `sqlite::memory:` or `mysql://user:pass@host:port/db`. */
export function parseDatabaseUrl(url: string): { dialect: Dialect; options: Partial<Options> } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path !== ':memory:') prepareSqliteFile(resolve(path));
    return { dialect: 'sqlite', options: { driver: BetterSqliteDriver, dbName: path } };
  }
  if (url.startsWith('mysql://') || url.startsWith('mariadb://')) {
    const u = new URL(url.replace(/^mariadb:/, 'mysql:'));
    return {
      dialect: 'mysql',
      options: {
        driver: MySqlDriver,
        host: u.hostname,
        port: u.port ? Number(u.port) : 3306,
        user: decodeURIComponent(u.username || 'root'),
        password: decodeURIComponent(u.password),
        dbName: u.pathname.replace(/^\//, ''),
        pool: { min: 2, max: 10 },
        charset: 'utf8mb4',
        // Integers above 2^53 never occur (ids, ticks, lots are safe integers by validation).
        driverOptions: { supportBigNumbers: true, bigNumberStrings: false, dateStrings: false, timezone: 'Z' },
      },
    };
  }
  throw new Error(`DATABASE_URL must start with sqlite: or mysql:// (got ${url.split(':')[0]}:)`);
}

/**
 * The SQLite file holds password hashes and session hashes: readable by its owner only (0600,
 * and its WAL and shared-memory files, which SQLite creates with the database's mode). A
 * directory created for it is 0700.
 */
function prepareSqliteFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}

/** Opens the ORM for a database URL. Migrations are not run here (see migrate.ts). */
export async function openOrm(url: string, debug = false): Promise<{ orm: MikroORM; dialect: Dialect }> {
  const { dialect, options } = parseDatabaseUrl(url);
  const orm = await MikroORM.init({
    ...options,
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    migrations: {
      tableName: 'schema_migrations',
      migrationsList: migrationsFor(dialect),
      // MySQL commits DDL implicitly: a wrapping transaction would only pretend.
      transactional: dialect === 'sqlite',
      allOrNothing: dialect === 'sqlite',
      snapshot: false,
    },
    debug,
    // The migrator and discovery talk through this logger; start-up progress is printed by main.
    logger: () => {},
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ensureDatabase: false,
    discovery: { warnWhenNoEntities: true },
    // The catalog's search index (migration 0007) is SQL, not entities: SQLite's FTS5 table and
    // its shadow tables have untyped columns that the schema diff cannot read.
    schemaGenerator: { skipTables: [/^product_search/, 'product_trigrams'] },
  } as Options);
  if (dialect === 'sqlite') {
    const knex = (orm.em as unknown as { getKnex(): { raw(sql: string): Promise<unknown> } }).getKnex();
    await knex.raw('PRAGMA journal_mode = WAL');
    await knex.raw('PRAGMA synchronous = NORMAL');
    await knex.raw('PRAGMA foreign_keys = ON');
  }
  return { orm, dialect };
}
