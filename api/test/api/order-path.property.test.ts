/**
 * Property: whatever random commands arrive concurrently (so group commit batches them), the
 * committed state passes the audit — fills add up, trades pair, limits hold, holdings equal net
 * fills, no book is crossed at rest, and the books in memory equal the books rebuilt from the
 * database. Also proves the audit itself catches corrupted data.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { auditOrderPath } from '../support/audit.js';
import { commandArbitrary, flowViolations, refusalsContradictedBy, runFlow, seededCommands, type FlowContext, type FlowResult } from '../support/commands.js';
import { adminClient, createProduct, newTrader, widenCatalogBands, type TradingClient } from '../support/trading.js';
import type { Knex } from '../../src/db/knex.js';

/**
 * Runs per dialect. ORDER_PATH_RUNS sets both (a longer hunt: ORDER_PATH_RUNS=500); the seed is
 * printed, and ORDER_PATH_SEED replays a run (fast-check also prints seed and path on failure).
 */
const RUNS: Record<string, number> = process.env.ORDER_PATH_RUNS
  ? { sqlite: Number(process.env.ORDER_PATH_RUNS), mysql: Number(process.env.ORDER_PATH_RUNS) }
  : { sqlite: 30, mysql: 8 };
const SEED = process.env.ORDER_PATH_SEED ? Number(process.env.ORDER_PATH_SEED) : Date.now() % 2 ** 31;
console.log(`order path properties: seed ${SEED} (ORDER_PATH_SEED=${SEED} replays)`);

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`order path properties on ${dialect}`, () => {
  let t: TestApp;
  let clients: TradingClient[];
  let symbols: string[];
  const known: string[] = [];
  let largestBatch = 0;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    // The flows trade AAPL around 100.00, far from its catalog reference: its band is widened.
    await widenCatalogBands(t.app);
    const admin = await adminClient(t.url);
    clients = await Promise.all(['pa', 'pb', 'pc', 'pd'].map((name) => newTrader(t.url, `${name}-trader`)));
    symbols = [await createProduct(t.url, admin.token, 'PROPA'), await createProduct(t.url, admin.token, 'PROPB'), 'AAPL'];
    t.app.services.path.onCommit((b) => (largestBatch = Math.max(largestBatch, b.outcomes.length)));
  });
  afterAll(async () => t?.dispose());

  const ctx = (): FlowContext => ({ url: t.url, clients, symbols, known });
  /** Status and cumQty in the database of every order a flow's refusals named. */
  const finalState = async (flow: FlowResult) => {
    const ids = [...new Set(flow.results.filter((r) => r.refusal && r.target).map((r) => Number(r.target)))];
    const rows = ids.length ? await t.app.services.knex('orders').whereIn('id', ids).select('id', 'status', 'cum_qty') : [];
    return new Map(rows.map((r) => [String(r.id), { status: String(r.status), cumQty: Number(r.cum_qty) }]));
  };

  it('random concurrent command streams always leave a state that passes the audit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArbitrary({ accounts: clients.length, symbols: symbols.length }), { minLength: 10, maxLength: 60 }),
        fc.integer({ min: 2, max: 16 }),
        async (commands, batch) => {
          const flow = await runFlow(ctx(), commands, batch);
          expect(flowViolations(flow)).toEqual([]);
          expect(refusalsContradictedBy(flow, await finalState(flow))).toEqual([]);
          expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
        },
      ),
      { numRuns: RUNS[dialect] ?? 1, seed: SEED },
    );
  });

  it('a burst of concurrent commands is committed in groups and passes the audit', async () => {
    const flow = await runFlow(ctx(), seededCommands(42, 96, { accounts: clients.length, symbols: symbols.length }), 32);
    expect(flowViolations(flow)).toEqual([]);
    expect(refusalsContradictedBy(flow, await finalState(flow))).toEqual([]);
    expect([...flow.acks.values()].some((o) => o.cumQty > 0)).toBe(true);
    // Concurrency really reached the order path: some transaction committed several requests.
    expect(largestBatch).toBeGreaterThan(1);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
  });

  it('holdings through the API equal each account’s net filled quantity from its orders', async () => {
    const knex = t.app.services.knex;
    for (const c of clients) {
      const rows = await knex('orders').where({ account_id: Number(c.id) }).select('symbol', 'side', 'cum_qty');
      const net = new Map<string, number>();
      for (const r of rows) net.set(String(r.symbol), (net.get(String(r.symbol)) ?? 0) + (r.side === 'BUY' ? 1 : -1) * Number(r.cum_qty));
      const expected = [...net].filter(([, q]) => q !== 0).map(([symbol, quantity]) => ({ symbol, quantity })).sort((a, b) => a.symbol.localeCompare(b.symbol));
      const got = (await c.holdings()).map((h) => ({ symbol: h.symbol, quantity: h.quantity })).sort((a, b) => a.symbol.localeCompare(b.symbol));
      expect(got).toEqual(expected);
    }
  });

  /** Corrupts the database inside a transaction, audits, and rolls back. */
  const auditCorrupted = async (corrupt: (trx: Knex.Transaction) => Promise<unknown>): Promise<string[]> => {
    let found: string[] = [];
    await t.app.services.knex
      .transaction(async (trx) => {
        await corrupt(trx);
        found = await auditOrderPath(trx, { engine: t.app.services.engine });
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    return found;
  };
  const filledOrder = (trx: Knex.Transaction) => trx('orders').where('cum_qty', '>', 0).orderBy('id').first('id');
  /** A resting order of a symbol whose book has both bids and asks. */
  const restingOrder = async (trx: Knex.Transaction): Promise<{ id: number; side: string }> => {
    const open = await trx('orders').whereIn('status', ['NEW', 'PARTIALLY_FILLED']).orderBy('id').select('id', 'symbol', 'side');
    const twoSided = (symbol: unknown) => new Set(open.filter((o) => o.symbol === symbol).map((o) => o.side)).size === 2;
    return open.find((o) => twoSided(o.symbol));
  };
  const anyExecution = (trx: Knex.Transaction) => trx('executions').orderBy('id').first('id', 'trade_id', 'symbol');

  it.each([
    {
      corruption: 'an order’s cumQty off by one',
      rule: 'cumQty = Σ fills',
      corrupt: async (trx: Knex.Transaction) => trx('orders').where({ id: (await filledOrder(trx)).id }).increment('cum_qty', 1),
    },
    {
      corruption: 'an execution’s price changed',
      rule: 'both sides of a trade agree',
      corrupt: async (trx: Knex.Transaction) => trx('executions').where({ id: (await anyExecution(trx)).id }).increment('price_ticks', 1),
    },
    {
      corruption: 'one side of a trade deleted',
      rule: 'one BUY and one SELL per trade',
      corrupt: async (trx: Knex.Transaction) => trx('executions').where({ id: (await anyExecution(trx)).id }).delete(),
    },
    {
      corruption: 'a resting order’s quantity changed behind the engine’s back',
      rule: 'memory book = database book',
      corrupt: async (trx: Knex.Transaction) => trx('orders').where({ id: (await restingOrder(trx)).id }).update({ qty: trx.raw('qty + 1'), leaves_qty: trx.raw('leaves_qty + 1') }),
    },
    {
      corruption: 'a resting order moved across the spread',
      rule: 'no crossed book at rest',
      corrupt: async (trx: Knex.Transaction) => {
        const o = await restingOrder(trx);
        return trx('orders').where({ id: o.id }).update({ price_ticks: o.side === 'BUY' ? 10_000_000 : 1 });
      },
    },
    {
      corruption: 'an open market order',
      rule: 'only DAY/GTC limit orders rest',
      corrupt: async (trx: Knex.Transaction) => trx('orders').where({ id: (await restingOrder(trx)).id }).update({ ord_type: 'MARKET' }),
    },
  ])('the audit catches $corruption ($rule)', async ({ corrupt, rule }) => {
    const found = await auditCorrupted(corrupt);
    expect(found.some((line) => line.startsWith(rule))).toBe(true);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
  });
});
