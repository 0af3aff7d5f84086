/**
 * The order path end to end through GraphQL: matching outcomes (fills, sweeps, cancels, amends,
 * IOC/FOK/market/post-only, self-trade prevention), what the read side shows afterwards (orders,
 * holdings, tape, book, quotes, catalog search), ClOrdID idempotency and trading halts.
 * Most tests create their own product so each starts from an empty book.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { LOGIN, SIGN_UP, passwordOf } from '../support/gql.js';
import {
  HALT,
  PRODUCTS,
  QUOTE,
  RESUME,
  TRADES,
  ORDERS,
  adminClient,
  bookOf,
  countRows,
  createProduct,
  errorOf,
  newTrader,
  ok,
  type OrderView,
  type PageView,
  type TradingClient,
  widenBand,
} from '../support/trading.js';

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`trading through GraphQL on ${dialect}`, () => {
  let t: TestApp;
  let admin: TradingClient;
  /** Shared traders: tests that need clean accounts (holdings) sign up their own. */
  let alice: TradingClient;
  let bob: TradingClient;
  let carol: TradingClient;
  let n = 0;
  /** A new product with an empty book. */
  /** Prices in these tests roam from 9.97 to 200.00 on one product: its band is widened (the default ±10% is tested in risk.test.ts). */
  const freshSymbol = async (ref: string | null = '100.00') => widenBand(t.url, admin.token, await createProduct(t.url, admin.token, `ZT${++n}`, ref));
  /** New trader accounts (unique names). */
  const traders = async <N extends string[]>(...names: N) =>
    (await Promise.all(names.map((name) => newTrader(t.url, `${name}-${++n}`)))) as { [K in keyof N]: TradingClient };
  const tradesOf = async (symbol: string, first = 50, before?: string) =>
    (await ok(t.url, TRADES, { s: symbol, first, before: before ?? null })).trades as { tradeId: string; price: string; quantity: number; aggressorSide: string; time: string }[];

  beforeAll(async () => {
    t = await startTestApp(dialect);
    admin = await adminClient(t.url);
    [alice, bob, carol] = await traders('alice', 'bob', 'carol');
  });
  afterAll(async () => t?.dispose());

  it('signs a trader up and logs them in, each token identifying the account', async () => {
    const up = await ok(t.url, SIGN_UP, { u: 'dora', p: passwordOf('dora') });
    const login = await ok(t.url, LOGIN, { u: 'dora', p: passwordOf('dora') });
    expect(up.signUp.user).toMatchObject({ username: 'dora', role: 'TRADER' });
    expect(login.login.user.id).toBe(up.signUp.user.id);
    expect(login.login.token).not.toBe(up.signUp.token);
    for (const token of [up.signUp.token, login.login.token]) {
      expect((await ok(t.url, '{ me { id username role } }', {}, token)).me).toEqual(up.signUp.user);
    }
  });

  it('partially fills a resting order and shows cumQty, leavesQty, avgPx and status on both sides, then and later', async () => {
    const s = await freshSymbol();
    const sell = await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 100 });
    expect(sell).toMatchObject({ status: 'NEW', cumQty: 0, leavesQty: 100, avgPx: null, mine: true });

    const buy1 = await bob.place({ symbol: s, side: 'BUY', price: '10.50', quantity: 30 });
    expect(buy1).toMatchObject({ status: 'FILLED', quantity: 30, cumQty: 30, leavesQty: 0, avgPx: '10.000000', price: '10.50' });
    expect(await alice.order(sell.id)).toMatchObject({ status: 'PARTIALLY_FILLED', cumQty: 30, leavesQty: 70, avgPx: '10.000000' });

    const buy2 = await bob.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 20 });
    expect(buy2).toMatchObject({ status: 'FILLED', cumQty: 20, leavesQty: 0, avgPx: '10.000000' });

    const aliceOrders = (await alice.myOrders({ symbol: s })).nodes;
    expect(aliceOrders).toHaveLength(1);
    expect(aliceOrders[0]).toMatchObject({ id: sell.id, status: 'PARTIALLY_FILLED', quantity: 100, cumQty: 50, leavesQty: 50, avgPx: '10.000000' });
    const bobOrders = (await bob.myOrders({ symbol: s, sort: 'TIME_ASC' })).nodes;
    expect(bobOrders.map((o) => [o.id, o.status, o.cumQty, o.leavesQty])).toEqual([
      [buy1.id, 'FILLED', 30, 0],
      [buy2.id, 'FILLED', 20, 0],
    ]);
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [{ price: '10.00', quantity: 50, orderCount: 1 }] });
  });

  it('sweeps several price levels at the makers’ prices, with the exact average price', async () => {
    const s = await freshSymbol();
    const m1 = await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 1 });
    const m2 = await carol.place({ symbol: s, side: 'SELL', price: '10.01', quantity: 1 });
    const m3 = await alice.place({ symbol: s, side: 'SELL', price: '10.01', quantity: 1 });
    await alice.place({ symbol: s, side: 'SELL', price: '10.03', quantity: 5 });

    const taker = await bob.place({ symbol: s, side: 'BUY', price: '10.02', quantity: 3 });
    // (10.00 + 10.01 + 10.01) / 3 = 10.00666…, rounded half up at 6 decimals.
    expect(taker).toMatchObject({ status: 'FILLED', cumQty: 3, leavesQty: 0, avgPx: '10.006667' });
    for (const m of [m1, m3]) expect(await alice.order(m.id)).toMatchObject({ status: 'FILLED', cumQty: 1, avgPx: m.price + '0000' });
    expect(await carol.order(m2.id)).toMatchObject({ status: 'FILLED', cumQty: 1, avgPx: '10.010000' });

    const tape = await tradesOf(s);
    expect(tape.map((x) => [x.price, x.quantity, x.aggressorSide])).toEqual([
      ['10.01', 1, 'BUY'],
      ['10.01', 1, 'BUY'],
      ['10.00', 1, 'BUY'],
    ]);
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [{ price: '10.03', quantity: 5, orderCount: 1 }] });
  });

  it('cancels a resting order: CANCELED, nothing left open, gone from the book, and a second cancel is refused', async () => {
    const s = await freshSymbol();
    const a = await alice.place({ symbol: s, side: 'SELL', price: '20.00', quantity: 10 });
    await alice.place({ symbol: s, side: 'SELL', price: '20.00', quantity: 5 });
    await bob.place({ symbol: s, side: 'BUY', price: '20.00', quantity: 4 });

    const canceled = await alice.cancel(a.id);
    expect(canceled).toMatchObject({ id: a.id, status: 'CANCELED', reason: 'USER', cumQty: 4, leavesQty: 0, avgPx: '20.000000' });
    expect(await alice.order(a.id)).toMatchObject({ status: 'CANCELED', cumQty: 4, leavesQty: 0 });
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [{ price: '20.00', quantity: 5, orderCount: 1 }] });
    expect(await errorOf(t.url, `mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: a.id }, alice.token)).toMatchObject({
      code: 'CONFLICT',
      reason: 'ORDER_NOT_OPEN',
    });
  });

  it.each([
    { change: 'lowering the quantity keeps', firstPrice: '10.00', quantity: 6, price: undefined, filledFirst: 'first' },
    { change: 'raising the quantity loses', firstPrice: '10.00', quantity: 12, price: undefined, filledFirst: 'second' },
    { change: 'changing the price loses', firstPrice: '10.01', quantity: 10, price: '10.00', filledFirst: 'second' },
  ])('amend: $change time priority (proved by which maker fills first)', async ({ firstPrice, quantity, price, filledFirst }) => {
    const s = await freshSymbol();
    const first = await alice.place({ symbol: s, side: 'SELL', price: firstPrice, quantity: 10 });
    const second = await carol.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 10 });

    const amended = await alice.amend(first.id, quantity, price);
    expect(amended).toMatchObject({ id: first.id, status: 'NEW', quantity, leavesQty: quantity, price: '10.00' });
    expect((await bookOf(t.url, s)).asks).toEqual([{ price: '10.00', quantity: quantity + 10, orderCount: 2 }]);

    await bob.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 6 });
    const [a, c] = [await alice.order(first.id), await carol.order(second.id)];
    const [winner, loser] = filledFirst === 'first' ? [a, c] : [c, a];
    expect(winner).toMatchObject({ cumQty: 6 });
    expect(loser).toMatchObject({ cumQty: 0, status: 'NEW' });
  });

  it.each([6, 3])('refuses an amend to %i, not above the 6 filled (AMEND_BELOW_FILLED), and changes nothing', async (quantity) => {
    const s = await freshSymbol();
    const a = await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 10 });
    await bob.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 6 });
    const before = await bookOf(t.url, s);

    expect(await alice.amendError(a.id, quantity)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'AMEND_BELOW_FILLED' });
    expect(await alice.order(a.id)).toMatchObject({ quantity: 10, cumQty: 6, leavesQty: 4, status: 'PARTIALLY_FILLED' });
    expect(await bookOf(t.url, s)).toEqual(before);
  });

  it('IOC: fills what it can and cancels the rest (IOC_REMAINDER), which never rests', async () => {
    const s = await freshSymbol();
    await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 4 });
    await alice.place({ symbol: s, side: 'SELL', price: '10.05', quantity: 4 });
    const ioc = await bob.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 10, timeInForce: 'IOC' });
    expect(ioc).toMatchObject({ status: 'CANCELED', reason: 'IOC_REMAINDER', cumQty: 4, leavesQty: 0, avgPx: '10.000000' });
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [{ price: '10.05', quantity: 4, orderCount: 1 }] });
  });

  it('FOK: does nothing at all when it cannot fill entirely, and fills entirely when it can', async () => {
    const s = await freshSymbol();
    await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 4 });
    await alice.place({ symbol: s, side: 'SELL', price: '10.01', quantity: 3 });
    const before = await bookOf(t.url, s);

    const killed = await bob.place({ symbol: s, side: 'BUY', price: '10.01', quantity: 8, timeInForce: 'FOK' });
    expect(killed).toMatchObject({ status: 'CANCELED', reason: 'FOK_UNFILLABLE', cumQty: 0, leavesQty: 0, avgPx: null });
    const after = await bookOf(t.url, s);
    expect({ bids: after.bids, asks: after.asks }).toEqual({ bids: before.bids, asks: before.asks });
    expect(await tradesOf(s)).toEqual([]);

    const filled = await bob.place({ symbol: s, side: 'BUY', price: '10.01', quantity: 7, timeInForce: 'FOK' });
    // (4 × 10.00 + 3 × 10.01) / 7 = 10.0042857…
    expect(filled).toMatchObject({ status: 'FILLED', cumQty: 7, leavesQty: 0, avgPx: '10.004286' });
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [] });
  });

  it('market order: takes the liquidity there is and cancels the rest (MARKET_REMAINDER)', async () => {
    const s = await freshSymbol();
    await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 5 });
    await alice.place({ symbol: s, side: 'SELL', price: '10.05', quantity: 5 });
    const mkt = await bob.place({ symbol: s, side: 'BUY', type: 'MARKET', quantity: 12 });
    expect(mkt).toMatchObject({ type: 'MARKET', price: null, timeInForce: 'IOC', status: 'CANCELED', reason: 'MARKET_REMAINDER', cumQty: 10, leavesQty: 0, avgPx: '10.025000' });
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [] });
  });

  it('market order into an empty book is canceled without a trade', async () => {
    const s = await freshSymbol();
    const mkt = await bob.place({ symbol: s, side: 'SELL', type: 'MARKET', quantity: 5 });
    expect(mkt).toMatchObject({ status: 'CANCELED', reason: 'MARKET_REMAINDER', cumQty: 0, leavesQty: 0, avgPx: null });
    expect(await tradesOf(s)).toEqual([]);
    expect((await bob.holdings()).filter((h) => h.symbol === s)).toEqual([]);
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [], asks: [] });
  });

  it('post-only: rests when it would not trade, is REJECTED (POST_ONLY_WOULD_TAKE) when it would', async () => {
    const s = await freshSymbol();
    const maker = await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 5, postOnly: true });
    expect(maker).toMatchObject({ status: 'NEW', postOnly: true, leavesQty: 5 });
    const before = await bookOf(t.url, s);

    const rejected = await bob.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 5, postOnly: true });
    expect(rejected).toMatchObject({ status: 'REJECTED', reason: 'POST_ONLY_WOULD_TAKE', cumQty: 0, leavesQty: 0 });
    expect(await bob.order(rejected.id)).toMatchObject({ status: 'REJECTED', reason: 'POST_ONLY_WOULD_TAKE' });
    expect(await bookOf(t.url, s)).toEqual(before);
    expect(await tradesOf(s)).toEqual([]);
  });

  it('self-trade prevention: an account crossing itself cancels its resting order (SELF_TRADE), with no trade and no holding', async () => {
    const s = await freshSymbol();
    const resting = await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 10 });
    const incoming = await alice.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 10 });
    expect(incoming).toMatchObject({ status: 'NEW', cumQty: 0, leavesQty: 10 });
    expect(await alice.order(resting.id)).toMatchObject({ status: 'CANCELED', reason: 'SELF_TRADE', cumQty: 0, leavesQty: 0 });
    expect(await tradesOf(s)).toEqual([]);
    expect((await alice.holdings()).filter((h) => h.symbol === s)).toEqual([]);
    expect(await bookOf(t.url, s)).toMatchObject({ bids: [{ price: '10.00', quantity: 10, orderCount: 1 }], asks: [] });
  });

  it('holdings: net quantity, average price, market value and unrealized P&L as exact strings, long and short', async () => {
    const s = await freshSymbol();
    const [alice, bob, carol] = await traders('alice', 'bob', 'carol');
    await bob.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 100 });
    await alice.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 100 });
    await bob.place({ symbol: s, side: 'SELL', price: '10.30', quantity: 50 });
    await alice.place({ symbol: s, side: 'BUY', price: '10.30', quantity: 50 });

    // avg (100 × 10.00 + 50 × 10.30) / 150 = 10.10; last 10.30.
    expect(await alice.holdings()).toEqual([
      { symbol: s, quantity: 150, avgPrice: '10.100000', lastPrice: '10.30', marketValue: '1545.00', unrealizedPnl: '30.0000' },
    ]);
    expect(await bob.holdings()).toEqual([
      { symbol: s, quantity: -150, avgPrice: '10.100000', lastPrice: '10.30', marketValue: '-1545.00', unrealizedPnl: '-30.0000' },
    ]);

    // Selling part at a new last price re-values what is left; selling the rest closes the position.
    await carol.place({ symbol: s, side: 'BUY', price: '10.50', quantity: 60 });
    await alice.place({ symbol: s, side: 'SELL', price: '10.50', quantity: 60 });
    expect(await alice.holdings()).toEqual([
      { symbol: s, quantity: 90, avgPrice: '10.100000', lastPrice: '10.50', marketValue: '945.00', unrealizedPnl: '36.0000' },
    ]);
    await carol.place({ symbol: s, side: 'BUY', price: '10.50', quantity: 90 });
    await alice.place({ symbol: s, side: 'SELL', price: '10.50', quantity: 90 });
    expect(await alice.holdings()).toEqual([]);
    expect((await carol.holdings())[0]).toMatchObject({ symbol: s, quantity: 150, avgPrice: '10.500000', unrealizedPnl: '0.0000' });
  });

  describe('the orders query', () => {
    let s: string;
    let all: OrderView[];
    const canceled: string[] = [];

    beforeAll(async () => {
      s = await freshSymbol();
      const quantities = [5, 3, 8, 3, 10, 1, 8, 3, 7];
      const placed: OrderView[] = [];
      for (const [i, quantity] of quantities.entries()) {
        placed.push(await alice.place({ symbol: s, side: 'SELL', price: (50 + i / 100).toFixed(2), quantity }));
      }
      for (const i of [1, 4]) canceled.push((await alice.cancel(placed[i]!.id)).id);
      await bob.place({ symbol: s, side: 'BUY', price: '50.00', quantity: 2 });
      all = (await ok(t.url, ORDERS, { symbol: s, first: 100, sort: 'TIME_ASC' }, alice.token)).orders.nodes;
    });

    const byId = (a: OrderView, b: OrderView) => Number(a.id) - Number(b.id);
    const expected: Record<string, (list: OrderView[]) => OrderView[]> = {
      TIME_ASC: (l) => [...l].sort(byId),
      TIME_DESC: (l) => [...l].sort(byId).reverse(),
      QUANTITY_ASC: (l) => [...l].sort((a, b) => a.quantity - b.quantity || byId(a, b)),
      QUANTITY_DESC: (l) => [...l].sort((a, b) => b.quantity - a.quantity || byId(b, a)),
    };

    it('filters by symbol', async () => {
      expect(all).toHaveLength(10);
      expect(all.every((o) => o.symbol === s)).toBe(true);
      expect(all.filter((o) => o.mine).length).toBe(9);
    });

    it.each([
      { statuses: ['CANCELED'], want: (o: OrderView) => o.status === 'CANCELED' },
      { statuses: ['NEW', 'PARTIALLY_FILLED'], want: (o: OrderView) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED' },
      { statuses: ['FILLED'], want: (o: OrderView) => o.status === 'FILLED' },
    ])('filters by statuses $statuses', async ({ statuses, want }) => {
      const got = (await ok(t.url, ORDERS, { symbol: s, statuses, first: 100 }, bob.token)).orders.nodes as OrderView[];
      expect(got.length).toBeGreaterThan(0);
      expect(got.map((o) => o.id).sort()).toEqual(all.filter(want).map((o) => o.id).sort());
      if (statuses[0] === 'CANCELED') expect(got.map((o) => o.id).sort()).toEqual([...canceled].sort());
    });

    it.each(['TIME_ASC', 'TIME_DESC', 'QUANTITY_ASC', 'QUANTITY_DESC'])('sorts %s, and its pages of 3 concatenate to the whole list without duplicates', async (sort) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const r: PageView<OrderView> = (await ok(t.url, ORDERS, { symbol: s, sort, first: 3, after }, alice.token)).orders;
        ids.push(...r.nodes.map((o) => o.id));
        if (!r.pageInfo.hasNextPage) break;
        after = r.pageInfo.endCursor;
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual(expected[sort]!(all).map((o) => o.id));
    });

    it('myOrders shows only the caller’s orders, paginated the same way', async () => {
      const first = await bob.myOrders({ symbol: s, first: 1 });
      expect(first.nodes).toHaveLength(1);
      expect(first.pageInfo.hasNextPage).toBe(false);
      expect(first.nodes[0]).toMatchObject({ side: 'BUY', mine: true, status: 'FILLED' });
      const mine = await alice.myOrders({ symbol: s, sort: 'QUANTITY_DESC' });
      expect(mine.nodes.map((o) => o.id)).toEqual(expected.QUANTITY_DESC!(all.filter((o) => o.mine)).map((o) => o.id));
    });
  });

  it('trades(symbol): the tape newest first, paged with before', async () => {
    const s = await freshSymbol();
    for (const [price, quantity] of [['11.00', 1], ['11.01', 2], ['11.02', 3]] as const) {
      await alice.place({ symbol: s, side: 'BUY', price, quantity });
      await bob.place({ symbol: s, side: 'SELL', price, quantity });
    }
    const tape = await tradesOf(s);
    expect(tape.map((x) => [x.price, x.quantity, x.aggressorSide])).toEqual([
      ['11.02', 3, 'SELL'],
      ['11.01', 2, 'SELL'],
      ['11.00', 1, 'SELL'],
    ]);
    const ids = tape.map((x) => Number(x.tradeId));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    const page1 = await tradesOf(s, 2);
    const page2 = await tradesOf(s, 2, page1[1]!.tradeId);
    expect([...page1, ...page2].map((x) => x.tradeId)).toEqual(tape.map((x) => x.tradeId));
  });

  it('orderBook: levels best first with total quantity and order count, limited by depth', async () => {
    const s = await freshSymbol();
    for (const [price, quantity] of [['9.98', 1], ['9.99', 2], ['9.99', 3], ['9.97', 4]] as const) await alice.place({ symbol: s, side: 'BUY', price, quantity });
    for (const [price, quantity] of [['10.02', 5], ['10.01', 6], ['10.02', 7]] as const) await bob.place({ symbol: s, side: 'SELL', price, quantity });
    const book = await bookOf(t.url, s);
    expect(book.bids).toEqual([
      { price: '9.99', quantity: 5, orderCount: 2 },
      { price: '9.98', quantity: 1, orderCount: 1 },
      { price: '9.97', quantity: 4, orderCount: 1 },
    ]);
    expect(book.asks).toEqual([
      { price: '10.01', quantity: 6, orderCount: 1 },
      { price: '10.02', quantity: 12, orderCount: 2 },
    ]);
    const top = (await ok(t.url, `query($s: String!) { orderBook(symbol: $s, depth: 1) { seq bids { price } asks { price } } }`, { s })).orderBook;
    expect(top).toEqual({ seq: book.seq, bids: [{ price: '9.99' }], asks: [{ price: '10.01' }] });
  });

  it('product(symbol).quote: last, bid, ask and change against the reference after trades', async () => {
    const s = await freshSymbol('100.00');
    expect((await ok(t.url, QUOTE, { s })).product.quote).toEqual({ symbol: s, last: null, bid: null, ask: null, reference: '100.00', change: null, changePercent: null });

    await alice.place({ symbol: s, side: 'BUY', price: '99.50', quantity: 5 });
    await alice.place({ symbol: s, side: 'SELL', price: '101.50', quantity: 5 });
    await bob.place({ symbol: s, side: 'BUY', price: '101.50', quantity: 2 });
    expect((await ok(t.url, QUOTE, { s })).product.quote).toEqual({ symbol: s, last: '101.50', bid: '99.50', ask: '101.50', reference: '100.00', change: '1.50', changePercent: '1.50' });

    await bob.place({ symbol: s, side: 'SELL', type: 'MARKET', quantity: 5 });
    expect((await ok(t.url, QUOTE, { s })).product.quote).toEqual({ symbol: s, last: '99.50', bid: null, ask: '101.50', reference: '100.00', change: '-0.50', changePercent: '-0.50' });
  });

  describe('products search', () => {
    const search = async (args: Record<string, unknown>) => (await ok(t.url, PRODUCTS, { first: 200, ...args })).products;
    it.each([
      { by: 'symbol prefix', q: 'MS', symbols: ['MSFT'] },
      { by: 'symbol prefix in lower case', q: 'ms', symbols: ['MSFT'] },
      { by: 'symbol prefix with a dot', q: '0700.', symbols: ['0700.HK'] },
      { by: 'a name word', q: 'vanguard', symbols: ['VOO'] },
      { by: 'name words in any order', q: 'holdings TENCENT', symbols: ['0700.HK'] },
      { by: 'a word several names share', q: 'inc.', symbols: ['AAPL', 'BRK-B', 'TSLA'] },
      { by: 'words of which one matches nothing', q: 'vanguard apple', symbols: [] },
      { by: 'a LIKE wildcard, taken literally', q: '%', symbols: [] },
      { by: 'an underscore, taken literally', q: '_', symbols: [] },
    ])('finds by $by ($q)', async ({ q, symbols }) => {
      expect((await search({ q })).nodes.map((p: { symbol: string }) => p.symbol).sort()).toEqual([...symbols].sort());
    });

    it.each([
      { type: 'ETF', q: null, symbols: ['QQQ', 'SPY', 'VOO'] },
      { type: 'ETF', q: 'trust', symbols: ['QQQ', 'SPY'] },
      { type: 'FUND', q: null, symbols: ['NOPRICE'] },
    ])('filters by type $type (query $q)', async ({ type, q, symbols }) => {
      const nodes = (await search({ type, q })).nodes as { symbol: string; type: string }[];
      expect(nodes.map((p) => p.symbol).sort()).toEqual(symbols);
      expect(nodes.every((p) => p.type === type)).toBe(true);
    });

    it('pages of 4 concatenate to the whole catalog, in symbol order, without duplicates', async () => {
      const whole = (await search({})).nodes.map((p: { symbol: string }) => p.symbol);
      expect(whole.length).toBe(await countRows(t.app.services.knex, 'products'));
      const got: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 50; page++) {
        const r = await search({ first: 4, after });
        got.push(...r.nodes.map((p: { symbol: string }) => p.symbol));
        if (!r.pageInfo.hasNextPage) break;
        after = r.pageInfo.endCursor;
      }
      expect(got).toEqual(whole);
      expect(new Set(got).size).toBe(got.length);
    });
  });

  describe('ClOrdID', () => {
    it('a retry with the same ClOrdID returns the same order and creates nothing', async () => {
      const s = await freshSymbol();
      const input = { clOrdId: `retry-${s}`, symbol: s, side: 'SELL', price: '30.00', quantity: 10 } as const;
      const first = await alice.place(input);
      const count = await countRows(t.app.services.knex, 'orders');
      const again = await alice.place(input);
      expect(again).toEqual(first);
      const concurrent = await Promise.all(Array.from({ length: 5 }, () => alice.place(input)));
      expect(concurrent.map((o) => o.id)).toEqual(Array(5).fill(first.id));
      expect(await countRows(t.app.services.knex, 'orders')).toBe(count);
      expect((await bookOf(t.url, s)).asks).toEqual([{ price: '30.00', quantity: 10, orderCount: 1 }]);
    });

    it('concurrent first sends of one ClOrdID create exactly one order', async () => {
      const s = await freshSymbol();
      const input = { clOrdId: `race-${s}`, symbol: s, side: 'BUY', price: '30.00', quantity: 3 } as const;
      const count = await countRows(t.app.services.knex, 'orders');
      const all = await Promise.all(Array.from({ length: 8 }, () => alice.place(input)));
      expect(new Set(all.map((o) => o.id)).size).toBe(1);
      expect(await countRows(t.app.services.knex, 'orders')).toBe(count + 1);
    });

    it.each([
      { change: 'side', patch: { side: 'BUY' } },
      { change: 'symbol', patch: { symbol: 'MSFT', price: '200.00' } },
      { change: 'type', patch: { type: 'MARKET', price: null } },
      { change: 'time in force', patch: { timeInForce: 'GTC' } },
      { change: 'price', patch: { price: '30.01' } },
      { change: 'quantity', patch: { quantity: 11 } },
      { change: 'post-only flag', patch: { postOnly: true } },
    ])('the same ClOrdID for an order with a different $change is a CONFLICT (DUPLICATE_CL_ORD_ID) and writes nothing', async ({ patch }) => {
      const s = await freshSymbol();
      const input = { clOrdId: `dup-${s}`, symbol: s, side: 'SELL', price: '30.00', quantity: 10 } as const;
      await alice.place(input);
      const count = await countRows(t.app.services.knex, 'orders');
      const book = await bookOf(t.url, s);
      const e = await alice.placeError({ ...input, ...patch });
      expect({ code: e.code, reason: e.reason }).toEqual({ code: 'CONFLICT', reason: 'DUPLICATE_CL_ORD_ID' });
      expect(await countRows(t.app.services.knex, 'orders')).toBe(count);
      expect(await bookOf(t.url, s)).toEqual(book);
    });

    it('a retry of a committed order while its symbol is halted returns the order, not SYMBOL_HALTED; a new ClOrdID is refused', async () => {
      const s = await freshSymbol();
      const input = { clOrdId: `halt-retry-${s}`, symbol: s, side: 'SELL', price: '30.00', quantity: 10 } as const;
      const first = await alice.place(input);
      await ok(t.url, HALT, { s }, admin.token);
      try {
        const count = await countRows(t.app.services.knex, 'orders');
        // The client lost the first answer and retries during the halt: the order exists, and that is the answer.
        expect(await alice.place(input)).toEqual(first);
        expect(await alice.placeError({ ...input, clOrdId: `halt-new-${s}` })).toMatchObject({ code: 'CONFLICT', reason: 'SYMBOL_HALTED' });
        expect(await alice.placeError({ ...input, quantity: 11 })).toMatchObject({ code: 'CONFLICT', reason: 'DUPLICATE_CL_ORD_ID' });
        expect(await countRows(t.app.services.knex, 'orders')).toBe(count);
      } finally {
        await ok(t.url, RESUME, { s }, admin.token);
      }
    });

    it('ClOrdIDs are per account: another account may use the same one', async () => {
      const s = await freshSymbol();
      const a = await alice.place({ clOrdId: `shared-${s}`, symbol: s, side: 'SELL', price: '30.00', quantity: 10 });
      const b = await bob.place({ clOrdId: `shared-${s}`, symbol: s, side: 'SELL', price: '30.00', quantity: 10 });
      expect(b.id).not.toBe(a.id);
      expect((await bookOf(t.url, s)).asks).toEqual([{ price: '30.00', quantity: 20, orderCount: 2 }]);
    });
  });

  it('a halt refuses new orders and amends (SYMBOL_HALTED) but not cancels; a resume trades again', async () => {
    const s = await freshSymbol();
    const a = await alice.place({ symbol: s, side: 'SELL', price: '40.00', quantity: 10 });
    const b = await alice.place({ symbol: s, side: 'SELL', price: '40.01', quantity: 10 });
    expect((await ok(t.url, HALT, { s }, admin.token)).haltTrading).toEqual({ symbol: s, status: 'HALTED' });
    expect((await ok(t.url, QUOTE, { s })).product.status).toBe('HALTED');
    const count = await countRows(t.app.services.knex, 'orders');

    expect(await bob.placeError({ symbol: s, side: 'BUY', price: '40.00', quantity: 5 })).toMatchObject({ code: 'CONFLICT', reason: 'SYMBOL_HALTED' });
    expect(await alice.amendError(a.id, 5)).toMatchObject({ code: 'CONFLICT', reason: 'SYMBOL_HALTED' });
    expect(await countRows(t.app.services.knex, 'orders')).toBe(count);
    expect(await alice.order(a.id)).toMatchObject({ quantity: 10, status: 'NEW' });

    expect(await alice.cancel(b.id)).toMatchObject({ status: 'CANCELED', reason: 'USER' });
    expect((await bookOf(t.url, s)).asks).toEqual([{ price: '40.00', quantity: 10, orderCount: 1 }]);

    expect((await ok(t.url, RESUME, { s }, admin.token)).resumeTrading).toEqual({ symbol: s, status: 'TRADING' });
    expect(await bob.place({ symbol: s, side: 'BUY', price: '40.00', quantity: 5 })).toMatchObject({ status: 'FILLED', avgPx: '40.000000' });
    expect(await alice.amend(a.id, 8)).toMatchObject({ quantity: 8, cumQty: 5, leavesQty: 3 });
  });
});
