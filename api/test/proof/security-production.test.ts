/**
 * Production defaults (security issue, class 6): what a production process shows an outsider
 * and what it writes down. The in-process apps of the other suites run with NODE_ENV=test; this
 * one runs the real production configuration, with its log lines captured.
 *
 * - The schema is not for the public: no introspection and no "Did you mean …?" field
 *   suggestions, over HTTP and over the WebSocket.
 * - /metrics is never answered on the app's port; it has a listener of its own.
 * - Every answer carries the security headers (CSP with frame-ancestors, nosniff, Referrer-Policy).
 * - An internal error tells the client "Internal server error." and nothing else, and is logged
 *   at error level with its stack; an admin action is logged with its target and new value; an
 *   oversized WebSocket frame is one structured line.
 * - The SQLite file (password and session hashes) is readable by its owner only.
 */
import { describe, it, expect, beforeAll, afterAll, onTestFinished } from 'vitest';
import { statSync } from 'node:fs';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type App } from '../../src/app.js';
import { freshDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, SMALL_CATALOG } from '../support/app.js';
import { gql, ok, LOGIN, SIGN_UP } from '../support/gql.js';
import { wsClient } from '../support/ws.js';

interface LogLine {
  level: string;
  component?: string;
  event?: string;
  msg: string;
  [k: string]: unknown;
}

let app: App;
let url: string;
let base: string;
let sqlitePath: string;
const logs: LogLine[] = [];

beforeAll(async () => {
  const db = await freshDatabase('sqlite');
  sqlitePath = db.url.slice('sqlite:'.length);
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
    DATABASE_URL: db.url,
    CATALOG_PATH: SMALL_CATALOG,
    ADMIN_PASSWORD,
    FIX_ENABLED: 'false',
    WEB_DIST: '',
    LOG_LEVEL: 'info',
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  app = await startApp(config, createLogger(config.LOG_LEVEL, sink));
  base = `http://127.0.0.1:${app.port}`;
  url = `${base}/graphql`;
});

afterAll(async () => {
  await app?.stop();
});

