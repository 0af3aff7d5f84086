/**
 * The pipelined order path (MySQL): the next group is matched, on top of the books the group
 * before left, while that group commits (a speculative group). A group that fails in the middle
 * of a pipeline (a trigger refuses one marked order's INSERT, after the group was matched, while
 * the next group is in flight) must leave books, orders and answers exactly as if it had never
 * run: its books are rebuilt from the database, the speculative group matched on top of it is
 * rolled back and matched again on the committed state, its other requests are committed when
 * retried alone, and only the marked order is refused. A speculative group that finds, under
 * the lock, a product changed since it read it (a halt committed meanwhile) is rolled back too,
 * and its orders meet the halt.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { auditOrderPath } from '../support/audit.js';
import { PLACE, gql } from '../support/gql.js';
import { HALT, adminClient, createProduct, newTrader, type TradingClient } from '../support/trading.js';

const mysql = (await dialects()).find((d) => d.dialect === 'mysql')!;

// Both ways of driving the order path's connections: from a worker thread (the default) and from the event loop.
describe.skipIf(mysql.skip).each(['true', 'false'])('pipelined order path on mysql (ORDER_PATH_DB_WORKER=%s)', (worker) => {
  let t: TestApp;
  let traders: TradingClient[];
  let symbols: string[];
  const failures: { inFlight: number; message: string }[] = [];
  /** Journal entries heard by listeners, in the order they were heard. */
  const heard: { symbol: string; fromSeq: number; toSeq: number }[] = [];

  beforeAll(async () => {
    t = await startTestApp('mysql', { ORDER_PATH_DB_WORKER: worker });
    const admin = await adminClient(t.url);
    traders = await Promise.all(['pipe-a', 'pipe-b', 'pipe-c'].map((n) => newTrader(t.url, n)));
    symbols = [await createProduct(t.url, admin.token, 'PIPEA'), await createProduct(t.url, admin.token, 'PIPEB')];
    // A commit that fails after its group was matched: the INSERT of a marked order is refused
    // (after a pause, so the next group's transaction is surely under way meanwhile).
    await t.app.services.knex.raw(`CREATE TRIGGER fail_marked BEFORE INSERT ON orders FOR EACH ROW
      BEGIN
        IF NEW.cl_ord_id LIKE 'HOLDFAIL-%' THEN
          DO SLEEP(1.5);
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected commit failure';
        END IF;
        IF NEW.cl_ord_id LIKE 'FAIL-%' THEN
          DO SLEEP(0.5);
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected commit failure';
        END IF;
        IF NEW.cl_ord_id LIKE 'SLOW-%' THEN
          DO SLEEP(0.5);
        END IF;
      END`);
    const path = t.app.services.path;
    const options = (path as unknown as { options: { onFailure?: (e: unknown, s: readonly string[]) => void } }).options;
    const original = options.onFailure;
    options.onFailure = (e, s) => {
      failures.push({ inFlight: path.groupsInFlight, message: (e as Error).message });
      original?.(e, s);
    };
    path.onCommit((b) => {
      for (const e of b.journal) heard.push({ symbol: e.symbol, fromSeq: e.fromSeq, toSeq: e.toSeq });
    });
  });
  afterAll(async () => t?.dispose());

  it('a commit failing mid-pipeline leaves books, orders and answers as if the failed group never ran', async () => {
    type Answer = { clOrdId: string; trader: TradingClient; id?: string; error?: { code?: string; message: string } };
    const send = async (trader: TradingClient, clOrdId: string, n: number): Promise<Answer> => {
      const side = n % 2 ? 'BUY' : 'SELL';
      // Crossing prices on a shared book (fills in every group), and a second book.
      const i = { symbol: symbols[n % 3 === 0 ? 1 : 0], side, type: 'LIMIT', timeInForce: 'GTC', price: side === 'BUY' ? '100.02' : '99.98', quantity: 1 + (n % 4), clOrdId };
      const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${trader.token}` }, body: JSON.stringify({ query: PLACE, variables: { i } }) });
      const body = (await res.json()) as { data?: { placeOrder: { id: string } } | null; errors?: { message: string; extensions?: { code?: string } }[] };
      return { clOrdId, trader, id: body.data?.placeOrder.id, error: body.errors?.[0] ? { code: body.errors[0].extensions?.code, message: body.errors[0].message } : undefined };
    };
    const answers: Answer[] = [];
    const wave = (n: number) =>
      Promise.all(
        Array.from({ length: 30 }, (_, k) => {
          const marked = n === 1 && k % 10 === 5;
          return send(traders[k % traders.length]!, `${marked ? 'FAIL' : 'ok'}-${n}-${k}`, n * 30 + k);
        }),
      );
    // A first wave loads the books; the marked orders go in the second; the third is sent while
    // the second's commit is held in the trigger.
    answers.push(...(await wave(0)));
    const second = wave(1);
    await untilSleeping();
    const third = wave(2);
    answers.push(...(await second), ...(await third));
    // One marked order alone, and a wave sent while its commit is held: that wave is matched on
    // top of it, then rolled back when it fails, and matched again on the committed books.
    const failedBefore = await metric('trading_order_path_speculation_failures_total{reason="previous-failed"}');
    // (Held 1.5 s: time enough for the wave's requests to pass the checks on a loaded machine.)
    const solo = send(traders[0]!, 'HOLDFAIL-solo', 0);
    await untilSleeping();
    const fourth = wave(3);
    answers.push(await solo, ...(await fourth));

    // Answers: every unmarked order acknowledged; each marked one refused, nothing else.
    const isMarked = (a: Answer) => /^(HOLD)?FAIL-/.test(a.clOrdId);
    const marked = answers.filter(isMarked);
    const unmarked = answers.filter((a) => !isMarked(a));
    expect(unmarked.filter((a) => !a.id).map((a) => [a.clOrdId, a.error])).toEqual([]);
    expect(marked.length).toBe(4);
    for (const a of marked) expect(a.error?.message).toMatch(/injected commit failure/);

    // The failure happened while the next group was in flight, and pipelining was in use.
    expect(failures.length).toBeGreaterThan(0);
    expect(Math.max(...failures.map((f) => f.inFlight))).toBeGreaterThanOrEqual(2);
    // A group was matched on top of the failed one while it committed, then rolled back.
    expect(await metric('trading_order_path_speculation_failures_total{reason="previous-failed"}')).toBeGreaterThan(failedBefore);

    // Orders: exactly the acknowledged ones are stored, with the ids they were answered with.
    const rows = (await t.app.services.knex('orders').whereIn('symbol', symbols).select('id', 'cl_ord_id')) as { id: number; cl_ord_id: string }[];
    const stored = new Map(rows.map((r) => [r.cl_ord_id, String(r.id)]));
    expect(stored.size).toBe(unmarked.length);
    for (const a of unmarked) expect(stored.get(a.clOrdId)).toBe(a.id);
    for (const a of marked) expect(stored.has(a.clOrdId)).toBe(false);

    // Listeners heard the commits in order: each book's journal entries chain seq to seq.
    for (const symbol of symbols) {
      const entries = heard.filter((e) => e.symbol === symbol);
      entries.forEach((e, k) => expect(e.fromSeq).toBe(k === 0 ? 0 : entries[k - 1]!.toSeq));
    }
    // The group after the failed one matched on the committed state: no book was found ahead of
    // the database (only the failed group's own books were rebuilt).
    const metrics = await t.app.services.metrics.registry.metrics();
    expect(metrics).not.toMatch(/^trading_book_reloads_total\{reason="ahead"\} [1-9]/m);

    // Books: the books in memory equal the books rebuilt from the database; fills add up.
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
  });

  it('a group sent while another commits is matched on top of it and commits right after it', async () => {
    const [a, b] = traders;
    const admin = await adminClient(t.url);
    const symbol = await createProduct(t.url, admin.token, 'PIPES');
    const place = (trader: TradingClient, clOrdId: string, side: 'BUY' | 'SELL', quantity: number, price = '100.00') =>
      gql<{ placeOrder: { id: string; status: string; cumQty: number } }>(t.url, PLACE, { i: { symbol, side, type: 'LIMIT', timeInForce: 'GTC', price, quantity, clOrdId } }, trader.token);
    const speculativeBefore = await metric('trading_order_path_groups_total{mode="speculative"}');
    // A first order loads the book (below the price the others trade at).
    expect((await place(a!, 'warm-up-s', 'BUY', 1, '95.00')).data?.placeOrder.status).toBe('NEW');
    // A resting sell whose commit is held 0.5 s in the trigger, and buys sent meanwhile that
    // cross it: they are matched against it before it has committed.
    const slow = place(a!, 'SLOW-2', 'SELL', 10);
    await untilSleeping();
    const buys = await Promise.all(Array.from({ length: 5 }, (_, k) => place(b!, `on-top-${k}`, 'BUY', 2)));
    const resting = await slow;
    expect(resting.errors).toBeUndefined();
    for (const r of buys) expect(r.data?.placeOrder).toMatchObject({ status: 'FILLED', cumQty: 2 });
    const row = (await t.app.services.knex('orders').where({ cl_ord_id: 'SLOW-2' }).first('status', 'cum_qty')) as { status: string; cum_qty: number };
    expect(row).toEqual({ status: 'FILLED', cum_qty: 10 });
    expect(await metric('trading_order_path_groups_total{mode="speculative"}')).toBeGreaterThan(speculativeBefore);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
  });

  it('a speculative group that finds under the lock a halt committed since it read the product is rolled back, and its orders meet the halt', async () => {
    const admin = await adminClient(t.url);
    const symbol = await createProduct(t.url, admin.token, 'PIPEH');
    const [a, b] = traders;
    const place = (trader: TradingClient, clOrdId: string, side: 'BUY' | 'SELL') =>
      gql<{ placeOrder: { id: string } }>(t.url, PLACE, { i: { symbol, side, type: 'LIMIT', timeInForce: 'GTC', price: '100.00', quantity: 1, clOrdId } }, trader.token);
    const changedBefore = await metric('trading_order_path_speculation_failures_total{reason="product-changed"}');
    expect((await place(a!, 'warm-up', 'SELL')).data?.placeOrder.id).toBeTruthy();
    // A group that holds the product's lock for 0.5 s while it commits...
    const slow = place(a!, 'SLOW-1', 'SELL');
    await untilSleeping();
    // ... a halt waiting for that lock ...
    const halt = gql<{ haltTrading: { status: string } }>(t.url, HALT, { s: symbol }, admin.token);
    await new Promise((r) => setTimeout(r, 80));
    // ... and orders matched meanwhile on top of the slow group (they would cross its order).
    const late = await Promise.all(Array.from({ length: 4 }, (_, k) => place(b!, `late-${k}`, 'BUY')));
    expect((await slow).errors).toBeUndefined();
    expect((await slow).data?.placeOrder.id).toBeTruthy();
    expect((await halt).data?.haltTrading.status).toBe('HALTED');
    // The halt committed before them: each is refused, none was stored, nothing traded.
    for (const r of late) expect(r.errors?.[0]?.extensions?.reason).toBe('SYMBOL_HALTED');
    const rows = (await t.app.services.knex('orders').where({ symbol }).select('cl_ord_id', 'status')) as { cl_ord_id: string; status: string }[];
    expect(rows.filter((r) => r.cl_ord_id !== 'warm-up')).toEqual([{ cl_ord_id: 'SLOW-1', status: 'NEW' }]);
    expect(await metric('trading_order_path_speculation_failures_total{reason="product-changed"}')).toBeGreaterThan(changedBefore);
    expect(await auditOrderPath(t.app.services.knex, { engine: t.app.services.engine })).toEqual([]);
  });

  /** Resolves once a connection of the database sits in the trigger's sleep (a marked order's commit is held). */
  async function untilSleeping(): Promise<void> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const [rows] = (await t.app.services.knex.raw(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE = 'User sleep'`)) as [{ n: number }[]];
      if (Number(rows[0]!.n) > 0) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('no commit was held in the trigger');
  }

  async function metric(series: string): Promise<number> {
    const text = await t.app.services.metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : NaN;
  }
});
