/**
 * Book snapshots: start-up from a book's snapshot plus the journal after it gives exactly the
 * book a full load from the order rows gives; pruning keeps every entry a kept snapshot needs;
 * a corrupted snapshot is detected by its state hash (the book is loaded from the rows, the
 * rejection logged and counted); the audit replays from a snapshot once the journal before it
 * is pruned, and reports a snapshot that does not match the replay.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { adminClient, createProduct } from '../support/trading.js';
import { MatchingEngine, IMAGE_FIELDS, imageStateHash } from '../../src/engine/index.js';
import { DomainError } from '../../src/errors.js';
import { OrderPath, type OrderRequest } from '../../src/modules/orders/order-path.js';
import { IdAllocator } from '../../src/db/id-allocator.js';
import { loadAllBooks } from '../../src/modules/orders/book-recovery.js';
import { auditDatabase } from '../../src/modules/audit/audit.js';
import { loadBooks, pruneJournal, snapshotRestore, startSnapshots, trimSnapshots, writeSnapshot, type SnapshotRejection } from '../../src/modules/orders/snapshots.js';

/** Property runs per dialect (SNAPSHOT_RUNS overrides both). */
const RUNS: Record<string, number> = process.env.SNAPSHOT_RUNS ? { sqlite: Number(process.env.SNAPSHOT_RUNS), mysql: Number(process.env.SNAPSHOT_RUNS) } : { sqlite: 12, mysql: 5 };

