import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { catalogPriceTicks } from '../../decimal.js';
import type { Knex } from '../../db/knex.js';
import { DEFAULT_TICK_SIZE, ProductType } from './product-model.js';
import type { Dialect } from '../../db/dialect.js';
import { indexNames } from './product-search.js';

/** One catalog line: symbol,name,type,price (price may be empty). */
export interface CatalogRow {
  readonly symbol: string;
  readonly name: string;
  readonly type: ProductType;
  readonly refPriceTicks: number | null;
}

const TYPES = new Set<string>(Object.values(ProductType));

/** Parses the catalog CSV. Rows with an unknown type or an empty symbol are reported, not loaded. */
export function parseCatalog(csv: string): { rows: CatalogRow[]; skipped: string[] } {
  const records = parse(csv, { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const rows: CatalogRow[] = [];
  const skipped: string[] = [];
  for (const r of records) {
    // csv-parse's trim leaves quoted values alone (" Nuveen …", "… Inc. "): trim them here.
    const symbol = (r.symbol ?? '').trim();
    const type = (r.type ?? '').toLowerCase();
    if (!symbol || symbol.length > 32 || !TYPES.has(type)) {
      skipped.push(symbol || JSON.stringify(r));
      continue;
    }
    rows.push({
      symbol,
      name: (r.name ?? '').trim().slice(0, 255),
      type: type as ProductType,
      refPriceTicks: catalogPriceTicks(r.price ?? '', DEFAULT_TICK_SIZE) ?? null,
    });
  }
  return { rows, skipped };
}

/**
 * Loads the catalog into an empty products table, in chunks, reporting progress. Does nothing
 * when the table already has products (the catalog is seed data, not a sync source). Names are
 * indexed for search in the same transaction (on SQLite by the table's triggers).
 */
export async function seedCatalog(knex: Knex, dialect: Dialect, path: string, progress: (done: number, total: number) => void): Promise<number> {
  const [{ n }] = (await knex('products').count({ n: '*' })) as [{ n: number | string }];
  if (Number(n) > 0) return 0;
  const { rows } = parseCatalog(readFileSync(path, 'utf8'));
  const now = new Date();
  // SQLite builds multi-row inserts from UNION ALL selects, limited to 500 terms.
  const chunk = 250;
  await knex.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += chunk) {
      const slice = rows.slice(i, i + chunk);
      await trx('products').insert(
        slice.map((r) => ({
          symbol: r.symbol,
          name: r.name,
          type: r.type,
          tick_size: DEFAULT_TICK_SIZE,
          ref_price_ticks: r.refPriceTicks,
          last_price_ticks: null,
          status: 'TRADING',
          book_seq: 0,
          updated_at: now,
        })),
      )
        // Replicas starting together may seed at once: the first row wins, the others are no-ops.
        .onConflict('symbol')
        .ignore();
      await indexNames(trx, dialect, slice);
      progress(Math.min(i + chunk, rows.length), rows.length);
    }
  });
  return rows.length;
}
