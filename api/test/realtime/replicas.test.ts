import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startReplica, startTestApp, type TestApp } from '../support/app.js';
import { widenCatalogBands } from '../support/trading.js';
import { mysqlReachable, redisReachable, REDIS_URL } from '../support/databases.js';
import { ok, gql, PLACE, trader } from '../support/gql.js';
import { subscribe, wsClient, serverSubscribed } from '../support/ws.js';
import { OrderBook } from '../../src/engine/index.js';
import { toResting } from '../../src/modules/orders/order-path.js';
import { orderFromRow } from '../../src/modules/orders/order-record.js';
import type { Client } from 'graphql-ws';

const EXEC = `subscription { executionReports { execId execType lastQty order { id status cumQty } } }`;
const SYMBOLS = ['AAPL', 'MSFT', 'TSLA'];
const ready = (await mysqlReachable()) && (await redisReachable());

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Level {
  readonly price: string;
  readonly quantity: number;
  readonly orderCount: number;
}
interface BookUpdate {
  readonly kind: 'SNAPSHOT' | 'DELTA';
  readonly seq: number;
  readonly prevSeq: number;
  readonly bids: Level[];
  readonly asks: Level[];
}
/** The client's merge rule: a snapshot replaces the book; a delta applies only on the seq it follows; quantity 0 removes a level. */
function mergeBook(updates: readonly BookUpdate[]): { seq: number; bids: Level[]; asks: Level[]; gaps: number[] } {
  let seq = -1;
  const sides = { bids: new Map<string, Level>(), asks: new Map<string, Level>() };
  const gaps: number[] = [];
  for (const u of updates) {
    if (u.kind === 'SNAPSHOT') {
      sides.bids = new Map(u.bids.map((l) => [l.price, l]));
      sides.asks = new Map(u.asks.map((l) => [l.price, l]));
    } else if (u.prevSeq !== seq) {
      gaps.push(u.seq);
      continue;
    } else {
      for (const [side, levels] of [['bids', u.bids], ['asks', u.asks]] as const) {
        for (const l of levels) if (l.quantity > 0) sides[side].set(l.price, l); else sides[side].delete(l.price);
      }
    }
    seq = u.seq;
  }
  const sorted = (m: Map<string, Level>, dir: number) => [...m.values()].sort((x, y) => dir * (Number(x.price) - Number(y.price)));
  return { seq, bids: sorted(sides.bids, -1), asks: sorted(sides.asks, 1), gaps };
}

