/**
 * A graceful stop (SIGTERM) delivers what was committed before it closes the sockets: a taker
 * sweeps 150 resting orders in one commit, the app is stopped as soon as the taker has its
 * answer, and the subscribers still get every trade on the tape and every one of the maker's
 * fills before their socket closes with 1001 (going away). Then the same with two replicas on
 * MySQL and Redis: the stopping replica's own subscribers hear what it committed (it comes back
 * through Redis, so the stop waits for that), and so do the other replica's.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { startReplica, startTestApp, type TestApp } from '../support/app.js';
import { widenCatalogBands } from '../support/trading.js';
import { mysqlReachable, redisReachable, REDIS_URL } from '../support/databases.js';
import { startDelayProxy, type DelayProxy } from '../support/delay-proxy.js';
import { ok, PLACE, trader } from '../support/gql.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';

const EXEC = `subscription { executionReports { execType order { id } } }`;
const TRADES_SUB = `subscription($s: String!) { trades(symbol: $s) { tradeId } }`;
const RESTING = 150;

describe('graceful stop', () => {
  let t: TestApp;
  const clients: Client[] = [];
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await widenCatalogBands(t.app); // prices here are far from the catalog references
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.dispose();
  });

  it('delivers every trade and fill committed before the stop, then closes the sockets with 1001', async () => {
    const maker = await trader(t.url, 'shutdown-maker');
    const taker = await trader(t.url, 'shutdown-taker');
    const closes: number[] = [];
    const client = (token?: string) => {
      const c = wsClient(t.url, token, { on: { closed: (e) => void closes.push((e as { code: number }).code) } });
      clients.push(c);
      return c;
    };
    const tape = subscribe<{ tradeId: string }>(client(), TRADES_SUB, { s: 'AAPL' });
    const fills = subscribe<{ execType: string }>(client(maker.token), EXEC);
    const count = async (topic: string) => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
    await serverSubscribed(() => count('trades'), 1);
    await serverSubscribed(() => count('executionReports'), 1);

    for (let i = 0; i < RESTING; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, () => ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '100.00', quantity: 1 } }, maker.token)),
      );
    }
    const sweep = await ok<{ placeOrder: { status: string } }>(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '100.00', quantity: RESTING } }, taker.token);
    expect(sweep.placeOrder.status).toBe('FILLED');
    await t.stop();

    expect(tape.values).toHaveLength(RESTING);
    expect(fills.values.filter((v) => v.execType === 'TRADE')).toHaveLength(RESTING);
    expect(closes).toEqual([1001, 1001]);
  });
});

const replicasReady = (await mysqlReachable()) && (await redisReachable());

describe.skipIf(!replicasReady)('graceful stop of one replica of two (MySQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let slowRedis: DelayProxy;
  const clients: Client[] = [];
  beforeAll(async () => {
    // Replica A hears Redis 300 ms late: its commits are still on their way back to its own
    // subscribers when it is told to stop.
    const redis = new URL(REDIS_URL);
    slowRedis = await startDelayProxy({ host: redis.hostname, port: Number(redis.port || 6379) }, 300);
    const viaProxy = new URL(REDIS_URL);
    viaProxy.port = String(slowRedis.port);
    const prefix = `test-stop-${randomBytes(4).toString('hex')}:`;
    a = await startTestApp('mysql', { REDIS_URL: viaProxy.toString(), REDIS_CHANNEL_PREFIX: prefix });
    await widenCatalogBands(a.app); // prices here are far from the catalog references
    b = await startReplica(a, { REDIS_URL, REDIS_CHANNEL_PREFIX: prefix });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await b?.stop();
    await a?.dispose();
    await slowRedis?.close();
  });

  it('delivers what the stopping replica committed to its own subscribers (through Redis) and to the other replica', async () => {
    const maker = await trader(a.url, 'rstop-maker');
    const taker = await trader(a.url, 'rstop-taker');
    const closes: number[] = [];
    const client = (url: string, token?: string, onClose = false) => {
      const c = wsClient(url, token, onClose ? { on: { closed: (e) => void closes.push((e as { code: number }).code) } } : {});
      clients.push(c);
      return c;
    };
    const count = (app: TestApp) => async (topic: string) => (await app.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
    const tapeOnA = subscribe<{ tradeId: string }>(client(a.url, undefined, true), TRADES_SUB, { s: 'AAPL' });
    const fillsOnA = subscribe<{ execType: string }>(client(a.url, maker.token, true), EXEC);
    const tapeOnB = subscribe<{ tradeId: string }>(client(b.url), TRADES_SUB, { s: 'AAPL' });
    const fillsOnB = subscribe<{ execType: string }>(client(b.url, maker.token), EXEC);
    await serverSubscribed(() => count(a)('trades'), 1);
    await serverSubscribed(() => count(a)('executionReports'), 1);
    await serverSubscribed(() => count(b)('trades'), 1);
    await serverSubscribed(() => count(b)('executionReports'), 1);

    for (let i = 0; i < RESTING; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, () => ok(a.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '100.00', quantity: 1 } }, maker.token)),
      );
    }
    const sweep = await ok<{ placeOrder: { status: string } }>(a.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '100.00', quantity: RESTING } }, taker.token);
    expect(sweep.placeOrder.status).toBe('FILLED');
    await a.stop();

    // Replica A's sockets closed only after all of it had come back through Redis.
    expect(tapeOnA.values).toHaveLength(RESTING);
    expect(fillsOnA.values.filter((v) => v.execType === 'TRADE')).toHaveLength(RESTING);
    expect(closes).toEqual([1001, 1001]);
    // Replica B keeps running and hears all of it.
    await tapeOnB.waitFor(RESTING, 15_000);
    await fillsOnB.waitUntil(() => fillsOnB.values.filter((v) => v.execType === 'TRADE').length === RESTING, 15_000);
    expect(tapeOnB.values).toHaveLength(RESTING);
  });
});
