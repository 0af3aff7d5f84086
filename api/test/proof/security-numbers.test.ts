/**
 * Numbers end to end (issue 14, class 4): every quantity that sums — a book level, a position, a
 * notional — stays exact and answerable in GraphQL, SQL and the engine, at the largest values the
 * order limits allow. Each case failed on the code before the fix (GraphQL Int totals answered
 * INTERNAL_SERVER_ERROR; holdings summed notionals past SQLite's 64 bits and past 2^53 in JS;
 * a market order's notional passed 2^53).
 */
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { BOOK, gql } from '../support/gql.js';
import { adminClient, bookOf, createProduct, newTrader, type TradingClient } from '../support/trading.js';
import { subscribe, wsClient } from '../support/ws.js';
import { ConfigError, loadConfig } from '../../src/config.js';

const MAX_INT = 2 ** 31 - 1;
/** Book limit of the test app: the bound is MAX_ORDER_QTY × this, here 4 × (2^31 − 1) > 2^32. */
const MAX_RESTING = 4;
const BOOK_SUB = `subscription($s: String!) { orderBook(symbol: $s, depth: 5) { kind seq prevSeq bids { price quantity orderCount } asks { price quantity orderCount } } }`;

type Level = { price: string; quantity: number; orderCount: number };
type BookUpdate = { kind: string; seq: number; prevSeq: number; bids: Level[]; asks: Level[] };

/** ticks × 0.01 as a decimal string, exactly. */
const cents = (ticks: bigint): string => {
  const neg = ticks < 0n;
  const s = (neg ? -ticks : ticks).toString().padStart(3, '0');
  return `${neg ? '-' : ''}${s.slice(0, -2)}.${s.slice(-2)}`;
};

