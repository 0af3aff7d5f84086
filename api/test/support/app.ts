import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type App } from '../../src/app.js';
import type { ServiceDeps } from '../../src/services.js';
import { freshDatabase, type TestDialect } from './databases.js';

export const SMALL_CATALOG = resolve(fileURLToPath(import.meta.url), '../../fixtures/products-small.csv');
export const ADMIN_PASSWORD = 'root-passphrase-for-tests';
/**
 * For suites about something else whose prices roam far from the catalog references: the price
 * band still applies, 100× wide (the default ±10% is tested in risk.test.ts).
 */
export const WIDE_BAND = { RISK_PRICE_BAND_PERCENT: '10000' } as const;

/** A running API for a test, on its own fresh database, listening on a random loopback port. */
export interface TestApp {
  readonly app: App;
  readonly url: string;
  readonly config: Config;
  readonly databaseUrl: string;
  /** Stops the app (keeping the database). */
  stop(): Promise<void>;
  /** Stops the app if running and drops the database. */
  dispose(): Promise<void>;
  /** Stops and starts a new app process-equivalent on the same database. */
  restart(): Promise<TestApp>;
}

export async function startTestApp(dialect: TestDialect, env: Record<string, string> = {}, deps: ServiceDeps = {}): Promise<TestApp> {
  const db = await freshDatabase(dialect);
  return startOn(db.url, env, db.drop, deps);
}

/** Another API process-equivalent (own engine, order path and bus) on the same database: a replica. */
export async function startReplica(of: TestApp, env: Record<string, string> = {}, deps: ServiceDeps = {}): Promise<TestApp> {
  return startOn(of.databaseUrl, env, async () => {}, deps);
}

async function startOn(databaseUrl: string, env: Record<string, string>, drop: () => Promise<void>, deps: ServiceDeps = {}): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    CATALOG_PATH: SMALL_CATALOG,
    ADMIN_PASSWORD,
    FIX_PORT: '0',
    WEB_DIST: '',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LOGIN_MAX_ATTEMPTS: '5',
    // Suites sign up many accounts from 127.0.0.1; security-login.test.ts tests the default.
    SIGNUP_MAX_PER_ADDRESS: '10000',
    ...env,
  });
  const app = await startApp(config, createLogger(config.LOG_LEVEL), undefined, deps);
  let stopped = false;
  const t: TestApp = {
    app,
    url: `http://127.0.0.1:${app.port}/graphql`,
    config,
    databaseUrl,
    stop: async () => {
      if (!stopped) {
        stopped = true;
        await app.stop();
      }
    },
    dispose: async () => {
      await t.stop();
      await drop();
    },
    restart: async () => {
      await t.stop();
      return startOn(databaseUrl, env, drop, deps);
    },
  };
  return t;
}