type Op =
  | { readonly kind: 'new'; readonly side: 'BUY' | 'SELL'; readonly tif: 'GTC' | 'DAY' | 'IOC'; readonly offset: number; readonly qty: number; readonly account: number }
  | { readonly kind: 'cancel'; readonly pick: number }
  | { readonly kind: 'amend'; readonly pick: number; readonly qty: number; readonly offset: number | null };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('new' as const), side: fc.constantFrom('BUY' as const, 'SELL' as const), tif: fc.constantFrom('GTC' as const, 'DAY' as const, 'IOC' as const), offset: fc.integer({ min: -3, max: 3 }), qty: fc.integer({ min: 1, max: 12 }), account: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('amend' as const), pick: fc.nat(), qty: fc.integer({ min: 1, max: 20 }), offset: fc.option(fc.integer({ min: -3, max: 3 })) }) },
);

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`book snapshots on ${dialect}`, () => {
  let t: TestApp;
  let adminToken: string;
  let products = 0;
  let clOrd = 0;
  beforeAll(async () => {
    t = await startTestApp(dialect, { SNAPSHOT_INTERVAL_SECONDS: '0', JOURNAL_HASH_EVERY: '5' });
    adminToken = (await adminClient(t.url)).token;
  });
  afterAll(async () => t?.dispose());

  const newSymbol = () => createProduct(t.url, adminToken, `SNP${dialect === 'mysql' ? 'M' : 'S'}${++products}`);
  const MID = 10_000;

  /** Runs `ops` on `symbol` through the order path, one request per batch; returns the ids of the orders placed. */
  async function run(symbol: string, ops: readonly Op[], ids: number[] = [], each?: (i: number) => Promise<void>): Promise<number[]> {
    for (const [i, op] of ops.entries()) {
      await each?.(i);
      let request: OrderRequest;
      if (op.kind === 'new') {
        request = { kind: 'new', accountId: 9101 + op.account, clOrdId: `s${++clOrd}`, symbol, side: op.side, ordType: 'LIMIT', tif: op.tif, priceTicks: MID + op.offset, qty: op.qty, postOnly: false, channel: 'graphql' };
      } else if (ids.length === 0) {
        continue;
      } else if (op.kind === 'cancel') {
        request = { kind: 'cancel', orderId: ids[op.pick % ids.length]!, symbol, channel: 'graphql' };
      } else {
        request = { kind: 'amend', orderId: ids[op.pick % ids.length]!, symbol, qty: op.qty, ...(op.offset === null ? {} : { priceTicks: MID + op.offset }), channel: 'graphql' };
      }
      try {
        const outcome = await t.app.services.path.submit(request);
        if (op.kind === 'new') ids.push(outcome.order.id);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
      }
    }
    return ids;
  }

  /** Some resting orders and trades: `n` orders on both sides around MID. */
  const flow = (n: number): Op[] =>
    Array.from({ length: n }, (_, i) => ({ kind: 'new', side: i % 3 === 2 ? 'SELL' : 'BUY', tif: 'GTC', offset: i % 3 === 2 ? 0 : -(i % 3), qty: 1 + (i % 5), account: i % 3 }) as const);

  /** Snapshots `symbol`'s book as the writer holds it now (between two transactions). */
  async function snapshot(symbol: string) {
    const { knex, engine, path } = t.app.services;
    return writeSnapshot(knex, symbol, await path.atRest(() => engine.book(symbol).image()));
  }

  /** Start-up of another process: from snapshots + journal (what `createServices` does) and from the rows only. */
  async function startUps() {
    const { knex } = t.app.services;
    const rejected: { symbol: string; reason: SnapshotRejection }[] = [];
    const fromSnapshots = new MatchingEngine();
    const report = await loadBooks(fromSnapshots, knex, { onRejected: (symbol, _seq, reason) => rejected.push({ symbol, reason }) });
    const fromRows = new MatchingEngine();
    await loadAllBooks(fromRows, knex);
    return { fromSnapshots, fromRows, report, rejected };
  }

  function expectSameBook(symbol: string, ...engines: MatchingEngine[]) {
    const [first, ...others] = engines.map((e) => e.book(symbol));
    for (const b of others) {
      expect(b.seq).toBe(first!.seq);
      expect(b.stateHash()).toBe(first!.stateHash());
      expect(b.restingOrders()).toEqual(first!.restingOrders());
      expect(b.lastTrade()).toEqual(first!.lastTrade());
    }
  }

  it('start-up from a snapshot plus the journal after it gives exactly the book a full load gives, for random order streams', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 40 }), fc.nat(), async (ops, cutAt) => {
        const symbol = await newSymbol();
        const cut = cutAt % (ops.length + 1);
        await run(symbol, ops, [], async (i) => void (i === cut && (await snapshot(symbol))));
        if (cut === ops.length) await snapshot(symbol);
        const { knex } = t.app.services;
        const header = await knex('book_snapshots').where({ symbol }).first('seq', 'state_hash');
        expect(header?.state_hash, 'a complete snapshot').toMatch(/^[0-9a-f]{16}$/);
        const { fromSnapshots, fromRows, rejected } = await startUps();
        expect(rejected).toEqual([]);
        expectSameBook(symbol, t.app.services.engine, fromSnapshots, fromRows);
      }),
      { numRuns: RUNS[dialect] ?? 1 },
    );
  });

  it('prunes only the journal behind the oldest kept snapshot; start-up and the audit then start from it', async () => {
    const symbol = await newSymbol();
    const { knex } = t.app.services;
    const ids = await run(symbol, flow(20));
    expect((await snapshot(symbol)).written).toBe(true);
    const first = t.app.services.engine.book(symbol).seq;
    await run(symbol, [...flow(8), { kind: 'cancel', pick: 3 }, { kind: 'amend', pick: 5, qty: 9, offset: null }], ids);
    expect((await snapshot(symbol)).written).toBe(true);
    await run(symbol, flow(6), ids);
    await knex('book_journal').where({ symbol }).update({ created_at: new Date('2020-01-01T00:00:00Z') });
    const future = new Date(Date.now() + 60_000);
    while ((await pruneJournal(knex, future)) > 0);
    const seqs = (await knex('book_journal').where({ symbol }).orderBy('from_seq').pluck('from_seq')).map(Number);
    expect(seqs[0]).toBe(first);

    const { fromSnapshots, fromRows, report, rejected } = await startUps();
    expect(rejected).toEqual([]);
    expect(report.fromSnapshots).toBeGreaterThan(0);
    expectSameBook(symbol, t.app.services.engine, fromSnapshots, fromRows);

    const audit = await auditDatabase(knex, { engine: t.app.services.engine });
    expect(audit.violations).toEqual([]);
    expect(audit.stats.journal.symbolsNotReplayable).not.toContain(symbol);
    expect(audit.stats.journal.symbolsFromSnapshot).toBeGreaterThanOrEqual(1);
    // The snapshot the replay started from and the one it passed.
    expect(audit.stats.journal.snapshotsChecked).toBeGreaterThanOrEqual(2);

    // Keep one: the journal up to the newer snapshot goes too, and everything still loads and audits.
    expect(await trimSnapshots(knex, symbol, 1)).toBe(1);
    while ((await pruneJournal(knex, future)) > 0);
    expect(Number(await knex('book_journal').where({ symbol }).min('from_seq as s').first().then((r) => r?.s))).toBeGreaterThan(first);
    const again = await startUps();
    expectSameBook(symbol, t.app.services.engine, again.fromSnapshots, again.fromRows);
    expect((await auditDatabase(knex)).violations).toEqual([]);
  });

  it('a replica behind a pruned journal rebuilds the book from the snapshot and the journal after it, not the rows', async () => {
    const symbol = await newSymbol();
    const { knex, dialect: d, engine } = t.app.services;
    await run(symbol, flow(5));
    const replicaEngine = new MatchingEngine();
    const reloads: string[] = [];
    let fromSnapshot = 0;
    const restore = snapshotRestore();
    const replica = new OrderPath({
      knex,
      dialect: d,
      engine: replicaEngine,
      ids: new IdAllocator(knex, 'orders'),
      sync: {
        onReload: (_s, reason) => reloads.push(reason),
        restore: async (...args) => {
          const ok = await restore(...args);
          if (ok) fromSnapshot++;
          return ok;
        },
      },
    });
    try {
      await loadAllBooks(replicaEngine, knex);
      await run(symbol, flow(10));
      expect((await snapshot(symbol)).written).toBe(true);
      const snapSeq = engine.book(symbol).seq;
      await run(symbol, flow(3));
      await knex('book_journal').where({ symbol }).andWhere('to_seq', '<=', snapSeq).delete();
      await replica.submit({ kind: 'new', accountId: 9101, clOrdId: `s${++clOrd}`, symbol, side: 'SELL', ordType: 'LIMIT', tif: 'GTC', priceTicks: MID + 5, qty: 2, postOnly: false, channel: 'graphql' });
      expect(reloads).toEqual(['pruned']);
      expect(fromSnapshot).toBe(1);
      await t.app.services.path.syncBook(symbol);
      expectSameBook(symbol, engine, replicaEngine);
      const { fromRows } = await startUps();
      expectSameBook(symbol, engine, fromRows);
    } finally {
      await replica.stop();
    }
  });

  it('the snapshotter snapshots the books that moved enough, once, and keeps the newest', async () => {
    const symbol = await newSymbol();
    await run(symbol, flow(12));
    const { knex, engine, path } = t.app.services;
    const s = startSnapshots({ knex, engine, atRest: (f) => path.atRest(f), intervalSeconds: 0, minSeqs: 10, keep: 1 });
    try {
      expect(await s.runOnce()).toContain(symbol);
      expect(await s.runOnce()).not.toContain(symbol);
      await run(symbol, flow(12));
      expect(await s.runOnce()).toContain(symbol);
      const kept = (await knex('book_snapshots').where({ symbol }).pluck('seq')).map(Number);
      expect(kept).toEqual([engine.book(symbol).seq]);
      expect(Number((await knex('book_snapshot_parts').where({ symbol }).count({ n: '*' }))[0]!.n)).toBe(1);
    } finally {
      await s.stop();
    }
  });

  it('the audit reports a snapshot that the journal replay does not reach, even when its content matches its own hash', async () => {
    const symbol = await newSymbol();
    const { knex, engine, path } = t.app.services;
    await run(symbol, flow(9));
    const image = await path.atRest(() => engine.book(symbol).image());
    const seq = image.seq;
    // A book that never was at this seq (one order's quantity off), snapshotted with its own hash.
    const orders = Float64Array.from(image.orders);
    orders[4]! += 1;
    await run(symbol, flow(3));
    let violations: string[] = [];
    await knex
      .transaction(async (trx) => {
        // Where the journal entry ending at that seq records the writer's hash, the writer refuses it.
        await trx('book_journal').where({ symbol, to_seq: seq }).update({ state_hash: imageStateHash(image) });
        await expect(writeSnapshot(trx, symbol, { ...image, orders })).rejects.toThrow(/not written/);
        await trx('book_journal').where({ symbol, to_seq: seq }).update({ state_hash: null });
        expect((await writeSnapshot(trx, symbol, { ...image, orders })).written).toBe(true);
        violations = (await auditDatabase(trx)).violations;
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    expect(violations).toEqual([expect.stringMatching(new RegExp(`^journal replay reaches each snapshot's state hash: ${symbol} snapshot at seq ${seq} `))]);
  });

  it('detects a corrupted snapshot by its state hash: the book comes from the rows, and the rejection is logged, counted and audited', async () => {
    const symbol = await newSymbol();
    const { knex } = t.app.services;
    await run(symbol, flow(15));
    await snapshot(symbol);
    await run(symbol, flow(4));
    // One resting order's quantity changed inside the stored image.
    const part = await knex('book_snapshot_parts').where({ symbol }).first('seq', 'part', 'orders');
    const bytes = Buffer.from(part.orders as Buffer);
    const orders = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
    orders[IMAGE_FIELDS + 4]! += 1;
    await knex('book_snapshot_parts').where({ symbol, seq: part.seq, part: part.part }).update({ orders: bytes });

    const { fromSnapshots, fromRows, rejected } = await startUps();
    expect(rejected).toEqual([{ symbol, reason: 'hash' }]);
    expectSameBook(symbol, t.app.services.engine, fromSnapshots, fromRows);
    const audit = await auditDatabase(knex);
    expect(audit.violations.filter((v) => v.includes(symbol))).toEqual([expect.stringMatching(/^snapshots hash to their recorded state hash: /)]);

    // A restarted process: logged, counted in the metric, the book right.
    const before = t.app.services.engine.book(symbol).stateHash();
    t = await t.restart();
    expect(t.app.services.engine.book(symbol).stateHash()).toBe(before);
    const metrics = await fetch(t.url.replace(/\/graphql$/, '/metrics')).then((r) => r.text());
    expect(metrics).toMatch(/^trading_book_snapshots_rejected_total\{reason="hash"\} 1$/m);

    // A missing part: `corrupt` at start-up, incomplete for the audit.
    const rejections: SnapshotRejection[] = [];
    let violations: string[] = [];
    await t.app.services.knex
      .transaction(async (trx) => {
        await trx('book_snapshot_parts').where({ symbol }).delete();
        await loadBooks(new MatchingEngine(), trx, { onRejected: (_s, _q, reason) => rejections.push(reason) });
        violations = (await auditDatabase(trx)).violations;
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    expect(rejections).toEqual(['corrupt']);
    expect(violations.filter((v) => v.includes(symbol))).toEqual([expect.stringMatching(/^snapshots are complete: /)]);
  });
});
