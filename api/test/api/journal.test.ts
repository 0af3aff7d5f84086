/**
 * Replicas as a replicated state machine: a second order path (its own engine, as another API
 * process would have) on the same database catches up from the book journal instead of
 * reloading its books, fills gaps of lost bus messages from the database, reloads only when the
 * journal was pruned, and detects a corrupted entry by the writer's state hash.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { MatchingEngine, OrderBook } from '../../src/engine/index.js';
import { IdAllocator } from '../../src/db/id-allocator.js';
import { OrderPath, toResting, type OrderRequest } from '../../src/modules/orders/order-path.js';
import { orderFromRow } from '../../src/modules/orders/order-record.js';
import type { JournalEntry } from '../../src/modules/orders/journal.js';
import { pruneJournal, trimSnapshots, writeSnapshot } from '../../src/modules/orders/snapshots.js';
import type { ReloadReason } from '../../src/modules/orders/book-recovery.js';

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`replicas from the book journal on ${dialect}`, () => {
  let t: TestApp;
  let clOrd = 0;
  const replicas: OrderPath[] = [];
  beforeAll(async () => {
    t = await startTestApp(dialect, { JOURNAL_HASH_EVERY: '1' });
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await t?.dispose();
  });

  /** Another process's order path on the same database, with its books loaded as at its start. */
  async function replica() {
    const { knex, dialect: d } = t.app.services;
    const engine = new MatchingEngine();
    const log = { reloads: [] as ReloadReason[], divergences: 0, applied: 0 };
    const path = new OrderPath({
      knex,
      dialect: d,
      engine,
      ids: new IdAllocator(knex, 'orders'),
      hashEvery: 1,
      sync: {
        onApplied: (_symbol, n) => (log.applied += n),
        onReload: (_symbol, reason) => log.reloads.push(reason),
        onDivergence: () => log.divergences++,
      },
    });
    replicas.push(path);
    await path.loadAllBooks();
    return { engine, path, log };
  }

  const writer = () => t.app.services.path;
  const order = (symbol: string, side: 'BUY' | 'SELL', price: number, qty: number, accountId = 9001 + (clOrd % 3)): OrderRequest => ({
    kind: 'new',
    accountId,
    clOrdId: `j${++clOrd}`,
    symbol,
    side,
    ordType: 'LIMIT',
    tif: 'GTC',
    priceTicks: price,
    qty,
    postOnly: false,
    channel: 'graphql',
  });

  /** Some resting orders and some trades on `symbol`, each order its own batch. */
  async function trade(path: OrderPath, symbol: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const side = i % 3 === 2 ? 'SELL' : 'BUY';
      await path.submit(order(symbol, side, side === 'BUY' ? 10_000 + (i % 4) : 10_001, 1 + (i % 5)));
    }
  }

  /** The book as the database's order rows give it. */
  async function fromDatabase(symbol: string): Promise<OrderBook> {
    const { knex } = t.app.services;
    const rows = (await knex('orders').where({ symbol }).select('*')).map(orderFromRow);
    const product = await knex('products').where({ symbol }).first('book_seq');
    return OrderBook.restore(symbol, toResting(rows), Number(product.book_seq));
  }

  async function expectSameBooks(symbol: string, ...engines: MatchingEngine[]): Promise<void> {
    const db = await fromDatabase(symbol);
    const hashes = engines.map((e) => e.book(symbol).stateHash());
    expect(new Set(hashes).size, 'state hashes of the replicas').toBe(1);
    for (const e of engines) {
      expect(e.book(symbol).seq).toBe(db.seq);
      expect(e.book(symbol).restingOrders()).toEqual(db.restingOrders());
    }
  }

  it('a replica behind applies the journal entries after its seq at the lock, without reloading, to the exact same book', async () => {
    await trade(writer(), 'AAPL', 3);
    const b = await replica();
    const seqAtStart = b.engine.book('AAPL').seq;
    await trade(writer(), 'AAPL', 12);
    const behind = t.app.services.engine.book('AAPL').seq - seqAtStart;
    expect(behind).toBeGreaterThan(12);
    await b.path.submit(order('AAPL', 'SELL', 10_000, 7));
    expect(b.log.reloads).toEqual([]);
    expect(b.log.applied).toBe(12);
    await writer().syncBook('AAPL');
    await expectSameBooks('AAPL', b.engine, t.app.services.engine);
  });

  it('reloads (once, counted as pruned) when the journal no longer reaches back to its seq', async () => {
    await trade(writer(), 'MSFT', 2);
    const b = await replica();
    await trade(writer(), 'MSFT', 6);
    await t.app.services.knex('book_journal').where({ symbol: 'MSFT' }).delete();
    await trade(writer(), 'MSFT', 2);
    await b.path.submit(order('MSFT', 'BUY', 10_001, 3));
    expect(b.log.reloads).toEqual(['pruned']);
    expect(b.log.applied).toBe(0);
    await writer().syncBook('MSFT');
    await expectSameBooks('MSFT', b.engine, t.app.services.engine);
  });

  it('fills the gap of lost bus messages from the database and ignores an entry heard twice', async () => {
    await trade(writer(), 'QQQ', 2);
    const b = await replica();
    const heard: JournalEntry[] = [];
    const off = writer().onCommit((batch) => heard.push(...batch.journal));
    await trade(writer(), 'QQQ', 5);
    off();
    expect(heard).toHaveLength(5);
    // Only the last message arrives; the four before it were lost.
    await b.path.receive(heard[4]!);
    expect(b.engine.book('QQQ').seq).toBe(heard[4]!.toSeq);
    expect(b.log).toEqual({ reloads: [], divergences: 0, applied: 5 });
    await b.path.receive(heard[2]!);
    expect(b.log.applied).toBe(5);
    await expectSameBooks('QQQ', b.engine, t.app.services.engine);
  });

  it('detects a corrupted entry by the state hash, logs it as a divergence and reloads the book', async () => {
    await trade(writer(), 'BRK-B', 2);
    const b = await replica();
    await trade(writer(), 'BRK-B', 4);
    const { knex } = t.app.services;
    const row = await knex('book_journal').where({ symbol: 'BRK-B' }).orderBy('from_seq', 'desc').first('*');
    const commands = JSON.parse(String(row.commands)) as { qty: number }[];
    commands[0]!.qty += 1;
    await knex('book_journal').where({ symbol: 'BRK-B', from_seq: row.from_seq }).update({ commands: JSON.stringify(commands) });
    await b.path.syncBook('BRK-B');
    expect(b.log.divergences).toBe(1);
    expect(b.log.reloads).toEqual(['divergence']);
    await expectSameBooks('BRK-B', b.engine, t.app.services.engine);
  });

  it('detects a corrupted entry heard on the bus and reloads the book', async () => {
    await trade(writer(), '0700.HK', 2);
    const b = await replica();
    const heard: JournalEntry[] = [];
    const off = writer().onCommit((batch) => heard.push(...batch.journal));
    await trade(writer(), '0700.HK', 1);
    off();
    const entry = heard[0]!;
    const bad = { ...entry, commands: entry.commands.map((c) => (c.type === 'new' ? { ...c, price: c.price! + 1 } : c)) };
    await b.path.receive(bad);
    expect(b.log.divergences).toBe(1);
    expect(b.log.reloads).toEqual(['divergence']);
    await expectSameBooks('0700.HK', b.engine, t.app.services.engine);
  });

  it('prunes the entries committed before a cutoff that the oldest kept snapshot no longer needs, a slice at a time', async () => {
    const { knex, engine } = t.app.services;
    await trade(writer(), 'VOO', 2);
    const journal = async () => (await knex('book_journal').where({ symbol: 'VOO' }).orderBy('from_seq').select('from_seq', 'to_seq')).map((r) => [Number(r.from_seq), Number(r.to_seq)]);
    await knex('book_journal').where({ symbol: 'VOO' }).update({ created_at: new Date('2020-01-01T00:00:00Z') });
    const cutoff = new Date('2021-01-01T00:00:00Z');
    // No snapshot yet: the journal is all there is, nothing goes.
    expect(await pruneJournal(knex, cutoff)).toBe(0);
    const snapshot = await writeSnapshot(knex, 'VOO', await writer().atRest(() => engine.book('VOO').image()));
    expect(snapshot.written).toBe(true);
    const snapSeq = engine.book('VOO').seq;
    await trade(writer(), 'VOO', 3);
    await knex('book_journal').where({ symbol: 'VOO' }).update({ created_at: new Date('2020-01-01T00:00:00Z') });
    const before = await journal();
    expect(before).toHaveLength(5);
    expect(await pruneJournal(knex, cutoff, 1)).toBe(1);
    expect(await pruneJournal(knex, cutoff, 1)).toBe(1);
    expect(await pruneJournal(knex, cutoff, 1)).toBe(0);
    const after = await journal();
    // Everything the snapshot needs (the entries after its seq) is still there.
    expect(after).toEqual(before.filter(([, to]) => to! > snapSeq));
    expect(after[0]![0]).toBe(snapSeq);
    // A newer snapshot, the older one trimmed: entries behind it go once they are older than the cutoff.
    await knex('book_journal').where({ symbol: 'VOO' }).update({ created_at: new Date() });
    expect((await writeSnapshot(knex, 'VOO', await writer().atRest(() => engine.book('VOO').image()))).written).toBe(true);
    expect(await trimSnapshots(knex, 'VOO', 1)).toBe(1);
    expect(await pruneJournal(knex, cutoff)).toBe(0);
    expect(await pruneJournal(knex, new Date(Date.now() + 60_000))).toBe(3);
    expect(await journal()).toEqual([]);
  });
});
