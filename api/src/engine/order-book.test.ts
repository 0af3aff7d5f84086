import { afterEach, describe, expect, it } from 'vitest';
import { assertBookInvariants, OrderBook, type BookOptions, type Command, type CommandResult, type EngineEvent, type NewOrderCommand, type RestingOrder, type TradeEvent } from './index.js';
import { amend, ask, bid, cancel, market } from '../../test/support/engine/commands.js';

const books: OrderBook[] = [];
function makeBook(options?: BookOptions): OrderBook {
  const b = new OrderBook('TEST', options);
  books.push(b);
  return b;
}
afterEach(() => {
  for (const b of books.splice(0)) assertBookInvariants(b);
});

/** Executes commands, asserting each is OK; returns the last result. */
function run(book: OrderBook, ...cmds: Command[]): CommandResult {
  let last: CommandResult = { code: 'OK', events: [] };
  for (const c of cmds) {
    last = book.execute(c);
    expect(last.code, JSON.stringify(c)).toBe('OK');
  }
  return last;
}
const types = (r: CommandResult): string[] => r.events.map((e) => e.type);
const trades = (r: CommandResult): TradeEvent[] => r.events.filter((e): e is TradeEvent => e.type === 'trade');
const ids = (book: OrderBook): number[] => book.restingOrders().map((o) => o.orderId);
const levelOf = (book: OrderBook, side: 'bids' | 'asks', price: number): number[] =>
  book.restingOrders().filter((o) => o.price === price && o.side === (side === 'bids' ? 'BUY' : 'SELL')).map((o) => o.orderId);

describe('new limit order', () => {
  it('rests when it does not cross and is reported as accepted at seq 1', () => {
    const book = makeBook();
    const r = run(book, bid(1, 100, 10, { timestamp: 42 }));
    expect(r.events).toEqual([
      {
        type: 'accepted',
        seq: 1,
        timestamp: 42,
        order: { orderId: 1, account: 1, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 100, qty: 10, cumQty: 0, leavesQty: 10, cumNotional: 0, status: 'NEW' },
      },
    ]);
    expect(book.seq).toBe(1);
    expect(book.restingCount).toBe(1);
    expect(book.bestBid()).toBe(100);
    expect(book.bestAsk()).toBeUndefined();
  });

  it('fills makers at their own price, best price first, sweeping levels', () => {
    const book = makeBook();
    run(book, ask(1, 102, 5), ask(2, 101, 5), ask(3, 103, 5));
    const r = run(book, bid(4, 103, 12));
    expect(trades(r).map((t) => [t.price, t.qty, t.maker.orderId])).toEqual([
      [101, 5, 2],
      [102, 5, 1],
      [103, 2, 3],
    ]);
    expect(trades(r)[2]!.taker).toMatchObject({ cumQty: 12, leavesQty: 0, status: 'FILLED', cumNotional: 505 + 510 + 206 });
    expect(book.restingOrders()).toEqual([{ orderId: 3, account: 3, side: 'SELL', tif: 'GTC', price: 103, qty: 5, cumQty: 2, cumNotional: 206 }]);
  });

  it('gives time priority within a price level', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5), ask(2, 100, 5), ask(3, 100, 5));
    const r = run(book, bid(4, 100, 7));
    expect(trades(r).map((t) => [t.maker.orderId, t.qty])).toEqual([
      [1, 5],
      [2, 2],
    ]);
    expect(levelOf(book, 'asks', 100)).toEqual([2, 3]);
  });

  it('stops at its limit and rests the remainder at its limit price', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5), ask(2, 105, 5));
    const r = run(book, bid(3, 102, 8));
    expect(types(r)).toEqual(['accepted', 'trade']);
    expect(book.bestBid()).toBe(102);
    expect(book.bestAsk()).toBe(105);
    expect(book.getOrder(3)).toMatchObject({ price: 102, qty: 8, cumQty: 5, leavesQty: 3, status: 'PARTIALLY_FILLED', cumNotional: 500 });
  });

  it('keeps a partially filled maker at the head of its level', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), bid(2, 100, 10), ask(3, 100, 4));
    expect(levelOf(book, 'bids', 100)).toEqual([1, 2]);
    expect(book.getOrder(1)).toMatchObject({ cumQty: 4, leavesQty: 6, status: 'PARTIALLY_FILLED' });
    const r = run(book, ask(4, 99, 7));
    expect(trades(r).map((t) => [t.maker.orderId, t.qty, t.price])).toEqual([
      [1, 6, 100],
      [2, 1, 100],
    ]);
  });

  it('cancels the remainder of an IOC limit order', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5));
    const r = run(book, bid(2, 100, 8, { tif: 'IOC' }));
    expect(types(r)).toEqual(['accepted', 'trade', 'canceled']);
    expect(r.events[2]).toMatchObject({ reason: 'IOC_REMAINDER', canceledQty: 3, order: { status: 'CANCELED', cumQty: 5, leavesQty: 0 } });
    expect(book.restingCount).toBe(0);
  });

  it('cancels an IOC limit order that finds nothing to match', () => {
    const book = makeBook();
    const r = run(book, bid(1, 100, 8, { tif: 'IOC' }));
    expect(types(r)).toEqual(['accepted', 'canceled']);
    expect(r.events[1]).toMatchObject({ reason: 'IOC_REMAINDER', canceledQty: 8, order: { status: 'CANCELED', cumQty: 0 } });
  });

  it('rests the remainder of a DAY order like GTC', () => {
    const book = makeBook();
    run(book, bid(1, 100, 8, { tif: 'DAY' }));
    expect(book.getOrder(1)).toMatchObject({ tif: 'DAY', status: 'NEW' });
  });
});

