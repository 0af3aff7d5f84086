import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertBookInvariants, OrderBook, type Command, type EngineEvent, type SelfTradePrevention } from './index.js';
import { ReferenceBook } from '../../test/support/engine/reference-book.js';

const MAX = Number.MAX_SAFE_INTEGER;

let ids = 0;
const buy = (account: number, price: number, qty: number, tif: 'GTC' | 'IOC' | 'FOK' = 'GTC'): Command => ({ type: 'new', orderId: ++ids, account, side: 'BUY', ordType: 'LIMIT', tif, price, qty, timestamp: 1 });
const sell = (account: number, price: number, qty: number, tif: 'GTC' | 'IOC' | 'FOK' = 'GTC'): Command => ({ type: 'new', orderId: ++ids, account, side: 'SELL', ordType: 'LIMIT', tif, price, qty, timestamp: 1 });
const marketBuy = (account: number, qty: number): Command => ({ type: 'new', orderId: ++ids, account, side: 'BUY', ordType: 'MARKET', tif: 'IOC', qty, timestamp: 1 });
const canceledReason = (events: readonly EngineEvent[]) => events.flatMap((e) => (e.type === 'canceled' ? [e.reason] : []));

describe('book limits', () => {
  it('refuses limits whose product passes 2^53 − 1', () => {
    expect(() => new OrderBook('X', { maxOrderQty: 2 ** 31, maxRestingOrders: 2 ** 22 })).toThrow(RangeError);
    expect(() => new OrderBook('X', { maxOrderQty: 0 })).toThrow(RangeError);
    expect(() => new OrderBook('X', { maxOrderQty: Math.floor(MAX / 8), maxRestingOrders: 8 })).not.toThrow();
    expect(() => new OrderBook('X')).not.toThrow();
  });

  it('keeps the level total exact with the most orders of the largest size at one price', () => {
    const maxOrderQty = Math.floor(MAX / 8);
    const book = new OrderBook('L', { maxOrderQty, maxRestingOrders: 8 });
    for (let i = 0; i < 8; i++) expect(book.execute(buy(i + 1, 1, maxOrderQty)).code).toBe('OK');
    const level = book.depth(1).bids[0]!;
    expect(level.count).toBe(8);
    expect(BigInt(level.qty)).toBe(8n * BigInt(maxOrderQty));
    expect(Number.isSafeInteger(level.qty)).toBe(true);

    const ninth = book.execute(buy(9, 1, maxOrderQty));
    expect(canceledReason(ninth.events)).toEqual(['BOOK_FULL']);
    expect(book.execute(buy(9, 1, maxOrderQty + 1)).code).toBe('QUANTITY_TOO_LARGE');
    expect(book.depth(1).bids[0]).toEqual(level);
    assertBookInvariants(book);
  });

  it('still matches when full: a taker that fills entirely never needs a place', () => {
    const book = new OrderBook('F', { maxRestingOrders: 2 });
    book.execute(buy(1, 100, 5));
    book.execute(buy(2, 99, 5));
    const taker = book.execute(sell(3, 100, 5));
    expect(taker.events.map((e) => e.type)).toEqual(['accepted', 'trade']);
    expect(book.restingCount).toBe(1);
    assertBookInvariants(book);
  });

  it('refuses an amend above maxOrderQty', () => {
    const book = new OrderBook('A', { maxOrderQty: 10 });
    const placed = buy(1, 100, 10);
    book.execute(placed);
    expect(book.execute({ type: 'amend', orderId: (placed as { orderId: number }).orderId, qty: 11, timestamp: 2 }).code).toBe('QUANTITY_TOO_LARGE');
  });
});

