/**
 * Trading helpers for API tests: a typed client per account over the real GraphQL endpoint, the
 * admin's token, fresh products for isolated tests, and database counts proving "nothing written".
 */
import type { Knex } from '../../src/db/knex.js';
import { ADMIN_PASSWORD } from './app.js';
import { AMEND, BOOK, CANCEL, LOGIN, ORDER_FIELDS, PLACE, errorOf, gql, ok, trader } from './gql.js';

/** An order as the API returns it (ORDER_FIELDS). */
export interface OrderView {
  readonly id: string;
  readonly clOrdId: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly type: 'LIMIT' | 'MARKET';
  readonly timeInForce: 'DAY' | 'GTC' | 'IOC' | 'FOK';
  readonly postOnly: boolean;
  readonly price: string | null;
  readonly quantity: number;
  readonly cumQty: number;
  readonly leavesQty: number;
  readonly avgPx: string | null;
  readonly status: string;
  readonly reason: string | null;
  readonly mine: boolean;
}

export interface PlaceInput {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly type?: 'LIMIT' | 'MARKET';
  readonly price?: string | null;
  readonly quantity: number;
  readonly timeInForce?: 'DAY' | 'GTC' | 'IOC' | 'FOK';
  readonly postOnly?: boolean;
  readonly clOrdId?: string;
}

export interface BookView {
  readonly symbol: string;
  readonly seq: number;
  readonly bids: { price: string; quantity: number; orderCount: number }[];
  readonly asks: { price: string; quantity: number; orderCount: number }[];
}

/** A page of a connection (orders, products, users). */
export interface PageView<T> {
  readonly nodes: T[];
  readonly pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

export interface HoldingView {
  readonly symbol: string;
  readonly quantity: number;
  readonly avgPrice: string | null;
  readonly lastPrice: string | null;
  readonly marketValue: string | null;
  readonly unrealizedPnl: string | null;
}

export const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
export const MY_ORDERS = `query($symbol: String, $statuses: [OrdStatus!], $sort: OrderSort, $first: Int, $after: String) {
  myOrders(symbol: $symbol, statuses: $statuses, sort: $sort, first: $first, after: $after) { nodes { ${ORDER_FIELDS} } pageInfo { endCursor hasNextPage } } }`;
export const ORDERS = `query($symbol: String, $statuses: [OrdStatus!], $sort: OrderSort, $first: Int, $after: String) {
  orders(symbol: $symbol, statuses: $statuses, sort: $sort, first: $first, after: $after) { nodes { ${ORDER_FIELDS} } pageInfo { endCursor hasNextPage } } }`;
export const HOLDINGS = `{ holdings { symbol quantity avgPrice lastPrice marketValue unrealizedPnl } }`;
export const TRADES = `query($s: String!, $first: Int, $before: ID) { trades(symbol: $s, first: $first, before: $before) { tradeId symbol price quantity aggressorSide time } }`;
export const QUOTE = `query($s: String!) { product(symbol: $s) { symbol status quote { symbol last bid ask reference change changePercent } } }`;
export const PRODUCTS = `query($q: String, $type: ProductType, $first: Int, $after: String) {
  products(query: $q, type: $type, first: $first, after: $after) { nodes { symbol name type tickSize status } pageInfo { endCursor hasNextPage } } }`;
export const CREATE_PRODUCT = `mutation($i: CreateProductInput!) { createProduct(input: $i) { symbol status } }`;
export const HALT = `mutation($s: String!) { haltTrading(symbol: $s) { symbol status } }`;
export const RESUME = `mutation($s: String!) { resumeTrading(symbol: $s) { symbol status } }`;

/** One account talking to the API. */
export class TradingClient {
  constructor(
    readonly url: string,
    readonly token: string,
    readonly id: string,
  ) {}

  /** Places an order (LIMIT unless `type` says otherwise); throws on any GraphQL error. */
  async place(input: PlaceInput): Promise<OrderView> {
    const i = { type: 'LIMIT', ...input };
    return (await ok<{ placeOrder: OrderView }>(this.url, PLACE, { i }, this.token)).placeOrder;
  }

  /** The error (code, reason) a placeOrder gets. */
  placeError(input: PlaceInput | Record<string, unknown>) {
    return errorOf(this.url, PLACE, { i: { type: 'LIMIT', ...input } }, this.token);
  }

