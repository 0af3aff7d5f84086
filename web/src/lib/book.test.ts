import { describe, expect, it } from 'vitest';
import { applyBookUpdate, bookStatusView, emptyBook, ladder, ownLevels, priceKey, type BookState, type BookUpdate } from './book';

const lvl = (price: string, quantity: number, orderCount = 1) => ({ price, quantity, orderCount });
const snapshot = (seq: number, bids = [lvl('99.00', 10), lvl('100.00', 5)], asks = [lvl('101.00', 7), lvl('100.50', 3)]): BookUpdate => ({
  symbol: 'AAPL',
  kind: 'SNAPSHOT',
  seq,
  prevSeq: 0,
  bids,
  asks,
});
const delta = (prevSeq: number, seq: number, bids: BookUpdate['bids'] = [], asks: BookUpdate['asks'] = []): BookUpdate => ({
  symbol: 'AAPL',
  kind: 'DELTA',
  seq,
  prevSeq,
  bids,
  asks,
});

function fold(updates: BookUpdate[], start: BookState = emptyBook('AAPL')) {
  const outcomes: string[] = [];
  let book = start;
  for (const u of updates) {
    const r = applyBookUpdate(book, u);
    book = r.book;
    outcomes.push(r.outcome);
  }
  return { book, outcomes };
}

describe('applyBookUpdate', () => {
  it('sorts a snapshot best first on each side', () => {
    const { book, outcomes } = fold([snapshot(10)]);
    expect(outcomes).toEqual(['snapshot']);
    expect(book.seq).toBe(10);
    expect(book.bids.map((l) => l.price)).toEqual(['100.00', '99.00']);
    expect(book.asks.map((l) => l.price)).toEqual(['100.50', '101.00']);
  });

  it('chains deltas: changes, adds and removes levels (quantity 0 means gone)', () => {
    const { book, outcomes } = fold([
      snapshot(10),
      delta(10, 11, [lvl('100.00', 8, 2)]),
      delta(11, 12, [lvl('100.20', 1)], [lvl('100.50', 0)]),
    ]);
    expect(outcomes).toEqual(['snapshot', 'applied', 'applied']);
    expect(book.seq).toBe(12);
    expect(book.bids).toEqual([lvl('100.20', 1), lvl('100.00', 8, 2), lvl('99.00', 10)]);
    expect(book.asks).toEqual([lvl('101.00', 7)]);
  });

  it('treats prices written with different decimals as one level', () => {
    const { book } = fold([snapshot(1), delta(1, 2, [lvl('100.0', 0)])]);
    expect(book.bids.map((l) => l.price)).toEqual(['99.00']);
  });

  it('reports a gap when a delta does not follow the last seq, and keeps the book', () => {
    const first = fold([snapshot(10), delta(10, 11, [lvl('100.00', 8)])]);
    const r = applyBookUpdate(first.book, delta(12, 13, [lvl('98.00', 1)]));
    expect(r.outcome).toBe('gap');
    expect(r.book).toBe(first.book);
  });

  it('reports a gap for a delta before any snapshot', () => {
    expect(applyBookUpdate(emptyBook('AAPL'), delta(3, 4)).outcome).toBe('gap');
  });

  it('ignores repeated or older deltas and older snapshots', () => {
    const { book, outcomes } = fold([snapshot(10), delta(10, 11, [lvl('100.00', 8)]), delta(10, 11, [lvl('100.00', 1)]), snapshot(9)]);
    expect(outcomes).toEqual(['snapshot', 'applied', 'stale', 'stale']);
    expect(book.bids[0]).toEqual(lvl('100.00', 8));
  });

  it('recovers from a gap with a fresh snapshot', () => {
    const { book, outcomes } = fold([snapshot(10), delta(11, 12), snapshot(12, [lvl('100.00', 1)], []), delta(12, 13, [], [lvl('101.00', 4)])]);
    expect(outcomes).toEqual(['snapshot', 'gap', 'snapshot', 'applied']);
    expect(book).toEqual({ symbol: 'AAPL', seq: 13, bids: [lvl('100.00', 1)], asks: [lvl('101.00', 4)] });
  });

  it('ignores updates for another symbol', () => {
    expect(applyBookUpdate(emptyBook('MSFT'), snapshot(1)).outcome).toBe('stale');
  });
});

describe('ladder', () => {
  it('cumulates quantities from the touch and scales depth bars to the deeper side', () => {
    const { book } = fold([snapshot(1)]);
    const { bids, asks } = ladder(book, 10);
    expect(bids.map((r) => [r.price, r.cumulative, r.depth])).toEqual([
      ['100.00', 5, 5 / 15],
      ['99.00', 15, 1],
    ]);
    expect(asks.map((r) => [r.price, r.cumulative])).toEqual([
      ['100.50', 3],
      ['101.00', 10],
    ]);
  });

  it('shows only the requested depth', () => {
    const { book } = fold([snapshot(1)]);
    expect(ladder(book, 1).bids).toHaveLength(1);
    expect(ladder(emptyBook('AAPL'), 5)).toEqual({ bids: [], asks: [] });
  });
});

describe('own orders in the ladder', () => {
  const order = (side: string, price: string | null, leavesQty: number, status = 'NEW', type = 'LIMIT', symbol = 'AAPL') => ({ symbol, side, type, price, leavesQty, status });

  it('sums the open quantity per side and price, whatever the price’s trailing zeros', () => {
    const own = ownLevels(
      [order('BUY', '150.00', 10), order('BUY', '150.0', 5, 'PARTIALLY_FILLED'), order('SELL', '151.00', 7), order('BUY', '149.00', 3, 'FILLED'), order('BUY', null, 9, 'NEW', 'MARKET'), order('BUY', '150.00', 4, 'NEW', 'LIMIT', 'MSFT')],
      'AAPL',
    );
    expect([...own.bid]).toEqual([['150', 15]]);
    expect([...own.ask]).toEqual([['151', 7]]);
    expect(priceKey('150.00')).toBe(priceKey('150'));
    expect(priceKey('0.50')).toBe('0.5');
  });
});

describe('book status line', () => {
  it('never says Live while the connection is down', () => {
    expect(bookStatusView('live', 'connected')).toEqual({ kind: 'live', label: 'Live' });
    expect(bookStatusView('live', 'reconnecting').kind).toBe('offline');
    expect(bookStatusView('live', 'reconnecting').label).not.toMatch(/^Live/);
    expect(bookStatusView('loading', 'reconnecting').kind).toBe('loading');
  });
});
