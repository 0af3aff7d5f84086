/**
 * Pre-trade checks end to end (issue 18): price band, order size, position limits, short-sale
 * policy and the order rate, over GraphQL and FIX, on each database. Each refusal carries its
 * code and writes nothing; the boundary value itself is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { passwordOf } from '../support/gql.js';
import { SET_PRODUCT_RISK, adminClient, countRows, createProduct, errorOf, gql, newTrader, ok, type TradingClient } from '../support/trading.js';
import { FixClient } from '../fix/support/fix-client.js';
import { BUY, EXEC, MARKET, IOC, SELL, STATUS, Tag, report, sendOrder, sendReplace, tags } from '../fix/support/orders.js';

const RISK = `query($s: String!) { riskLimits(symbol: $s) { symbol referencePrice priceBandPercent bandLow bandHigh maxOrderQuantity maxOrderNotional maxLongPosition maxShortPosition shortSalePolicy position openBuyQuantity openSellQuantity confirmPercent confirmNotional } }`;
const SET_ACCOUNT = `mutation($u: ID!, $s: String, $l: SafeInt, $sh: SafeInt) { setAccountPositionLimits(userId: $u, symbol: $s, maxLongPosition: $l, maxShortPosition: $sh) }`;

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`pre-trade checks on ${dialect}`, () => {
  let t: TestApp;
  let admin: TradingClient;
  let alice: TradingClient;
  let bob: TradingClient;
  let n = 0;
  const product = (ref: string | null = '150.00') => createProduct(t.url, admin.token, `RK${++n}`, ref);
  const limits = (s: string, i: Record<string, unknown>) => ok(t.url, SET_PRODUCT_RISK, { s, i }, admin.token);
  const orders = () => countRows(t.app.services.knex, 'orders');

  beforeAll(async () => {
    t = await startTestApp(dialect, { FIX_ENABLED: 'true' });
    admin = await adminClient(t.url);
    [alice, bob] = await Promise.all([newTrader(t.url, 'riskalice'), newTrader(t.url, 'riskbob')]);
  });
  afterAll(async () => t?.dispose());

  describe('price band', () => {
    it('refuses the bid at 99,999,999.00 on a stock referenced at 150.00, and writes nothing', async () => {
      const s = await product();
      const before = await orders();
      const e = await bob.placeError({ symbol: s, side: 'BUY', price: '99999999.00', quantity: 1 });
      expect(e).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PRICE_OUT_OF_BAND' });
      expect(e.message).toContain('135.00 to 165.00');
      expect(await orders()).toBe(before);
    });

    it.each([
      ['165.00', 'BUY', true],
      ['165.01', 'BUY', false],
      ['135.00', 'SELL', true],
      ['134.99', 'SELL', false],
    ] as const)('at ±10%% of 150.00: %s (%s) accepted=%s', async (price, side, accepted) => {
      const s = await product();
      const e = await bob.placeError({ symbol: s, side, price, quantity: 1 });
      expect(e.reason).toBe(accepted ? undefined : 'PRICE_OUT_OF_BAND');
    });

    it('moves with the last trade, and says so in riskLimits', async () => {
      const s = await product('100.00');
      await alice.place({ symbol: s, side: 'SELL', price: '109.00', quantity: 1 });
      await bob.place({ symbol: s, side: 'BUY', price: '109.00', quantity: 1 });
      const r = (await ok(t.url, RISK, { s }, bob.token)).riskLimits;
      expect(r).toMatchObject({ referencePrice: '109.00', priceBandPercent: '10.00', bandLow: '98.10', bandHigh: '119.90', position: 1, openBuyQuantity: 0 });
      expect((await bob.placeError({ symbol: s, side: 'BUY', price: '119.90', quantity: 1 })).reason).toBeUndefined();
      expect((await bob.placeError({ symbol: s, side: 'BUY', price: '119.91', quantity: 1 })).reason).toBe('PRICE_OUT_OF_BAND');
    });

    it('refuses an amend to a price outside the band; a quantity change alone passes', async () => {
      const s = await product();
      const o = await bob.place({ symbol: s, side: 'BUY', price: '150.00', quantity: 5 });
      expect(await bob.amendError(o.id, 5, '170.00')).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PRICE_OUT_OF_BAND' });
      expect((await bob.amend(o.id, 4)).quantity).toBe(4);
    });

    it('stops a market order at the band and cancels the rest with PRICE_BAND', async () => {
      const s = await product('100.00');
      await limits(s, { priceBandPercent: '50' });
      await alice.place({ symbol: s, side: 'SELL', price: '100.00', quantity: 5 });
      await alice.place({ symbol: s, side: 'SELL', price: '140.00', quantity: 5 });
      await limits(s, {}); // back to the default ±10%: the ask at 140.00 is now beyond the band
      const m = await bob.place({ symbol: s, side: 'BUY', type: 'MARKET', quantity: 10 });
      expect(m).toMatchObject({ status: 'CANCELED', reason: 'PRICE_BAND', cumQty: 5, leavesQty: 0, avgPx: '100.000000' });
    });

    it('first-trade rule: without any reference a limit order is not banded, a market order is banded around the touch', async () => {
      const s = await product(null);
      expect((await ok(t.url, RISK, { s })).riskLimits).toMatchObject({ referencePrice: null, bandLow: null, bandHigh: null, position: null });
      await alice.place({ symbol: s, side: 'SELL', price: '10.00', quantity: 5 });
      await alice.place({ symbol: s, side: 'SELL', price: '50.00', quantity: 5 });
      const m = await bob.place({ symbol: s, side: 'BUY', type: 'MARKET', quantity: 10 });
      expect(m).toMatchObject({ status: 'CANCELED', reason: 'PRICE_BAND', cumQty: 5 });
      // The first trade (10.00) is now the reference.
      expect((await bob.placeError({ symbol: s, side: 'BUY', price: '11.01', quantity: 1 })).reason).toBe('PRICE_OUT_OF_BAND');
    });
  });

  describe('order size', () => {
    it('takes the largest quantity and notional of a product and refuses one more', async () => {
      const s = await product();
      await limits(s, { maxOrderQuantity: 100, maxOrderNotional: '15000' });
      expect((await bob.placeError({ symbol: s, side: 'BUY', price: '150.00', quantity: 100 })).reason).toBeUndefined();
      expect(await bob.placeError({ symbol: s, side: 'BUY', price: '150.00', quantity: 101 })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUANTITY_TOO_LARGE' });
      expect(await bob.placeError({ symbol: s, side: 'BUY', price: '150.01', quantity: 100 })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'ORDER_NOTIONAL_TOO_LARGE' });
    });

    it("counts a market order's notional at its band price", async () => {
      const s = await product('100.00');
      await limits(s, { maxOrderNotional: '1100' });
      // Band high 110.00: 10 × 110.00 = 1,100.00 fits, 11 do not.
      expect((await bob.placeError({ symbol: s, side: 'BUY', type: 'MARKET', quantity: 10 })).reason).toBeUndefined();
      expect((await bob.placeError({ symbol: s, side: 'BUY', type: 'MARKET', quantity: 11 })).reason).toBe('ORDER_NOTIONAL_TOO_LARGE');
    });

    it('refuses limits an admin gets wrong, and traders may not set them', async () => {
      const s = await product();
      expect(await errorOf(t.url, SET_PRODUCT_RISK, { s, i: { priceBandPercent: '0' } }, admin.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_LIMIT' });
      expect(await errorOf(t.url, SET_PRODUCT_RISK, { s, i: { maxOrderQuantity: 0 } }, admin.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_LIMIT' });
      expect((await errorOf(t.url, SET_PRODUCT_RISK, { s, i: { priceBandPercent: '50' } }, bob.token)).code).toBe('FORBIDDEN');
    });
  });

  describe('position limits', () => {
    it('counts open orders: buys up to the long limit, sells up to the short limit, amends included', async () => {
      const s = await product();
      const carol = await newTrader(t.url, `riskcarol${n}`);
      await ok(t.url, SET_ACCOUNT, { u: carol.id, s, l: 10, sh: 5 }, admin.token);
      const b = await carol.place({ symbol: s, side: 'BUY', price: '150.00', quantity: 10 });
      expect(await carol.placeError({ symbol: s, side: 'BUY', price: '149.00', quantity: 1 })).toMatchObject({ code: 'CONFLICT', reason: 'POSITION_LIMIT' });
      expect((await carol.amendError(b.id, 11)).reason).toBe('POSITION_LIMIT');
      expect((await carol.placeError({ symbol: s, side: 'SELL', price: '151.00', quantity: 5 })).reason).toBeUndefined();
      expect((await carol.placeError({ symbol: s, side: 'SELL', price: '151.00', quantity: 1 })).reason).toBe('POSITION_LIMIT');
      // Filled: alice sells carol 10; carol is long 10 with nothing open on the buy side.
      await alice.place({ symbol: s, side: 'SELL', price: '150.00', quantity: 10 });
      expect((await ok(t.url, RISK, { s }, carol.token)).riskLimits).toMatchObject({ position: 10, openBuyQuantity: 0, openSellQuantity: 5, maxLongPosition: 10, maxShortPosition: 5 });
      expect((await carol.placeError({ symbol: s, side: 'BUY', price: '150.00', quantity: 1 })).reason).toBe('POSITION_LIMIT');
      // Long 10: 5 offered, 10 more sells reach the short limit of 5.
      expect((await carol.placeError({ symbol: s, side: 'SELL', price: '152.00', quantity: 10 })).reason).toBeUndefined();
      expect((await carol.placeError({ symbol: s, side: 'SELL', price: '152.00', quantity: 1 })).reason).toBe('POSITION_LIMIT');
    });

    it('never lets concurrent orders of one account pass the limit together', async () => {
      const s = await product();
      const dave = await newTrader(t.url, `riskdave${n}`);
      await ok(t.url, SET_ACCOUNT, { u: dave.id, s, l: 10, sh: 0 }, admin.token);
      const results = await Promise.all(Array.from({ length: 8 }, () => dave.placeError({ symbol: s, side: 'BUY', price: '150.00', quantity: 3 })));
      expect(results.filter((r) => r.reason === undefined)).toHaveLength(3);
      expect(results.filter((r) => r.reason === 'POSITION_LIMIT')).toHaveLength(5);
    });

    it("answers a ClOrdID retry with the order it names even when the limit is now full", async () => {
      const s = await product();
      const erin = await newTrader(t.url, `riskerin${n}`);
      await ok(t.url, SET_ACCOUNT, { u: erin.id, s: null, l: 5, sh: 5 }, admin.token);
      const first = await erin.place({ clOrdId: 'full-1', symbol: s, side: 'BUY', price: '150.00', quantity: 5 });
      const again = await erin.place({ clOrdId: 'full-1', symbol: s, side: 'BUY', price: '150.00', quantity: 5 });
      expect(again.id).toBe(first.id);
    });
  });

  describe('over FIX', () => {
    let c: FixClient;
    beforeAll(async () => {
      await newTrader(t.url, 'riskfix');
      c = await FixClient.connect({ port: t.app.fixPort!, username: 'riskfix', password: passwordOf('riskfix'), senderCompId: `RISKFIX${dialect.toUpperCase()}` });
    });
    afterAll(async () => c?.logout());

    it('rejects an order outside the band with an ExecutionReport (OrdRejReason 3) that says why', async () => {
      const s = await product();
      sendOrder(c, 'band-1', { symbol: s, side: BUY, price: '99999999.00', qty: 1 });
      const r = await report(c, 'band-1', EXEC.REJECTED);
      expect(tags(r, Tag.OrdStatus, Tag.OrdRejReason)).toEqual({ [Tag.OrdStatus]: STATUS.REJECTED, [Tag.OrdRejReason]: '3' });
      expect(r.get(Tag.Text)).toContain('price band 135.00 to 165.00');
    });

    it('reports the PRICE_BAND cancel of a market order', async () => {
      const s = await product('100.00');
      await limits(s, { priceBandPercent: '50' });
      await alice.place({ symbol: s, side: 'SELL', price: '100.00', quantity: 5 });
      await alice.place({ symbol: s, side: 'SELL', price: '140.00', quantity: 5 });
      await limits(s, {});
      sendOrder(c, 'mkt-1', { symbol: s, side: BUY, type: MARKET, tif: IOC, qty: 10 });
      const canceled = await report(c, 'mkt-1', EXEC.CANCELED);
      expect(tags(canceled, Tag.CumQty, Tag.LeavesQty)).toEqual({ [Tag.CumQty]: '5', [Tag.LeavesQty]: '0' });
      expect(canceled.get(Tag.Text)).toContain('price band');
    });

    it('refuses a replace beyond the band with an OrderCancelReject, and an order past the position limit', async () => {
      const s = await product();
      sendOrder(c, 'rest-1', { symbol: s, side: SELL, price: '150.00', qty: 1 });
      await report(c, 'rest-1', EXEC.NEW);
      sendReplace(c, 'rest-2', 'rest-1', { symbol: s, side: SELL, qty: 1, price: '200.00' });
      const reject = await c.next((m) => m.msgType === '9' && m.get(Tag.ClOrdID) === 'rest-2', 5000, 'OrderCancelReject rest-2');
      expect(reject.get(Tag.Text)).toContain('price band');
      await limits(s, { maxShortPosition: 1 });
      sendOrder(c, 'short-2', { symbol: s, side: SELL, price: '150.00', qty: 1 });
      const r = await report(c, 'short-2', EXEC.REJECTED);
      expect(tags(r, Tag.OrdRejReason)).toEqual({ [Tag.OrdRejReason]: '3' });
      expect(r.get(Tag.Text)).toContain('short position');
    });
  });

  it('refuses one request carrying 515 placeOrder aliases before placing any', async () => {
    const s = await product();
    const before = await orders();
    const body = Array.from({ length: 515 }, (_, i) => `a${i}: placeOrder(input: {symbol: "${s}", side: BUY, type: LIMIT, price: "150.00", quantity: 1}) { id }`).join(' ');
    const r = await gql(t.url, `mutation { ${body} }`, {}, bob.token);
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(['TOO_MANY_FIELDS', 'TOO_MANY_ROOT_FIELDS', 'TOO_MANY_MUTATIONS']).toContain(r.errors?.[0]?.extensions?.reason);
    // Just past the mutation cap, with few fields: the mutation cap itself answers.
    const eleven = Array.from({ length: 11 }, (_, i) => `a${i}: placeOrder(input: {symbol: "${s}", side: BUY, type: LIMIT, price: "150.00", quantity: 1}) { id }`).join(' ');
    expect(await errorOf(t.url, `mutation { ${eleven} }`, {}, bob.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_MUTATIONS' });
    expect(await orders()).toBe(before);
  });
});

describe('order rate and short-sale policy (sqlite, tight settings)', () => {
  let t: TestApp;
  let admin: TradingClient;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { ORDER_RATE_PER_SECOND: '2', ORDER_RATE_BURST: '0', SHORT_SALE_POLICY: 'COVERED_ONLY' });
    admin = await adminClient(t.url);
  });
  afterAll(async () => t?.dispose());

  it('throttles an account past its order rate (THROTTLED) and writes nothing for the refused', async () => {
    const s = await createProduct(t.url, admin.token, 'RATE1', '100.00');
    const fred = await newTrader(t.url, 'ratefred');
    await ok(t.url, SET_ACCOUNT, { u: fred.id, s: null, l: 1000, sh: 0 }, admin.token);
    const before = await countRows(t.app.services.knex, 'orders');
    const results = await Promise.all(Array.from({ length: 10 }, () => fred.placeError({ symbol: s, side: 'BUY', price: '100.00', quantity: 1 })));
    const accepted = results.filter((r) => r.reason === undefined).length;
    const throttled = results.filter((r) => r.code === 'TOO_MANY_REQUESTS' && r.reason === 'THROTTLED').length;
    // Two per second: at most two windows can pass while ten concurrent requests are answered.
    expect(accepted).toBeLessThanOrEqual(4);
    expect(accepted + throttled).toBe(10);
    expect(await countRows(t.app.services.knex, 'orders')).toBe(before + accepted);
    // Another account has its own budget.
    const gina = await newTrader(t.url, 'rategina');
    expect((await gina.placeError({ symbol: s, side: 'BUY', price: '100.00', quantity: 1 })).reason).toBeUndefined();
  });

  it('under COVERED_ONLY sells only what is held and not already offered', async () => {
    const s = await createProduct(t.url, admin.token, 'COVR1', '100.00');
    const [hank, ivy] = await Promise.all([newTrader(t.url, 'covhank'), newTrader(t.url, 'covivy')]);
    expect(await ivy.placeError({ symbol: s, side: 'SELL', price: '100.00', quantity: 1 })).toMatchObject({ code: 'CONFLICT', reason: 'SHORT_SALE_NOT_ALLOWED' });
    expect((await ok(t.url, RISK, { s }, ivy.token)).riskLimits).toMatchObject({ shortSalePolicy: 'COVERED_ONLY', maxShortPosition: 0 });
    // The policy wins over any short limit an admin gives an account.
    await ok(t.url, SET_ACCOUNT, { u: hank.id, s, l: 1000, sh: 1000 }, admin.token);
    expect((await hank.placeError({ symbol: s, side: 'SELL', price: '100.00', quantity: 1 })).reason).toBe('SHORT_SALE_NOT_ALLOWED');
  });
});
