/**
 * The product catalog: the full 45,055-row seed loads completely and faithfully, and search and
 * pagination work on it (SQLite only: the loader and queries are the same on MySQL, and loading
 * 45k rows there would dominate the suite's time). A product without a price loads and trades.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { repoRoot } from '../../src/paths.js';
import { PRODUCTS, QUOTE, newTrader, ok } from '../support/trading.js';

const CATALOG = resolve(repoRoot, 'db/seeds/products.csv');

interface Row {
  symbol: string;
  name: string;
  type: string;
  price: string;
}

describe('the full catalog on sqlite', () => {
  let t: TestApp;
  let rows: Row[];

  /** Every product the API returns for a search, following pages of 200. */
  const searchAll = async (args: Record<string, unknown>) => {
    const out: { symbol: string; name: string; type: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const r: { nodes: { symbol: string; name: string; type: string }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } = (
        await ok(t.url, PRODUCTS, { ...args, first: 200, after })
      ).products;
      out.push(...r.nodes);
      if (!r.pageInfo.hasNextPage) return out;
      after = r.pageInfo.endCursor;
    }
    throw new Error('too many pages');
  };

  beforeAll(async () => {
    rows = parse(readFileSync(CATALOG, 'utf8'), { columns: true, skip_empty_lines: true }) as Row[];
    t = await startTestApp('sqlite', { CATALOG_PATH: CATALOG });
  }, 120_000);
  afterAll(async () => t?.dispose());

  it('loads all 45,055 rows, each with its name, type and reference price', async () => {
    expect(rows).toHaveLength(45_055);
    const db = await t.app.services.knex('products').select('symbol', 'name', 'type', 'ref_price_ticks', 'tick_size', 'status');
    expect(db).toHaveLength(45_055);
    const bySymbol = new Map(db.map((p) => [String(p.symbol), p]));
    const mismatches = rows.filter((r) => {
      const p = bySymbol.get(r.symbol.trim());
      // No price, or 0.00 (no price known either), is a null reference.
      const ticks = r.price.trim() === '' || Number(r.price) === 0 ? null : Math.round(Number(r.price) * 100);
      return !p || p.name !== r.name.trim() || p.type !== r.type.trim().toLowerCase() || (p.ref_price_ticks === null ? null : Number(p.ref_price_ticks)) !== ticks || p.tick_size !== '0.01' || p.status !== 'TRADING';
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('quotes a product the CSV prices at 0.00 with a null reference and no change', async () => {
    const zero = rows.find((r) => r.price.trim() !== '' && Number(r.price) === 0)!;
    expect(zero).toBeDefined();
    const q = await ok(t.url, QUOTE, { s: zero.symbol.trim() });
    expect(q.product.quote).toMatchObject({ reference: null, change: null, changePercent: null });
  });

  it.each(['stock', 'etf', 'fund', 'trust'])('has as many %s products as the CSV', async (type) => {
    const [{ n }] = (await t.app.services.knex('products').where({ type }).count({ n: '*' })) as [{ n: number }];
    const inCsv = rows.filter((r) => r.type.trim().toLowerCase() === type).length;
    expect(inCsv).toBeGreaterThan(0);
    expect(Number(n)).toBe(inCsv);
  });

  it('pages through the whole catalog in symbol order, every product exactly once', async () => {
    const all = await searchAll({});
    expect(all.map((p) => p.symbol)).toEqual(rows.map((r) => r.symbol).sort());
  });

  it.each([
    { q: 'AAP', type: null },
    { q: '0000', type: null },
    { q: 'bank china', type: null },
    { q: 'Vanguard', type: 'ETF' },
    { q: 'gold', type: 'TRUST' },
    { q: null, type: 'TRUST' },
  ])('finds exactly what the CSV says for query $q and type $type, each once', async ({ q, type }) => {
    const words = (q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const expected = rows
      .filter((r) => !type || r.type.toUpperCase() === type)
      .filter((r) => !q || r.symbol.toUpperCase().startsWith(q.toUpperCase()) || words.every((w) => r.name.toLowerCase().includes(w)))
      .map((r) => r.symbol)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    const got = await searchAll({ q, type });
    // Text results are ranked (exact symbol, symbol prefix, name), browsing is by symbol.
    expect(got.map((p) => p.symbol).sort()).toEqual(expected);
    if (!q) expect(got.map((p) => p.symbol)).toEqual(expected);
  });
});

describe('a product without a reference price on sqlite', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.dispose());

  it('loads from the catalog with a null reference, and trades, with no change figure', async () => {
    const q = await ok(t.url, QUOTE, { s: 'NOPRICE' });
    expect(q.product).toEqual({ symbol: 'NOPRICE', status: 'TRADING', quote: { symbol: 'NOPRICE', last: null, bid: null, ask: null, reference: null, change: null, changePercent: null } });
    expect((await ok(t.url, PRODUCTS, { q: 'no price', first: 10 })).products.nodes).toEqual([
      { symbol: 'NOPRICE', name: 'No Price Holdings', type: 'FUND', tickSize: '0.01', status: 'TRADING' },
    ]);
    const [a, b] = await Promise.all([newTrader(t.url, 'np-seller'), newTrader(t.url, 'np-buyer')]);
    await a.place({ symbol: 'NOPRICE', side: 'SELL', price: '5.00', quantity: 3 });
    expect(await b.place({ symbol: 'NOPRICE', side: 'BUY', price: '5.00', quantity: 3 })).toMatchObject({ status: 'FILLED' });
    expect((await ok(t.url, QUOTE, { s: 'NOPRICE' })).product.quote).toMatchObject({ last: '5.00', reference: null, change: null, changePercent: null });
  });
});
