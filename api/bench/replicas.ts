/**
 * bench:replicas — two API processes on one MySQL and one Redis, as the production topology
 * runs them, against one process alone (both running, same machine).
 *
 * 1. Sequential orders on one book seeded with `--depths` resting orders (default 5,000 and
 *    50,000): each order sent when the last was answered, alternately to replica A and B, then all
 *    to A. The orders rest and cross in turn at the top of the book, so its depth stays put.
 *    Target: alternating p50 ≤ 1.5 × one replica at every depth.
 * 2. Concurrent crossing load on a few shared symbols: `--clients` clients place `--orders`
 *    orders spread at random over both replicas, and as many all through A (in two rounds each:
 *    two, one, one, two, after an untimed warm-up through both). Target: two reach
 *    ≥ 0.9 × one replica's throughput (on one machine they share its cores).
 *
 * Prints p50/p99, the ratios, and how the replicas kept their books (journal entries applied,
 * book reloads by reason). `--json`: the last line is one JSON object.
 * Options: --orders-seq N (default 300 per mode and depth), --depths 5000,50000,
 * --clients N (default 32), --orders N (default 4000), --no-build.
 * MySQL: TEST_MYSQL_URL's server; Redis: TEST_REDIS_URL (default redis://127.0.0.1:6379/15).
 */
import { createHash, randomBytes } from 'node:crypto';
import { call, ensureBuilt, freshDatabaseUrl, percentile, startApi, ADMIN_PASSWORD, type ApiProcess } from '../harness/api-process.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const json = process.argv.includes('--json');
const seqOrders = Number(arg('orders-seq', '300'));
const depths = arg('depths', '5000,50000').split(',').map(Number);
const clients = Number(arg('clients', '32'));
const concurrentOrders = Number(arg('orders', '4000'));
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const DEEP_SYMBOLS = ['AAPL', 'MSFT', 'BRK-B', 'QQQ'];
const SHARED_SYMBOLS = ['TSLA', 'SPY', 'VOO'];
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';
/** The seeded book straddles this price (ticks of 0.01): bids below, asks above, never reached by the timed orders. */
const MID = 20_000;

interface SeqFigures {
  p50Ms: number;
  p99Ms: number;
}

async function signUp(url: string, name: string): Promise<string> {
  const d = await call<{ signUp: { token: string } }>(`${url}`, 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }', { u: name, p: `pw-${createHash('sha256').update(name).digest('base64url').slice(0, 16)}` });
  return d.signUp.token;
}

async function place(url: string, token: string, input: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  await call(url, PLACE, { i: input }, token);
  return performance.now() - t0;
}

/** `depth` resting orders of `accountId` on `symbol`, written straight to the database (the replicas load them at start). */
async function seedBook(databaseUrl: string, symbol: string, depth: number, accountId: number, firstId: number): Promise<void> {
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection(databaseUrl);
  try {
    const now = new Date();
    for (let i = 0; i < depth; i += 1000) {
      const rows: unknown[][] = [];
      for (let j = i; j < Math.min(depth, i + 1000); j++) {
        const buy = j % 2 === 0;
        const price = buy ? MID - 1_000 - (j % 997) : MID + 1_000 + (j % 997);
        rows.push([firstId + j, `seed-${symbol}-${j}`, accountId, symbol, buy ? 'BUY' : 'SELL', 'LIMIT', 'GTC', 0, price, 10, 0, 10, 0, 'NEW', null, j + 1, now, now]);
      }
      await c.query(
        'INSERT INTO orders (id, cl_ord_id, account_id, symbol, side, ord_type, tif, post_only, price_ticks, qty, cum_qty, leaves_qty, cum_notional, status, reason, priority_seq, created_at, updated_at) VALUES ?',
        [rows],
      );
    }
    await c.query('UPDATE products SET book_seq = ?, tick_size = ? WHERE symbol = ?', [depth, '0.01', symbol]);
  } finally {
    await c.end();
  }
}