describe('market order', () => {
  it('sweeps levels and cancels what it cannot fill', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5), bid(2, 99, 5));
    const r = run(book, market('SELL', 3, 12));
    expect(types(r)).toEqual(['accepted', 'trade', 'trade', 'canceled']);
    expect(r.events[0]).toMatchObject({ order: { ordType: 'MARKET', tif: 'IOC', price: 0 } });
    expect(r.events[3]).toMatchObject({ reason: 'MARKET_REMAINDER', canceledQty: 2, order: { status: 'CANCELED', cumQty: 10, cumNotional: 995 } });
    expect(book.restingCount).toBe(0);
  });

  it('on an empty book is accepted and canceled with nothing traded', () => {
    const book = makeBook();
    const r = run(book, market('BUY', 1, 5));
    expect(types(r)).toEqual(['accepted', 'canceled']);
    expect(r.events[1]).toMatchObject({ reason: 'MARKET_REMAINDER', canceledQty: 5 });
  });

  it('accepts an explicit price of 0', () => {
    expect(makeBook().execute(market('BUY', 1, 5, { price: 0 })).code).toBe('OK');
  });

  it.each(['GTC', 'DAY'] as const)('rejects time in force %s', (tif) => {
    const r = makeBook().execute(market('BUY', 1, 5, { tif }));
    expect(r.code).toBe('INVALID_TIME_IN_FORCE');
  });

  it.each([5, -1, 1.5, NaN])('rejects price %s', (price) => {
    expect(makeBook().execute(market('BUY', 1, 5, { price })).code).toBe('INVALID_PRICE');
  });
});

describe('fill or kill', () => {
  it('fills entirely across levels when the liquidity is there', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5), ask(2, 101, 5));
    const r = run(book, bid(3, 101, 10, { tif: 'FOK' }));
    expect(types(r)).toEqual(['accepted', 'trade', 'trade']);
    expect(book.restingCount).toBe(0);
  });

  it('is canceled with no trade and no change to resting orders when it cannot fill', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5), ask(2, 101, 5), ask(3, 102, 50));
    const before = book.restingOrders();
    const r = run(book, bid(4, 101, 11, { tif: 'FOK' }));
    expect(types(r)).toEqual(['accepted', 'canceled']);
    expect(r.events[1]).toMatchObject({ seq: 5, reason: 'FOK_UNFILLABLE', canceledQty: 11, order: { status: 'CANCELED', cumQty: 0 } });
    expect(book.restingOrders()).toEqual(before);
    expect(book.lastTrade()).toBeUndefined();
  });

  it('does not count orders of its own account as liquidity', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5, { account: 7 }), ask(2, 100, 5, { account: 8 }));
    const r = run(book, bid(3, 100, 10, { tif: 'FOK', account: 7 }));
    expect(r.events[1]).toMatchObject({ type: 'canceled', reason: 'FOK_UNFILLABLE' });
    expect(ids(book)).toEqual([1, 2]);
  });

  it('fills past its own orders under CANCEL_RESTING, canceling them', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5, { account: 7 }), ask(2, 100, 5, { account: 8 }));
    const r = run(book, bid(3, 100, 5, { tif: 'FOK', account: 7 }));
    expect(types(r)).toEqual(['accepted', 'canceled', 'trade']);
    expect(r.events[1]).toMatchObject({ reason: 'SELF_TRADE', order: { orderId: 1 } });
    expect(book.restingCount).toBe(0);
  });

  it('does not count liquidity behind its own order under CANCEL_INCOMING', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5, { account: 8 }), ask(2, 100, 5, { account: 7 }), ask(3, 100, 5, { account: 9 }));
    const r = run(book, bid(4, 100, 10, { tif: 'FOK', account: 7, stp: 'CANCEL_INCOMING' }));
    expect(types(r)).toEqual(['accepted', 'canceled']);
    expect(r.events[1]).toMatchObject({ reason: 'FOK_UNFILLABLE' });
    expect(ids(book)).toEqual([1, 2, 3]);
  });

  it('as a MARKET order ignores price and needs the whole quantity', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5), bid(2, 50, 5));
    expect(types(run(book, market('SELL', 3, 11, { tif: 'FOK' })))).toEqual(['accepted', 'canceled']);
    expect(types(run(book, market('SELL', 4, 10, { tif: 'FOK' })))).toEqual(['accepted', 'trade', 'trade']);
  });
});

