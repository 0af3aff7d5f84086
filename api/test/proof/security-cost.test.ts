/**
 * Cost of what is accepted (issue 14, class 2): no single request may freeze the process.
 * - Field selections per document (TOO_MANY_FIELDS, before validation), root fields and mutations
 *   per operation (TOO_MANY_ROOT_FIELDS, TOO_MANY_MUTATIONS) are capped, the same over HTTP and
 *   the WebSocket, and a catalog text search is priced like the scan it
 *   may cost (QUERY_TOO_COMPLEX beyond one per request): the 1,000-alias search that blocked the
 *   event loop for ~10 s is refused before anything runs.
 * - Catalog search reads indexes only (no query plan scans the products table) on SQLite and
 *   MySQL, finds exactly what a simple model says (symbol prefix, or every word in the name),
 *   follows renames, and ranks: exact symbol, symbol prefix, names starting with the first word.
 * - The web client's own documents are accepted at every page size it offers (Quotes at 100
 *   rows was refused as too complex).
 * Timings are the bench's job (`npm run bench:cost`); these cases check behaviour only.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { Kind, parse, print, visit, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects, freshDatabase } from '../support/databases.js';
import { openOrm } from '../../src/db/orm.js';
import { knexOf } from '../../src/db/knex.js';
import { ProductService } from '../../src/modules/products/product.service.js';
import { errorOf, gql, ok } from '../support/gql.js';
import { PRODUCTS, adminClient, countRows } from '../support/trading.js';
import { wsClient } from '../support/ws.js';
import { createSchema } from '../../src/graphql/schema.js';
import { OperationLimits, complexityOf, operationBudget } from '../../src/graphql/limits.js';
import { BROWSE_COUNT_COST, SEARCH_COUNT_COST } from '../../src/modules/products/product-search.js';
import { loadConfig } from '../../src/config.js';
import { repoRoot } from '../../src/paths.js';
import { ProductType } from '../../src/modules/products/product-model.js';

const aliases = (n: number, sel: string, op = '') => `${op}{ ${Array.from({ length: n }, (_, i) => `a${i}: ${sel}`).join(' ')} }`;
/** The request that froze the process: 1,000 aliased searches that match nothing (each was a scan). */
const FREEZER = aliases(1000, 'products(query: "zzzzzz", first: 1) { nodes { symbol } }');

