import { describe, expect, it } from 'vitest';
import { assertBookInvariants, OrderBook, type Command, type EngineEvent } from './index.js';
import { ReferenceBook } from '../../test/support/engine/reference-book.js';

let ids = 0;
const sell = (account: number, price: number, qty: number): Command => ({ type: 'new', orderId: ++ids, account, side: 'SELL', ordType: 'LIMIT', tif: 'GTC', price, qty, timestamp: 1 });
const buy = (account: number, price: number, qty: number): Command => ({ type: 'new', orderId: ++ids, account, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price, qty, timestamp: 1 });
const canceled = (events: readonly EngineEvent[]) => events.flatMap((e) => (e.type === 'canceled' ? [[e.reason, e.canceledQty]] : []));
const trades = (events: readonly EngineEvent[]) => events.flatMap((e) => (e.type === 'trade' ? [[e.price, e.qty]] : []));

/** Runs the same commands on the book and the reference matcher; they must agree. */
function both(commands: Command[]): EngineEvent[] {
  const book = new OrderBook('B');
  const ref = new ReferenceBook();
  let last: EngineEvent[] = [];
  for (const c of commands) {
    const a = book.execute(c);
    expect(a).toEqual(ref.execute(c));
    last = [...a.events];
  }
  assertBookInvariants(book);
  return last;
}

describe('price band in the engine (bandPrice)', () => {
  it('stops a market buy at its band price and cancels the rest with PRICE_BAND', () => {
    const events = both([sell(1, 100, 5), sell(1, 110, 5), sell(1, 111, 5), { type: 'new', orderId: ++ids, account: 2, side: 'BUY', ordType: 'MARKET', tif: 'IOC', qty: 15, bandPrice: 110, timestamp: 2 }]);
    expect(trades(events)).toEqual([
      [100, 5],
      [110, 5],
    ]);
    expect(canceled(events)).toEqual([['PRICE_BAND', 5]]);
  });

  it('stops a market sell at its band price (just inside trades, just outside does not)', () => {
    const events = both([buy(1, 100, 5), buy(1, 90, 5), buy(1, 89, 5), { type: 'new', orderId: ++ids, account: 2, side: 'SELL', ordType: 'MARKET', tif: 'IOC', qty: 15, bandPrice: 90, timestamp: 2 }]);
    expect(trades(events)).toEqual([
      [100, 5],
      [90, 5],
    ]);
    expect(canceled(events)).toEqual([['PRICE_BAND', 5]]);
  });

  it('keeps MARKET_REMAINDER when the book runs dry inside the band', () => {
    const events = both([sell(1, 100, 5), { type: 'new', orderId: ++ids, account: 2, side: 'BUY', ordType: 'MARKET', tif: 'IOC', qty: 8, bandPrice: 110, timestamp: 2 }]);
    expect(canceled(events)).toEqual([['MARKET_REMAINDER', 3]]);
  });

  it('counts no liquidity beyond the band for a FOK market order', () => {
    const events = both([sell(1, 100, 5), sell(1, 111, 5), { type: 'new', orderId: ++ids, account: 2, side: 'BUY', ordType: 'MARKET', tif: 'FOK', qty: 10, bandPrice: 110, timestamp: 2 }]);
    expect(trades(events)).toEqual([]);
    expect(canceled(events)).toEqual([['FOK_UNFILLABLE', 10]]);
  });

  it('cancels a limit order whose limit lies beyond the band instead of resting it beyond the band', () => {
    const events = both([sell(1, 100, 5), sell(1, 112, 5), { type: 'new', orderId: ++ids, account: 2, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 115, qty: 10, bandPrice: 110, timestamp: 2 }]);
    expect(trades(events)).toEqual([[100, 5]]);
    expect(canceled(events)).toEqual([['PRICE_BAND', 5]]);
  });

  it('lets a limit order inside its band rest as usual', () => {
    const events = both([sell(1, 100, 5), { type: 'new', orderId: ++ids, account: 2, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 105, qty: 10, bandPrice: 110, timestamp: 2 }]);
    expect(trades(events)).toEqual([[100, 5]]);
    expect(canceled(events)).toEqual([]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a band price of %s with INVALID_PRICE and changes nothing', (bandPrice) => {
    const book = new OrderBook('B');
    book.execute(sell(1, 100, 5));
    const seq = book.seq;
    const r = book.execute({ type: 'new', orderId: ++ids, account: 2, side: 'BUY', ordType: 'MARKET', tif: 'IOC', qty: 1, bandPrice, timestamp: 2 });
    expect(r.code).toBe('INVALID_PRICE');
    expect(book.seq).toBe(seq);
  });
});
