/**
 * Test databases. SQLite runs everywhere (a temp file per app). MySQL (MariaDB) uses a fresh
 * database per test app, created and dropped through TEST_MYSQL_URL's server (default the
 * local 127.0.0.1:3306 as root). Under CI=true a missing MySQL fails the tests; elsewhere the
 * MySQL half of a suite is skipped with a message.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { IN_CI } from './ci.js';

export type TestDialect = 'sqlite' | 'mysql';

export const MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/trading_test';
export { IN_CI };

let mysqlAvailable: Promise<boolean> | undefined;

/** Whether the MySQL server answers. Under CI this never returns false: it throws. */
export function mysqlReachable(): Promise<boolean> {
  mysqlAvailable ??= (async () => {
    try {
      const c = await mysql.createConnection(serverUrl());
      await c.end();
      return true;
    } catch (e) {
      if (IN_CI) throw new Error(`MySQL is required in CI but ${serverUrl()} did not answer: ${(e as Error).message}`);
      console.warn(`MySQL tests skipped: ${serverUrl()} did not answer (${(e as Error).message}).`);
      return false;
    }
  })();
  return mysqlAvailable;
}

function serverUrl(): string {
  const u = new URL(MYSQL_URL);
  u.pathname = '/';
  return u.toString();
}

/** A fresh, empty database URL for one test app, and a function that drops it. */
export async function freshDatabase(dialect: TestDialect): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'trading-test-'));
    return { url: `sqlite:${join(dir, 'trading.sqlite')}`, drop: async () => {} };
  }
  const name = `trading_t_${randomBytes(5).toString('hex')}`;
  const c = await mysql.createConnection(serverUrl());
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
  const u = new URL(MYSQL_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const d = await mysql.createConnection(serverUrl());
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}

/** Runs a suite once per dialect; the MySQL run is skipped (outside CI only) when MySQL is unreachable. */
export async function dialects(): Promise<{ dialect: TestDialect; skip: boolean }[]> {
  const mysqlOk = await mysqlReachable();
  return [
    { dialect: 'sqlite', skip: false },
    { dialect: 'mysql', skip: !mysqlOk },
  ];
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
let redisAvailable: Promise<boolean> | undefined;

/** Whether Redis answers. Under CI this never returns false: it throws. */
export function redisReachable(): Promise<boolean> {
  redisAvailable ??= (async () => {
    const { Redis } = await import('ioredis');
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await r.connect();
      await r.ping();
      return true;
    } catch (e) {
      if (IN_CI) throw new Error(`Redis is required in CI but ${REDIS_URL} did not answer: ${(e as Error).message}`);
      console.warn(`Redis tests skipped: ${REDIS_URL} did not answer (${(e as Error).message}).`);
      return false;
    } finally {
      r.disconnect();
    }
  })();
  return redisAvailable;
}