/** Runs one operation over graphql-ws and returns its errors (or data). */
async function overSocket(query: string, token?: string): Promise<{ data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const client = wsClient(url, token);
  try {
    return await new Promise((resolve) => {
      let result: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } = {};
      client.subscribe(
        { query },
        {
          next: (v) => (result = v as typeof result),
          error: (e) => resolve({ errors: Array.isArray(e) ? e : [{ message: String((e as Error).message ?? e) }] }),
          complete: () => resolve(result),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('the schema is not published in production', () => {
  it('refuses introspection over HTTP and over the WebSocket', async () => {
    const http = await gql(url, '{ __schema { types { name } } }');
    expect(http.data ?? null).toBeNull();
    expect(http.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(http.errors?.[0]?.message).toMatch(/introspection/i);
    const ws = await overSocket('{ __schema { types { name } } }');
    expect(ws.data ?? null).toBeNull();
    expect(ws.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('suggests no field names in validation errors, over HTTP and over the WebSocket', async () => {
    const http = await gql(url, '{ product(symbol: "AAPL") { symbl } }');
    expect(http.errors?.[0]?.message).toMatch(/Cannot query field "symbl"/);
    expect(http.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const ws = await overSocket('{ product(symbol: "AAPL") { symbl } }');
    expect(ws.errors?.[0]?.message).toMatch(/Cannot query field "symbl"/);
    expect(ws.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});

describe('/metrics', () => {
  it('is not answered on the app port, only on its own listener', async () => {
    const onApp = await fetch(`${base}/metrics`);
    expect(onApp.status).toBe(404);
    expect(await onApp.text()).not.toMatch(/trading_/);
    expect(app.server.metricsPort).toBeGreaterThan(0);
    expect(app.server.metricsPort).not.toBe(app.port);
    const own = await fetch(`http://127.0.0.1:${app.server.metricsPort}/metrics`);
    expect(own.status).toBe(200);
    expect(await own.text()).toMatch(/^trading_ws_connections \d+/m);
    expect((await fetch(`http://127.0.0.1:${app.server.metricsPort}/graphql`)).status).toBe(404);
  });
});

describe('security headers', () => {
  it.each(['/graphql', '/healthz', '/readyz', '/no-such-page'])('are on %s', async (path) => {
    const r = path === '/graphql' ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }) : await fetch(`${base}${path}`);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${app.port} wss://127\\.0\\.0\\.1:${app.port}`));
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  });
});

describe('internal errors', () => {
  it('tell the client nothing but the code, and are logged at error level with their stack (HTTP and WebSocket)', async () => {
    const products = app.services.products;
    const original = products.get.bind(products);
    products.get = async () => {
      throw new Error('secret detail: table products is on fire');
    };
    const { login } = await ok<{ login: { token: string } }>(url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD });
    try {
      const http = await gql(url, '{ product(symbol: "AAPL") { symbol } }');
      const ws = await overSocket('{ product(symbol: "AAPL") { symbol } }', login.token);
      for (const r of [http, ws]) {
        const e = r.errors?.[0];
        expect(e?.message).toBe('Internal server error.');
        expect(e?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
        expect(JSON.stringify(r)).not.toMatch(/secret detail|stacktrace|at .*\.ts/);
      }
      const logged = logs.filter((l) => l.level === 'error' && JSON.stringify(l.err ?? '').includes('secret detail'));
      expect(logged.map((l) => l.component).sort()).toEqual(['graphql', 'realtime']);
      for (const l of logged) expect((l.err as { stack?: string }).stack).toMatch(/secret detail[\s\S]*\n\s+at /);
    } finally {
      products.get = original;
    }
  });
});

describe('security log', () => {
  it('records an admin action with its actor, target and new value', async () => {
    const admin = await ok<{ login: { token: string } }>(url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD });
    const bob = await ok<{ signUp: { user: { id: string } } }>(url, SIGN_UP, { u: 'prod-bob', p: 'a long passphrase for bob' });
    await ok(url, 'mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { role } }', { id: bob.signUp.user.id }, admin.login.token);
    const line = logs.find((l) => l.event === 'admin_action' && l.action === 'setUserRole');
    expect(line).toMatchObject({ level: 'info', component: 'audit', actor: 'admin', outcome: 'ok', args: { userId: bob.signUp.user.id, role: 'SUPPORT' } });
    expect(JSON.stringify(logs)).not.toContain(ADMIN_PASSWORD);
  });

  it('records a WebSocket frame above the size limit as one structured line, and nothing unstructured', async () => {
    const printed: unknown[][] = [];
    const console_error = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    onTestFinished(() => void (console.error = console_error));
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((r, j) => socket.once('open', r).once('error', j));
    const closed = new Promise<number>((r) => socket.once('close', (code) => r(code)));
    socket.send('x'.repeat(app.services.config.WS_MAX_PAYLOAD + 1));
    expect(await closed).toBe(1009);
    await expect.poll(() => logs.filter((l) => l.event === 'ws_frame_too_large').length).toBe(1);
    const line = logs.find((l) => l.event === 'ws_frame_too_large')!;
    expect(line).toMatchObject({ level: 'warn', component: 'realtime', address: '127.0.0.1', limitBytes: app.services.config.WS_MAX_PAYLOAD });
    expect(line.stack ?? (line.err as { stack?: string } | undefined)?.stack).toBeUndefined();
    expect(printed).toEqual([]);
  });
});

describe('the SQLite file', () => {
  it('is readable and writable by its owner only', () => {
    expect(statSync(sqlitePath).mode & 0o777).toBe(0o600);
    for (const f of [`${sqlitePath}-wal`, `${sqlitePath}-shm`]) {
      try {
        expect(statSync(f).mode & 0o077, f).toBe(0);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  });
});
