/**
 * The web image's nginx configuration, checked with Debian's nginx (`apt-get install nginx`;
 * .ci/run installs it):
 *  1. `nginx -t` on the config as the image assembles it (main config, snippets, and the server
 *     block rendered from its template the way the image's entrypoint does), upstream set.
 *  2. nginx actually serving a stand-in client build, in front of a stand-in API on loopback:
 *     SPA fallback, cache and security headers, gzip, the /graphql proxy for HTTP and for a
 *     graphql-transport-ws WebSocket, internal endpoints hidden.
 * The same paths in front of the real API (compiled, on loopback) are checked by
 * live/nginx-api.test.ts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { INFRA, requireTool, run, runOk, which } from './lib/tools.js';
import { assemble, forLoopback, NGINX_HINT as HINT, nginxTempDir, noStdoutLog, runNginx, type RunningNginx } from './lib/nginx.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = nginxTempDir();
  dirs.push(d);
  return d;
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

it('nginx -t accepts the configuration with the upstream substituted', (ctx) => {
  const nginx = requireTool(ctx, 'nginx', HINT);
  const prefix = tempDir();
  const conf = assemble(prefix, { API_UPSTREAM: '127.0.0.1:4000', GRAPHQL_IDE: 'false' }, noStdoutLog(prefix));
  const r = run(nginx, ['-t', '-p', prefix, '-c', conf, '-e', 'stderr']);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/syntax is ok/);
  expect(r.stderr).toMatch(/test is successful/);
});

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as AddressInfo).port; s.close(() => resolve(p)); });
});

describe('nginx in front of a stand-in API', () => {
  let running: RunningNginx | undefined;
  let upstream: Server | undefined;
  let wss: WebSocketServer | undefined;
  let base = '';
  let lastUpstreamHeaders: IncomingHttpHeaders = {};
  const bigJs = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

  beforeAll(async () => {
    const nginx = which('nginx');
    if (!nginx) return; // each test below then fails (CI) or skips via requireTool
    upstream = createServer((req, res) => {
      lastUpstreamHeaders = req.headers;
      if (req.url === '/healthz') { res.setHeader('content-type', 'application/json'); res.end('{"status":"ok"}'); return; }
      if (req.url === '/graphql') { res.setHeader('content-type', 'application/json'); res.end('{"data":{"ping":"pong"}}'); return; }
      res.statusCode = 500; res.end('stand-in API: unexpected path ' + req.url);
    });
    wss = new WebSocketServer({ server: upstream, path: '/graphql', handleProtocols: (p) => (p.has('graphql-transport-ws') ? 'graphql-transport-ws' : false) });
    wss.on('connection', (ws, req) => {
      lastUpstreamHeaders = req.headers;
      ws.on('message', (m) => ws.send(String(m)));
    });
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    const apiPort = (upstream.address() as AddressInfo).port;

    const prefix = tempDir();
    const html = join(prefix, 'html');
    mkdirSync(join(html, 'assets'), { recursive: true });
    writeFileSync(join(html, 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(html, 'graphiql.html'), '<!doctype html><div id="graphiql"></div>');
    writeFileSync(join(html, 'assets', 'index-3f9a1c2b.js'), bigJs);
    const port = await freePort();
    const conf = assemble(prefix, { API_UPSTREAM: `127.0.0.1:${apiPort}`, GRAPHQL_IDE: 'false' }, forLoopback(prefix, port, html));
    running = await runNginx(nginx, prefix, conf, port);
    base = running.base;
  });

  afterAll(async () => {
    await running?.stop();
    wss?.close();
    await new Promise((r) => (upstream ? upstream.close(r) : r(undefined)));
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      request(`${base}${path}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });

  const expectSecurityHeaders = (h: IncomingHttpHeaders) => {
    const csp = String(h['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['x-frame-options']).toBe('DENY');
    expect(h['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(h.server).toBe('nginx'); // no version
  };

  it('serves the SPA shell, uncached, with security headers', async (ctx) => {
    requireTool(ctx, 'nginx', HINT);
    for (const path of ['/', '/index.html', '/orders/42', '/admin/products?page=2']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.body.toString(), path).toContain('<div id="app">');
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expectSecurityHeaders(r.headers);
    }
  });

  it('serves hashed assets with a year-long immutable cache, gzip-compressed', async (ctx) => {
    requireTool(ctx, 'nginx', HINT);
    const r = await get('/assets/index-3f9a1c2b.js', { 'accept-encoding': 'gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(r.body).toString()).toBe(bigJs);
    expectSecurityHeaders(r.headers);
    const missing = await get('/assets/index-00000000.js');
    expect(missing.status, 'a missing asset is a 404, not the SPA shell').toBe(404);
  });

  it('proxies GraphQL over HTTP with forwarding headers', async (ctx) => {
    requireTool(ctx, 'nginx', HINT);
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ping}"}' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { ping: 'pong' } });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(lastUpstreamHeaders['x-forwarded-for']).toBe('127.0.0.1');
    expect(lastUpstreamHeaders['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(lastUpstreamHeaders['x-forwarded-proto']).toBe('http');
  });

  it('proxies the graphql-ws WebSocket (subprotocol graphql-transport-ws) on /graphql', async (ctx) => {
    requireTool(ctx, 'nginx', HINT);
    const ws = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    try {
      const echoed = await new Promise<string>((resolve, reject) => {
        ws.once('open', () => ws.send('{"type":"connection_init"}'));
        ws.once('message', (m) => resolve(String(m)));
        ws.once('error', reject);
      });
      expect(ws.protocol).toBe('graphql-transport-ws');
      expect(echoed).toBe('{"type":"connection_init"}');
      expect(String(lastUpstreamHeaders.upgrade).toLowerCase()).toBe('websocket');
      expect(lastUpstreamHeaders['sec-websocket-protocol']).toBe('graphql-transport-ws');
    } finally {
      ws.terminate();
    }
  });

  it('does not serve the GraphQL IDE page when GRAPHQL_IDE is false (the image default)', async (ctx) => {
    requireTool(ctx, 'nginx', HINT);
    const r = await get('/graphiql.html');
    expect(r.status).toBe(404);
    expect(r.body.toString()).not.toContain('graphiql');
  });

  it('passes /healthz through, hides /metrics and /readyz, answers its own health', async (ctx) => {
    requireTool(ctx, 'nginx', HINT);
    const h = await get('/healthz');
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body.toString())).toEqual({ status: 'ok' });
    expect((await get('/metrics')).status).toBe(404);
    expect((await get('/readyz')).status).toBe(404);
    const own = await get('/nginx-healthz');
    expect(own.status).toBe(200);
    expect(own.body.toString()).toBe('ok\n');
  });
});

it('the image entrypoint guard refuses to start without API_UPSTREAM', (ctx) => {
  const sh = requireTool(ctx, 'sh', 'a POSIX shell');
  const script = join(INFRA, 'nginx/05-require-api-upstream.sh');
  expect(existsSync(script)).toBe(true);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  expect(() => runOk(sh, [script], { env })).toThrow(/API_UPSTREAM is not set/);
  runOk(sh, [script], { env: { ...env, API_UPSTREAM: 'api:4000' } });
});

it('serves the GraphQL IDE page, with the security headers, when GRAPHQL_IDE is true', async (ctx) => {
  const nginx = requireTool(ctx, 'nginx', HINT);
  const prefix = nginxTempDir();
  const html = join(prefix, 'html');
  mkdirSync(html, { recursive: true });
  writeFileSync(join(html, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(join(html, 'graphiql.html'), '<!doctype html><div id="graphiql"></div>');
  const port = await freePort();
  const conf = assemble(prefix, { API_UPSTREAM: '127.0.0.1:1', GRAPHQL_IDE: 'true' }, forLoopback(prefix, port, html));
  const running = await runNginx(nginx, prefix, conf, port);
  try {
    const r = await fetch(`${running.base}/graphiql.html`);
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('id="graphiql"');
    expect(r.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  } finally {
    await running.stop();
    rmSync(prefix, { recursive: true, force: true });
  }
});