describe('post-only', () => {
  it('rests when it would not trade', () => {
    const book = makeBook();
    run(book, ask(1, 101, 5), bid(2, 100, 5, { postOnly: true }));
    expect(book.bestBid()).toBe(100);
  });

  it('is rejected when it would trade on arrival, changing nothing', () => {
    const book = makeBook();
    run(book, ask(1, 101, 5));
    const hash = book.stateHash();
    const r = book.execute(bid(2, 101, 5, { postOnly: true }));
    expect(r).toEqual({ code: 'POST_ONLY_WOULD_TAKE', events: [{ type: 'rejected', seq: 1, timestamp: 1, orderId: 2, reason: 'POST_ONLY_WOULD_TAKE', command: 'new' }] });
    expect(book.stateHash()).toBe(hash);
  });

  it('is rejected even when the crossing order belongs to the same account', () => {
    const book = makeBook();
    run(book, ask(1, 101, 5, { account: 3 }));
    expect(book.execute(bid(2, 105, 5, { postOnly: true, account: 3 })).code).toBe('POST_ONLY_WOULD_TAKE');
  });

  it('is refused on a MARKET order as a malformed command', () => {
    expect(makeBook().execute(market('BUY', 1, 5, { postOnly: true })).code).toBe('INVALID_COMMAND');
  });
});

describe('cancel', () => {
  it('removes a resting order and reports the quantity removed', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), bid(2, 100, 10), bid(3, 100, 10));
    const r = run(book, cancel(2, { timestamp: 9 }));
    expect(r.events).toEqual([
      {
        type: 'canceled',
        seq: 4,
        timestamp: 9,
        reason: 'USER',
        canceledQty: 10,
        order: { orderId: 2, account: 2, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 100, qty: 10, cumQty: 0, leavesQty: 0, cumNotional: 0, status: 'CANCELED' },
      },
    ]);
    expect(levelOf(book, 'bids', 100)).toEqual([1, 3]);
    expect(book.depth(1).bids).toEqual([{ price: 100, qty: 20, count: 2 }]);
  });

  it.each(['MASS_CANCEL', 'ACCOUNT_DISABLED', 'DISCONNECT'] as const)('carries the reason %s it was sent with into its event', (reason) => {
    const book = makeBook();
    run(book, bid(1, 100, 10));
    const r = run(book, cancel(1, { reason }));
    expect(r.events[0]).toMatchObject({ type: 'canceled', reason, canceledQty: 10 });
  });

  it('refuses a reason it does not know as a malformed command, changing nothing', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10));
    const r = book.execute(cancel(1, { reason: 'SELF_TRADE' as never }));
    expect(r.code).toBe('INVALID_COMMAND');
    expect(book.depth(1).bids).toEqual([{ price: 100, qty: 10, count: 1 }]);
  });

  it('keeps cumQty and reports CANCELED after a partial fill', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), ask(2, 100, 4));
    expect(run(book, cancel(1)).events[0]).toMatchObject({ canceledQty: 6, order: { status: 'CANCELED', cumQty: 4, leavesQty: 0, cumNotional: 400 } });
  });

  it('removes the level when its last order goes', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), bid(2, 99, 10), cancel(1));
    expect(book.bestBid()).toBe(99);
    expect(book.depth(5).bids).toEqual([{ price: 99, qty: 10, count: 1 }]);
  });

  it('accepts an admin cancel without account and the owner account', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10, { account: 5 }), bid(2, 100, 10, { account: 5 }), cancel(1), cancel(2, { account: 5 }));
    expect(book.restingCount).toBe(0);
  });

  it('refuses another account with NOT_OWNER and changes nothing', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10, { account: 5 }));
    const r = book.execute(cancel(1, { account: 6 }));
    expect(r).toEqual({ code: 'NOT_OWNER', events: [{ type: 'rejected', seq: 1, timestamp: 1, orderId: 1, reason: 'NOT_OWNER', command: 'cancel' }] });
    expect(book.restingCount).toBe(1);
  });

  it.each([
    ['never seen', []],
    ['already canceled', [bid(1, 100, 10), cancel(1)]],
    ['filled', [bid(1, 100, 10), ask(2, 100, 10)]],
  ] as const)('reports UNKNOWN_ORDER for an order %s', (_name, setup) => {
    const book = makeBook();
    run(book, ...setup);
    expect(book.execute(cancel(1)).code).toBe('UNKNOWN_ORDER');
  });

  it.each([0, -1, 1.5, NaN, Infinity, 2 ** 53])('reports INVALID_ORDER_ID for id %s', (id) => {
    expect(makeBook().execute(cancel(id)).code).toBe('INVALID_ORDER_ID');
  });
});

