/**
 * bench:count — what `products.totalCount` adds to a catalog page, on SQLite with the full
 * catalog: each search (and a browse) timed without and with the count, alternating, in one
 * process. Prints median milliseconds per page and the ratio. Options: --rounds N (default 15).
 */
import 'reflect-metadata';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOrm } from '../src/db/orm.js';
import { knexOf } from '../src/db/knex.js';
import { seedCatalog } from '../src/modules/products/catalog.js';
import { ProductService } from '../src/modules/products/product.service.js';
import { percentile, repoRoot } from '../harness/api-process.js';

const rounds = process.argv.includes('--rounds') ? Number(process.argv[process.argv.indexOf('--rounds') + 1]) : 15;
const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'count-bench-')), 'c.sqlite')}`;
const { orm, dialect } = await openOrm(url);
await orm.getMigrator().up();
const knex = knexOf(orm);
await seedCatalog(knex, dialect, join(repoRoot, 'db/seeds/products.csv'), () => {});
const products = new ProductService(knex, dialect);

for (const query of ['ion', 'inc', 'bank', 'apple', 'A', undefined]) {
  const plain: number[] = [];
  const counted: number[] = [];
  let total = 0;
  for (let i = 0; i < rounds; i++) {
    for (const withTotal of i % 2 ? [true, false] : [false, true]) {
      const t = performance.now();
      const r = await products.search({ query, first: 100, withTotal });
      (withTotal ? counted : plain).push(performance.now() - t);
      if (withTotal) total = r.total ?? 0;
    }
  }
  const [a, b] = [percentile(plain, 50), percentile(counted, 50)];
  console.log(`${JSON.stringify(query ?? '(browse)').padEnd(10)} matches ${String(total).padStart(6)}  page ${a.toFixed(2)} ms  page+count ${b.toFixed(2)} ms  ×${(b / a).toFixed(2)}`);
}
await orm.close(true);