describe('order limits that bound every sum', () => {
  it('refuses an order size a GraphQL Int cannot carry', () => {
    expect(() => loadConfig({ MAX_ORDER_QTY: String(2 ** 31) })).toThrow(ConfigError);
    expect(loadConfig({ MAX_ORDER_QTY: String(MAX_INT) }).MAX_ORDER_QTY).toBe(MAX_INT);
  });

  it('refuses limits whose product (the largest level total) passes 2^53 − 1', () => {
    expect(() => loadConfig({ MAX_ORDER_QTY: String(MAX_INT), MAX_RESTING_ORDERS_PER_BOOK: String(2 ** 22 + 1) })).toThrow(/MAX_RESTING_ORDERS_PER_BOOK/);
    expect(loadConfig({ MAX_ORDER_QTY: String(MAX_INT), MAX_RESTING_ORDERS_PER_BOOK: String(2 ** 22) }).MAX_RESTING_ORDERS_PER_BOOK).toBe(2 ** 22);
    const defaults = loadConfig({});
    expect(BigInt(defaults.MAX_ORDER_QTY) * BigInt(defaults.MAX_RESTING_ORDERS_PER_BOOK) <= BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });
});

describe('sums over the book and the account (sqlite)', () => {
  let t: TestApp;
  let admin: TradingClient;
  const clients: Client[] = [];
  let n = 0;
  /** No reference price (no band until the first trade): these tests trade at 1.00 and at the largest exact prices. */
  const product = async () => createProduct(t.url, admin.token, `NUM${++n}`, null);

  beforeAll(async () => {
    // The pre-trade order notional and position limits are raised to what the largest orders need.
    t = await startTestApp('sqlite', {
      MAX_ORDER_QTY: String(MAX_INT),
      MAX_RESTING_ORDERS_PER_BOOK: String(MAX_RESTING),
      RISK_MAX_ORDER_NOTIONAL: '100000000000000',
      RISK_MAX_LONG_POSITION: String(Number.MAX_SAFE_INTEGER),
      RISK_MAX_SHORT_POSITION: String(Number.MAX_SAFE_INTEGER),
    });
    admin = await adminClient(t.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.dispose();
  });

  it('answers orderBook (query and subscription) with the most orders of the largest size at one price', async () => {
    const symbol = await product();
    const bidders = await Promise.all([1, 2, 3, 4, 5].map((i) => newTrader(t.url, `lvl${i}`)));
    const sub = (() => {
      const c = wsClient(t.url);
      clients.push(c);
      return subscribe<BookUpdate>(c, BOOK_SUB, { s: symbol });
    })();
    await sub.waitFor(1);

    for (const b of bidders.slice(0, MAX_RESTING)) expect((await b.place({ symbol, side: 'BUY', price: '1.00', quantity: MAX_INT })).status).toBe('NEW');
    const full = MAX_RESTING * MAX_INT;
    expect(full).toBeGreaterThan(2 ** 32);
    const anonymous = await gql(t.url, BOOK, { s: symbol });
    expect(anonymous.errors).toBeUndefined();
    expect((await bookOf(t.url, symbol)).bids).toEqual([{ price: '1.00', quantity: full, orderCount: MAX_RESTING }]);
    await sub.waitUntil((u) => u.bids.some((l) => l.quantity === full));
    expect(sub.errors).toEqual([]);

    // The book is full: one more order's rest is canceled, never silently dropped or summed inexactly.
    const extra = await bidders[MAX_RESTING]!.place({ symbol, side: 'BUY', price: '1.00', quantity: MAX_INT });
    expect({ status: extra.status, reason: extra.reason, leavesQty: extra.leavesQty }).toEqual({ status: 'CANCELED', reason: 'BOOK_FULL', leavesQty: 0 });

    const seller = await newTrader(t.url, 'lvlsell');
    await seller.place({ symbol, side: 'SELL', price: '1.00', quantity: 1 });
    const after = await sub.waitUntil((u) => u.bids.some((l) => l.quantity === full - 1));
    expect(after.bids).toEqual([{ price: '1.00', quantity: full - 1, orderCount: MAX_RESTING }]);
    expect(sub.errors).toEqual([]);
    sub.stop();

    // A new subscriber's snapshot carries the total as well.
    const c = wsClient(t.url);
    clients.push(c);
    const late = subscribe<BookUpdate>(c, BOOK_SUB, { s: symbol });
    const [snapshot] = await late.waitFor(1);
    expect(snapshot).toMatchObject({ kind: 'SNAPSHOT', bids: [{ price: '1.00', quantity: full - 1, orderCount: MAX_RESTING }] });
    late.stop();
  });

  it('shows a position above 2^31 in holdings, with its value past 2^53 ticks exact', async () => {
    const symbol = await product();
    const buyer = await newTrader(t.url, 'posbuy');
    const seller = await newTrader(t.url, 'possell');
    // The largest price whose notional at MAX_ORDER_QTY stays within 2^53 − 1 ticks × lots.
    const ticks = BigInt(Math.floor(Number.MAX_SAFE_INTEGER / MAX_INT));
    const price = cents(ticks);
    const sizes = [MAX_INT, MAX_INT - 1];
    for (const q of sizes) {
      await seller.place({ symbol, side: 'SELL', price, quantity: q });
      expect((await buyer.place({ symbol, side: 'BUY', price, quantity: q })).status).toBe('FILLED');
    }
    const position = BigInt(sizes[0]! + sizes[1]!);
    expect(position).toBeGreaterThan(2n ** 31n);
    const value = position * ticks;
    expect(value).toBeGreaterThan(2n ** 53n);

    const [long] = await buyer.holdings();
    expect(long).toEqual({ symbol, quantity: Number(position), avgPrice: `${price}0000`, lastPrice: price, marketValue: cents(value), unrealizedPnl: '0.0000' });
    const [short] = await seller.holdings();
    expect(short).toEqual({ symbol, quantity: -Number(position), avgPrice: `${price}0000`, lastPrice: price, marketValue: cents(-value), unrealizedPnl: '0.0000' });
  });

  it("stops a market order's fills where its notional would pass 2^53 − 1, and its AvgPx stays exact", async () => {
    const symbol = await product();
    const maker = await newTrader(t.url, 'ntlmaker');
    const taker = await newTrader(t.url, 'ntltaker');
    const first = 2n ** 52n + 1n;
    await maker.place({ symbol, side: 'SELL', price: cents(first), quantity: 1 });
    await maker.place({ symbol, side: 'SELL', price: cents(first + 1n), quantity: 1 });
    const o = await taker.place({ symbol, side: 'BUY', type: 'MARKET', quantity: 2 });
    expect({ status: o.status, reason: o.reason, cumQty: o.cumQty, avgPx: o.avgPx }).toEqual({ status: 'CANCELED', reason: 'NOTIONAL_LIMIT', cumQty: 1, avgPx: `${cents(first)}0000` });
    expect((await bookOf(t.url, symbol)).asks).toEqual([{ price: cents(first + 1n), quantity: 1, orderCount: 1 }]);
  });
});

for (const { dialect, skip } of await dialects()) {
  describe.skipIf(skip)(`holdings sums past 2^63 ticks × lots (${dialect})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp(dialect);
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it('sums notionals exactly however many fills an account has', async () => {
      const admin = await adminClient(t.url);
      const symbol = await createProduct(t.url, admin.token, 'NUMSUM', null);
      const holder = await newTrader(t.url, 'sumholder');
      // Each fill's notional is the engine's largest (2^53 − 1 ticks × lots); 1,100 of them pass 2^63.
      const rows = 1100;
      const px = Number.MAX_SAFE_INTEGER;
      const at = new Date();
      const knex = t.app.services.knex;
      for (let i = 0; i < rows; i += 250) {
        await knex('executions').insert(
          Array.from({ length: Math.min(250, rows - i) }, (_, k) => ({
            exec_id: `NUMSUM-${i + k}`,
            trade_id: i + k + 1,
            symbol,
            order_id: 1_000_000 + i + k,
            account_id: Number(holder.id),
            side: 'BUY',
            maker: false,
            price_ticks: px,
            qty: 1,
            counter_order_id: 2_000_000 + i + k,
            created_at: at,
          })),
        );
      }
      expect(BigInt(rows) * BigInt(px)).toBeGreaterThan(2n ** 63n);
      const [h] = await holder.holdings();
      expect(h).toEqual({ symbol, quantity: rows, avgPrice: `${cents(BigInt(px))}0000`, lastPrice: null, marketValue: null, unrealizedPnl: null });
    });
  });
}