describe('amend', () => {
  it('keeps time priority when quantity is reduced', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), bid(2, 100, 10));
    const r = run(book, amend(1, 4));
    expect(r.events).toEqual([
      {
        type: 'amended',
        seq: 3,
        timestamp: 1,
        priorityKept: true,
        order: { orderId: 1, account: 1, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 100, qty: 4, cumQty: 0, leavesQty: 4, cumNotional: 0, status: 'NEW' },
      },
    ]);
    expect(levelOf(book, 'bids', 100)).toEqual([1, 2]);
    expect(book.depth(1).bids).toEqual([{ price: 100, qty: 14, count: 2 }]);
  });

  it('loses time priority when quantity is increased', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), bid(2, 100, 10));
    expect(run(book, amend(1, 11)).events[0]).toMatchObject({ priorityKept: false, order: { qty: 11, leavesQty: 11 } });
    expect(levelOf(book, 'bids', 100)).toEqual([2, 1]);
  });

  it('loses time priority and moves to the back of the new level when the price changes', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), bid(2, 99, 10), bid(3, 100, 10));
    run(book, amend(1, 10, 99));
    expect(ids(book)).toEqual([3, 2, 1]);
    expect(book.depth(5).bids).toEqual([
      { price: 100, qty: 10, count: 1 },
      { price: 99, qty: 20, count: 2 },
    ]);
  });

  it('treats the new quantity as the total: leaves = qty - cumQty', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10), ask(2, 100, 4));
    expect(run(book, amend(1, 6)).events[0]).toMatchObject({ priorityKept: true, order: { qty: 6, cumQty: 4, leavesQty: 2, status: 'PARTIALLY_FILLED' } });
    expect(book.depth(1).bids).toEqual([{ price: 100, qty: 2, count: 1 }]);
  });

  it('trades immediately as taker when the new price crosses', () => {
    const book = makeBook();
    run(book, ask(1, 101, 3), ask(2, 102, 3), bid(3, 100, 5));
    const r = run(book, amend(3, 5, 102));
    expect(types(r)).toEqual(['amended', 'trade', 'trade']);
    const [t1, t2] = trades(r);
    expect(t1).toMatchObject({ price: 101, qty: 3, aggressorSide: 'BUY', maker: { orderId: 1, status: 'FILLED' }, taker: { orderId: 3, cumQty: 3, status: 'PARTIALLY_FILLED' } });
    expect(t2).toMatchObject({ price: 102, qty: 2, taker: { orderId: 3, cumQty: 5, leavesQty: 0, status: 'FILLED' } });
    expect(book.getOrder(3)).toBeUndefined();
    expect(ids(book)).toEqual([2]);
  });

  it('rests what is left after crossing at the new price', () => {
    const book = makeBook();
    run(book, ask(1, 101, 3), bid(2, 100, 5));
    run(book, amend(2, 5, 101));
    expect(book.getOrder(2)).toMatchObject({ price: 101, cumQty: 3, leavesQty: 2 });
    expect(book.bestAsk()).toBeUndefined();
  });

  it.each([
    [4, 'equal to cumQty'],
    [3, 'below cumQty'],
  ])('reports AMEND_BELOW_FILLED for qty %s (%s)', (qty) => {
    const book = makeBook();
    run(book, bid(1, 100, 10), ask(2, 100, 4));
    const hash = book.stateHash();
    expect(book.execute(amend(1, qty)).code).toBe('AMEND_BELOW_FILLED');
    expect(book.stateHash()).toBe(hash);
  });

  it('reports UNKNOWN_ORDER for a filled order and NOT_OWNER for another account', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10, { account: 5 }), ask(2, 100, 10), bid(3, 90, 1, { account: 5 }));
    expect(book.execute(amend(1, 20)).code).toBe('UNKNOWN_ORDER');
    expect(book.execute(amend(3, 2, undefined, { account: 6 })).code).toBe('NOT_OWNER');
    expect(book.execute(amend(3, 2, undefined, { account: 5 })).code).toBe('OK');
  });

  it.each([
    ['orderId 0', amend(0, 5), 'INVALID_ORDER_ID'],
    ['qty 0', amend(1, 0), 'INVALID_QUANTITY'],
    ['qty -3', amend(1, -3), 'INVALID_QUANTITY'],
    ['qty 2.5', amend(1, 2.5), 'INVALID_QUANTITY'],
    ['qty NaN', amend(1, NaN), 'INVALID_QUANTITY'],
    ['price 0', amend(1, 5, 0), 'INVALID_PRICE'],
    ['price 1.5', amend(1, 5, 1.5), 'INVALID_PRICE'],
    ['price 2^53', amend(1, 5, 2 ** 53), 'INVALID_PRICE'],
  ] as const)('rejects %s with %s and changes nothing', (_name, cmd, code) => {
    const book = makeBook();
    run(book, bid(1, 100, 10));
    const hash = book.stateHash();
    const r = book.execute(cmd);
    expect(r.code).toBe(code);
    expect(r.events).toEqual([{ type: 'rejected', seq: 1, timestamp: 1, orderId: cmd.orderId, reason: code, command: 'amend' }]);
    expect(book.stateHash()).toBe(hash);
  });
});

