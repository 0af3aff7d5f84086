/**
 * Graceful shutdown on SIGTERM (what a rollout does to a pod after preStop), on MySQL with Redis
 * fan-out, two replicas on one database as in production. The issue's promise: the API "stops
 * taking orders, finishes in-flight commits, closes sockets with a reconnect hint". SIGTERM goes
 * to replica 1 in the middle of a burst of placeOrder mutations; then:
 *  - every mutation got a committed answer (and that order is in the database with the answered
 *    status) or a refusal (a SHUTTING_DOWN error, the connection refused, or reset before an
 *    answer), and no refused order is in the database: none acknowledged-but-missing;
 *  - every refused order, retried with its ClOrdID on replica 2, lands exactly once, and a retry
 *    of an answered one returns the same order (what a client does after a reconnect);
 *  - /readyz turns 503 (or refuses connections) once draining starts and never comes back;
 *  - the graphql-ws socket hears the execution report of every answered order, then is closed
 *    with 1001 "going away" (the client's cue to reconnect);
 *  - the process exits 0 within SHUTDOWN_GRACE_SECONDS.
 * Needs MariaDB/MySQL and Redis (see .ci/run): under CI missing services fail the test.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { freshDatabaseUrl, MYSQL_SERVER, mysqlQuery, PLACE_ORDER, REDIS_URL, requireService, signUp, startLiveApi, uniqueName, gqlOk, type LiveApi } from './support/api.js';
import { connectGqlWs, type GqlSocket } from './support/gql-ws.js';

const GRACE_SECONDS = 10;
const BURST = 160;
const LANES = 8;
const SIGTERM_AFTER_ANSWERS = 40;

/**
 * KNOWN DEFECT (reported; fix in api/src/server.ts): Apollo Server registers its own SIGTERM and
 * SIGINT handlers unless NODE_ENV=test (option `stopOnTerminationSignals`). On SIGTERM it stops
 * the HTTP server at once (the drain plugin closes the listener and connections), then re-raises
 * SIGTERM with process.kill(); main.ts takes that for a second signal and calls process.exit(1)
 * before app.stop() has closed the WebSockets (they see 1006, not 1001), the order path, the bus
 * and the database. Fix: `new ApolloServer({ ..., stopOnTerminationSignals: false })`.
 * While true, exit code 1 and close code 1006 are tolerated (with a warning); everything else
 * is still checked. Once the API is fixed this test fails and says so: then set it to false.
 */
const APOLLO_SIGNAL_DEFECT = false;

const apis: LiveApi[] = [];
let drop: (() => Promise<void>) | undefined;
let ws: GqlSocket | undefined;
afterAll(async () => {
  ws?.close();
  for (const a of apis) await a.stop(2000);
  await drop?.();
});

type Outcome =
  | { kind: 'ok'; clOrdId: string; id: string; status: string; sentAt: number; doneAt: number }
  | { kind: 'error'; clOrdId: string; code?: string; reason?: string; message: string; sentAt: number; doneAt: number }
  | { kind: 'refused'; clOrdId: string; sentAt: number; doneAt: number }
  | { kind: 'reset'; clOrdId: string; detail: string; sentAt: number; doneAt: number };

const orderInput = (clOrdId: string, i: number) => ({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: (100 + (i % 50) / 100).toFixed(2), quantity: 1, clOrdId });

/** One placeOrder over HTTP/1.1 keep-alive (as nginx's upstream pool sends them), classified. */
async function place(base: string, token: string, clOrdId: string, i: number): Promise<Outcome> {
  const sentAt = Date.now();
  try {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: PLACE_ORDER, variables: { i: orderInput(clOrdId, i) } }),
    });
    const text = await res.text();
    const doneAt = Date.now();
    let body: { data?: { placeOrder?: { id: string; status: string } } | null; errors?: { message: string; extensions?: { code?: string; reason?: string } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'error', clOrdId, message: `HTTP ${res.status} non-JSON: ${text.slice(0, 200)}`, sentAt, doneAt };
    }
    if (body.data?.placeOrder) return { kind: 'ok', clOrdId, id: body.data.placeOrder.id, status: body.data.placeOrder.status, sentAt, doneAt };
    const e = body.errors?.[0];
    return { kind: 'error', clOrdId, code: e?.extensions?.code, reason: e?.extensions?.reason, message: e?.message ?? `HTTP ${res.status}`, sentAt, doneAt };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') return { kind: 'refused', clOrdId, sentAt, doneAt: Date.now() };
    return { kind: 'reset', clOrdId, detail: `${cause?.code ?? ''} ${cause?.message ?? (err as Error).message}`.trim(), sentAt, doneAt: Date.now() };
  }
}

