/**
 * Starts the compiled API (`api/dist/main.js`) as a child process for benchmarks: a real
 * server process, on 127.0.0.1 only, stopped by the caller (and on exit).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repoRoot } from '../src/paths.js';

export { repoRoot };
export const SMALL_CATALOG = join(repoRoot, 'api/test/fixtures/products-small.csv');
export const ADMIN_PASSWORD = 'bench-root-passphrase';

/** Compiles the API once (tsc) unless `--no-build` was given and a build exists. */
export function ensureBuilt(): void {
  if (process.argv.includes('--no-build') && existsSync(join(repoRoot, 'api/dist/main.js'))) return;
  const r = spawnSync('npm', ['run', 'build', '-w', 'api'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error('API build failed');
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolvePort(port));
    });
    s.on('error', reject);
  });
}

export interface ApiProcess {
  readonly url: string;
  readonly port: number;
  /** The production metrics listener's scrape URL (METRICS_PORT: never the app's port). */
  readonly metricsUrl: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** A fresh database URL: a temp SQLite file, or a new MySQL database on the given server. */
export async function freshDatabaseUrl(dialect: 'sqlite' | 'mysql', mysqlServer = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/trading_test'): Promise<{ url: string; drop(): Promise<void> }> {
  if (dialect === 'sqlite') return { url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'trading-bench-')), 'bench.sqlite')}`, drop: async () => {} };
  const mysql = (await import('mysql2/promise')).default;
  const server = new URL(mysqlServer);
  const name = `trading_bench_${randomBytes(4).toString('hex')}`;
  server.pathname = '/';
  const c = await mysql.createConnection(server.toString());
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
  const db = new URL(server);
  db.pathname = `/${name}`;
  return {
    url: db.toString(),
    drop: async () => {
      const d = await mysql.createConnection(server.toString());
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}

/**
 * The environment of a production API process driven by a bench or proof run: loopback, the
 * small catalog, /metrics on a listener of its own, and the per-address budgets (WebSocket,
 * sign-ups) raised, since every simulated client connects from 127.0.0.1.
 */
export function loopbackApiEnv(port: number, metricsPort: number): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    CATALOG_PATH: SMALL_CATALOG,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
    FIX_PORT: '0',
    WEB_DIST: '',
    WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
    WS_MAX_SUBSCRIPTIONS_PER_ADDRESS: '1000000',
    SIGNUP_MAX_PER_ADDRESS: '1000000',
    // A simulated client is one account sending as fast as the server answers: the per-account
    // order rate (a pre-trade check, still applied) is raised past what a run can send.
    ORDER_RATE_PER_SECOND: '1000000',
    // The benches and proof runs trade at fixed prices around 100.00 on catalog symbols whatever
    // their reference prices: the price band (still applied) is widened to 1000% for them.
    RISK_PRICE_BAND_PERCENT: '1000',
    // A/B runs of the order path's worker thread (unset: the default).
    ORDER_PATH_DB_WORKER: process.env.ORDER_PATH_DB_WORKER,
  };
}

/** Starts `node api/dist/main.js` and waits for /readyz (60 s unless `readyTimeoutMs` says otherwise). */
export async function startApi(env: Record<string, string>, { readyTimeoutMs = 60_000 }: { readyTimeoutMs?: number } = {}): Promise<ApiProcess> {
  const port = await freePort();
  const metricsPort = await freePort();
  // Profiling hook, e.g. API_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = process.env.API_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'api/dist/main.js')], {
    cwd: repoRoot,
    env: { ...loopbackApiEnv(port, metricsPort), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`API did not become ready in ${readyTimeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    child,
    stop: async () => {
      process.removeListener('exit', kill);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A GraphQL call over HTTP; throws on errors. */
export async function call<T = Record<string, unknown>>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
