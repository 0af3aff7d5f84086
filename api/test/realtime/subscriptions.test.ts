import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { widenCatalogBands } from '../support/trading.js';
import { ok, gql, PLACE, CANCEL, BOOK, trader } from '../support/gql.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';
import type { Client } from 'graphql-ws';

const EXEC = `subscription { executionReports { execId execType lastQty lastPx tradeId reason order { id status cumQty leavesQty avgPx } } }`;
const BOOK_SUB = `subscription($s: String!, $d: Int) { orderBook(symbol: $s, depth: $d) { symbol kind seq prevSeq bids { price quantity orderCount } asks { price quantity orderCount } } }`;
const TRADES_SUB = `subscription($s: String!) { trades(symbol: $s) { tradeId price quantity aggressorSide } }`;
const QUOTES_SUB = `subscription($s: [String!]!) { quotes(symbols: $s) { symbol last bid ask } }`;
const ORDERS_SUB = `subscription($s: String) { orderUpdates(symbol: $s) { id status symbol mine } }`;

type Level = { price: string; quantity: number; orderCount: number };
type BookUpdate = { kind: string; seq: number; prevSeq: number; bids: Level[]; asks: Level[] };

/** Applies snapshot + deltas the way a client must; throws on a sequence gap. */
function replay(updates: BookUpdate[]): { seq: number; bids: Level[]; asks: Level[] } {
  let state = { seq: -1, bids: new Map<string, Level>(), asks: new Map<string, Level>() };
  for (const u of updates) {
    if (u.kind === 'SNAPSHOT') {
      state = { seq: u.seq, bids: new Map(u.bids.map((l) => [l.price, l])), asks: new Map(u.asks.map((l) => [l.price, l])) };
      continue;
    }
    if (u.prevSeq !== state.seq) throw new Error(`gap: prevSeq ${u.prevSeq} after ${state.seq}`);
    for (const [side, levels] of [['bids', u.bids], ['asks', u.asks]] as const) {
      for (const l of levels) {
        if (l.quantity === 0) state[side].delete(l.price);
        else state[side].set(l.price, l);
      }
    }
    state.seq = u.seq;
  }
  const sorted = (m: Map<string, Level>, desc: boolean) => [...m.values()].sort((a, b) => (desc ? 1 : -1) * (Number(b.price) - Number(a.price)));
  return { seq: state.seq, bids: sorted(state.bids, true), asks: sorted(state.asks, false) };
}

