/**
 * Recovery: a restarted server keeps every acknowledged order and rebuilds identical books
 * (levels, sequence numbers, state hashes) from the database, then keeps trading consistently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { auditOrderPath } from '../support/audit.js';
import { flowViolations, runFlow, seededCommands, type FlowContext } from '../support/commands.js';
import { ORDERS, QUOTE, TRADES, TradingClient, adminClient, bookOf, newTrader, ok, type OrderView, widenCatalogBands } from '../support/trading.js';

const SYMBOLS = ['AAPL', 'MSFT', 'SPY'];
const SHAPE = { accounts: 4, symbols: SYMBOLS.length };

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`restart on ${dialect}`, () => {
  let t: TestApp;
  let clients: TradingClient[];
  let admin: TradingClient;
  const known: string[] = [];
  const ctx = (): FlowContext => ({ url: t.url, clients, symbols: SYMBOLS, known });

  /** Every order (paged through the API), every book, quote and tape, each book's state hash and seq. */
  const state = async () => {
    const orders: OrderView[] = [];
    let after: string | null = null;
    do {
      const page: { nodes: OrderView[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } = (await ok(t.url, ORDERS, { first: 100, sort: 'TIME_ASC', after }, admin.token)).orders;
      orders.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    const { engine, knex } = t.app.services;
    return {
      orders,
      books: await Promise.all(SYMBOLS.map((s) => bookOf(t.url, s))),
      quotes: await Promise.all(SYMBOLS.map(async (s) => (await ok(t.url, QUOTE, { s })).product.quote)),
      tapes: await Promise.all(SYMBOLS.map(async (s) => (await ok(t.url, TRADES, { s, first: 200 })).trades)),
      hashes: SYMBOLS.map((s) => (engine.has(s) ? engine.book(s).stateHash() : null)),
      seqs: await knex('products').whereIn('symbol', SYMBOLS).orderBy('symbol').select('symbol', 'book_seq'),
    };
  };

  /** Restarts on the same database; sessions survive, so the same tokens keep working. */
  const restart = async () => {
    t = await t.restart();
    clients = clients.map((c) => new TradingClient(t.url, c.token, c.id));
    admin = new TradingClient(t.url, admin.token, admin.id);
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await widenCatalogBands(t.app); // prices here are far from the catalog references
    admin = await adminClient(t.url);
    clients = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((name) => newTrader(t.url, name)));
  });
  afterAll(async () => t?.dispose());

  it('keeps every acknowledged order and rebuilds identical books, seqs and state hashes', async () => {
    const flow = await runFlow(ctx(), seededCommands(20261127, 300, SHAPE));
    expect(flowViolations(flow)).toEqual([]);
    expect(flow.acks.size).toBeGreaterThan(150);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
    const before = await state();
    expect(before.hashes.every((h) => h !== null)).toBe(true);
    expect(before.books.some((b) => b.bids.length > 0 && b.asks.length > 0)).toBe(true);
    const ids = new Set(before.orders.map((o) => o.id));
    expect([...flow.acks.keys()].filter((id) => !ids.has(id))).toEqual([]);

    await restart();

    expect(await state()).toEqual(before);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
  });

  it('keeps trading after the restart, consistent with the database, and survives a second restart', async () => {
    const flow = await runFlow(ctx(), seededCommands(7, 120, SHAPE));
    expect(flowViolations(flow)).toEqual([]);
    expect([...flow.acks.values()].some((o) => o.cumQty > 0)).toBe(true);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
    const before = await state();

    await restart();

    expect(await state()).toEqual(before);
  });
});