describe('notional limit', () => {
  const HUGE = 2 ** 52 + 1; // ticks: one lot at this price is half the exact range

  it("stops a market order's fills where its notional would pass 2^53 − 1", () => {
    const book = new OrderBook('N');
    book.execute(sell(1, HUGE, 1));
    book.execute(sell(2, HUGE + 2, 1));
    const r = book.execute(marketBuy(3, 2));
    const trades = r.events.filter((e) => e.type === 'trade');
    expect(trades).toHaveLength(1);
    expect(canceledReason(r.events)).toEqual(['NOTIONAL_LIMIT']);
    const done = r.events.at(-1)!;
    expect(done.type === 'canceled' && done.order.cumNotional).toBe(HUGE);
    assertBookInvariants(book);
  });

  it('cuts the last fill of a sell that trades above its limit to what fits', () => {
    const book = new OrderBook('C');
    const px = 2 ** 40 + 7;
    book.execute(buy(1, px, 8000));
    book.execute(buy(1, px - 1, 8000));
    const r = book.execute(sell(2, 1, 16_000, 'IOC'));
    const trades = r.events.flatMap((e) => (e.type === 'trade' ? [e.qty] : []));
    const fits = Math.floor((MAX - 8000 * px) / (px - 1));
    expect(trades).toEqual([8000, fits]);
    expect(canceledReason(r.events)).toEqual(['NOTIONAL_LIMIT']);
    const done = r.events.at(-1)!;
    expect(done.type === 'canceled' && done.order.cumNotional).toBe(8000 * px + fits * (px - 1));
    expect(book.depth(1).bids[0]).toEqual({ price: px - 1, qty: 8000 - fits, count: 1 });
    assertBookInvariants(book);
  });

  it('does not rest an order whose leaves at its price would pass the limit after fills above it', () => {
    const book = new OrderBook('R', { maxOrderQty: 2 ** 39, maxRestingOrders: 2 ** 13 });
    book.execute(buy(1, 2 ** 53 - 2 ** 40, 1));
    const r = book.execute(sell(2, 2 ** 13, 2 ** 39));
    expect(r.events.filter((e) => e.type === 'trade')).toHaveLength(1);
    expect(canceledReason(r.events)).toEqual(['NOTIONAL_LIMIT']);
    expect(book.restingCount).toBe(0);
    assertBookInvariants(book);
  });

  it('counts the notional limit in a FOK feasibility check (no partial fill)', () => {
    const book = new OrderBook('K');
    book.execute(sell(1, HUGE, 1));
    book.execute(sell(2, HUGE, 1));
    const r = book.execute({ ...marketBuy(3, 2), tif: 'FOK' } as Command);
    expect(r.events.map((e) => e.type)).toEqual(['accepted', 'canceled']);
    expect(canceledReason(r.events)).toEqual(['FOK_UNFILLABLE']);
    expect(book.restingCount).toBe(2);
  });
});

/** Prices near the middle of the market and prices whose notional nears 2^53 at full size. */
const BIG_PX = Math.floor(MAX / 1000);
const price = fc.oneof(fc.integer({ min: 95, max: 105 }), fc.integer({ min: BIG_PX - 3, max: BIG_PX + 3 }), fc.constant(2 ** 52 + 1));
const qty = fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 990, max: 1001 }));
const account = fc.integer({ min: 1, max: 3 });
const orderId = fc.integer({ min: 1, max: 16 });
const stp = fc.constantFrom<SelfTradePrevention>('CANCEL_RESTING', 'CANCEL_INCOMING');
const side = fc.constantFrom('BUY' as const, 'SELL' as const);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ orderId, account, side, tif: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const), price, qty }).map((r): Command => ({ type: 'new', ordType: 'LIMIT', timestamp: 1, ...r })) },
  { weight: 2, arbitrary: fc.record({ orderId, account, side, tif: fc.constantFrom('IOC' as const, 'FOK' as const), qty }).map((r): Command => ({ type: 'new', ordType: 'MARKET', timestamp: 1, ...r })) },
  { weight: 2, arbitrary: fc.record({ orderId, qty, price: fc.option(price, { nil: undefined }) }).map((r): Command => ({ type: 'amend', timestamp: 1, ...r })) },
  { weight: 1, arbitrary: orderId.map((id): Command => ({ type: 'cancel', orderId: id, timestamp: 1 })) },
);

describe('limits against the reference matcher', () => {
  const limits = { maxOrderQty: 1000, maxRestingOrders: 3 };

  it('agrees on events and keeps every total and notional exact near 2^53', () => {
    fc.assert(
      fc.property(stp, fc.array(command, { minLength: 1, maxLength: 80, size: 'max' }), (mode, cmds) => {
        const book = new OrderBook('P', { stp: mode, ...limits });
        const ref = new ReferenceBook(mode, limits);
        for (const cmd of cmds) {
          const got = book.execute(cmd);
          expect(got).toEqual(ref.execute(cmd));
          for (const e of got.events) {
            if ('order' in e) expect(Number.isSafeInteger(e.order.cumNotional)).toBe(true);
            if (e.type === 'trade') expect(Number.isSafeInteger(e.taker.cumNotional) && Number.isSafeInteger(e.maker.cumNotional)).toBe(true);
          }
          assertBookInvariants(book);
        }
        expect(book.restingOrders()).toEqual(ref.restingOrders());
      }),
      { numRuns: 500 },
    );
  });

  it('exercises the limits (the generator reaches them)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(stp, fc.array(command, { minLength: 1, maxLength: 80, size: 'max' }), (mode, cmds) => {
        const book = new OrderBook('P', { stp: mode, ...limits });
        for (const cmd of cmds) {
          const r = book.execute(cmd);
          seen.add(r.code);
          for (const e of r.events) if (e.type === 'canceled') seen.add(e.reason);
        }
      }),
      { numRuns: 200, seed: 11 },
    );
    for (const want of ['QUANTITY_TOO_LARGE', 'BOOK_FULL', 'NOTIONAL_LIMIT']) expect(seen, want).toContain(want);
  });
});
