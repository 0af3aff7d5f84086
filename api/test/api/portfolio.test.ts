/**
 * The portfolio over GraphQL on both dialects: product currencies, average-cost holdings with
 * realised P&L, totals per currency (never across), the fills blotter, and candles aggregated by
 * the database checked against a model of the same trades.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../support/databases.js';
import { startTestApp, WIDE_BAND, type TestApp } from '../support/app.js';
import { adminClient, createProduct, errorOf, newTrader, ok, type TradingClient } from '../support/trading.js';

const HOLDINGS = `{ holdings { symbol currency quantity avgPrice lastPrice marketValue unrealizedPnl realizedPnl } }`;
const TOTALS = `{ portfolioTotals { currency positions unpriced marketValue unrealizedPnl realizedPnl } }`;
const FILLS = `query($s: String, $first: Int, $after: String) { myFills(symbol: $s, first: $first, after: $after) {
  nodes { execId tradeId orderId symbol currency side quantity price maker time } pageInfo { hasNextPage endCursor } } }`;
const CANDLES = `query($s: String!, $f: CandleFrame!, $first: Int, $before: DateTimeISO) {
  candles(symbol: $s, frame: $f, first: $first, before: $before) { time open high low close volume trades lastTradeId } }`;

interface Candle {
  time: string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: number;
  trades: number;
  lastTradeId: string;
}

const FRAMES = { M1: 60, M5: 300, H1: 3600, D1: 86_400 } as const;
const cents = (ticks: number) => `${Math.floor(ticks / 100)}.${String(ticks % 100).padStart(2, '0')}`;

/** The model: trades (in time order) into the last `first` buckets up to the latest trade's. */
function modelCandles(trades: readonly { at: number; px: number; qty: number; id: number }[], frame: keyof typeof FRAMES, first: number): Candle[] {
  const s = FRAMES[frame] * 1000;
  if (trades.length === 0) return [];
  const last = Math.floor(trades.at(-1)!.at / s);
  const buckets = new Map<number, { at: number; px: number; qty: number; id: number }[]>();
  for (const t of trades) {
    const b = Math.floor(t.at / s);
    if (b <= last - first) continue;
    buckets.set(b, [...(buckets.get(b) ?? []), t]);
  }
  return [...buckets].map(([b, ts]) => ({
    time: new Date(b * s).toISOString(),
    open: cents(ts[0]!.px),
    high: cents(Math.max(...ts.map((t) => t.px))),
    low: cents(Math.min(...ts.map((t) => t.px))),
    close: cents(ts.at(-1)!.px),
    volume: ts.reduce((n, t) => n + t.qty, 0),
    trades: ts.length,
    lastTradeId: String(ts.at(-1)!.id),
  }));
}