  async cancel(id: string): Promise<OrderView> {
    return (await ok<{ cancelOrder: OrderView }>(this.url, CANCEL, { id }, this.token)).cancelOrder;
  }

  async amend(id: string, quantity: number, price?: string): Promise<OrderView> {
    return (await ok<{ amendOrder: OrderView }>(this.url, AMEND, { id, q: quantity, p: price ?? null }, this.token)).amendOrder;
  }

  amendError(id: string, quantity: number, price?: string) {
    return errorOf(this.url, AMEND, { id, q: quantity, p: price ?? null }, this.token);
  }

  async order(id: string): Promise<OrderView | null> {
    return (await ok<{ order: OrderView | null }>(this.url, ORDER, { id }, this.token)).order;
  }

  async myOrders(args: Record<string, unknown> = {}): Promise<PageView<OrderView>> {
    return (await ok(this.url, MY_ORDERS, { first: 100, ...args }, this.token)).myOrders;
  }

  async holdings(): Promise<HoldingView[]> {
    return (await ok<{ holdings: HoldingView[] }>(this.url, HOLDINGS, {}, this.token)).holdings;
  }
}

/** Signs up a trader and returns a client for it. */
export async function newTrader(url: string, name: string): Promise<TradingClient> {
  const t = await trader(url, name);
  return new TradingClient(url, t.token, t.id);
}

/** Logs the seeded admin in and returns a client for it. */
export async function adminClient(url: string): Promise<TradingClient> {
  const d = await ok<{ login: { token: string; user: { id: string } } }>(url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD });
  return new TradingClient(url, d.login.token, d.login.user.id);
}

/** Creates a STOCK product (tick 0.01) through the admin API, for a test that wants its own book. */
export async function createProduct(url: string, adminToken: string, symbol: string, referencePrice: string | null = '100.00', name = `Zeta Test Widget ${symbol}`): Promise<string> {
  await ok(url, CREATE_PRODUCT, { i: { symbol, name, type: 'STOCK', referencePrice } }, adminToken);
  return symbol;
}

export const SET_PRODUCT_RISK = `mutation($s: String!, $i: ProductRiskLimitsInput!) { setProductRiskLimits(symbol: $s, input: $i) { symbol priceBandPercent bandLow bandHigh } }`;

/**
 * Widens a product's price band (admin), for a suite whose prices roam further from the
 * reference than the default ±10% lets them: the band still applies, wider.
 */
export async function widenBand(url: string, adminToken: string, symbol: string, percent = '1000'): Promise<string> {
  await ok(url, SET_PRODUCT_RISK, { s: symbol, i: { priceBandPercent: percent } }, adminToken);
  return symbol;
}

/**
 * Widens the price band of every product in the test catalog (as an admin would), for a suite
 * written before the band whose prices roam far from the catalog references. The band still
 * applies (1000% up, down to one tick); risk.test.ts tests the default.
 */
export async function widenCatalogBands(app: { services: { knex: Knex; risk: { setProductLimits(symbol: string, row: { bandBps: number | null; maxOrderQty: null; maxOrderNotional: null; maxLong: null; maxShort: null }): Promise<void> } } }): Promise<void> {
  const rows: { symbol: string }[] = await app.services.knex('products').select('symbol');
  for (const { symbol } of rows) await app.services.risk.setProductLimits(symbol, { bandBps: 100_000, maxOrderQty: null, maxOrderNotional: null, maxLong: null, maxShort: null });
}

/** The level-2 book (20 levels) of a symbol. */
export async function bookOf(url: string, symbol: string): Promise<BookView> {
  return (await ok<{ orderBook: BookView }>(url, BOOK, { s: symbol })).orderBook;
}

/** Rows in a table (orders, executions, ...), straight from the database. */
export async function countRows(knex: Knex, table: string): Promise<number> {
  const [{ n }] = (await knex(table).count({ n: '*' })) as [{ n: number | string }];
  return Number(n);
}

/** Sends a raw HTTP body to /graphql (for malformed, oversized and batched requests). */
export async function postRaw(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string | null; json: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), json };
}

export { gql, ok, errorOf };