describe.skipIf(!ready)('two API processes on one MySQL and one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const prefix = `test-${randomBytes(4).toString('hex')}:`;
  const clients: Client[] = [];
  beforeAll(async () => {
    const env = { REDIS_URL, REDIS_CHANNEL_PREFIX: prefix };
    a = await startTestApp('mysql', env);
    await widenCatalogBands(a.app); // prices here are far from the catalog references
    b = await startReplica(a, env);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    redis?.disconnect();
    await b?.stop();
    await a?.dispose();
  });
  /** Waits until Redis itself has `n` subscribers on a bus channel (SUBSCRIBE is acknowledged asynchronously). */
  const redisSubscribed = (channel: string, n = 1) =>
    vi.waitFor(
      async () => {
        const [, count] = (await redis.pubsub('NUMSUB', prefix + channel)) as [string, number];
        expect(Number(count)).toBeGreaterThanOrEqual(n);
      },
      { timeout: 10_000, interval: 20 },
    );

  it('fills a cross-process cross exactly once and both owners hear it wherever their socket is', async () => {
    const seller = await trader(a.url, 'xseller');
    const buyer = await trader(b.url, 'xbuyer');
    // The seller listens on B, the buyer on A: each hears fills produced by the other process.
    const cs = wsClient(b.url, seller.token);
    const cb = wsClient(a.url, buyer.token);
    clients.push(cs, cb);
    const sellerReports = subscribe(cs, EXEC);
    const buyerReports = subscribe(cb, EXEC);
    const count = (t: TestApp) => async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'executionReports')?.value ?? 0;
    await serverSubscribed(count(b), 1);
    await serverSubscribed(count(a), 1);
    // Reports reach the other process on its journal feed (report-feed.ts).
    await redisSubscribed('journal', 2);
    const sell = await ok(a.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '140.00', quantity: 10 } }, seller.token);
    const buy = await ok(b.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.00', quantity: 10 } }, buyer.token);
    expect(buy.placeOrder).toMatchObject({ status: 'FILLED', cumQty: 10 });
    expect((await sellerReports.waitUntil((r) => r.execType === 'TRADE')).order).toMatchObject({ id: sell.placeOrder.id, status: 'FILLED' });
    expect((await buyerReports.waitUntil((r) => r.execType === 'TRADE')).order).toMatchObject({ id: buy.placeOrder.id, status: 'FILLED' });
    const fills = await a.app.services.knex('executions').where({ symbol: 'AAPL' }).count({ n: '*' });
    expect(Number(fills[0]!.n)).toBe(2);
  });

  it('keeps one consistent exchange under hundreds of concurrent crossing orders through both processes', async () => {
    const traders = await Promise.all(Array.from({ length: 8 }, (_, i) => trader(i % 2 ? a.url : b.url, `conc${i}`)));
    const random = rng(7);
    const acked: string[] = [];
    const requests = Array.from({ length: 400 }, (_, i) => {
      const who = traders[Math.floor(random() * traders.length)]!;
      const via = random() < 0.5 ? a : b;
      const side = random() < 0.5 ? 'BUY' : 'SELL';
      const symbol = SYMBOLS[Math.floor(random() * SYMBOLS.length)]!;
      const market = random() < 0.1;
      const price = (100 + Math.floor(random() * 6)).toFixed(2);
      const input = market
        ? { symbol, side, type: 'MARKET', quantity: 1 + Math.floor(random() * 20), clOrdId: `c${i}` }
        : { symbol, side, type: 'LIMIT', price, quantity: 1 + Math.floor(random() * 20), timeInForce: 'GTC', clOrdId: `c${i}` };
      return { via, token: who.token, input };
    });
    const results = await Promise.all(requests.map((r) => gql(r.via.url, PLACE, { i: r.input }, r.token)));
    for (const r of results) {
      expect(r.errors).toBeUndefined();
      acked.push(r.data!.placeOrder.id);
    }
    const { knex } = a.app.services;
    // Every acknowledged order exists.
    const orders = (await knex('orders').whereIn('id', acked).select('*')).map(orderFromRow);
    expect(orders).toHaveLength(acked.length);
    const execs = await knex('executions').select('*');
    // CumQty equals the sum of fills; nothing is overfilled.
    const filled = new Map<number, number>();
    for (const e of execs) filled.set(Number(e.order_id), (filled.get(Number(e.order_id)) ?? 0) + Number(e.qty));
    for (const o of (await knex('orders').select('*')).map(orderFromRow)) {
      expect(o.cumQty, `order ${o.id}`).toBe(filled.get(o.id) ?? 0);
      expect(o.cumQty).toBeLessThanOrEqual(o.qty);
    }
    // Every trade has exactly one buyer and one seller, same price and quantity.
    const byTrade = new Map<string, { side: string; qty: number; price: number }[]>();
    for (const e of execs) {
      const k = `${e.symbol}:${e.trade_id}`;
      byTrade.set(k, [...(byTrade.get(k) ?? []), { side: e.side, qty: Number(e.qty), price: Number(e.price_ticks) }]);
    }
    expect(byTrade.size).toBeGreaterThan(50);
    for (const [k, sides] of byTrade) {
      expect(sides.map((s) => s.side).sort(), k).toEqual(['BUY', 'SELL']);
      expect(sides[0]!.qty).toBe(sides[1]!.qty);
      expect(sides[0]!.price).toBe(sides[1]!.price);
    }
    // Both processes' books reach the book rebuilt from the database on their own (the journal on
    // the bus), compared before anything could reload them; then an explicit sync changes nothing.
    for (const symbol of SYMBOLS) {
      const rows = (await knex('orders').where({ symbol }).select('*')).map(orderFromRow);
      const product = await knex('products').where({ symbol }).first('book_seq');
      const fromDb = OrderBook.restore(symbol, toResting(rows), Number(product.book_seq));
      for (const t of [a, b]) {
        await vi.waitFor(() => expect(t.app.services.engine.book(symbol).seq, `${symbol} seq`).toBe(Number(product.book_seq)), { timeout: 10_000, interval: 20 });
        const book = t.app.services.engine.book(symbol);
        expect(book.restingOrders(), `${symbol} resting`).toEqual(fromDb.restingOrders());
        const hash = book.stateHash();
        await t.app.services.path.syncBook(symbol);
        expect(t.app.services.engine.book(symbol).stateHash(), `${symbol} unchanged by a sync`).toBe(hash);
      }
    }
  });

  it("keeps the other replica's book warm from the journal on the bus: same seq and state hash, no reload", async () => {
    const seller = await trader(a.url, 'warm-seller');
    const applied = async (t: TestApp) => (await t.app.services.metrics.journalEntriesApplied.get()).values[0]?.value ?? 0;
    const reloads = async (t: TestApp) => (await t.app.services.metrics.bookReloads.get()).values.filter((v) => v.labels.reason !== 'missing').reduce((n, v) => n + v.value, 0);
    const before = { applied: await applied(b), reloads: await reloads(b) };
    for (let i = 0; i < 5; i++) await ok(a.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: (150 + i).toFixed(2), quantity: 3 } }, seller.token);
    const target = a.app.services.engine.book('AAPL').seq;
    // B placed nothing: only the bus can move its book.
    await vi.waitFor(() => expect(b.app.services.engine.book('AAPL').seq).toBe(target), { timeout: 10_000, interval: 20 });
    expect(b.app.services.engine.book('AAPL').stateHash()).toBe(a.app.services.engine.book('AAPL').stateHash());
    expect(await applied(b)).toBeGreaterThanOrEqual(before.applied + 5);
    expect(await reloads(b)).toBe(before.reloads);
    expect((await b.app.services.metrics.bookDivergences.get()).values[0]?.value ?? 0).toBe(0);
  });

  it('serves the public topics of a book traded on the other replica: snapshot then chained deltas, trades, quotes', async () => {
    const maker = await trader(a.url, 'pub-maker');
    const taker = await trader(a.url, 'pub-taker');
    const c = wsClient(b.url);
    clients.push(c);
    const book = subscribe<BookUpdate>(c, `subscription { orderBook(symbol: "VOO", depth: 20) { symbol kind seq prevSeq bids { price quantity orderCount } asks { price quantity orderCount } } }`);
    const tape = subscribe<{ tradeId: string; price: string; quantity: number }>(c, 'subscription { trades(symbol: "VOO") { tradeId price quantity } }');
    const quotes = subscribe<{ last: string | null }>(c, 'subscription { quotes(symbols: ["VOO"]) { last } }');
    await book.waitFor(1);
    for (const channel of ['book:VOO', 'trades:VOO']) await redisSubscribed(channel);

    for (const [side, price, quantity] of [['SELL', '336.50', 7], ['SELL', '337.00', 5], ['BUY', '335.00', 4], ['BUY', '335.50', 9]] as const) {
      await ok(a.url, PLACE, { i: { symbol: 'VOO', side, type: 'LIMIT', price, quantity, timeInForce: 'GTC' } }, maker.token);
    }
    await ok(a.url, PLACE, { i: { symbol: 'VOO', side: 'BUY', type: 'LIMIT', price: '336.50', quantity: 3 } }, taker.token);
    const final = (await ok<{ orderBook: { seq: number; bids: Level[]; asks: Level[] } }>(a.url, '{ orderBook(symbol: "VOO", depth: 20) { seq bids { price quantity orderCount } asks { price quantity orderCount } } }')).orderBook;

    // Merged the way the web client merges: every update chains (no gap), and the result is A's book.
    await vi.waitFor(() => expect(book.values.at(-1)?.seq).toBe(final.seq), { timeout: 10_000, interval: 20 });
    expect(book.values[0]!.kind).toBe('SNAPSHOT');
    expect(mergeBook(book.values)).toEqual({ seq: final.seq, bids: final.bids, asks: final.asks, gaps: [] });
    expect(await tape.waitUntil((t) => t.quantity === 3)).toMatchObject({ price: '336.50', quantity: 3 });
    await quotes.waitUntil((q) => q.last === '336.50');
  });
});