/** Sequential orders on `symbol`: a SELL that rests at the top, then a BUY that takes it, alternately. */
async function sequential(symbol: string, via: (i: number) => ApiProcess, seller: string, buyer: string, n: number): Promise<SeqFigures> {
  const times: number[] = [];
  const price = (MID / 100).toFixed(2);
  for (let i = 0; i < n + 20; i++) {
    const sell = i % 2 === 0;
    const ms = await place(via(i).url, sell ? seller : buyer, { symbol, side: sell ? 'SELL' : 'BUY', type: 'LIMIT', price, quantity: 1, timeInForce: 'GTC' });
    if (i >= 20) times.push(ms);
  }
  return { p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)) };
}

/** `orders` crossing orders from `clients` concurrent clients on the shared symbols; returns orders/s. */
async function concurrent(via: () => ApiProcess, tokens: string[], orders: number, seed: number): Promise<{ ordersPerSec: number; p99Ms: number }> {
  let next = 0;
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const times: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (next < orders) {
        next++;
        const side = random() < 0.5 ? 'BUY' : 'SELL';
        const symbol = SHARED_SYMBOLS[Math.floor(random() * SHARED_SYMBOLS.length)]!;
        const price = (100 + Math.floor(random() * 6)).toFixed(2);
        times.push(await place(via().url, tokens[c % tokens.length]!, { symbol, side, type: 'LIMIT', price, quantity: 1 + Math.floor(random() * 20), timeInForce: 'GTC' }));
      }
    }),
  );
  return { ordersPerSec: Math.round(orders / ((performance.now() - t0) / 1000)), p99Ms: round(percentile(times, 99)) };
}

