/**
 * The order path's MySQL connections driven from a worker thread (db/worker-connections.ts),
 * against the real server: a transaction's statements stay on its one connection, and a
 * connection that died is never silently reopened under the same handle (a later statement of
 * the transaction would then run outside it, in autocommit), while the next acquire works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { WorkerConnections, type QueryConnection } from '../../src/db/worker-connections.js';
import { isDatabaseUnavailable } from '../../src/db/unavailable.js';
import { freshDatabase, mysqlReachable } from '../support/databases.js';

const reachable = await mysqlReachable();

const query = (c: QueryConnection, sql: string, values: unknown[] = []) =>
  new Promise<unknown>((resolve, reject) => c.query(sql, values, (err, results) => (err ? reject(err) : resolve(results))));

describe.skipIf(!reachable)('worker-driven order path connections', () => {
  let db: { url: string; drop: () => Promise<void> };
  let pool: WorkerConnections;
  let admin: mysql.Connection;

  beforeAll(async () => {
    db = await freshDatabase('mysql');
    const u = new URL(db.url);
    pool = new WorkerConnections({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1), timezone: 'Z' }, 2);
    admin = await mysql.createConnection(db.url);
    await admin.query('CREATE TABLE t (id INT PRIMARY KEY, at DATETIME(3) NULL, label VARCHAR(20) NULL)');
  });
  afterAll(async () => {
    await pool?.close();
    await admin?.end();
    await db?.drop();
  });

  it('runs several statements per query on one connection, values bound as the driver binds them', async () => {
    const c = await pool.acquire();
    const at = new Date('2026-12-05T10:11:12.345Z');
    const results = (await query(c, 'START TRANSACTION; INSERT INTO t (id, at, label) VALUES (?, ?, ?); SELECT id, at, label FROM t WHERE id = ?; ROLLBACK', [1, at, "it's", 1])) as unknown[];
    expect(results[2]).toEqual([{ id: 1, at, label: "it's" }]);
    // Rolled back: nothing stored.
    const [rows] = await admin.query('SELECT COUNT(*) AS n FROM t');
    expect(rows).toEqual([{ n: 0 }]);
    pool.release(c);
  });

  it('never reopens a connection that died under its handle: the transaction fails as unavailable, and the next acquire works', async () => {
    const c = await pool.acquire();
    const started = (await query(c, 'START TRANSACTION; SELECT CONNECTION_ID() AS id')) as [unknown, { id: number }[]];
    const id = started[1][0]!.id;
    await admin.query(`KILL CONNECTION ${Number(id)}`);
    // The transaction's next statement must not run on a new connection in autocommit.
    const err = await query(c, 'INSERT INTO t (id) VALUES (2); COMMIT').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(isDatabaseUnavailable(err)).toBe(true);
    const again = await query(c, 'SELECT 1 AS one').then(
      () => 'ran',
      (e: unknown) => (isDatabaseUnavailable(e) ? 'refused' : String(e)),
    );
    expect(again).toBe('refused');
    const [rows] = await admin.query('SELECT COUNT(*) AS n FROM t');
    expect(rows).toEqual([{ n: 0 }]);
    pool.release(c);
    // A fresh connection serves the next transaction.
    const d = await pool.acquire();
    expect(await query(d, 'SELECT 1 AS one; SELECT 2 AS two')).toEqual([[{ one: 1 }], [{ two: 2 }]]);
    pool.release(d);
  });

  it('holds at most its size: a third acquire waits for a release', async () => {
    const a = await pool.acquire();
    const b = await pool.acquire();
    let third: QueryConnection | undefined;
    const waiting = pool.acquire().then((c) => (third = c));
    await new Promise((r) => setTimeout(r, 50));
    expect(third).toBeUndefined();
    pool.release(a);
    await waiting;
    expect(third).toBe(a);
    pool.release(b);
    pool.release(third!);
  });
});