for (const { dialect, skip } of await dialects()) {
  describe.skipIf(skip)(`portfolio (${dialect})`, () => {
    let t: TestApp;
    let admin: TradingClient;
    beforeAll(async () => {
      t = await startTestApp(dialect, { ...WIDE_BAND });
      admin = await adminClient(t.url);
    }, 60_000);
    afterAll(async () => {
      await t?.dispose();
    });

    it('gives every product the currency of its listing suffix (pence for London)', async () => {
      await createProduct(t.url, admin.token, 'VOD.L', '72.50', 'Vodafone Group Plc');
      const q = `{ a: product(symbol: "AAPL") { currency } h: product(symbol: "0700.HK") { currency } l: product(symbol: "VOD.L") { currency } }`;
      expect(await ok(t.url, q)).toEqual({ a: { currency: 'USD' }, h: { currency: 'HKD' }, l: { currency: 'GBX' } });
    });

    it('values positions by average cost, realises P&L on reductions, and totals per currency without adding across', async () => {
      const [alice, bob] = [await newTrader(t.url, `pf_alice_${dialect}`), await newTrader(t.url, `pf_bob_${dialect}`)];
      const cross = async (symbol: string, buyer: TradingClient, seller: TradingClient, price: string, quantity: number) => {
        await seller.place({ symbol, side: 'SELL', price, quantity });
        expect((await buyer.place({ symbol, side: 'BUY', price, quantity })).status).toBe('FILLED');
      };
      // AAPL: buy 100 @ 10.00 and 50 @ 10.30 (avg 10.10), sell 60 @ 10.50 (realised 60 × 0.40 = 24).
      await cross('AAPL', alice, bob, '10.00', 100);
      await cross('AAPL', alice, bob, '10.30', 50);
      await cross('AAPL', bob, alice, '10.50', 60);
      // 0700.HK: buy 10 @ 247.20, sell 15 @ 250.00 (flip: realised 10 × 2.80 = 28, short 5 @ 250.00).
      await cross('0700.HK', alice, bob, '247.20', 10);
      await cross('0700.HK', bob, alice, '250.00', 15);
      // VOD.L: a round trip, closed: realised only (pence).
      await cross('VOD.L', alice, bob, '72.50', 3);
      await cross('VOD.L', bob, alice, '73.00', 3);

      // The order path's own rows aggregate too: AAPL's three trades, in today's (UTC) candle.
      expect((await ok(t.url, CANDLES, { s: 'AAPL', f: 'D1', first: 1 })).candles).toEqual([
        { time: expect.stringMatching(/T00:00:00\.000Z$/), open: '10.00', high: '10.50', low: '10.00', close: '10.50', volume: 210, trades: 3, lastTradeId: expect.stringMatching(/^\d+$/) },
      ]);
      const { holdings } = await ok(t.url, HOLDINGS, {}, alice.token);
      expect(holdings).toEqual([
        { symbol: '0700.HK', currency: 'HKD', quantity: -5, avgPrice: '250.000000', lastPrice: '250.00', marketValue: '-1250.00', unrealizedPnl: '0.0000', realizedPnl: '28.0000' },
        { symbol: 'AAPL', currency: 'USD', quantity: 90, avgPrice: '10.100000', lastPrice: '10.50', marketValue: '945.00', unrealizedPnl: '36.0000', realizedPnl: '24.0000' },
      ]);
      const { portfolioTotals } = await ok(t.url, TOTALS, {}, alice.token);
      expect(portfolioTotals).toEqual([
        { currency: 'GBX', positions: 0, unpriced: 0, marketValue: '0.00', unrealizedPnl: '0.0000', realizedPnl: '1.5000' },
        { currency: 'HKD', positions: 1, unpriced: 0, marketValue: '-1250.00', unrealizedPnl: '0.0000', realizedPnl: '28.0000' },
        { currency: 'USD', positions: 1, unpriced: 0, marketValue: '945.00', unrealizedPnl: '36.0000', realizedPnl: '24.0000' },
      ]);
      // Asked together (as the Portfolio screen does), holdings and totals read the fills once.
      let reads = 0;
      const count = (q: { sql: string }) => void (/from [`"]executions[`"]/i.test(q.sql) && reads++);
      t.app.services.knex.on('query', count);
      await ok(t.url, `{ holdings { symbol } portfolioTotals { currency } }`, {}, alice.token);
      t.app.services.knex.off('query', count);
      expect(reads).toBe(1);
      // Bob is the other side of every fill at the same averages: his realised P&L mirrors hers.
      const bobTotals = (await ok(t.url, TOTALS, {}, bob.token)).portfolioTotals as { currency: string; realizedPnl: string }[];
      expect(bobTotals.map((r) => [r.currency, r.realizedPnl])).toEqual([
        ['GBX', '-1.5000'],
        ['HKD', '-28.0000'],
        ['USD', '-24.0000'],
      ]);
    });

    it('pages the fills blotter newest first, filters by symbol, and refuses a forged cursor', async () => {
      const [carol, dave] = [await newTrader(t.url, `pf_carol_${dialect}`), await newTrader(t.url, `pf_dave_${dialect}`)];
      const placed: string[] = [];
      for (const [symbol, px] of [['MSFT', '20.00'], ['SPY', '30.00'], ['MSFT', '21.00']] as const) {
        await dave.place({ symbol, side: 'SELL', price: px, quantity: 2 });
        placed.push((await carol.place({ symbol, side: 'BUY', price: px, quantity: 2 })).id);
      }
      const p1 = (await ok(t.url, FILLS, { first: 2 }, carol.token)).myFills;
      expect(p1.nodes.map((f: { orderId: string; symbol: string; price: string }) => [f.orderId, f.symbol, f.price])).toEqual([
        [placed[2], 'MSFT', '21.00'],
        [placed[1], 'SPY', '30.00'],
      ]);
      expect(p1.nodes[0]).toMatchObject({ side: 'BUY', quantity: 2, maker: false, currency: 'USD' });
      expect(p1.pageInfo.hasNextPage).toBe(true);
      const p2 = (await ok(t.url, FILLS, { first: 2, after: p1.pageInfo.endCursor }, carol.token)).myFills;
      expect(p2.nodes.map((f: { orderId: string }) => f.orderId)).toEqual([placed[0]]);
      expect(p2.pageInfo.hasNextPage).toBe(false);
      const msft = (await ok(t.url, FILLS, { s: 'MSFT' }, carol.token)).myFills;
      expect(msft.nodes.map((f: { price: string }) => f.price)).toEqual(['21.00', '20.00']);
      // Dave's side of the same trades is his: maker SELLs.
      expect((await ok(t.url, FILLS, {}, dave.token)).myFills.nodes.every((f: { side: string; maker: boolean }) => f.side === 'SELL' && f.maker)).toBe(true);
      expect(await errorOf(t.url, FILLS, { after: 'bm90LWEtY3Vyc29y' }, carol.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
      expect(await errorOf(t.url, FILLS, {})).toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('aggregates trades into candles in the database, as the model does, for every frame', async () => {
      const knex = t.app.services.knex;
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ gap: fc.integer({ min: 0, max: 3 * 3600_000 }), px: fc.integer({ min: 1, max: 99_999 }), qty: fc.integer({ min: 1, max: 1_000_000 }) }), { minLength: 1, maxLength: 60 }),
          fc.constantFrom(...(Object.keys(FRAMES) as (keyof typeof FRAMES)[])),
          fc.integer({ min: 1, max: 40 }),
          async (steps, frame, first) => {
            const symbol = await createProduct(t.url, admin.token, `CNDL${dialect[0]}${n++}`);
            let at = Date.UTC(2026, 0, 1, 23, 59, 0, 0);
            const trades = steps.map((s, i) => ({ at: (at += s.gap), px: s.px, qty: s.qty, id: i + 1 }));
            // Both sides of each trade, as the order path writes them (only BUY rows are the tape).
            await knex('executions').insert(
              trades.flatMap((tr, i) =>
                (['BUY', 'SELL'] as const).map((side) => ({
                  exec_id: `${symbol}:${i + 1}:${side[0]}`,
                  trade_id: i + 1,
                  symbol,
                  order_id: 1_000_000 + i,
                  account_id: 1,
                  side,
                  maker: side === 'SELL',
                  price_ticks: tr.px,
                  qty: tr.qty,
                  counter_order_id: 2_000_000 + i,
                  created_at: new Date(tr.at),
                })),
              ),
            );
            const got = (await ok(t.url, CANDLES, { s: symbol, f: frame, first })).candles;
            expect(got).toEqual(modelCandles(trades, frame, first));
            // `before` pages back: only trades strictly before it.
            const cut = trades[Math.floor(trades.length / 2)]!.at;
            const earlier = (await ok(t.url, CANDLES, { s: symbol, f: frame, first, before: new Date(cut).toISOString() })).candles;
            expect(earlier).toEqual(modelCandles(trades.filter((tr) => tr.at < cut), frame, first));
          },
        ),
        { numRuns: 12 },
      );
    }, 120_000);

    it('refuses candle counts out of range and unknown symbols with a code, and answers [] before any trade', async () => {
      expect(await errorOf(t.url, CANDLES, { s: 'AAPL', f: 'M1', first: 501 })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_PAGE_SIZE' });
      expect(await errorOf(t.url, CANDLES, { s: 'AAPL', f: 'M1', first: 0 })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_PAGE_SIZE' });
      expect(await errorOf(t.url, CANDLES, { s: 'NOPE', f: 'M1' })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_SYMBOL' });
      expect(await errorOf(t.url, CANDLES, { s: 'AAPL', f: 'M2' })).toMatchObject({ code: 'BAD_USER_INPUT' });
      expect((await ok(t.url, CANDLES, { s: 'QQQ', f: 'D1', first: 500 })).candles).toEqual([]);
    });
  });
}