describe('expireDay', () => {
  it('expires every resting DAY order in priority order and keeps GTC orders', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5, { tif: 'DAY' }), bid(2, 101, 5), bid(3, 101, 5, { tif: 'DAY' }), ask(4, 110, 5, { tif: 'DAY' }), ask(5, 120, 5));
    const r = run(book, { type: 'expireDay', timestamp: 77 });
    expect(r.events.map((e) => [e.type, e.seq, 'order' in e ? e.order.orderId : 0])).toEqual([
      ['expired', 6, 3],
      ['expired', 7, 1],
      ['expired', 8, 4],
    ]);
    expect(r.events[0]).toMatchObject({ timestamp: 77, order: { status: 'EXPIRED', leavesQty: 0 } });
    expect(ids(book)).toEqual([2, 5]);
  });

  it('keeps cumQty of a partially filled DAY order', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5, { tif: 'DAY' }), ask(2, 100, 2));
    expect(run(book, { type: 'expireDay', timestamp: 2 }).events[0]).toMatchObject({ order: { cumQty: 2, leavesQty: 0, status: 'EXPIRED' } });
  });

  it('produces no event and keeps seq when no DAY order rests', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5));
    expect(run(book, { type: 'expireDay', timestamp: 2 }).events).toEqual([]);
    expect(book.seq).toBe(1);
  });
});

