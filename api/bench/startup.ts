/**
 * bench:startup — how long an API process takes from spawn to serving (/readyz 200) with
 * 1,000,000 resting orders in the database: from the book's snapshot plus the journal after it,
 * and, beside it in the same run (the floor), from the open order rows with no snapshot.
 *
 * 1. A first start migrates and loads the catalog; `--orders` resting orders (default
 *    1,000,000) are written straight into one book with one INSERT … SELECT (MariaDB's
 *    seq_1_to_N table, SQLite's recursive CTE).
 * 2. A process with snapshots every second loads them from the rows, writes the snapshot, takes
 *    `--tail` orders through the API (the journal after the snapshot) and stops.
 * 3. `--runs` timed starts each way (default 2), alternating: with the snapshot; then with the
 *    snapshot tables renamed aside (every book from the rows, as before snapshots existed).
 *
 * Prints each start, the medians and their ratio; `--json`: the last line is one JSON object.
 * Target: ≤ 10 s to serving from the snapshot. Options: --orders N, --tail N (default 200),
 * --runs N, --dialect mysql|sqlite (default mysql), --no-build.
 * MySQL: TEST_MYSQL_URL's server.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { openOrm } from '../src/db/orm.js';
import { knexOf } from '../src/db/knex.js';
import { call, ensureBuilt, freshDatabaseUrl, startApi, type ApiProcess } from '../harness/api-process.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const json = process.argv.includes('--json');
const orders = Number(arg('orders', '1000000'));
const tail = Number(arg('tail', '200'));
const runs = Number(arg('runs', '2'));
const dialect = arg('dialect', 'mysql') as 'mysql' | 'sqlite';
const SYMBOL = 'AAPL';
/** The seeded book straddles this price (ticks of 0.01): bids below, asks above; the tail trades at MID. */
const MID = 20_000;
const round = (x: number) => Math.round(x * 100) / 100;