/** GET /readyz on a fresh connection: the status, or the connection error's code. */
function readyz(port: number): Promise<{ at: number; status: number | string }> {
  const at = Date.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ at, status: res.statusCode! }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ at, status: e.code ?? e.message }));
    req.end();
  });
}

describe('graceful shutdown on SIGTERM', () => {
  it('drains: answers or refuses every order (none acknowledged-but-missing), 503, 1001, exit 0 in time', async (ctx) => {
    await requireService(ctx, 'mysql');
    await requireService(ctx, 'redis');
    const db = await freshDatabaseUrl('mysql', MYSQL_SERVER);
    drop = db.drop;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      REDIS_CHANNEL_PREFIX: `live-shutdown-${randomBytes(4).toString('hex')}:`,
      SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
      LOG_LEVEL: 'info',
    };
    const t0 = Date.now();
    const api = await startLiveApi(env);
    const tStart = Date.now() - t0;
    apis.push(api);
    // Replica 2 migrates nothing (replica 1 did): it starts while the test sets up.
    const replica2 = startLiveApi({ ...env, MIGRATE_ON_START: 'false' }).then((a) => (apis.push(a), a));
    const { url: base, port } = api;
    const token = await signUp(base, uniqueName('sd'), 'shutdown-password-1');

    ws = await connectGqlWs(`ws://127.0.0.1:${port}/graphql`, { authorization: `Bearer ${token}` });
    const reports = ws.subscribe('subscription { executionReports { execType order { id clOrdId status } } }');
    // Registered once a probe order's report comes back (through Redis).
    let heard = false;
    for (let i = 0; i < 20 && !heard; i++) {
      const p = await gqlOk<{ placeOrder: { id: string } }>(base, PLACE_ORDER, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '1.00', quantity: 1 } }, token);
      heard = await ws.next(reports, (r) => r.payload.data?.executionReports?.order?.id === p.placeOrder.id, 500).then(() => true, () => false);
    }
    expect(heard, 'the execution-report subscription is live').toBe(true);
    const other = await replica2;
    const tReplica2 = Date.now() - t0;

    // Poll readiness throughout.
    const probes: { at: number; status: number | string }[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        probes.push(await readyz(port));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    // The burst: LANES clients in parallel, each sending its share one after another. Orders are
    // non-crossing bids (they rest as NEW), so the answered status is what the database must hold.
    const outcomes: Outcome[] = [];
    let answered = 0;
    let sigtermAt = 0;
    const lane = async (l: number) => {
      for (let i = l; i < BURST; i += LANES) {
        const o = await place(base, token, `sd-${i}`, i);
        outcomes.push(o);
        if (o.kind === 'ok' && ++answered === SIGTERM_AFTER_ANSWERS) {
          sigtermAt = Date.now();
          api.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, (_, l) => lane(l)));
    const exit = await api.exited;
    polling = false;
    await poller;
    const closed = await ws.closed;

    const count = (k: Outcome['kind']) => outcomes.filter((o) => o.kind === k).length;
    const heardIds = new Set(ws.received.filter((r) => r.id === reports).map((r) => r.payload.data?.executionReports?.order?.clOrdId));
    const summary = {
      sent: outcomes.length, ok: count('ok'), shuttingDown: count('error'), refused: count('refused'), reset: count('reset'),
      exit: { code: exit.code, signal: exit.signal, afterSigtermMs: exit.at - sigtermAt },
      wsClose: { code: closed.code, reason: closed.reason, afterSigtermMs: closed.at - sigtermAt },
      resets: outcomes.filter((o) => o.kind === 'reset').map((o) => `${o.clOrdId} sent +${o.sentAt - sigtermAt} ms: ${o.detail}`),
      readyz: probes.filter((p) => p.at >= sigtermAt - 100).map((p) => `+${p.at - sigtermAt}:${p.status}`).filter((s, i, a) => i === 0 || s.split(':')[1] !== a[i - 1]!.split(':')[1]),
      answeredButReportNotHeard: outcomes.filter((o) => o.kind === 'ok' && !heardIds.has(o.clOrdId)).map((o) => `${o.clOrdId} answered +${o.doneAt - sigtermAt} ms`),
    };
    console.log('[shutdown]', JSON.stringify(summary), JSON.stringify({ readyMs: tStart, replica2ReadyMs: tReplica2, burstDoneMs: Date.now() - t0 }));
    expect(sigtermAt, 'SIGTERM was sent mid-burst').toBeGreaterThan(0);
    // Every order answered before the stop reached the subscriber (through Redis) before its socket closed.
    expect(summary.answeredButReportNotHeard, 'answered orders whose execution report never arrived').toEqual([]);

    // 1. No order acknowledged but missing, none refused but written.
    const rows = await mysqlQuery<{ id: string | number; cl_ord_id: string; status: string }>(db.url, "select id, cl_ord_id, status from orders where cl_ord_id like 'sd-%'");
    const inDb = new Map(rows.map((r) => [r.cl_ord_id, { id: String(r.id), status: r.status }]));
    for (const o of outcomes) {
      if (o.kind === 'ok') expect(inDb.get(o.clOrdId), `${o.clOrdId} was answered ${o.status}`).toEqual({ id: o.id, status: o.status });
      else expect(inDb.has(o.clOrdId), `${o.clOrdId} was refused (${o.kind}) but is in the database`).toBe(false);
      if (o.kind === 'error') expect(`${o.code}/${o.reason}`, o.message).toBe('SERVICE_UNAVAILABLE/SHUTTING_DOWN');
    }
    expect(rows.length, 'every order in the database was answered').toBe(count('ok'));
    expect(count('ok')).toBeGreaterThanOrEqual(SIGTERM_AFTER_ANSWERS);
    expect(count('ok'), 'the API stopped taking orders').toBeLessThan(BURST);

    // 2. Retried with their ClOrdIDs on the other replica, refused orders land exactly once and
    //    answered ones come back unchanged.
    for (let i = 0; i < BURST; i++) {
      const o = outcomes.find((x) => x.clOrdId === `sd-${i}`)!;
      const r = await gqlOk<{ placeOrder: { id: string; status: string } }>(other.url, PLACE_ORDER, { i: orderInput(o.clOrdId, i) }, token);
      if (o.kind === 'ok') expect(r.placeOrder, `retry of answered ${o.clOrdId}`).toMatchObject({ id: o.id, status: o.status });
      else expect(r.placeOrder.status, `retry of refused ${o.clOrdId}`).toBe('NEW');
    }
    const [{ n, distinct }] = (await mysqlQuery<{ n: number; distinct: number }>(db.url, "select count(*) as n, count(distinct cl_ord_id) as `distinct` from orders where cl_ord_id like 'sd-%'")) as [{ n: number; distinct: number }];
    expect({ n: Number(n), distinct: Number(distinct) }).toEqual({ n: BURST, distinct: BURST });

    // 3. Readiness: not ready from draining on, never ready again, not ready while refusing orders.
    const after = probes.filter((p) => p.at > sigtermAt);
    const firstNotReady = after.findIndex((p) => p.status !== 200);
    expect(firstNotReady, '/readyz stopped answering 200 after SIGTERM').toBeGreaterThanOrEqual(0);
    expect(after.slice(firstNotReady).filter((p) => p.status === 200), 'ready again after draining started').toEqual([]);
    const firstRefusal = Math.min(...outcomes.filter((o) => o.kind !== 'ok').map((o) => o.sentAt));
    expect(probes.filter((p) => p.at > firstRefusal + 50 && p.status === 200), 'ready while refusing orders').toEqual([]);

    // 4. In time, and the socket closed no later than the process.
    expect(exit.at - sigtermAt).toBeLessThan(GRACE_SECONDS * 1000);
    expect(closed.at).toBeLessThanOrEqual(exit.at + 100);

    // 5. A clean exit, and the reconnect hint.
    const violations = [
      ...(exit.code === 0 && exit.signal === null ? [] : [`exit code ${exit.code}${exit.signal ? ` (signal ${exit.signal})` : ''}, expected 0`]),
      ...(closed.code === 1001 ? [] : [`WebSocket closed with ${closed.code} "${closed.reason}", expected 1001`]),
    ];
    if (!APOLLO_SIGNAL_DEFECT) {
      expect(violations).toEqual([]);
    } else {
      expect(violations.length, 'the API exits 0 and closes sockets with 1001 now: set APOLLO_SIGNAL_DEFECT = false in this test').toBeGreaterThan(0);
      expect(exit.code, 'the known defect exits 1').toBe(1);
      expect([1001, 1006]).toContain(closed.code);
      console.warn(`[shutdown] KNOWN DEFECT (Apollo Server's own SIGTERM handler, see APOLLO_SIGNAL_DEFECT): ${violations.join('; ')}`);
    }
  });
});
