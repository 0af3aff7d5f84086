/**
 * A graceful stop (SIGTERM) delivers what was committed before it closes the sockets: a taker
 * sweeps 150 resting orders in one commit, the app is stopped as soon as the taker has its
 * answer, and the subscribers still get every trade on the tape and every one of the maker's
 * fills before their socket closes with 1001 (going away).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { startTestApp, type TestApp } from '../support/app.js';
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
