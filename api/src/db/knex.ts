import type { MikroORM } from '@mikro-orm/core';
import { knex, type Knex, type SqlEntityManager } from '@mikro-orm/mysql';
import type { ConnectionOptions } from 'mysql2';
import { WorkerConnections, type ConnectionSource } from './worker-connections.js';

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
 * which takes one statement per query. With `worker`, the batches' transactions run on
 * connections driven from a worker thread (see worker-connections.ts); the pool serves the
 * order path's other reads (book loads, catch-up between batches). Other dialects get the
 * ORM's knex back.
 */
export function orderPathKnex(
  orm: MikroORM,
  dialect: 'sqlite' | 'mysql',
  { worker = false }: { worker?: boolean } = {},
): { knex: Knex; multiStatements: boolean; connections?: ConnectionSource; close(): Promise<void> } {
  const base = knexOf(orm);
  if (dialect !== 'mysql') return { knex: base, multiStatements: false, close: async () => {} };
  const config = base.client.config as Knex.Config;
  const connection = config.connection as Record<string, unknown>;
  const own = knex({
    ...config,
    connection: { ...connection, multipleStatements: true },
    // Two batch transactions in flight (without the worker) and the rebuild of a failed one's books.
    pool: {
      min: 1,
      max: 3,
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', (err) => done(err, conn)),
    },
  });
  // Two transactions are in flight at most (see OrderPath.drain).
  const connections = worker ? new WorkerConnections(workerOptions(connection), 2) : undefined;
  return {
    knex: own,
    multiStatements: true,
    connections,
    close: async () => {
      await connections?.close();
      await own.destroy();
    },
  };
}

/** The connection settings a worker can be given (plain values only; the driver's defaults otherwise). */
function workerOptions(connection: Record<string, unknown>): ConnectionOptions {
  const keys = ['host', 'port', 'user', 'password', 'database', 'charset', 'socketPath', 'supportBigNumbers', 'bigNumberStrings', 'dateStrings', 'timezone', 'ssl'] as const;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = connection[k];
    if (v !== undefined && typeof v !== 'function') out[k] = v;
  }
  return out as ConnectionOptions;
}
