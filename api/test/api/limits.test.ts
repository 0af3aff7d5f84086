import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { createSchema } from '../../src/graphql/schema.js';
import { ComplexityGauge, complexityOf } from '../../src/graphql/limits.js';
import { startTestApp, type TestApp } from '../support/app.js';

describe('ComplexityGauge (the cached complexity of HTTP operations)', () => {
  let gauge: ComplexityGauge;
  let schema: Awaited<ReturnType<typeof createSchema>>;
  beforeAll(async () => {
    schema = await createSchema();
    gauge = new ComplexityGauge(schema, 200);
  });

  it('prices a document the same as the uncached walk, whatever the variables of an unpriced argument', () => {
    const doc = parse('mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status cumQty } }');
    const vars = (price: string) => ({ i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price, quantity: 1, timeInForce: 'GTC' } });
    const expected = complexityOf(schema, doc, undefined, vars('1.00'), 200);
    expect(expected).toBeGreaterThan(0);
    for (const p of ['1.00', '2.00', '3.50']) expect(gauge.of(doc, undefined, vars(p))).toBe(expected);
  });

  it('re-prices a document whose page size comes from a variable', () => {
    const doc = parse('query($n: Int) { orders(first: $n) { nodes { id symbol } } }');
    const small = gauge.of(doc, undefined, { n: 2 });
    const large = gauge.of(doc, undefined, { n: 100 });
    expect(large).toBe(complexityOf(schema, doc, undefined, { n: 100 }, 200));
    expect(large).toBeGreaterThan(small);
  });

  it('re-prices a document whose @include depends on a variable', () => {
    const doc = parse('query($x: Boolean!) { me { id } orders(first: 100) @include(if: $x) { nodes { id } } }');
    expect(gauge.of(doc, undefined, { x: true })).toBeGreaterThan(gauge.of(doc, undefined, { x: false }));
  });

  it('keeps one price per operation of a document', () => {
    const doc = parse('query A { orders(first: 10) { nodes { id } } } query B { orders(first: 100) { nodes { id } } }');
    expect(gauge.of(doc, 'B', {})).toBeGreaterThan(gauge.of(doc, 'A', {}));
    expect(gauge.of(doc, 'A', {})).toBe(complexityOf(schema, doc, 'A', {}, 200));
  });

  it('prices a page above the cap as one item: the resolver refuses it with INVALID_PAGE_SIZE', () => {
    const over = parse('{ orders(first: 100000) { nodes { id } } }');
    const one = parse('{ orders(first: 1) { nodes { id } } }');
    expect(gauge.of(over, undefined, {})).toBe(gauge.of(one, undefined, {}));
  });
});

describe('the /graphql HTTP handler', () => {
  let t: TestApp;
  const post = (body: string | Blob, headers: Record<string, string> = {}) =>
    fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const codeOf = async (r: Response) => {
    const json = (await r.json()) as { errors?: { extensions?: { code?: string; reason?: string } }[] };
    return { status: r.status, code: json.errors?.[0]?.extensions?.code, reason: json.errors?.[0]?.extensions?.reason };
  };

  beforeAll(async () => {
    t = await startTestApp('sqlite', { GRAPHQL_MAX_COMPLEXITY: '100' });
  });
  afterAll(async () => t?.dispose());

  it.each([
    ['malformed JSON', '{"query": ', {}, { status: 400, code: 'BAD_REQUEST', reason: 'INVALID_JSON' }],
    ['a charset other than UTF-8', '{"query":"{ __typename }"}', { 'content-type': 'application/json; charset=latin1' }, { status: 400, code: 'BAD_REQUEST', reason: 'UNSUPPORTED_CHARSET' }],
    ['a body above 64 kB', JSON.stringify({ query: `{ ${'__typename '.repeat(7000)} }` }), {}, { status: 413, code: 'PAYLOAD_TOO_LARGE', reason: 'BODY_TOO_LARGE' }],
    ['a query above the complexity budget', JSON.stringify({ query: '{ orders(first: 200) { nodes { id symbol side } } }' }), {}, { status: 400, code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' }],
    ['a subscription over HTTP', JSON.stringify({ query: 'subscription { trades(symbol: "AAPL") { price } }' }), {}, { status: 400, code: 'BAD_REQUEST', reason: 'SUBSCRIPTION_OVER_HTTP' }],
  ] as const)('%s: a coded refusal with its HTTP status', async (_name, body, headers, expected) => {
    expect(await codeOf(await post(body, headers))).toEqual(expected);
  });

  it('refuses bytes that are not UTF-8 with a reason', async () => {
    expect(await codeOf(await post(new Blob([new Uint8Array([0x7b, 0x22, 0x71, 0xff, 0xfe, 0x22, 0x7d])])))).toEqual({ status: 400, code: 'BAD_REQUEST', reason: 'INVALID_UTF8' });
  });

  it('answers a plain query and a text/plain (CSRF) body as Apollo would', async () => {
    const ok = await post(JSON.stringify({ query: '{ __typename }' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ data: { __typename: 'Query' } });
    expect((await codeOf(await post('{ __typename }', { 'content-type': 'text/plain' }))).code).toBe('BAD_REQUEST');
  });

  it('counts requests by route, method and status in trading_http_requests_total', async () => {
    const metric = async () => {
      const text = await fetch(t.url.replace('/graphql', '/metrics')).then((r) => r.text());
      return Number(/^trading_http_requests_total\{route="\/graphql",method="POST",status="200"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await metric();
    await post(JSON.stringify({ query: '{ __typename }' }));
    await post(JSON.stringify({ query: '{ __typename }' }));
    expect(await metric()).toBe(before + 2);
  });
});