describe('subscriptions', () => {
  let t: TestApp;
  const clients: Client[] = [];
  const subs = (topic: string) => async () =>
    (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { WS_MAX_SUBSCRIPTIONS: '3', WS_MAX_CONNECTIONS_PER_USER: '2', WS_MAX_PAYLOAD: '4096' });
    // Prices here straddle TSLA's band edge: the catalog's bands are widened (risk.test.ts tests the default).
    await widenCatalogBands(t.app);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.dispose();
  });
  const client = (token?: string) => {
    const c = wsClient(t.url, token);
    clients.push(c);
    return c;
  };

  it('delivers fills to both sides as execution reports', async () => {
    const a = await trader(t.url, 'maker1');
    const b = await trader(t.url, 'taker1');
    const ea = subscribe(client(a.token), EXEC);
    const eb = subscribe(client(b.token), EXEC);
    await serverSubscribed(subs('executionReports'), 2);
    const sell = await ok(t.url, PLACE, { i: { symbol: 'MSFT', side: 'SELL', type: 'LIMIT', price: '236.00', quantity: 10 } }, a.token);
    await ok(t.url, PLACE, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '237.00', quantity: 4 } }, b.token);
    const makerFill = await ea.waitUntil((r) => r.execType === 'TRADE');
    expect(makerFill).toMatchObject({ lastQty: 4, lastPx: '236.00', order: { id: sell.placeOrder.id, status: 'PARTIALLY_FILLED', cumQty: 4, leavesQty: 6 } });
    const takerFill = await eb.waitUntil((r) => r.execType === 'TRADE');
    expect(takerFill).toMatchObject({ lastQty: 4, lastPx: '236.00', tradeId: makerFill.tradeId, order: { status: 'FILLED', cumQty: 4, leavesQty: 0 } });
    expect(ea.values.map((r) => r.execType)).toEqual(['NEW', 'TRADE']);
    expect(eb.values.map((r) => r.execType)).toEqual(['NEW', 'TRADE']);
    ea.stop();
    eb.stop();
  });

  it('rebuilds from snapshot + deltas exactly the book the orderBook query returns', async () => {
    const a = await trader(t.url, 'bookA');
    const b = await trader(t.url, 'bookB');
    const book = subscribe<BookUpdate>(client(), BOOK_SUB, { s: 'TSLA', d: 20 });
    await book.waitFor(1);
    expect(book.values[0]!.kind).toBe('SNAPSHOT');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await ok(t.url, PLACE, { i: { symbol: 'TSLA', side: i % 2 ? 'SELL' : 'BUY', type: 'LIMIT', price: String(200 + (i % 2 ? 5 : -5) + (i % 3)) + '.00', quantity: 10 + i } }, i % 3 ? a.token : b.token);
      ids.push(r.placeOrder.id);
    }
    await ok(t.url, PLACE, { i: { symbol: 'TSLA', side: 'BUY', type: 'LIMIT', price: '206.00', quantity: 25 } }, b.token);
    await ok(t.url, CANCEL, { id: ids[0] }, b.token);
    const final = (await ok(t.url, BOOK, { s: 'TSLA' })).orderBook;
    await book.waitUntil((u) => u.seq === final.seq);
    const rebuilt = replay(book.values);
    expect(rebuilt).toEqual({ seq: final.seq, bids: final.bids, asks: final.asks });
    book.stop();
  });

  it('streams the tape, quotes and order-list changes', async () => {
    const a = await trader(t.url, 'tapeA');
    const b = await trader(t.url, 'tapeB');
    const tape = subscribe(client(), TRADES_SUB, { s: 'SPY' });
    const quotes = subscribe(client(), QUOTES_SUB, { s: ['SPY'] });
    const orders = subscribe(client(a.token), ORDERS_SUB, { s: 'SPY' });
    await serverSubscribed(subs('trades'), 1);
    await serverSubscribed(subs('quotes'), 1);
    await serverSubscribed(subs('orderUpdates'), 1);
    await ok(t.url, PLACE, { i: { symbol: 'SPY', side: 'SELL', type: 'LIMIT', price: '365.00', quantity: 5 } }, a.token);
    await ok(t.url, PLACE, { i: { symbol: 'SPY', side: 'BUY', type: 'MARKET', quantity: 5 } }, b.token);
    expect(await tape.waitUntil(() => true)).toMatchObject({ price: '365.00', quantity: 5, aggressorSide: 'BUY' });
    expect(await quotes.waitUntil((q) => q.last === '365.00')).toMatchObject({ symbol: 'SPY', last: '365.00' });
    const filled = await orders.waitUntil((o) => o.status === 'FILLED' && o.mine);
    expect(filled.symbol).toBe('SPY');
    [tape, quotes, orders].forEach((s) => s.stop());
  });

  it('refuses private topics without a token and accepts public ones', async () => {
    const anon = subscribe(client(), EXEC);
    expect(JSON.stringify(await anon.waitForError())).toContain('UNAUTHENTICATED');
    expect(anon.values).toEqual([]);
  });

  it('refuses a socket with an invalid token', async () => {
    const closed = new Promise<number>((resolve) => {
      const c = wsClient(t.url, 'not-a-valid-token-at-all-xxxxxxxx', { on: { closed: (e) => resolve((e as { code: number }).code) } });
      clients.push(c);
      subscribe(c, BOOK_SUB, { s: 'AAPL' });
    });
    expect(await closed).toBe(4403);
  });

  it('closes the sockets of a user who logs out', async () => {
    const a = await trader(t.url, 'leaver');
    const before = await subs('executionReports')();
    const closed = new Promise<number>((resolve) => {
      const c = wsClient(t.url, a.token, { on: { closed: (e) => resolve((e as { code: number }).code) } });
      clients.push(c);
      subscribe(c, EXEC);
    });
    await serverSubscribed(subs('executionReports'), before + 1);
    expect((await gql(t.url, 'mutation { logout }', {}, a.token)).data).toEqual({ logout: true });
    expect(await closed).toBe(4401);
  });

  it('refuses subscriptions beyond the per-connection limit', async () => {
    const c = client();
    const ok3 = [0, 1, 2].map(() => subscribe<BookUpdate>(c, BOOK_SUB, { s: 'QQQ' }));
    await Promise.all(ok3.map((s) => s.waitFor(1)));
    const fourth = subscribe(c, BOOK_SUB, { s: 'QQQ' });
    await expect(fourth.waitFor(1, 1000)).rejects.toThrow();
    expect(JSON.stringify(fourth.errors)).toContain('TOO_MANY_SUBSCRIPTIONS');
    [...ok3, fourth].forEach((s) => s.stop());
  });

  it('refuses connections beyond the per-user limit', async () => {
    const u = await trader(t.url, 'manysockets');
    const codes: number[] = [];
    const open = [0, 1, 2].map(() => {
      const c = wsClient(t.url, u.token, { on: { closed: (e) => codes.push((e as { code: number }).code) } });
      clients.push(c);
      return subscribe<BookUpdate>(c, BOOK_SUB, { s: 'VOO' });
    });
    await Promise.allSettled(open.map((s) => s.waitFor(1, 2000)));
    expect(open.filter((s) => s.values.length > 0)).toHaveLength(2);
    expect(codes).toContain(4429);
    open.forEach((s) => s.stop());
  });

  it('closes a socket that sends a message above the size limit', async () => {
    const closed = new Promise<number>((resolve) => {
      const c = wsClient(t.url, undefined, { on: { closed: (e) => resolve((e as { code: number }).code) } });
      clients.push(c);
      subscribe(c, BOOK_SUB, { s: 'AAPL', padding: 'x'.repeat(10_000) });
    });
    expect(await closed).toBe(1009);
  });
});
