import type { MikroORM } from '@mikro-orm/core';
import { knex, type Knex, type SqlEntityManager } from '@mikro-orm/mysql';

/** The knex instance behind the ORM (both drivers are knex-based): for set-based SQL on hot paths. */
export function knexOf(orm: MikroORM): Knex {
  return (orm.em as unknown as SqlEntityManager).getKnex();
}

export type { Knex };

/**
 * The order path's own MySQL pool: mysql2 with `multipleStatements`, so a transaction's reads
 * and its writes each take one round trip, and sessions in READ COMMITTED (the product row
 * lock serializes what matters; gap locks would only block concurrent inserts). Only the order
 * path's generated statements run on it, with bound values; everything else keeps the ORM's pool,
 * which takes one statement per query. Other dialects get the ORM's knex back.
 */
export function orderPathKnex(orm: MikroORM, dialect: 'sqlite' | 'mysql'): { knex: Knex; multiStatements: boolean; close(): Promise<void> } {
  const base = knexOf(orm);
  if (dialect !== 'mysql') return { knex: base, multiStatements: false, close: async () => {} };
  const config = base.client.config as Knex.Config;
  const connection = config.connection as Record<string, unknown>;
  const own = knex({
    ...config,
    connection: { ...connection, multipleStatements: true },
    pool: {
      min: 1,
      max: 2,
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err) => done(err, conn)),
    },
  });
  return { knex: own, multiStatements: true, close: () => own.destroy() };
}
