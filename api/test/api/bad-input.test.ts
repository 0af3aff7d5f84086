/**
 * Bad input at the edge: every case gets a coded error (extensions.code and reason) and writes
 * nothing — the orders, executions and users tables and the books are unchanged afterwards.
 * The books hold crossing liquidity, so a bad order that slipped through would trade.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { AMEND, CANCEL, LOGIN, PLACE, SIGN_UP } from '../support/gql.js';
import { HALT, ORDER, SET_PRODUCT_RISK, adminClient, bookOf, countRows, createProduct, errorOf, gql, newTrader, ok, postRaw, type TradingClient } from '../support/trading.js';

const BOOKS = ['AAPL', 'TSLA'];

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`bad input on ${dialect}`, () => {
  let t: TestApp;
  let alice: TradingClient;
  let bob: TradingClient;
  let admin: TradingClient;
  let restingId: string;

  /** Everything a bad request must not change. */
  const snapshot = async () => ({
    orders: await countRows(t.app.services.knex, 'orders'),
    executions: await countRows(t.app.services.knex, 'executions'),
    users: await countRows(t.app.services.knex, 'users'),
    products: await t.app.services.knex('products').orderBy('symbol').select('symbol', 'status', 'book_seq', 'last_price_ticks'),
    books: await Promise.all(BOOKS.map((s) => bookOf(t.url, s))),
    resting: await alice.order(restingId),
  });
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    admin = await adminClient(t.url);
    [alice, bob] = await Promise.all([newTrader(t.url, 'alice'), newTrader(t.url, 'bob')]);
    restingId = (await alice.place({ symbol: 'AAPL', side: 'SELL', price: '141.00', quantity: 10 })).id;
    await alice.place({ symbol: 'AAPL', side: 'BUY', price: '139.00', quantity: 10 });
    await alice.place({ symbol: 'TSLA', side: 'SELL', price: '200.00', quantity: 10 });
    await bob.place({ clOrdId: 'bob-1', symbol: 'AAPL', side: 'BUY', price: '138.00', quantity: 5 });
    await gql(t.url, HALT, { s: 'TSLA' }, admin.token);
  });
  afterAll(async () => t?.dispose());

  describe('refusals write nothing', () => {
    beforeEach(async () => {
      before = await snapshot();
    });
    afterEach(async () => {
      expect(await snapshot()).toEqual(before);
    });

    /** A buy that would trade with alice's 141.00 ask if it were accepted. */
    const crossing = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '141.00', quantity: 5 };

    describe('placeOrder', () => {
      it.each([
        { bad: 'zero quantity', patch: { quantity: 0 }, code: 'BAD_USER_INPUT', reason: 'INVALID_QUANTITY' },
        { bad: 'negative quantity', patch: { quantity: -5 }, code: 'BAD_USER_INPUT', reason: 'INVALID_QUANTITY' },
        { bad: 'fractional quantity (1.5)', patch: { quantity: 1.5 }, code: 'BAD_USER_INPUT', reason: 'INVALID_VARIABLE' },
        { bad: 'quantity beyond Int (1e12)', patch: { quantity: 1e12 }, code: 'BAD_USER_INPUT', reason: 'INVALID_VARIABLE' },
        { bad: 'quantity above MAX_ORDER_QTY', patch: { quantity: 1_000_000_001 }, code: 'BAD_USER_INPUT', reason: 'QUANTITY_TOO_LARGE' },
        { bad: 'quantity as a string', patch: { quantity: '5' }, code: 'BAD_USER_INPUT', reason: 'INVALID_VARIABLE' },
        { bad: 'price off tick (141.001)', patch: { price: '141.001' }, code: 'BAD_USER_INPUT', reason: 'PRICE_OFF_TICK' },
        { bad: 'zero price', patch: { price: '0' }, code: 'BAD_USER_INPUT', reason: 'INVALID_PRICE' },
        { bad: 'zero price with decimals', patch: { price: '0.00' }, code: 'BAD_USER_INPUT', reason: 'INVALID_PRICE' },
        { bad: 'negative price', patch: { price: '-141.00' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'non-numeric price', patch: { price: 'abc' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'NaN price', patch: { price: 'NaN' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'Infinity price', patch: { price: 'Infinity' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'exponent price', patch: { price: '1.41e2' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'price with spaces', patch: { price: ' 141.00' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'price as a float number', patch: { price: 141.5 }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'price beyond 2^53 ticks, though on tick', patch: { price: '90071992547409.92', quantity: 1 }, code: 'BAD_USER_INPUT', reason: 'PRICE_TOO_LARGE' },
        { bad: 'the largest decimal price', patch: { price: '999999999999999999.99', quantity: 1 }, code: 'BAD_USER_INPUT', reason: 'PRICE_TOO_LARGE' },
        { bad: 'a huge price off tick', patch: { price: '999999999999999999.999', quantity: 1 }, code: 'BAD_USER_INPUT', reason: 'PRICE_OFF_TICK' },
        { bad: 'price with too many digits', patch: { price: '1234567890123456789.00' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'a notional beyond exact integers (1e9 × 10,000,000,000.00)', patch: { price: '10000000000.00', quantity: 1_000_000_000 }, code: 'BAD_USER_INPUT', reason: 'NOTIONAL_TOO_LARGE' },
        { bad: 'missing price on a limit order', patch: { price: null }, code: 'BAD_USER_INPUT', reason: 'PRICE_REQUIRED' },
        { bad: 'price on a market order', patch: { type: 'MARKET' }, code: 'BAD_USER_INPUT', reason: 'PRICE_NOT_ALLOWED' },
        { bad: 'market order with DAY', patch: { type: 'MARKET', price: null, timeInForce: 'DAY' }, code: 'BAD_USER_INPUT', reason: 'INVALID_TIME_IN_FORCE' },
        { bad: 'market order with GTC', patch: { type: 'MARKET', price: null, timeInForce: 'GTC' }, code: 'BAD_USER_INPUT', reason: 'INVALID_TIME_IN_FORCE' },
        { bad: 'post-only IOC', patch: { postOnly: true, timeInForce: 'IOC' }, code: 'BAD_USER_INPUT', reason: 'POST_ONLY_NOT_ALLOWED' },
        { bad: 'post-only FOK', patch: { postOnly: true, timeInForce: 'FOK' }, code: 'BAD_USER_INPUT', reason: 'POST_ONLY_NOT_ALLOWED' },
        { bad: 'post-only market order', patch: { postOnly: true, type: 'MARKET', price: null }, code: 'BAD_USER_INPUT', reason: 'POST_ONLY_NOT_ALLOWED' },
        { bad: 'unknown side', patch: { side: 'HOLD' }, code: 'BAD_USER_INPUT', reason: 'INVALID_VARIABLE' },
        { bad: 'unknown symbol', patch: { symbol: 'NOPE' }, code: 'BAD_USER_INPUT', reason: 'UNKNOWN_SYMBOL' },
        { bad: 'halted symbol', patch: { symbol: 'TSLA', price: '200.00' }, code: 'CONFLICT', reason: 'SYMBOL_HALTED' },
        { bad: 'ClOrdID of a different order', patch: { clOrdId: 'bob-1' }, code: 'CONFLICT', reason: 'DUPLICATE_CL_ORD_ID' },
        { bad: 'oversized ClOrdID (65 characters)', patch: { clOrdId: 'x'.repeat(65) }, code: 'BAD_USER_INPUT', reason: 'INVALID_CL_ORD_ID' },
        { bad: 'ClOrdID with a space', patch: { clOrdId: 'a b' }, code: 'BAD_USER_INPUT', reason: 'INVALID_CL_ORD_ID' },
        { bad: 'empty ClOrdID', patch: { clOrdId: '' }, code: 'BAD_USER_INPUT', reason: 'INVALID_CL_ORD_ID' },
      ])('refuses $bad with $code $reason', async ({ patch, code, reason }) => {
        const e = await errorOf(t.url, PLACE, { i: { ...crossing, ...patch } }, bob.token);
        expect({ code: e.code, reason: e.reason }).toEqual({ code, reason });
        expect(e.data?.placeOrder ?? null).toBeNull();
      });

    });

    describe('signUp and login', () => {
      it.each([
        { bad: 'a username of 2 characters', u: 'ab', p: 'long-enough', code: 'BAD_USER_INPUT', reason: 'INVALID_USERNAME' },
        { bad: 'a username of 33 characters', u: 'u'.repeat(33), p: 'long-enough', code: 'BAD_USER_INPUT', reason: 'INVALID_USERNAME' },
        { bad: 'a username with a space', u: 'a b', p: 'long-enough', code: 'BAD_USER_INPUT', reason: 'INVALID_USERNAME' },
        { bad: 'a password of 7 characters', u: 'newuser', p: 'x'.repeat(7), code: 'BAD_USER_INPUT', reason: 'INVALID_PASSWORD' },
        { bad: 'a password of 129 characters', u: 'newuser', p: 'x'.repeat(129), code: 'BAD_USER_INPUT', reason: 'INVALID_PASSWORD' },
        { bad: 'a taken username', u: 'alice', p: 'long-enough', code: 'CONFLICT', reason: 'USERNAME_TAKEN' },
        { bad: 'a taken username in another case', u: 'ALICE', p: 'long-enough', code: 'CONFLICT', reason: 'USERNAME_TAKEN' },
      ])('signUp refuses $bad with $code $reason', async ({ u, p, code, reason }) => {
        expect(await errorOf(t.url, SIGN_UP, { u, p })).toMatchObject({ code, reason });
      });

      it('login refuses an oversized username without counting it (INVALID_CREDENTIALS_FORMAT)', async () => {
        expect(await errorOf(t.url, LOGIN, { u: 'x'.repeat(65), p: 'whatever-password' })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CREDENTIALS_FORMAT' });
      });
    });

    describe('amendOrder and cancelOrder', () => {
      it.each([
        { bad: 'zero quantity', vars: { q: 0 }, code: 'BAD_USER_INPUT', reason: 'INVALID_QUANTITY' },
        { bad: 'negative quantity', vars: { q: -1 }, code: 'BAD_USER_INPUT', reason: 'INVALID_QUANTITY' },
        { bad: 'quantity above MAX_ORDER_QTY', vars: { q: 1_000_000_001 }, code: 'BAD_USER_INPUT', reason: 'QUANTITY_TOO_LARGE' },
        { bad: 'fractional quantity', vars: { q: 2.5 }, code: 'BAD_USER_INPUT', reason: 'INVALID_VARIABLE' },
        { bad: 'price off tick', vars: { q: 10, p: '141.005' }, code: 'BAD_USER_INPUT', reason: 'PRICE_OFF_TICK' },
        { bad: 'price beyond 2^53 ticks', vars: { q: 10, p: '90071992547409.92' }, code: 'BAD_USER_INPUT', reason: 'PRICE_TOO_LARGE' },
        { bad: 'zero price', vars: { q: 10, p: '0' }, code: 'BAD_USER_INPUT', reason: 'INVALID_PRICE' },
        { bad: 'negative price', vars: { q: 10, p: '-1' }, code: 'BAD_USER_INPUT', reason: 'INVALID_DECIMAL' },
        { bad: 'a notional beyond exact integers', vars: { q: 1_000_000_000, p: '10000000000.00' }, code: 'BAD_USER_INPUT', reason: 'NOTIONAL_TOO_LARGE' },
      ])('amend refuses $bad with $code $reason', async ({ vars, code, reason }) => {
        const e = await errorOf(t.url, AMEND, { id: restingId, p: null, ...vars }, alice.token);
        expect({ code: e.code, reason: e.reason }).toEqual({ code, reason });
      });

      const BAD_IDS = ['abc', '-1', '0', '1.5', '', '007', '9007199254740993', '99999999999999999999'];
      it.each(BAD_IDS)('cancelOrder refuses the id %j with BAD_USER_INPUT INVALID_ID', async (id) => {
        expect(await errorOf(t.url, CANCEL, { id }, alice.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_ID' });
      });
      it.each(BAD_IDS)('amendOrder refuses the id %j with BAD_USER_INPUT INVALID_ID', async (id) => {
        expect(await errorOf(t.url, AMEND, { id, q: 5, p: null }, alice.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_ID' });
      });
      it.each(BAD_IDS)('order(id) refuses the id %j with BAD_USER_INPUT INVALID_ID', async (id) => {
        expect(await errorOf(t.url, ORDER, { id }, alice.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_ID' });
      });
      it.each(BAD_IDS)('setUserRole refuses the user id %j with BAD_USER_INPUT INVALID_ID', async (id) => {
        const e = await errorOf(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }`, { id }, admin.token);
        expect(e).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_ID' });
      });
    });

    describe('queries', () => {
      const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      it.each([
        { bad: 'orders page above 200', q: '{ orders(first: 201) { nodes { id } } }', reason: 'INVALID_PAGE_SIZE' },
        { bad: 'orders page of 0', q: '{ orders(first: 0) { nodes { id } } }', reason: 'INVALID_PAGE_SIZE' },
        { bad: 'myOrders negative page', q: '{ myOrders(first: -1) { nodes { id } } }', reason: 'INVALID_PAGE_SIZE' },
        { bad: 'products page above 200', q: '{ products(first: 201) { nodes { symbol } } }', reason: 'INVALID_PAGE_SIZE' },
        { bad: 'trades page above 200', q: '{ trades(symbol: "AAPL", first: 201) { tradeId } }', reason: 'INVALID_PAGE_SIZE' },
        { bad: 'users page above 200', q: '{ users(first: 201) { nodes { id } } }', reason: 'INVALID_PAGE_SIZE' },
        { bad: 'orders cursor that is not base64 JSON', q: '{ orders(after: "abc") { nodes { id } } }', reason: 'INVALID_CURSOR' },
        { bad: 'orders cursor of the wrong shape', q: `{ orders(after: "${cursor(['x', 1])}") { nodes { id } } }`, reason: 'INVALID_CURSOR' },
        { bad: 'myOrders cursor with a fractional id', q: `{ myOrders(after: "${cursor([1, 1.5])}") { nodes { id } } }`, reason: 'INVALID_CURSOR' },
        { bad: 'users cursor that is not an id', q: '{ users(after: "abc") { nodes { id } } }', reason: 'INVALID_ID' },
        { bad: 'trades before an invalid id', q: '{ trades(symbol: "AAPL", before: "x") { tradeId } }', reason: 'INVALID_ID' },
        { bad: 'book depth 0', q: '{ orderBook(symbol: "AAPL", depth: 0) { seq } }', reason: 'INVALID_DEPTH' },
        { bad: 'book depth above 100', q: '{ orderBook(symbol: "AAPL", depth: 101) { seq } }', reason: 'INVALID_DEPTH' },
        { bad: 'book of an unknown symbol', q: '{ orderBook(symbol: "NOPE") { seq } }', reason: 'UNKNOWN_SYMBOL' },
        { bad: 'tape of an unknown symbol', q: '{ trades(symbol: "NOPE") { tradeId } }', reason: 'UNKNOWN_SYMBOL' },
      ])('refuses $bad with BAD_USER_INPUT $reason', async ({ q, reason }) => {
        expect(await errorOf(t.url, q, {}, admin.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason });
      });

      it('accepts a page of exactly 200, proving the page limit is not off by one', async () => {
        const r = await errorOf(t.url, '{ products(first: 200) { nodes { symbol } } }', {}, admin.token);
        expect(r.code).toBeUndefined();
      });

      const nest = (depth: number) => {
        // __schema(1) types(2) fields(3) type(4) then ofType … down to name: `depth` fields in all.
        let inner = 'name';
        for (let i = 0; i < depth - 5; i++) inner = `ofType { ${inner} }`;
        return `{ __schema { types { fields { type { ${inner} } } } } }`;
      };
      it('refuses a query nested deeper than 15 levels (GRAPHQL_VALIDATION_FAILED QUERY_TOO_DEEP) and accepts one of exactly 15', async () => {
        expect(await errorOf(t.url, nest(16))).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_DEEP', status: 400 });
        expect((await errorOf(t.url, nest(15))).code).toBeUndefined();
      });

      it("accepts graphql-js's standard introspection query (what GraphQL IDEs send)", async () => {
        const r = await errorOf(t.url, getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
        expect(r.code).toBeUndefined();
        expect(r.status).toBe(200);
      });

      it('counts depth through fragments too', async () => {
        const q = `query { __schema { types { ...F } } }
          fragment F on __Type { fields { type { ...G } } }
          fragment G on __Type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`;
        expect(await errorOf(t.url, q)).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'QUERY_TOO_DEEP' });
      });

      it('refuses a query whose aliases would fetch too much (QUERY_TOO_COMPLEX) and accepts one page', async () => {
        const page = (alias: string) => `${alias}: products(first: 200) { nodes { symbol } }`;
        const many = `{ ${['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map(page).join(' ')} }`;
        expect(await errorOf(t.url, many)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' });
        expect((await errorOf(t.url, `{ ${page('a')} }`)).code).toBeUndefined();
      });

      it('refuses an unknown field with GRAPHQL_VALIDATION_FAILED (reason INVALID_QUERY)', async () => {
        expect(await errorOf(t.url, '{ me { id password } }', {}, alice.token)).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', reason: 'INVALID_QUERY', status: 400 });
      });

      it('refuses a syntax error with GRAPHQL_PARSE_FAILED (reason SYNTAX_ERROR)', async () => {
        expect(await errorOf(t.url, '{ me { id }')).toMatchObject({ code: 'GRAPHQL_PARSE_FAILED', reason: 'SYNTAX_ERROR', status: 400 });
      });

      it('treats an invalid token as anonymous: public fields answer, protected ones are UNAUTHENTICATED', async () => {
        const token = 'not-a-real-token-but-long-enough-to-look-like-one';
        const r = await gql(t.url, '{ me { id } products(first: 1) { nodes { symbol } } }', {}, token);
        expect(r.data).toMatchObject({ me: null, products: { nodes: [{ symbol: expect.any(String) }] } });
        expect(await errorOf(t.url, '{ myOrders { nodes { id } } }', {}, token)).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'UNAUTHENTICATED' });
        expect(await errorOf(t.url, PLACE, { i: crossing }, token)).toMatchObject({ code: 'UNAUTHENTICATED' });
        const malformed = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Basic abc' }, body: JSON.stringify({ query: PLACE, variables: { i: crossing } }) });
        expect(((await malformed.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
      });
    });

    describe('HTTP', () => {
      const place = JSON.stringify({ query: PLACE, variables: { i: crossing } });
      const errorCode = (json: unknown) => (json as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;

      it('answers malformed JSON with 400 and a JSON error', async () => {
        const r = await postRaw(t.url, place.slice(0, -3), { authorization: `Bearer ${bob.token}` });
        expect({ status: r.status, json: r.contentType?.startsWith('application/json'), code: errorCode(r.json) }).toEqual({ status: 400, json: true, code: 'BAD_REQUEST' });
      });

      it('answers a body above 64kb with 413 and a JSON error, without running it', async () => {
        const big = JSON.stringify({ query: PLACE, variables: { i: crossing, pad: 'x'.repeat(70 * 1024) } });
        const r = await postRaw(t.url, big, { authorization: `Bearer ${bob.token}` });
        expect({ status: r.status, json: r.contentType?.startsWith('application/json'), code: errorCode(r.json) }).toEqual({ status: 413, json: true, code: 'PAYLOAD_TOO_LARGE' });
      });

      it('refuses a batched request (an array of operations) with 400', async () => {
        const r = await postRaw(t.url, `[${place},${place}]`, { authorization: `Bearer ${bob.token}` });
        expect({ status: r.status, code: errorCode(r.json) }).toEqual({ status: 400, code: 'BAD_REQUEST' });
      });

      it('answers a variable of the wrong type with 400, not 500', async () => {
        const r = await postRaw(t.url, JSON.stringify({ query: PLACE, variables: { i: { ...crossing, quantity: 1.5 } } }), { authorization: `Bearer ${bob.token}` });
        expect({ status: r.status, code: errorCode(r.json) }).toEqual({ status: 400, code: 'BAD_USER_INPUT' });
      });
    });
  });

  describe('limits are not off by one', () => {
    /**
     * The engine's number limits are reached only with limits that allow them: a product without a
     * reference price (no band until its first trade), the order notional and the position limits
     * raised to what these orders need (the pre-trade defaults are tested in risk.test.ts).
     */
    const BIG = 'BIGNUM';
    beforeAll(async () => {
      await createProduct(t.url, admin.token, BIG, null);
      await ok(t.url, SET_PRODUCT_RISK, { s: BIG, i: { maxOrderNotional: '100000000000000', maxLongPosition: 2_000_000_000, maxShortPosition: 2_000_000_000 } }, admin.token);
    });

    it('accepts the largest quantity (MAX_ORDER_QTY)', async () => {
      const r = await errorOf(t.url, PLACE, { i: { symbol: BIG, side: 'BUY', type: 'LIMIT', price: '0.01', quantity: 1_000_000_000 } }, bob.token);
      expect(r.code).toBeUndefined();
      expect(r.data).toMatchObject({ placeOrder: { status: 'NEW', quantity: 1_000_000_000 } });
    });

    it('accepts the largest notional that is still an exact integer of ticks × lots', async () => {
      // 9,007,199 ticks × 1,000,000,000 lots ≤ 2^53 − 1 < 9,007,200 ticks × 1,000,000,000 lots.
      const ok1 = await errorOf(t.url, PLACE, { i: { symbol: BIG, side: 'SELL', type: 'LIMIT', price: '90071.99', quantity: 1_000_000_000 } }, bob.token);
      expect(ok1.code).toBeUndefined();
      const tooBig = await errorOf(t.url, PLACE, { i: { symbol: BIG, side: 'SELL', type: 'LIMIT', price: '90072.00', quantity: 1_000_000_000 } }, bob.token);
      expect({ code: tooBig.code, reason: tooBig.reason }).toEqual({ code: 'BAD_USER_INPUT', reason: 'NOTIONAL_TOO_LARGE' });
    });
  });
});