/** The first error of an operation sent over graphql-ws (undefined when it completes without one). */
async function wsError(url: string, query: string): Promise<{ code?: string; reason?: string } | undefined> {
  const client = wsClient(url);
  try {
    return await new Promise((done, fail) => {
      client.subscribe(
        { query },
        {
          next: (v) => {
            if (v.errors?.length) done(v.errors[0]!.extensions as { code?: string; reason?: string });
          },
          error: (e) => (Array.isArray(e) ? done((e[0] as { extensions?: { code?: string; reason?: string } }).extensions) : fail(e)),
          complete: () => done(undefined),
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('the budget of one operation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(async () => t?.dispose());

  it('refuses 1,000 aliased catalog searches (the request that froze the process) before running any', async () => {
    const r = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: FREEZER }) });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { data?: unknown; errors: { extensions: { code: string; reason: string } }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ROOT_FIELDS' });
  });

  it('refuses the same request over the WebSocket', async () => {
    expect(await wsError(t.url, FREEZER)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ROOT_FIELDS' });
  });

  it('refuses a document of 1,500 aliased fields before validating it (validation is quadratic in them)', async () => {
    const wide = `{ me { ${Array.from({ length: 1500 }, (_, i) => `a${i}: id`).join(' ')} } }`;
    expect(await errorOf(t.url, wide)).toMatchObject({ status: 400, code: 'BAD_USER_INPUT', reason: 'TOO_MANY_FIELDS' });
    expect(await wsError(t.url, wide)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_FIELDS' });
  });

  it('counts root fields through fragments and inline fragments', async () => {
    const viaFragments = `query { ...A ... on Query { ${aliases(11, 'product(symbol: "AAPL") { symbol }').slice(1, -1)} } } fragment A on Query { ${aliases(10, 'me { id }').slice(1, -1).replace(/a(\d+):/g, 'b$1:')} }`;
    expect(await errorOf(t.url, viaFragments)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ROOT_FIELDS' });
    expect((await errorOf(t.url, aliases(20, 'product(symbol: "AAPL") { symbol }'))).code).toBeUndefined();
  });

  it('prices a catalog text search like a scan: two searches in one request are refused, one is served', async () => {
    const search = (n: number) => aliases(n, 'products(query: "inc", first: 1) { nodes { symbol } }');
    expect(await errorOf(t.url, search(2))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' });
    expect(await wsError(t.url, search(2))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COMPLEX' });
    expect((await errorOf(t.url, search(1))).code).toBeUndefined();
    // Browsing by symbol reads one index range: many pages fit where searches do not.
    expect((await errorOf(t.url, aliases(10, 'products(first: 20) { nodes { symbol } }'))).code).toBeUndefined();
  });

  it('caps the mutations of one request, refusing all of them (nothing is written)', async () => {
    const admin = (await adminClient(t.url)).token;
    const creates = (n: number, prefix: string) =>
      `mutation { ${Array.from({ length: n }, (_, i) => `c${i}: createProduct(input: { symbol: "${prefix}${i}", name: "Capped ${i}", type: STOCK }) { symbol }`).join(' ')} }`;
    const before = await countRows(t.app.services.knex, 'products');
    expect(await errorOf(t.url, creates(11, 'CAPX'), {}, admin)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_MUTATIONS' });
    expect(await countRows(t.app.services.knex, 'products')).toBe(before);
    expect((await gql(t.url, creates(10, 'CAPY'), {}, admin)).errors).toBeUndefined();
    expect(await countRows(t.app.services.knex, 'products')).toBe(before + 10);
  });
});

/** A product as the model sees it. */
interface Row {
  symbol: string;
  name: string;
  type: string;
}

/** The search the API promises, over every product in memory (the model). */
function modelSearch(all: readonly Row[], query: string, type?: string): string[] {
  // eslint-disable-next-line no-control-regex -- control characters count as spaces
  const text = query.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 100);
  const typed = all.filter((p) => !type || p.type === type.toLowerCase());
  if (!text) return typed.map((p) => p.symbol).sort();
  const upper = text.toUpperCase();
  const words = text.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 8);
  const byName = words.some((w) => [...w].length >= 3);
  const hits = typed.filter((p) => p.symbol.startsWith(upper) || (byName && words.every((w) => p.name.toLowerCase().includes(w))));
  const rank = (p: Row) => (p.symbol === upper ? 0 : p.symbol.startsWith(upper) ? 1 : p.name.toLowerCase().startsWith(words[0]!) ? 2 : 3);
  const key = (p: Row) => [rank(p), p.symbol.includes('.') ? 1 : 0] as const;
  return hits
    .sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return ka[0] - kb[0] || ka[1] - kb[1] || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0);
    })
    .map((p) => p.symbol);
}

for (const { dialect, skip } of await dialects())
  describe.skipIf(skip)(`catalog search on ${dialect}`, () => {
    let t: TestApp;
    let admin: string;
    beforeAll(async () => {
      t = await startTestApp(dialect);
      admin = (await adminClient(t.url)).token;
      const listings: [string, string, string][] = [
        ['AAP', 'Advance Auto Parts, Inc.', 'STOCK'],
        ['APLE', 'Apple Hospitality REIT, Inc.', 'TRUST'],
        ['APC.DE', 'Apple Inc.', 'STOCK'],
        ['3LAP.L', 'GraniteShares 3x Long Apple Daily ETP', 'ETF'],
        ['PNPL', 'Pineapple, Inc.', 'STOCK'],
        ['TL0.DE', 'Tesla, Inc.', 'STOCK'],
        ['3LTS.L', 'GraniteShares 3x Long Tesla Daily ETP', 'ETF'],
      ];
      for (const [symbol, name, type] of listings) await ok(t.url, `mutation($i: CreateProductInput!) { createProduct(input: $i) { symbol } }`, { i: { symbol, name, type } }, admin);
    });
    afterAll(async () => t?.dispose());

    const search = async (q: string | null, first = 10, type: string | null = null, after: string | null = null) =>
      (await ok<{ products: { nodes: { symbol: string }[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(t.url, PRODUCTS, { q, type, first, after })).products;
    const symbols = async (q: string, first = 10) => (await search(q, first)).nodes.map((n) => n.symbol);
    const COUNTED = `query($q: String, $type: ProductType, $first: Int, $after: String) { products(query: $q, type: $type, first: $first, after: $after) { nodes { symbol } totalCount } }`;
    const counted = async (q: string | null, first: number, type: string | null = null, after: string | null = null) =>
      (await ok<{ products: { nodes: { symbol: string }[]; totalCount: number | null } }>(t.url, COUNTED, { q, type, first, after })).products;

    it('counts every match of a search or a browse (totalCount), whatever the page', async () => {
      const all = (await t.app.services.knex('products').select('symbol', 'name', 'type')) as Row[];
      for (const [q, type] of [['apple', null], ['AAP', null], ['inc', 'STOCK'], [null, null], [null, 'ETF']] as const) {
        const expected = modelSearch(all, q ?? '', type ?? undefined).length;
        expect(expected, `${q} ${type}`).toBeGreaterThan(0);
        const first = await counted(q, 2, type);
        expect(first.totalCount, `${q} ${type}`).toBe(expected);
        if (first.nodes.length === 2) expect((await counted(q, 2, type, first.nodes[1]!.symbol)).totalCount).toBe(expected);
      }
      expect((await counted('no such words here', 5)).totalCount).toBe(0);
    });

    it('ranks the exact symbol, then symbol prefixes, then names starting with the word, home listings first', async () => {
      expect((await symbols('apple'))[0]).toBe('AAPL');
      expect((await symbols('tesla'))[0]).toBe('TSLA');
      expect((await symbols('AAP')).slice(0, 2)).toEqual(['AAP', 'AAPL']);
      expect(await symbols('apple')).toEqual(['AAPL', 'APLE', 'APC.DE', 'PNPL', '3LAP.L']);
    });

    it('reads indexes only: no plan of a search scans the products table', async () => {
      const knex = t.app.services.knex;
      const seen: { sql: string; bindings: unknown[] }[] = [];
      const listen = (q: { sql: string; bindings?: unknown[] }) => {
        if (/\bproducts\b/.test(q.sql) && /^\s*select/i.test(q.sql)) seen.push({ sql: q.sql, bindings: q.bindings ?? [] });
      };
      knex.on('query', listen);
      try {
        for (const [q, type, after] of [
          ['zzzzzz', null, null],
          ['inc', null, null],
          ['inc', 'STOCK', 'AAPL'],
          ['bank china', null, null],
          ['of bank', null, null],
          ['A', null, null],
          ['AAP', 'STOCK', 'AAP'],
          [null, 'TRUST', null],
          [null, 'ETF', 'AAPL'],
        ] as const)
          await search(q, 5, type, after);
      } finally {
        knex.removeListener('query', listen);
      }
      expect(seen.length).toBeGreaterThan(8);
      const scans: string[] = [];
      for (const { sql, bindings } of seen) {
        if (dialect === 'sqlite') {
          const plan = (await knex.raw(`explain query plan ${sql}`, bindings as never[])) as { detail: string }[];
          // "SCAN n VIRTUAL TABLE INDEX 0:M…" is the FTS index answering a MATCH, not a scan.
          for (const step of plan) if (/^SCAN (products|p|n|b)\b(?! VIRTUAL TABLE)/.test(step.detail)) scans.push(`${step.detail} :: ${sql}`);
        } else {
          const [plan] = (await knex.raw(`explain ${sql}`, bindings as never[])) as [{ table: string; type: string }[]];
          for (const step of plan) if (['products', 'p', 'n', 'b'].includes(step.table) && ['ALL', 'index'].includes(step.type)) scans.push(`${step.table} ${step.type} :: ${sql}`);
        }
      }
      expect(scans).toEqual([]);
    });

    it('finds what the model finds, in its order, page by page, after products are added and renamed', async () => {
      const vocabulary = ['Apple', 'Bank', 'of', 'China', 'Inc.', 'Gold', 'Golden', 'Pine', 'Tesla', 'Ltd', 'Xy', 'ETF', 'Fund'];
      const name = fc.array(fc.constantFrom(...vocabulary), { minLength: 1, maxLength: 4 }).map((w) => w.join(' '));
      const symbol = fc
        .tuple(fc.stringMatching(/^[A-Z0-9]{1,4}$/), fc.constantFrom('', '.L', '.DE'))
        .map(([s, suffix]) => `Q${s}${suffix}`);
      const query = fc.oneof(
        fc.array(fc.constantFrom(...vocabulary.map((w) => w.toLowerCase()), 'ppl', 'ank', 'ld', 'ol'), { minLength: 1, maxLength: 3 }).map((w) => w.join(' ')),
        fc.stringMatching(/^Q[A-Z0-9]{0,2}$/),
        fc.constantFrom('q', 'AAP', 'apple inc', '  Tesla  ', 'apple\u0000inc', '"app"', 'ban*'),
      );
      const types = [null, ...Object.values(ProductType).map((v) => v.toUpperCase())];
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.tuple(symbol, name, fc.constantFrom(...types.slice(1))), { minLength: 1, maxLength: 4, selector: ([s]) => s }),
          fc.option(name, { nil: undefined }),
          query,
          fc.constantFrom(...types),
          fc.integer({ min: 1, max: 4 }),
          async (added, rename, q, type, first) => {
            for (const [s, n, ty] of added) {
              const r = await gql(t.url, `mutation($i: CreateProductInput!) { createProduct(input: $i) { symbol } }`, { i: { symbol: s, name: n, type: ty } }, admin);
              if (r.errors) expect(r.errors[0]!.extensions?.reason).toBe('SYMBOL_EXISTS');
            }
            if (rename) await ok(t.url, `mutation($s: String!, $i: UpdateProductInput!) { updateProduct(symbol: $s, input: $i) { symbol } }`, { s: added[0]![0], i: { name: rename } }, admin);
            const all = (await t.app.services.knex('products').select('symbol', 'name', 'type')) as Row[];
            const expected = modelSearch(all, q, type ?? undefined);
            const got: string[] = [];
            let after: string | null = null;
            for (let page = 0; page < 100; page++) {
              const r = await search(q, first, type, after);
              got.push(...r.nodes.map((n) => n.symbol));
              if (!r.pageInfo.hasNextPage) break;
              after = r.pageInfo.endCursor;
            }
            expect(got).toEqual(expected);
            if (expected.length) expect((await counted(q, first, type)).totalCount).toBe(expected.length);
          },
        ),
        { numRuns: 25 },
      );
    });
  });

for (const { dialect, skip } of await dialects())
  describe.skipIf(skip)(`migration 0007 on ${dialect}`, () => {
    it('indexes the names of the products already there, as the API indexes new ones', async () => {
      const db = await freshDatabase(dialect);
      const { orm } = await openOrm(db.url);
      try {
        await orm.getMigrator().up({ to: '0005-zero-reference-price' });
        const knex = knexOf(orm);
        const names = { OLDA: 'Ancient Gold Mining Ltd.', OLDB: 'Café Zürich Holdings', OLDC: 'ab' };
        for (const [symbol, name] of Object.entries(names)) {
          await knex('products').insert({ symbol, name, type: 'stock', tick_size: '0.01', status: 'TRADING', book_seq: 0, updated_at: new Date() });
        }
        await orm.getMigrator().up();
        const products = new ProductService(knex, dialect);
        await products.create({ symbol: 'NEWA', name: 'Golden Ancient Fund', type: ProductType.FUND });
        const found = async (q: string) => (await products.search({ query: q, first: 10 })).products.map((p) => p.symbol);
        expect(await found('ancient gold')).toEqual(['OLDA', 'NEWA']);
        expect(await found('zürich')).toEqual(['OLDB']);
        expect(await found('café hold')).toEqual(['OLDB']);
        expect(await found('OL')).toEqual(['OLDA', 'OLDB', 'OLDC']);
        expect(await found('old')).toEqual(['OLDA', 'OLDB', 'OLDC', 'NEWA']);
      } finally {
        await orm.close(true);
        await db.drop();
      }
    });
  });

describe('the price of products.totalCount', () => {
  it('is paid once per page, only when it may be asked for (fragments count as asking)', async () => {
    const schema = await createSchema();
    const cost = (args: string, selection: string) =>
      complexityOf(schema, parse(`query { products(${args}) { ${selection} } } fragment F on ProductConnection { totalCount }`), undefined, {});
    for (const [args, price] of [['query: "inc", first: 100', SEARCH_COUNT_COST], ['first: 100', BROWSE_COUNT_COST]] as const) {
      const plain = cost(args, 'nodes { symbol }');
      expect(cost(args, 'nodes { symbol } totalCount') - plain, args).toBe(price);
      expect(cost(args, 'nodes { symbol } ...F') - plain, args).toBe(price);
      expect(cost(args, 'nodes { symbol } ... on ProductConnection { totalCount }') - plain, args).toBe(price);
    }
  });
});

describe("the web client's own documents", () => {
  const webSrc = resolve(repoRoot, 'web/src');
  /** Page sizes the web offers, per operation: those of the files that send it (Rows selectors, fixed page sizes, the trade tape). */
  const offered = (() => {
    const sizes = new Map<string, Set<number>>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'generated') walk(path);
        } else if (/\.(vue|ts)$/.test(e.name) && !e.name.endsWith('.test.ts')) {
          const text = readFileSync(path, 'utf8');
          const here = new Set<number>();
          for (const m of text.matchAll(/PAGE_SIZES\s*=\s*\[([^\]]*)\]/g)) for (const n of m[1]!.split(',')) here.add(Number(n));
          for (const m of text.matchAll(/PAGE_SIZE\s*=\s*(\d+)/g)) here.add(Number(m[1]));
          for (const m of text.matchAll(/\bsize\s*=\s*(\d+)/g)) here.add(Number(m[1]));
          for (const m of text.matchAll(/\b(\w+)Document\b/g)) {
            const set = sizes.get(m[1]!) ?? new Set<number>();
            for (const n of here) set.add(n);
            sizes.set(m[1]!, set);
          }
        }
      }
    };
    walk(webSrc);
    return (operation: string) => [...(sizes.get(operation) ?? [])].sort((x, y) => x - y);
  })();

  /** What Apollo Client sends: every selection set below the root also asks for __typename. */
  const withTypename = (doc: DocumentNode): DocumentNode =>
    visit(doc, {
      SelectionSet: {
        leave(node: SelectionSetNode, _key, parent) {
          if (parent && 'kind' in parent && (parent as { kind: string }).kind === Kind.OPERATION_DEFINITION) return node;
          if (node.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename')) return node;
          return { ...node, selections: [...node.selections, { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] };
        },
      },
    });

  const documents = readdirSync(join(webSrc, 'graphql'))
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => withTypename(parse(readFileSync(join(webSrc, 'graphql', f), 'utf8'))));
  /** The documents each operation is sent in: its file's fragments included. */
  const operations = documents.flatMap((doc) =>
    doc.definitions
      .filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .map((op) => ({ name: op.name!.value, pages: op.variableDefinitions?.some((v) => v.variable.name.value === 'first') ?? false, doc })),
  );

  it('finds the page sizes the web offers (Quotes: 10 to 100 rows; the trade tape: 200)', () => {
    expect(offered('Products')).toEqual([10, 25, 50, 100]);
    expect(offered('Trades')).toEqual([200]);
    expect(offered('Candles')).toEqual([200]);
    expect(offered('MyFills')).toEqual([25, 200]);
    for (const o of operations.filter((x) => x.pages)) expect(offered(o.name), o.name).not.toEqual([]);
  });

  it('prices every operation of the web at every offered page size within the default budget', async () => {
    const config = loadConfig({});
    const limits = new OperationLimits(await createSchema(), operationBudget(config));
    const refused: string[] = [];
    for (const { name, pages, doc } of operations) {
      for (const first of pages ? offered(name) : [undefined]) {
        // A text search is the dearest form of every query taking one.
        const variables = { first, query: 'apple inc', symbol: 'AAPL', symbols: ['AAPL'], depth: 20, frame: 'M1' };
        const r = limits.check(doc, name, variables);
        if (r) refused.push(`${name} first=${first}: ${r.message}`);
      }
    }
    expect(operations.length).toBeGreaterThan(10);
    expect(refused).toEqual([]);
  });

  describe('served', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('sqlite');
    });
    afterAll(async () => t?.dispose());

    it.each([10, 25, 50, 100])('answers the Quotes screen with Rows = %i and a search', async (first) => {
      const products = operations.find((o) => o.name === 'Products')!;
      const body = JSON.stringify({ query: print(products.doc), operationName: 'Products', variables: { query: 'inc', first } });
      const r = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(await r.json()).not.toHaveProperty('errors');
      expect(r.status).toBe(200);
    });
  });
});