describe('self-trade prevention', () => {
  it('cancels the resting order and keeps matching by default (CANCEL_RESTING)', () => {
    const book = makeBook();
    run(book, ask(1, 100, 5, { account: 7 }), ask(2, 100, 5, { account: 8 }));
    const r = run(book, bid(3, 100, 8, { account: 7 }));
    expect(types(r)).toEqual(['accepted', 'canceled', 'trade']);
    expect(r.events[1]).toMatchObject({ seq: 4, reason: 'SELF_TRADE', canceledQty: 5, order: { orderId: 1, status: 'CANCELED' } });
    expect(trades(r)[0]).toMatchObject({ maker: { orderId: 2, account: 8 }, qty: 5 });
    expect(book.getOrder(3)).toMatchObject({ leavesQty: 3 });
  });

  it('cancels the incoming remainder and stops under CANCEL_INCOMING', () => {
    const book = makeBook({ stp: 'CANCEL_INCOMING' });
    run(book, ask(1, 100, 5, { account: 8 }), ask(2, 100, 5, { account: 7 }), ask(3, 100, 5, { account: 9 }));
    const r = run(book, bid(4, 100, 12, { account: 7 }));
    expect(types(r)).toEqual(['accepted', 'trade', 'canceled']);
    expect(r.events[2]).toMatchObject({ reason: 'SELF_TRADE', canceledQty: 7, order: { orderId: 4, cumQty: 5, status: 'CANCELED' } });
    expect(ids(book)).toEqual([2, 3]);
  });

  it.each([
    ['CANCEL_RESTING', 'CANCEL_INCOMING', ['accepted', 'canceled']],
    ['CANCEL_INCOMING', 'CANCEL_RESTING', ['accepted', 'canceled', 'trade']],
  ] as const)('lets a per-command mode override the book mode (book %s, command %s)', (bookMode, cmdMode, expected) => {
    const book = makeBook({ stp: bookMode });
    run(book, ask(1, 100, 5, { account: 7 }), ask(2, 100, 5, { account: 8 }));
    expect(types(run(book, bid(3, 100, 5, { account: 7, stp: cmdMode })))).toEqual(expected);
  });

  it('never trades two orders of the same account, also on amend', () => {
    const book = makeBook({ stp: 'CANCEL_INCOMING' });
    run(book, ask(1, 101, 5, { account: 7 }), bid(2, 100, 5, { account: 7 }));
    const r = run(book, amend(2, 5, 101));
    expect(types(r)).toEqual(['amended', 'canceled']);
    expect(r.events[1]).toMatchObject({ reason: 'SELF_TRADE', order: { orderId: 2 } });
    expect(ids(book)).toEqual([1]);
  });
});

describe('events and sequence numbers', () => {
  it('advances seq by one per state-changing event and not for rejections', () => {
    const book = makeBook();
    run(book, ask(1, 100, 3), ask(2, 100, 3));
    const r = run(book, bid(3, 101, 10, { tif: 'IOC' }));
    expect(r.events.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
    expect(book.execute(bid(3, 0, 1)).events[0]!.seq).toBe(6);
    expect(book.seq).toBe(6);
    expect(run(book, bid(4, 99, 1)).events[0]!.seq).toBe(7);
  });

  it('reports trades with tradeId = seq, the aggressor side, and both orders after the fill', () => {
    const book = makeBook();
    run(book, bid(1, 100, 10, { timestamp: 5 }));
    const r = run(book, ask(2, 99, 4, { timestamp: 6 }));
    expect(r.events[1]).toEqual({
      type: 'trade',
      seq: 3,
      timestamp: 6,
      tradeId: 3,
      price: 100,
      qty: 4,
      aggressorSide: 'SELL',
      maker: { orderId: 1, account: 1, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 100, qty: 10, cumQty: 4, leavesQty: 6, cumNotional: 400, status: 'PARTIALLY_FILLED' },
      taker: { orderId: 2, account: 2, side: 'SELL', ordType: 'LIMIT', tif: 'GTC', price: 99, qty: 4, cumQty: 4, leavesQty: 0, cumNotional: 400, status: 'FILLED' },
    });
    expect(book.lastTrade()).toEqual({ price: 100, qty: 4, tradeId: 3, timestamp: 6 });
  });
});

describe('bad input', () => {
  const bad = (o: Partial<NewOrderCommand>): NewOrderCommand => bid(9, 100, 5, o);
  const cases: [string, NewOrderCommand, string][] = [
    ['orderId 0', bad({ orderId: 0 }), 'INVALID_ORDER_ID'],
    ['orderId -1', bad({ orderId: -1 }), 'INVALID_ORDER_ID'],
    ['orderId 1.5', bad({ orderId: 1.5 }), 'INVALID_ORDER_ID'],
    ['orderId NaN', bad({ orderId: NaN }), 'INVALID_ORDER_ID'],
    ['orderId 2^53', bad({ orderId: 2 ** 53 }), 'INVALID_ORDER_ID'],
    ['orderId as string', bad({ orderId: '9' as unknown as number }), 'INVALID_ORDER_ID'],
    ['qty 0', bad({ qty: 0 }), 'INVALID_QUANTITY'],
    ['qty -5', bad({ qty: -5 }), 'INVALID_QUANTITY'],
    ['qty 0.5', bad({ qty: 0.5 }), 'INVALID_QUANTITY'],
    ['qty NaN', bad({ qty: NaN }), 'INVALID_QUANTITY'],
    ['qty Infinity', bad({ qty: Infinity }), 'INVALID_QUANTITY'],
    ['qty 2^53', bad({ qty: 2 ** 53 }), 'INVALID_QUANTITY'],
    ['price 0', bad({ price: 0 }), 'INVALID_PRICE'],
    ['price -100', bad({ price: -100 }), 'INVALID_PRICE'],
    ['price 100.5', bad({ price: 100.5 }), 'INVALID_PRICE'],
    ['price NaN', bad({ price: NaN }), 'INVALID_PRICE'],
    ['price missing', bad({ price: undefined }), 'INVALID_PRICE'],
    ['price 2^53', bad({ price: 2 ** 53 }), 'INVALID_PRICE'],
    ['tif GTX', bad({ tif: 'GTX' as never }), 'INVALID_TIME_IN_FORCE'],
    ['side X', bad({ side: 'X' as never }), 'INVALID_COMMAND'],
    ['ordType STOP', bad({ ordType: 'STOP' as never }), 'INVALID_COMMAND'],
    ['account NaN', bad({ account: NaN }), 'INVALID_COMMAND'],
    ['stp mode unknown', bad({ stp: 'NONE' as never }), 'INVALID_COMMAND'],
    ['duplicate resting id', bad({ orderId: 1 }), 'DUPLICATE_ORDER_ID'],
  ];
  it.each(cases)('rejects a new order with %s, with one rejected event and no change', (_name, cmd, code) => {
    const book = makeBook();
    run(book, bid(1, 100, 5), ask(2, 101, 5));
    const hash = book.stateHash();
    const r = book.execute(cmd);
    expect(r.code).toBe(code);
    expect(r.events).toEqual([{ type: 'rejected', seq: 2, timestamp: 1, orderId: cmd.orderId, reason: code, command: 'new' }]);
    expect(book.stateHash()).toBe(hash);
    expect(book.seq).toBe(2);
  });

  it('accepts an order id again once the earlier order no longer rests', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5), cancel(1), bid(1, 100, 5));
    expect(book.restingCount).toBe(1);
  });

  it.each([
    ['null', null],
    ['a number', 5],
    ['an unknown type', { type: 'replace', orderId: 1, timestamp: 1 }],
  ])('returns INVALID_COMMAND without events for %s', (_name, cmd) => {
    const book = makeBook();
    expect(book.execute(cmd as unknown as Command)).toEqual({ code: 'INVALID_COMMAND', events: [] });
    expect(book.seq).toBe(0);
  });
});

