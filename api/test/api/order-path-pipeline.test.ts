/**
 * The pipelined order path (MySQL): the next group's transaction starts while the previous one
 * commits. A group that fails in the middle of a pipeline (a trigger refuses one marked order's
 * INSERT, after the group was matched, while the next group is in flight) must leave books,
 * orders and answers exactly as if it had never run: its books are rebuilt from the database,
 * the group after it matches on the committed state, its other requests are committed when
 * retried alone, and only the marked order is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { auditOrderPath } from '../support/audit.js';
import { PLACE } from '../support/gql.js';
import { adminClient, createProduct, newTrader, type TradingClient } from '../support/trading.js';

const mysql = (await dialects()).find((d) => d.dialect === 'mysql')!;

describe.skipIf(mysql.skip)('pipelined order path on mysql', () => {
  let t: TestApp;
  let traders: TradingClient[];
  let symbols: string[];
  const failures: { inFlight: number; message: string }[] = [];
  let pipelinedCommits = 0;
  /** Journal entries heard by listeners, in the order they were heard. */
  const heard: { symbol: string; fromSeq: number; toSeq: number }[] = [];

  beforeAll(async () => {
    t = await startTestApp('mysql');
    const admin = await adminClient(t.url);
    traders = await Promise.all(['pipe-a', 'pipe-b', 'pipe-c'].map((n) => newTrader(t.url, n)));
    symbols = [await createProduct(t.url, admin.token, 'PIPEA'), await createProduct(t.url, admin.token, 'PIPEB')];
    // A commit that fails after its group was matched: the INSERT of a marked order is refused
    // (after a pause, so the next group's transaction is surely under way meanwhile).
    await t.app.services.knex.raw(`CREATE TRIGGER fail_marked BEFORE INSERT ON orders FOR EACH ROW
      BEGIN
        IF NEW.cl_ord_id LIKE 'FAIL-%' THEN
          DO SLEEP(0.3);
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected commit failure';
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
      if (path.groupsInFlight >= 2) pipelinedCommits++;
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
    // Three waves in flight together; the marked orders sit in the middle one.
    const waves = [0, 1, 2].map(async (wave) => {
      await new Promise((r) => setTimeout(r, wave * 15));
      return Promise.all(
        Array.from({ length: 30 }, (_, k) => {
          const marked = wave === 1 && k % 10 === 5;
          return send(traders[k % traders.length]!, `${marked ? 'FAIL' : 'ok'}-${wave}-${k}`, wave * 30 + k);
        }),
      );
    });
    for (const w of await Promise.all(waves)) answers.push(...w);

    // Answers: every unmarked order acknowledged; each marked one refused, nothing else.
    const marked = answers.filter((a) => a.clOrdId.startsWith('FAIL-'));
    const unmarked = answers.filter((a) => !a.clOrdId.startsWith('FAIL-'));
    expect(unmarked.filter((a) => !a.id).map((a) => [a.clOrdId, a.error])).toEqual([]);
    expect(marked.length).toBe(3);
    for (const a of marked) expect(a.error?.message).toMatch(/injected commit failure/);

    // The failure happened while the next group was in flight, and pipelining was in use.
    expect(failures.length).toBeGreaterThan(0);
    expect(Math.max(...failures.map((f) => f.inFlight))).toBeGreaterThanOrEqual(2);
    expect(pipelinedCommits).toBeGreaterThan(0);

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
});