/** Plain SQL on the bench database (one connection), whatever the dialect. */
interface Sql {
  run(sql: string, params?: unknown[]): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

async function connect(url: string): Promise<Sql> {
  const { orm } = await openOrm(url);
  const knex = knexOf(orm);
  const rows = async <T>(sql: string, params: unknown[] = []) => {
    const r = (await knex.raw(sql, params as never)) as unknown;
    return (dialect === 'mysql' ? (r as [T[]])[0] : r) as T[];
  };
  return { run: async (sql, params) => void (await rows(sql, params)), rows, close: () => orm.close(true) };
}

/** `n` resting GTC limit orders of `accountId` in one book, in one statement. */
async function seed(sql: Sql, accountId: number, n: number): Promise<void> {
  const columns = 'id, cl_ord_id, account_id, symbol, side, ord_type, tif, post_only, price_ticks, qty, cum_qty, leaves_qty, cum_notional, status, reason, priority_seq, created_at, updated_at';
  if (dialect === 'mysql') {
    await sql.run(
      `INSERT INTO orders (${columns}) SELECT 1000000000 + seq, CONCAT('seed-', seq), ?, ?, IF(seq % 2 = 0, 'BUY', 'SELL'), 'LIMIT', 'GTC', 0,
        IF(seq % 2 = 0, ? - 1000 - seq % 997, ? + 1000 + seq % 997), 10, 0, 10, 0, 'NEW', NULL, seq, NOW(3), NOW(3) FROM seq_1_to_${n}`,
      [accountId, SYMBOL, MID, MID],
    );
  } else {
    await sql.run(
      `WITH RECURSIVE s(seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM s WHERE seq < ?)
       INSERT INTO orders (${columns}) SELECT 1000000000 + seq, 'seed-' || seq, ?, ?, CASE seq % 2 WHEN 0 THEN 'BUY' ELSE 'SELL' END, 'LIMIT', 'GTC', 0,
        CASE seq % 2 WHEN 0 THEN ? - 1000 - seq % 997 ELSE ? + 1000 + seq % 997 END, 10, 0, 10, 0, 'NEW', NULL, seq, ?, ? FROM s`,
      [n, accountId, SYMBOL, MID, MID, Date.now(), Date.now()],
    );
  }
  await sql.run('UPDATE products SET book_seq = ?, tick_size = ? WHERE symbol = ?', [n, '0.01', SYMBOL]);
}

async function token(url: string, name: string): Promise<string> {
  const d = await call<{ signUp: { token: string } }>(url, 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }', { u: name, p: 'correct-horse-battery-7' });
  return d.signUp.token;
}

/** Spawn → /readyz 200, in ms (polled every 100 ms by startApi). */
async function timedStart(env: Record<string, string>): Promise<{ ms: number; api: ApiProcess }> {
  const t0 = performance.now();
  const api = await startApi(env, { readyTimeoutMs: 300_000 });
  return { ms: Math.round(performance.now() - t0), api };
}

async function metric(api: ApiProcess, name: string): Promise<number> {
  const text = await fetch(api.metricsUrl).then((r) => r.text());
  return Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
}

ensureBuilt();
const db = await freshDatabaseUrl(dialect);
const env: Record<string, string> = {
  DATABASE_URL: db.url,
  MAX_RESTING_ORDERS_PER_BOOK: String(Math.max(1_000_000, orders + tail)),
  LOGIN_MAX_ATTEMPTS: '1000',
  SNAPSHOT_INTERVAL_SECONDS: '0',
};
const sql = { current: undefined as Sql | undefined };
try {
  const first = await startApi(env);
  const seller = await token(first.url, 'sseller');
  const buyer = await token(first.url, 'sbuyer');
  await first.stop();
  sql.current = await connect(db.url);
  const [admin] = await sql.current.rows<{ id: number }>('SELECT id FROM users WHERE username = ?', ['admin']);
  let t0 = performance.now();
  await seed(sql.current, Number(admin!.id), orders);
  const seedMs = Math.round(performance.now() - t0);
  if (!json) console.log(`seeded ${orders.toLocaleString('en')} resting orders on ${dialect} in ${seedMs} ms`);

  // The snapshot: a process loads the rows, snapshots the book, then trades the tail on top.
  t0 = performance.now();
  const writer = await startApi({ ...env, SNAPSHOT_INTERVAL_SECONDS: '1', SNAPSHOT_MIN_SEQS: String(Math.max(1, orders)) }, { readyTimeoutMs: 300_000 });
  for (;;) {
    const [done] = await sql.current.rows<{ n: number }>('SELECT COUNT(*) AS n FROM book_snapshots WHERE symbol = ? AND state_hash IS NOT NULL', [SYMBOL]);
    if (Number(done!.n) > 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  while ((await metric(writer, 'trading_book_snapshots_total')) < 1) await new Promise((r) => setTimeout(r, 100));
  const pauseSum = await metric(writer, 'trading_book_snapshot_pause_seconds_sum');
  const snapshotMs = Math.round(performance.now() - t0);
  const price = (MID / 100).toFixed(2);
  const place = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }';
  for (let i = 0; i < tail; i++) {
    const sell = i % 2 === 0;
    await call(writer.url, place, { i: { symbol: SYMBOL, side: sell ? 'SELL' : 'BUY', type: 'LIMIT', price, quantity: 1 + (i % 3), timeInForce: 'GTC' } }, sell ? seller : buyer);
  }
  await writer.stop();
  const [snap] = await sql.current.rows<{ seq: number; order_count: number }>('SELECT seq, order_count FROM book_snapshots WHERE symbol = ? AND state_hash IS NOT NULL', [SYMBOL]);
  const [product] = await sql.current.rows<{ book_seq: number }>('SELECT book_seq FROM products WHERE symbol = ?', [SYMBOL]);
  if (!json) {
    console.log(
      `snapshot of ${Number(snap!.order_count).toLocaleString('en')} orders at seq ${snap!.seq} (order path paused ${round(pauseSum * 1000)} ms to copy the book; start + snapshot ${snapshotMs} ms); journal tail: ${Number(product!.book_seq) - Number(snap!.seq)} seqs`,
    );
  }

  // Without the snapshot: its header set aside (a book without a header is loaded from the rows).
  await sql.current.run('CREATE TABLE bench_aside_snapshots AS SELECT * FROM book_snapshots');
  const aside = async (on: boolean) => {
    if (on) await sql.current!.run('DELETE FROM book_snapshots');
    else await sql.current!.run('INSERT INTO book_snapshots SELECT * FROM bench_aside_snapshots');
  };
  const withSnapshot: number[] = [];
  const fromRows: number[] = [];
  const loadWith: number[] = [];
  const loadRows: number[] = [];
  let rejected = 0;
  let resting = 0;
  for (let r = 0; r < runs; r++) {
    const s = await timedStart(env);
    rejected += await metric(s.api, 'trading_book_snapshots_rejected_total{reason="hash"}');
    resting = await metric(s.api, 'trading_resting_orders');
    loadWith.push(Math.round((await metric(s.api, 'trading_books_load_seconds')) * 1000));
    await s.api.stop();
    withSnapshot.push(s.ms);
    await aside(true);
    try {
      const f = await timedStart(env);
      loadRows.push(Math.round((await metric(f.api, 'trading_books_load_seconds')) * 1000));
      await f.api.stop();
      fromRows.push(f.ms);
    } finally {
      await aside(false);
    }
    if (!json) {
      console.log(`run ${r + 1}: from the snapshot + journal tail ${s.ms} ms (books ${loadWith[r]} ms); from the order rows ${fromRows[r]} ms (books ${loadRows[r]} ms); load average ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
  };
  const result = {
    dialect,
    orders,
    tailSeqs: Number(product!.book_seq) - Number(snap!.seq),
    restingAfterStart: resting,
    seedMs,
    snapshotPauseMs: round(pauseSum * 1000),
    withSnapshotMs: median(withSnapshot),
    fromRowsMs: median(fromRows),
    ratio: round(median(withSnapshot) / median(fromRows)),
    booksLoadMs: { withSnapshot: median(loadWith), fromRows: median(loadRows) },
    runs: { withSnapshot, fromRows, booksLoadWithSnapshot: loadWith, booksLoadFromRows: loadRows },
    loadAverage: round(loadavg()[0]!),
    snapshotRejected: rejected,
    targetMs: 10_000,
  };
  if (json) console.log(JSON.stringify(result));
  else {
    console.log(
      `start to serving with ${orders.toLocaleString('en')} resting orders on ${dialect}: snapshot + tail ${result.withSnapshotMs} ms (books ${result.booksLoadMs.withSnapshot} ms), order rows ${result.fromRowsMs} ms (books ${result.booksLoadMs.fromRows} ms), median of ${runs}, ratio ${result.ratio}× (target ≤ 10,000 ms from the snapshot; machine load average ${result.loadAverage})`,
    );
  }
} finally {
  await sql.current?.close();
  await db.drop();
}