describe('market data', () => {
  it('gives n levels per side, best first, with total quantity, order count and seq', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5), bid(2, 100, 7), bid(3, 98, 1), bid(4, 99, 2), ask(5, 103, 4), ask(6, 102, 3), ask(7, 104, 1));
    expect(book.depth(2)).toEqual({
      bids: [
        { price: 100, qty: 12, count: 2 },
        { price: 99, qty: 2, count: 1 },
      ],
      asks: [
        { price: 102, qty: 3, count: 1 },
        { price: 103, qty: 4, count: 1 },
      ],
      seq: 7,
    });
    expect(book.depth(Infinity).bids.map((l) => l.price)).toEqual([100, 99, 98]);
  });

  it.each([0, -1, NaN])('returns no levels for depth(%s)', (n) => {
    const book = makeBook();
    run(book, bid(1, 100, 5));
    expect(book.depth(n)).toEqual({ bids: [], asks: [], seq: 1 });
  });

  it('returns resting orders only from getOrder', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5), ask(2, 100, 5), bid(3, 99, 5));
    expect(book.getOrder(1)).toBeUndefined();
    expect(book.getOrder(3)).toMatchObject({ orderId: 3, status: 'NEW', leavesQty: 5 });
    expect(book.getOrder(NaN)).toBeUndefined();
  });

  it('lists resting orders bids best to worst FIFO, then asks', () => {
    const book = makeBook();
    run(book, ask(1, 105, 1), bid(2, 99, 1), bid(3, 100, 1), ask(4, 104, 1), bid(5, 99, 1), ask(6, 104, 1));
    expect(ids(book)).toEqual([3, 2, 5, 4, 6, 1]);
  });
});

