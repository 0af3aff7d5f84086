/**
 * A kill switch used on one replica cancels orders another replica took, and every replica's
 * book and subscribers follow: the cancels go through the order path (per-symbol sequencing,
 * journal) and their reports over the bus.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, startTestApp, WIDE_BAND, type TestApp } from '../support/app.js';
import { IN_CI, mysqlReachable, redisReachable, REDIS_URL } from '../support/databases.js';
import { ok, PLACE, trader } from '../support/gql.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';

const ready = (await mysqlReachable()) && (await redisReachable());

describe.skipIf(!ready && !IN_CI)('kill switches across two replicas on one MySQL and one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  const sockets: Client[] = [];

  beforeAll(async () => {
    if (!ready) throw new Error('MySQL and Redis are needed (CI does not skip this test).');
    const env = { ...WIDE_BAND, REDIS_URL, REDIS_CHANNEL_PREFIX: `ks-${randomBytes(4).toString('hex')}:` };
    a = await startTestApp('mysql', env);
    b = await startReplica(a, env);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await b?.stop();
    await a?.dispose();
  });

  it('cancels on replica B the orders replica A took; A’s book, journal replay and subscribers agree', async () => {
    const u = await trader(a.url, 'ks-replica');
    const other = await trader(a.url, 'ks-replica-other');
    const place = (url: string, token: string, price: string) =>
      ok(url, PLACE, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price, quantity: 2 } }, token);
    for (const p of ['401.00', '402.00', '403.00']) await place(a.url, u.token, p);
    await place(a.url, other.token, '400.00');

    const ws = wsClient(a.url, u.token);
    sockets.push(ws);
    const reports = subscribe(ws, 'subscription { executionReports { execType reason order { id } } }');
    await serverSubscribed(async () => (await a.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'executionReports')?.value ?? 0, 1);

    expect((await ok(b.url, 'mutation { cancelAllOrders }', {}, u.token)).cancelAllOrders).toBe(3);
    // A hears the three reports from B over the bus.
    expect((await reports.waitFor(3)).map((r) => `${r.execType}:${r.reason}`)).toEqual(Array(3).fill('CANCELED:MASS_CANCEL'));
    // A's own book (kept warm from the journal entries on the bus) holds only the other account's bid.
    await a.app.services.path.syncBook('MSFT');
    const depth = a.app.services.engine.book('MSFT').depth(10);
    expect(depth.bids.map((l) => [l.price, l.qty])).toEqual([[40000, 2]]);
    expect(a.app.services.engine.book('MSFT').seq).toBe(b.app.services.engine.book('MSFT').seq);
    expect(a.app.services.engine.book('MSFT').stateHash()).toBe(b.app.services.engine.book('MSFT').stateHash());
  });
});
