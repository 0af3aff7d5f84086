/**
 * The real API for the live tests: `node api/dist/main.js` on a free loopback port, its stdout
 * and stderr captured line by line, its exit observed. Port, database and GraphQL helpers come
 * from the API's own bench support (api/harness/api-process.ts); its `startApi` discards
 * stdout and hides the exit code, which these tests need, hence this variant.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { IN_CI, REPO } from '../../lib/tools.js';
import { API_MAIN } from './build.js';
import { freePort, freshDatabaseUrl, SMALL_CATALOG } from '../../../../api/harness/api-process.js';

export { freePort, freshDatabaseUrl, SMALL_CATALOG };

export const MYSQL_SERVER = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/trading_test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';

export interface LiveApi {
  readonly url: string;
  readonly port: number;
  /** Port of the production /metrics listener (METRICS_PORT). */
  readonly metricsPort: number;
  readonly child: ChildProcess;
  /** Every stdout line so far (pino JSON and the start-up banner). */
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the compiled API and waits until /readyz answers 200 (90 s at most: CI runs other suites beside). */
export async function startLiveApi(env: Record<string, string>): Promise<LiveApi> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : await freePort();
  // LIVE_API_MAIN: run another build of the API (e.g. a patched copy) through the same tests.
  const child = spawn(process.execPath, [process.env.LIVE_API_MAIN || API_MAIN], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      CATALOG_PATH: SMALL_CATALOG,
      ADMIN_PASSWORD: 'live-root-passphrase',
      LOG_LEVEL: 'warn',
      FIX_PORT: '0',
      WEB_DIST: '',
      SHUTDOWN_GRACE_SECONDS: '10',
      // These checks trade at fixed prices whatever the catalog's references: the price band
      // (still applied) is widened to 1000%.
      RISK_PRICE_BAND_PERCENT: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const lines = (into: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      rest += chunk.toString('utf8');
      const parts = rest.split('\n');
      rest = parts.pop()!;
      into.push(...parts);
    };
  };
  child.stdout!.on('data', lines(stdout));
  child.stderr!.on('data', lines(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  void exited.then(() => process.removeListener('exit', kill));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}:\n${stdout.join('\n')}\n${stderr.join('\n')}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`API not ready in 90 s:\n${stdout.join('\n')}\n${stderr.join('\n')}`);
    }
    await sleep(100);
  }
  return {
    url,
    port,
    metricsPort,
    child,
    stdout,
    stderr,
    exited,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface GqlResult<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } & Record<string, unknown> }[];
}

/** One GraphQL request over HTTP; returns the body (errors included), throws only on transport failures. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response shapes are checked by the tests' assertions
export async function gql<T = any>(base: string, query: string, variables: Record<string, unknown> = {}, token?: string, headers: Record<string, string> = {}): Promise<GqlResult<T> & { status: number; headers: Headers }> {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: GqlResult<T>;
  try {
    body = JSON.parse(text) as GqlResult<T>;
  } catch {
    throw new Error(`/graphql answered ${res.status} with non-JSON: ${text.slice(0, 300)}`);
  }
  return { ...body, status: res.status, headers: res.headers };
}

/** Like gql, but throws on GraphQL errors. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
export async function gqlOk<T = any>(base: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const r = await gql<T>(base, query, variables, token);
  if (r.errors?.length || !r.data) throw new Error(`GraphQL errors: ${JSON.stringify(r.errors)}`);
  return r.data;
}

export async function signUp(base: string, username: string, password: string): Promise<string> {
  const d = await gqlOk<{ signUp: { token: string } }>(base, 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }', { u: username, p: password });
  return d.signUp.token;
}

export const PLACE_ORDER = 'mutation($i: PlaceOrderInput!){ placeOrder(input: $i){ id clOrdId status } }';

/** A unique, valid username. */
export const uniqueName = (prefix: string) => `${prefix}${process.pid}${Math.random().toString(36).slice(2, 8)}`;

/**
 * For tests that need MariaDB/MySQL or Redis (started by the session or by .ci/run): under CI a
 * missing service FAILS with a clear message; elsewhere the test is skipped with that message.
 */
export async function requireService(ctx: TestContext, name: 'mysql' | 'redis'): Promise<void> {
  const url = new URL(name === 'mysql' ? MYSQL_SERVER : REDIS_URL);
  const port = Number(url.port || (name === 'mysql' ? 3306 : 6379));
  const up = await new Promise<boolean>((resolve) => {
    const s = createConnection({ host: url.hostname, port }, () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
  });
  if (up) return;
  const hint = name === 'mysql'
    ? 'start MariaDB: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd (or set TEST_MYSQL_URL)'
    : 'start Redis: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" (or set TEST_REDIS_URL)';
  const msg = `${name} is not reachable at ${url.hostname}:${port} (${hint})`;
  if (IN_CI) throw new Error(`${msg}: it is required when CI=true`);
  console.warn(`[infra live] skipping: ${msg}`);
  ctx.skip(msg);
}

/** mysql2 as the API declares it (loaded from the api workspace, whose dependency it is). */
export async function mysqlQuery<T = Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const { createRequire } = await import('node:module');
  const require = createRequire(join(REPO, 'api/package.json'));
  const mysql = require('mysql2/promise') as typeof import('mysql2/promise');
  const c = await mysql.createConnection(databaseUrl);
  try {
    const [rows] = await c.query(sql, params);
    return rows as T[];
  } finally {
    await c.end();
  }
}
