/**
 * The web image's nginx (infra/nginx, templated as the image's entrypoint does) in front of the
 * REAL API: `node api/dist/main.js` on a loopback port (SQLite, small catalog, not serving the
 * client itself), Debian's nginx on another, serving a copy of the built client (web/dist).
 * Through nginx only: the SPA shell and deep links, hashed assets cached immutable and gzipped,
 * security headers, GraphQL queries and mutations, and a graphql-ws subscription over nginx's
 * WebSocket upgrade that hears the execution report and book delta of orders placed through nginx.
 * Under CI=true a missing nginx fails; elsewhere these tests skip with the install hint.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { requireTool, which } from '../lib/tools.js';
import { assemble, forLoopback, NGINX_HINT, nginxTempDir, runNginx, type RunningNginx } from '../lib/nginx.js';
import { WEB_DIST } from './support/build.js';
import { freePort, gql, gqlOk, PLACE_ORDER, signUp, startLiveApi, uniqueName, type LiveApi } from './support/api.js';
import { connectGqlWs, type GqlSocket } from './support/gql-ws.js';

let api: LiveApi | undefined;
let edge: RunningNginx | undefined;
let prefix = '';
let html = '';
let sqliteDir = '';
const sockets: GqlSocket[] = [];

beforeAll(async () => {
  const nginx = which('nginx');
  if (!nginx) return; // each test fails (CI) or skips via requireTool
  sqliteDir = nginxTempDir();
  api = await startLiveApi({ DATABASE_URL: `sqlite:${join(sqliteDir, 'live.sqlite')}`, LOG_LEVEL: 'info' });
  prefix = nginxTempDir();
  // A snapshot of the build: web/dist may be rebuilt by someone else while this runs.
  html = join(prefix, 'html');
  cpSync(WEB_DIST, html, { recursive: true });
  const port = await freePort();
  const conf = assemble(prefix, { API_UPSTREAM: `127.0.0.1:${api.port}`, GRAPHQL_IDE: 'false' }, forLoopback(prefix, port, html));
  edge = await runNginx(nginx, prefix, conf, port);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await edge?.stop();
  await api?.stop();
  for (const d of [prefix, sqliteDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    request(`${edge!.base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject).end();
  });

const expectSecurityHeaders = (h: IncomingHttpHeaders | Headers, what: string) => {
  const header = (n: string) => (h instanceof Headers ? h.get(n) : (h[n] as string | undefined));
  const csp = String(header('content-security-policy'));
  expect(csp, what).toMatch(/default-src 'self'/);
  expect(csp, what).toMatch(/frame-ancestors 'none'/);
  expect(csp, what).toMatch(new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:\\d+ wss://127\\.0\\.0\\.1:\\d+`));
  expect(header('x-content-type-options'), what).toBe('nosniff');
  expect(header('x-frame-options'), what).toBe('DENY');
  expect(header('referrer-policy'), what).toBe('strict-origin-when-cross-origin');
};

describe('nginx in front of the real API', () => {
  it('serves the built SPA: index and deep links uncached, with security headers', async (ctx) => {
    requireTool(ctx, 'nginx', NGINX_HINT);
    const index = readFileSync(join(html, 'index.html'), 'utf8');
    expect(index).toContain('<div id="app">');
    for (const path of ['/', '/index.html', '/quotes', '/orders/42', '/portfolio?tab=holdings']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type'], path).toMatch(/^text\/html/);
      expect(r.body.toString(), `${path} is the SPA shell`).toBe(index);
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expectSecurityHeaders(r.headers, path);
    }
  });

  it('serves every asset the shell references, hashed, immutable for a year, gzip-compressed', async (ctx) => {
    requireTool(ctx, 'nginx', NGINX_HINT);
    const index = readFileSync(join(html, 'index.html'), 'utf8');
    const refs = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length, 'the shell loads its scripts and styles from /assets').toBeGreaterThan(0);
    let gzipped = 0;
    for (const ref of refs) {
      expect(ref, 'Vite hashes asset names').toMatch(/-[\w-]{8}\.(js|css)$/);
      const file = readFileSync(join(html, ref));
      const r = await get(ref, { 'accept-encoding': 'gzip' });
      expect(r.status, ref).toBe(200);
      expect(r.headers['cache-control'], ref).toBe('public, max-age=31536000, immutable');
      expect(r.headers['content-type'], ref).toMatch(ref.endsWith('.css') ? /^text\/css/ : /^application\/javascript/);
      expectSecurityHeaders(r.headers, ref);
      if (file.length >= 1024) {
        expect(r.headers['content-encoding'], `${ref} (${file.length} bytes)`).toBe('gzip');
        expect(r.headers.vary, ref).toMatch(/Accept-Encoding/i);
        expect(gunzipSync(r.body).equals(file), ref).toBe(true);
        gzipped++;
      } else {
        expect(r.body.equals(file), ref).toBe(true);
      }
    }
    expect(gzipped, 'the main bundle is large enough to be compressed').toBeGreaterThan(0);
    // Lazy route chunks are served the same way.
    const lazy = readdirSync(join(html, 'assets')).find((f) => f.endsWith('.js') && !refs.includes(`/assets/${f}`));
    if (lazy) expect((await get(`/assets/${lazy}`)).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get('/assets/app-00000000.js')).status, 'a missing asset is a 404, not the SPA shell').toBe(404);
  });

  it('proxies GraphQL queries and mutations to the API, with a request id the API logs', async (ctx) => {
    requireTool(ctx, 'nginx', NGINX_HINT);
    const base = edge!.base;
    const q = await gql<{ product: { symbol: string } | null; products: { nodes: { symbol: string }[] } }>(base, '{ product(symbol: "AAPL") { symbol } products(first: 20) { nodes { symbol } } }');
    expect(q.status).toBe(200);
    expect(q.errors).toBeUndefined();
    expect(q.data!.product).toEqual({ symbol: 'AAPL' });
    expect(q.data!.products.nodes.map((n) => n.symbol)).toEqual(expect.arrayContaining(['AAPL', 'MSFT', 'TSLA']));
    expect(q.headers.get('cache-control')).toBe('no-store');
    expectSecurityHeaders(q.headers, '/graphql');

    const user = uniqueName('edge');
    const token = await signUp(base, user, 'edge-password-1');
    const placed = await gqlOk<{ placeOrder: { id: string; status: string } }>(base, PLACE_ORDER, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '100.00', quantity: 3 } }, token);
    expect(placed.placeOrder.status).toBe('NEW');
    const me = await gqlOk<{ me: { username: string }; myOrders: { nodes: { id: string }[] } }>(base, '{ me { username } myOrders(first: 5) { nodes { id } } }', {}, token);
    expect(me.me.username).toBe(user);
    expect(me.myOrders.nodes.map((o) => o.id)).toContain(placed.placeOrder.id);
    const bad = await gql(base, PLACE_ORDER, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '100.001', quantity: 3 } }, token);
    expect(bad.errors?.[0]?.extensions?.reason, 'a coded error passes through nginx unchanged').toBe('PRICE_OFF_TICK');

    // nginx sets X-Request-Id ($request_id: 32 hex digits); the API uses it as the log line's reqId.
    // Both placeOrders (the answered one and the refused one) are logged once their answer is sent.
    const placeLogs = () =>
      api!.stdout
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { component?: string; reqId?: string; operation?: string })
        .filter((o) => o.component === 'graphql' && o.operation === 'placeOrder');
    await expect.poll(() => placeLogs().length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(2);
    for (const o of placeLogs()) expect(o.reqId, 'reqId from nginx').toMatch(/^[0-9a-f]{32}$/);
  });

  it('carries a graphql-ws subscription through the WebSocket upgrade: live report and book delta', async (ctx) => {
    requireTool(ctx, 'nginx', NGINX_HINT);
    const base = edge!.base;
    const maker = await signUp(base, uniqueName('mk'), 'maker-password-1');
    const taker = await signUp(base, uniqueName('tk'), 'taker-password-1');
    const ws = await connectGqlWs(`${base.replace('http', 'ws')}/graphql`, { authorization: `Bearer ${taker}` });
    sockets.push(ws);
    expect(ws.ws.protocol).toBe('graphql-transport-ws');
    const reports = ws.subscribe('subscription { executionReports { execType lastQty order { id status } } }');
    const book = ws.subscribe('subscription($s: String!) { orderBook(symbol: $s) { kind seq prevSeq bids { price quantity } asks { price quantity } } }', { s: 'TSLA' });
    const snapshot = await ws.next(book, (r) => r.payload.data?.orderBook?.kind === 'SNAPSHOT');
    const snapSeq = Number(snapshot.payload.data.orderBook.seq);

    // The reports subscription is registered once one of the taker's own orders is heard
    // (an order placed before that would be missed, so keep placing harmless ones until then).
    let heard = false;
    for (let i = 0; i < 20 && !heard; i++) {
      const probe = await gqlOk<{ placeOrder: { id: string } }>(base, PLACE_ORDER, { i: { symbol: 'SPY', side: 'BUY', type: 'LIMIT', price: '1.00', quantity: 1 } }, taker);
      heard = await ws.next(reports, (r) => r.payload.data?.executionReports?.order?.id === probe.placeOrder.id, 500).then(() => true, () => false);
    }
    expect(heard, 'an execution report arrives through nginx').toBe(true);

    // A resting ask from the maker: the taker's book subscription hears the delta.
    const ask = await gqlOk<{ placeOrder: { id: string; status: string } }>(base, PLACE_ORDER, { i: { symbol: 'TSLA', side: 'SELL', type: 'LIMIT', price: '250.00', quantity: 5 } }, maker);
    expect(ask.placeOrder.status).toBe('NEW');
    const delta = await ws.next(book, (r) => r.payload.data?.orderBook?.kind === 'DELTA');
    expect(Number(delta.payload.data.orderBook.prevSeq), 'no gap after the snapshot').toBe(snapSeq);
    expect(delta.payload.data.orderBook.asks).toContainEqual({ price: '250.00', quantity: 5 });

    // The taker crosses it through nginx: its report says TRADE, filled.
    const bid = await gqlOk<{ placeOrder: { id: string; status: string } }>(base, PLACE_ORDER, { i: { symbol: 'TSLA', side: 'BUY', type: 'LIMIT', price: '250.00', quantity: 5 } }, taker);
    expect(bid.placeOrder.status).toBe('FILLED');
    const trade = await ws.next(reports, (r) => r.payload.data?.executionReports?.order?.id === bid.placeOrder.id && r.payload.data.executionReports.execType === 'TRADE');
    expect(trade.payload.data.executionReports).toMatchObject({ lastQty: 5, order: { status: 'FILLED' } });
    await ws.next(book, (r) => r.payload.data?.orderBook?.kind === 'DELTA' && r.payload.data.orderBook.asks.some((a: { price: string; quantity: number }) => a.price === '250.00' && a.quantity === 0));
    expect(ws.received.filter((r) => r.payload.errors)).toEqual([]);
  });

  it('passes /healthz to the API and keeps /metrics and /readyz internal', async (ctx) => {
    requireTool(ctx, 'nginx', NGINX_HINT);
    const h = await get('/healthz');
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body.toString())).toEqual({ status: 'ok' });
    expect((await get('/metrics')).status).toBe(404);
    expect((await get('/readyz')).status).toBe(404);
    expect(edge!.stderr(), 'nginx logged no errors').not.toMatch(/\[(error|crit|alert|emerg)\]/);
  });
});