describe('restore', () => {
  it('rebuilds a book with the same state hash, resting orders and behaviour', () => {
    const book = makeBook();
    run(book, bid(1, 100, 5, { tif: 'DAY' }), bid(2, 100, 6), ask(3, 102, 7), ask(4, 101, 2), bid(5, 101, 1));
    const copy = OrderBook.restore('TEST', book.restingOrders(), book.seq, undefined, book.lastTrade());
    books.push(copy);
    expect(copy.stateHash()).toBe(book.stateHash());
    expect(copy.restingOrders()).toEqual(book.restingOrders());
    const next = market('SELL', 9, 20);
    expect(copy.execute(next)).toEqual(book.execute(next));
    expect(copy.execute({ type: 'expireDay', timestamp: 3 })).toEqual(book.execute({ type: 'expireDay', timestamp: 3 }));
  });

  const good: RestingOrder = { orderId: 1, account: 1, side: 'BUY', tif: 'GTC', price: 100, qty: 5, cumQty: 0, cumNotional: 0 };
  it.each([
    ['a duplicate id', [good, { ...good, price: 99 }], 5],
    ['a crossed book', [good, { ...good, orderId: 2, side: 'SELL', price: 100 }], 5],
    ['cumQty equal to qty', [{ ...good, cumQty: 5 }], 5],
    ['an IOC order', [{ ...good, tif: 'IOC' }], 5],
    ['a fractional price', [{ ...good, price: 99.5 }], 5],
    ['a negative seq', [good], -1],
  ] as [string, RestingOrder[], number][])('throws RangeError on %s', (_name, orders, seq) => {
    expect(() => OrderBook.restore('TEST', orders, seq)).toThrow(RangeError);
  });
});

describe('state hash', () => {
  it('is the same for the same commands and differs when FIFO order differs', () => {
    const a = makeBook();
    const b = makeBook();
    const c = makeBook();
    run(a, bid(1, 100, 5), bid(2, 100, 5));
    run(b, bid(1, 100, 5), bid(2, 100, 5));
    run(c, bid(2, 100, 5), bid(1, 100, 5));
    expect(a.stateHash()).toMatch(/^[0-9a-f]{16}$/);
    expect(a.stateHash()).toBe(b.stateHash());
    expect(a.stateHash()).not.toBe(c.stateHash());
  });

  it('changes with seq and with the last trade', () => {
    const a = OrderBook.restore('T', [], 5);
    const b = OrderBook.restore('T', [], 6);
    const c = OrderBook.restore('T', [], 6, undefined, { price: 1, qty: 1, tradeId: 6, timestamp: 0 });
    expect(new Set([a.stateHash(), b.stateHash(), c.stateHash()]).size).toBe(3);
  });
});

describe('storage growth', () => {
  it('keeps every order reachable across several storage chunks and slot reuse', () => {
    const book = makeBook();
    const n = 40_000; // > 2 chunks of 16,384 records
    for (let i = 1; i <= n; i++) book.execute(i % 2 ? bid(i, 1_000 - (i % 50), 1 + (i % 9)) : ask(i, 1_001 + (i % 50), 1 + (i % 9)));
    expect(book.restingCount).toBe(n);
    for (let i = 1; i <= n; i += 3) expect(book.execute(cancel(i)).code).toBe('OK');
    for (let i = n + 1; i <= n + 5_000; i++) book.execute(bid(i, 900, 1));
    expect(book.getOrder(2)).toMatchObject({ orderId: 2, side: 'SELL', price: 1_003, qty: 3 });
    expect(book.getOrder(n + 5_000)).toMatchObject({ price: 900, qty: 1 });
    expect(book.getOrder(4)).toBeUndefined();
    expect(book.restingCount).toBe(n - Math.ceil(n / 3) + 5_000);
  });
});

describe('assertBookInvariants', () => {
  it('detects a level total that disagrees with its orders', () => {
    const book = new OrderBook('BROKEN');
    run(book, bid(1, 100, 5));
    const { bids } = book.internals;
    bids.total[bids.heap[0]!] = 4;
    expect(() => assertBookInvariants(book)).toThrow(/total 4 but orders sum to 5/);
  });

  it('detects a crossed book', () => {
    const book = new OrderBook('BROKEN');
    run(book, bid(1, 100, 5), ask(2, 101, 5));
    const { asks } = book.internals;
    const lvl = asks.heap[0]!;
    asks.byPrice.delete(101);
    asks.byPrice.add(100, lvl);
    asks.price[lvl] = 100;
    asks.key[0] = 100;
    expect(() => assertBookInvariants(book)).toThrow(/crossed/);
  });

  it('passes for a book after many commands', () => {
    const book = makeBook();
    const events: EngineEvent[] = [];
    for (let i = 1; i <= 200; i++) events.push(...book.execute(i % 2 ? bid(i, 100 + (i % 7), 1 + (i % 5)) : ask(i, 103 + (i % 5), 2)).events);
    expect(events.length).toBeGreaterThan(200);
    expect(() => assertBookInvariants(book)).not.toThrow();
  });
});