async function metrics(api: ApiProcess): Promise<Record<string, number>> {
  const text = await fetch(api.metricsUrl).then((r) => r.text());
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^(trading_(?:journal_entries_applied_total|book_reloads_total|book_divergences_total)(?:\{[^}]*\})?) ([\d.e+-]+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** The order path's transaction counters of a replica: [transactions, requests, commit seconds]. */
async function commits(api: ApiProcess): Promise<[number, number, number]> {
  const text = await fetch(api.metricsUrl).then((r) => r.text());
  const value = (name: string) => Number(new RegExp(`^${name} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
  return [value('trading_db_commit_group_size_count'), value('trading_db_commit_group_size_sum'), value('trading_db_commit_duration_seconds_sum')];
}

/** Runs a concurrent round and reports, over both replicas, its transactions, requests per transaction and mean time per transaction. */
async function profiled(label: string, run: () => Promise<{ ordersPerSec: number; p99Ms: number }>): Promise<{ ordersPerSec: number; p99Ms: number }> {
  const before = await Promise.all(replicas.map(commits));
  const r = await run();
  const after = await Promise.all(replicas.map(commits));
  const d = after.map((x, i) => x.map((v, k) => v - before[i]![k]!));
  const tx = d.reduce((n, x) => n + x[0]!, 0);
  const reqs = d.reduce((n, x) => n + x[1]!, 0);
  const secs = d.reduce((n, x) => n + x[2]!, 0);
  if (!json) console.log(`  ${label}: ${r.ordersPerSec} orders/s, ${tx} transactions (${d.map((x) => x[0]).join(' + ')}), ${round(reqs / tx)} requests each, ${round((secs * 1000) / tx)} ms each`);
  return r;
}

ensureBuilt();
const db = await freshDatabaseUrl('mysql');
const env = { DATABASE_URL: db.url, REDIS_URL, REDIS_CHANNEL_PREFIX: `bench-${randomBytes(4).toString('hex')}:`, LOGIN_MAX_ATTEMPTS: '1000', WS_MAX_CONNECTIONS_PER_USER: '1000' };
const replicas: ApiProcess[] = [];
try {
  // A first start migrates and loads the catalog; the accounts are made there.
  const first = await startApi(env);
  await call(first.url, 'mutation($u:String!,$p:String!){ login(username:$u, password:$p){ token } }', { u: 'admin', p: ADMIN_PASSWORD });
  const seller = await signUp(first.url, 'rseller');
  const buyer = await signUp(first.url, 'rbuyer');
  await signUp(first.url, 'rseed');
  const traders = await Promise.all(Array.from({ length: 8 }, (_, i) => signUp(first.url, `rconc${i}`)));
  await first.stop();
  const mysql = (await import('mysql2/promise')).default;
  const c = await mysql.createConnection(db.url);
  const [[seedUser]] = (await c.query('SELECT id FROM users WHERE username = ?', ['rseed'])) as unknown as [[{ id: number }]];
  await c.end();
  for (let i = 0; i < depths.length; i++) await seedBook(db.url, DEEP_SYMBOLS[i]!, depths[i]!, seedUser.id, 1_000_000_000 + i * 10_000_000);
  const a = await startApi(env);
  replicas.push(a);
  const b = await startApi(env);
  replicas.push(b);

  const results: Record<string, { one: SeqFigures; alternating: SeqFigures; ratioP50: number; ratioP99: number }> = {};
  for (let i = 0; i < depths.length; i++) {
    const symbol = DEEP_SYMBOLS[i]!;
    const one = await sequential(symbol, () => a, seller, buyer, seqOrders);
    const alternating = await sequential(symbol, (k) => (k % 2 ? b : a), seller, buyer, seqOrders);
    results[String(depths[i])] = { one, alternating, ratioP50: round(alternating.p50Ms / one.p50Ms), ratioP99: round(alternating.p99Ms / one.p99Ms) };
    console.log(
      `depth ${depths[i]!.toLocaleString('en').padStart(7)}  one replica p50 ${one.p50Ms} ms p99 ${one.p99Ms} ms  alternating p50 ${alternating.p50Ms} ms p99 ${alternating.p99Ms} ms  ratio p50 ${results[String(depths[i])]!.ratioP50}× p99 ${results[String(depths[i])]!.ratioP99}×  (${seqOrders} orders each, target p50 ≤ 1.5×)`,
    );
  }

  // Two rounds in opposite order (two, one, one, two), so neither mode always runs on the fresher books.
  const both = () => (Math.random() < 0.5 ? a : b);
  // Untimed warm-up through both, so neither mode pays alone for B's first use (JIT, pools, the
  // accounts' sessions and the books it has not loaded yet): it landed in the first timed round.
  await concurrent(both, traders, Math.min(600, concurrentOrders), 6);
  const half = Math.ceil(concurrentOrders / 2);
  const rounds = [
    await profiled('two replicas', () => concurrent(both, traders, half, 7)),
    await profiled('one replica ', () => concurrent(() => a, traders, half, 8)),
    await profiled('one replica ', () => concurrent(() => a, traders, half, 9)),
    await profiled('two replicas', () => concurrent(both, traders, half, 10)),
  ];
  const combine = (x: { ordersPerSec: number; p99Ms: number }, y: { ordersPerSec: number; p99Ms: number }) => ({
    ordersPerSec: Math.round((2 * half) / (half / x.ordersPerSec + half / y.ordersPerSec)),
    p99Ms: Math.max(x.p99Ms, y.p99Ms),
  });
  const spread = combine(rounds[0]!, rounds[3]!);
  const single = combine(rounds[1]!, rounds[2]!);
  const ratio = round(spread.ordersPerSec / single.ordersPerSec);
  console.log(
    `concurrent ${concurrentOrders} crossing orders, ${clients} clients, ${SHARED_SYMBOLS.length} symbols: two replicas ${spread.ordersPerSec} orders/s (p99 ${spread.p99Ms} ms), one replica ${single.ordersPerSec} orders/s (p99 ${single.p99Ms} ms)  ratio ${ratio}×  (target ≥ 0.9×)`,
  );
  const sync = { a: await metrics(a), b: await metrics(b) };
  for (const [name, m] of Object.entries(sync)) {
    console.log(`replica ${name}: ${Object.entries(m).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ') || 'no journal activity'}`);
  }
  if (json) console.log(JSON.stringify({ sequential: results, concurrent: { twoReplicas: spread, oneReplica: single, ratio, clients, orders: concurrentOrders }, replicas: sync }));
} finally {
  await Promise.all(replicas.map((r) => r.stop()));
  await db.drop();
}
