import { endianness } from 'node:os';
import { ImageHasher, IMAGE_FIELDS, imageSize, type BookImage, type LastTrade, type MatchingEngine } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import { toDate } from '../../db/dialect.js';
import { readEntries } from './journal.js';
import { applyEntries, loadBooksFromRows, type SyncHooks } from './book-recovery.js';

/**
 * Book snapshots: every resting order of one symbol's book at one seq, with the book's state
 * hash, stored in `book_snapshots` (a header) and `book_snapshot_parts` (the image, 7 float64 per
 * order, little-endian, at most {@link PART_ORDERS} orders a part).
 *
 * A snapshot is consistent with the journal by construction: it is taken between two
 * transactions of the order path (see {@link OrderPath.atRest}), when the book holds exactly a
 * committed state whose seq is an entry boundary of its journal, so that snapshot + the entries
 * from its seq on = the book. Taking it copies the book into a flat array (the only pause of
 * matching: one pass, no object per order); hashing and writing happen afterwards, a slice at a
 * time, outside the order path. The header is written first with no state hash (a claim: another
 * replica will not write the same one), the parts next, the hash last: only snapshots with a hash
 * are ever read.
 */

/** Orders per stored part: 16384 × 56 bytes, under 1 MiB. */
export const PART_ORDERS = 16_384;
/** Orders hashed between two yields to the event loop while a snapshot is written. */
const HASH_SLICE = 50_000;
/** A claim (header without a hash) older than this is a writer that died: its rows are removed. */
const STALE_CLAIM_MS = 3_600_000;

/** A stored snapshot's header. */
export interface SnapshotHeader {
  readonly symbol: string;
  readonly seq: number;
  readonly orderCount: number;
  readonly parts: number;
  readonly lastTrade: LastTrade | undefined;
  /** The book's state hash at `seq`; null while the snapshot is being written. */
  readonly stateHash: string | null;
  readonly createdAt: Date;
}

/** Snapshots rely on the image's bytes being little-endian, as on every platform Node ships for. */
const littleEndian = endianness() === 'LE';

function headerFromRow(r: Record<string, unknown>): SnapshotHeader {
  const lastTrade: LastTrade | undefined =
    r.last_trade_id == null
      ? undefined
      : { price: Number(r.last_price_ticks), qty: Number(r.last_qty), tradeId: Number(r.last_trade_id), timestamp: Number(r.last_trade_at) };
  return {
    symbol: String(r.symbol),
    seq: Number(r.seq),
    orderCount: Number(r.order_count),
    parts: Number(r.parts),
    lastTrade,
    stateHash: r.state_hash == null ? null : String(r.state_hash),
    createdAt: toDate(r.created_at),
  };
}

/** What {@link writeSnapshot} did. */
export interface WriteOutcome {
  /** False when a snapshot at this seq or later existed or was being written (nothing done). */
  readonly written: boolean;
  readonly stateHash?: string;
  readonly orders: number;
}

/**
 * Stores `image` as the snapshot of `symbol` at `image.seq`, unless one at that seq or later
 * exists already (or is being written by another replica). Yields to the event loop between
 * slices of hashing and between parts, so a deep book does not hold up other work. A failure
 * removes what it wrote and rethrows.
 */
export async function writeSnapshot(knex: Knex | Knex.Transaction, symbol: string, image: BookImage, now: Date = new Date()): Promise<WriteOutcome> {
  const count = imageSize(image);
  if (!littleEndian) return { written: false, orders: count };
  const newest = await knex('book_snapshots').where({ symbol }).max('seq as seq').first();
  if (newest?.seq != null && Number(newest.seq) >= image.seq) return { written: false, orders: count };
  // The journal entry that ends at this seq, when it records the writer's hash, must agree.
  const boundary = await knex('book_journal').where({ symbol, to_seq: image.seq }).first('state_hash');
  const parts = Math.ceil(count / PART_ORDERS);
  const t = image.lastTrade;
  try {
    await knex('book_snapshots').insert({
      symbol,
      seq: image.seq,
      order_count: count,
      parts,
      last_price_ticks: t?.price ?? null,
      last_qty: t?.qty ?? null,
      last_trade_id: t?.tradeId ?? null,
      last_trade_at: t?.timestamp ?? null,
      state_hash: null,
      created_at: now,
    });
  } catch (err) {
    if (await knex('book_snapshots').where({ symbol, seq: image.seq }).first('seq')) return { written: false, orders: count };
    throw err;
  }
  try {
    const hasher = new ImageHasher(image);
    while (!hasher.step(HASH_SLICE)) await yieldLoop();
    const stateHash = hasher.digest();
    if (boundary?.state_hash != null && String(boundary.state_hash) !== stateHash) {
      throw new SnapshotError(`book ${symbol} at seq ${image.seq} hashes ${stateHash}, the journal recorded ${String(boundary.state_hash)}: not written`);
    }
    for (let p = 0; p < parts; p++) {
      const view = image.orders.subarray(p * PART_ORDERS * IMAGE_FIELDS, Math.min(count, (p + 1) * PART_ORDERS) * IMAGE_FIELDS);
      await knex('book_snapshot_parts').insert({ symbol, seq: image.seq, part: p, orders: Buffer.from(view.buffer, view.byteOffset, view.byteLength) });
    }
    await knex('book_snapshots').where({ symbol, seq: image.seq }).update({ state_hash: stateHash });
    return { written: true, stateHash, orders: count };
  } catch (err) {
    await deleteSnapshot(knex, symbol, image.seq).catch(() => {});
    throw err;
  }
}

/** A snapshot that cannot be written or used (the message says why). */
export class SnapshotError extends Error {}

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

async function deleteSnapshot(knex: Knex | Knex.Transaction, symbol: string, seq: number): Promise<void> {
  await knex('book_snapshot_parts').where({ symbol, seq }).delete();
  await knex('book_snapshots').where({ symbol, seq }).delete();
}

/** Complete snapshots (with a state hash) per symbol, newest first. */
export async function completeSnapshots(knex: Knex | Knex.Transaction, symbol?: string): Promise<Map<string, SnapshotHeader[]>> {
  const q = knex('book_snapshots').whereNotNull('state_hash');
  if (symbol !== undefined) void q.where({ symbol });
  const rows = (await q.orderBy([{ column: 'symbol' }, { column: 'seq', order: 'desc' }]).select('*')) as Record<string, unknown>[];
  const out = new Map<string, SnapshotHeader[]>();
  for (const r of rows) {
    const h = headerFromRow(r);
    const list = out.get(h.symbol);
    if (list) list.push(h);
    else out.set(h.symbol, [h]);
  }
  return out;
}

/** Reads a snapshot's image. @throws SnapshotError when parts are missing or of the wrong size. */
export async function readSnapshot(knex: Knex | Knex.Transaction, header: SnapshotHeader): Promise<BookImage> {
  const rows = (await knex('book_snapshot_parts').where({ symbol: header.symbol, seq: header.seq }).orderBy('part').select('part', 'orders')) as { part: number; orders: Buffer }[];
  const orders = new Float64Array(header.orderCount * IMAGE_FIELDS);
  const bytes = new Uint8Array(orders.buffer);
  let at = 0;
  for (const [i, r] of rows.entries()) {
    const b = r.orders;
    if (Number(r.part) !== i || at + b.byteLength > bytes.byteLength) throw new SnapshotError(`snapshot ${header.symbol}@${header.seq}: part ${String(r.part)} out of place`);
    bytes.set(b, at);
    at += b.byteLength;
  }
  if (rows.length !== header.parts || at !== bytes.byteLength) {
    throw new SnapshotError(`snapshot ${header.symbol}@${header.seq}: ${rows.length} of ${header.parts} parts, ${at} of ${bytes.byteLength} bytes`);
  }
  return header.lastTrade === undefined ? { seq: header.seq, orders } : { seq: header.seq, orders, lastTrade: header.lastTrade };
}

/**
 * Why a snapshot was not used and the book was rebuilt from the order rows instead:
 * - `hash`: the restored book's state hash is not the one recorded with the snapshot;
 * - `corrupt`: parts missing or out of place, or the image fails the engine's restore checks;
 * - `journal`: the journal after the snapshot does not chain to the book's seq or diverges.
 */
export type SnapshotRejection = 'hash' | 'corrupt' | 'journal';

/** What {@link restoreFromSnapshot} and {@link loadBooks} report, for metrics and logs. */
export interface SnapshotHooks extends SyncHooks {
  readonly onRejected?: (symbol: string, seq: number, reason: SnapshotRejection, detail: string) => void;
}

/**
 * Restores the book of `symbol` from `header`'s snapshot and the journal entries after it, up to
 * `targetSeq`. On success the engine holds the book at `targetSeq` and the result is true; on a
 * rejected snapshot `onRejected` is told why, the book is dropped and the result is false (the
 * caller rebuilds it from the order rows).
 */
export async function restoreFromSnapshot(
  engine: MatchingEngine,
  knex: Knex | Knex.Transaction,
  header: SnapshotHeader,
  targetSeq: number,
  hooks: SnapshotHooks = {},
): Promise<boolean> {
  const { symbol } = header;
  const reject = (reason: SnapshotRejection, detail: string) => {
    engine.drop(symbol);
    hooks.onRejected?.(symbol, header.seq, reason, detail);
    return false;
  };
  let image: BookImage;
  try {
    image = await readSnapshot(knex, header);
    engine.restoreImage(symbol, image);
  } catch (err) {
    if (err instanceof SnapshotError || err instanceof RangeError) return reject('corrupt', err.message);
    throw err;
  }
  const hash = engine.book(symbol).stateHash();
  if (hash !== header.stateHash) return reject('hash', `restored book hashes ${hash}, snapshot recorded ${String(header.stateHash)}`);
  if (targetSeq === header.seq) return true;
  const entries = await readEntries(knex, symbol, header.seq, targetSeq);
  const outcome = applyEntries(engine, entries, hooks);
  const seq = engine.book(symbol).seq;
  if (outcome !== 'applied' || seq !== targetSeq) return reject('journal', `journal after seq ${header.seq}: ${outcome}, reached seq ${seq} of ${targetSeq}`);
  return true;
}

/**
 * A {@link SyncHooks.restore} for replicas: a book to be rebuilt (missing here, or behind a
 * pruned journal) comes from its newest snapshot at or before `targetSeq` plus the journal
 * after it, read through `knex` (under the batch's lock when called from it). False when there
 * is no such snapshot or it is rejected (then reported to `onRejected`): the caller loads the
 * order rows.
 */
export function snapshotRestore(hooks: SnapshotHooks = {}): NonNullable<SyncHooks['restore']> {
  return async (engine, knex, symbol, targetSeq) => {
    const row = await knex('book_snapshots').where({ symbol }).whereNotNull('state_hash').andWhere('seq', '<=', targetSeq).orderBy('seq', 'desc').first('*');
    return row ? restoreFromSnapshot(engine, knex, headerFromRow(row as Record<string, unknown>), targetSeq, hooks) : false;
  };
}

/** How the books were loaded at start-up. */
export interface LoadReport {
  readonly books: number;
  /** Books restored from a snapshot plus the journal after it. */
  readonly fromSnapshots: number;
  /** Books rebuilt from the order rows (no snapshot, or a rejected one). */
  readonly fromRows: number;
  readonly rejected: number;
}

/**
 * Start-up: every book with history, from its latest snapshot plus the journal after it, and
 * from the open order rows when it has no snapshot or when its snapshot is rejected (see
 * {@link SnapshotRejection}; an older kept snapshot is not tried: the rows are the truth).
 */
export async function loadBooks(engine: MatchingEngine, knex: Knex | Knex.Transaction, hooks: SnapshotHooks = {}): Promise<LoadReport> {
  const products = (await knex('products').where('book_seq', '>', 0).select('symbol', 'book_seq')) as { symbol: string; book_seq: number }[];
  const snapshots = await completeSnapshots(knex);
  const fromRows: string[] = [];
  let fromSnapshots = 0;
  let rejected = 0;
  for (const p of products) {
    const symbol = String(p.symbol);
    const seq = Number(p.book_seq);
    const header = snapshots.get(symbol)?.find((h) => h.seq <= seq);
    if (header && (await restoreFromSnapshot(engine, knex, header, seq, hooks))) fromSnapshots++;
    else {
      if (header) rejected++;
      fromRows.push(symbol);
    }
  }
  if (fromRows.length > 0) await loadBooksFromRows(engine, knex, fromRows);
  return { books: products.length, fromSnapshots, fromRows: fromRows.length, rejected };
}

/**
 * Keeps the newest `keep` complete snapshots of `symbol` and deletes the older ones. Returns how
 * many went.
 */
export async function trimSnapshots(knex: Knex, symbol: string, keep: number): Promise<number> {
  const old = (await knex('book_snapshots').where({ symbol }).whereNotNull('state_hash').orderBy('seq', 'desc').offset(keep).limit(1_000_000).pluck('seq')) as number[];
  for (const seq of old) await deleteSnapshot(knex, symbol, Number(seq));
  return old.length;
}

/**
 * Prunes the journal behind the snapshots: deletes the entries committed before `before` that
 * end at or before the oldest kept (complete) snapshot of their symbol, at most `limit` per call,
 * and returns how many went. An entry a kept snapshot still needs (any entry after its seq) is
 * never deleted, and neither is the journal of a symbol without a snapshot. Also removes the
 * claims of snapshot writers that died (headers without a hash older than an hour).
 */
export async function pruneJournal(knex: Knex, before: Date, limit = 10_000): Promise<number> {
  const stale = (await knex('book_snapshots').whereNull('state_hash').andWhere('created_at', '<', new Date(Date.now() - STALE_CLAIM_MS)).select('symbol', 'seq')) as { symbol: string; seq: number }[];
  for (const s of stale) await deleteSnapshot(knex, String(s.symbol), Number(s.seq));
  const oldest = (await knex('book_snapshots').whereNotNull('state_hash').groupBy('symbol').select('symbol').min('seq as seq')) as { symbol: string; seq: number }[];
  let deleted = 0;
  for (const { symbol, seq } of oldest) {
    if (deleted >= limit) break;
    const keys = (await knex('book_journal')
      .where({ symbol })
      .andWhere('to_seq', '<=', Number(seq))
      .andWhere('created_at', '<', before)
      .orderBy('from_seq')
      .limit(Math.min(500, limit - deleted))
      .pluck('from_seq')) as number[];
    if (keys.length === 0) continue;
    deleted += await knex('book_journal').where({ symbol }).whereIn('from_seq', keys).delete();
  }
  return deleted;
}

/** Settings of {@link startSnapshots}. */
export interface SnapshotterOptions {
  readonly knex: Knex;
  readonly engine: MatchingEngine;
  /** Runs its argument between two order-path transactions (see {@link OrderPath.atRest}). */
  readonly atRest: <T>(f: () => T) => Promise<T>;
  /** Seconds between two passes. */
  readonly intervalSeconds: number;
  /** A book gets a new snapshot when it moved at least this many seqs since its newest one. */
  readonly minSeqs: number;
  /** Complete snapshots kept per symbol. */
  readonly keep: number;
  readonly onWritten?: (symbol: string, seq: number, orders: number, pauseMs: number, totalMs: number) => void;
  readonly onError?: (err: unknown, symbol: string) => void;
}

/** A running snapshotter. */
export interface Snapshotter {
  /** One pass now (tests, benches); resolves with the symbols snapshotted. */
  runOnce(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Every `intervalSeconds`, snapshots each book of this process that moved at least `minSeqs`
 * since the newest snapshot of its symbol (any replica's), one book at a time, then trims old
 * snapshots to `keep`. Every replica runs one; the claim keeps two from writing the same one.
 */
export function startSnapshots(o: SnapshotterOptions): Snapshotter {
  let running: Promise<string[]> = Promise.resolve([]);
  let stopped = false;
  const pass = async (): Promise<string[]> => {
    const newest = new Map(
      ((await o.knex('book_snapshots').groupBy('symbol').select('symbol').max('seq as seq')) as { symbol: string; seq: number }[]).map((r) => [String(r.symbol), Number(r.seq)]),
    );
    const due = o.engine
      .symbols()
      .map((symbol) => ({ symbol, behind: o.engine.book(symbol).seq - (newest.get(symbol) ?? 0) }))
      .filter((c) => c.behind >= o.minSeqs)
      .sort((a, b) => b.behind - a.behind);
    const done: string[] = [];
    for (const { symbol } of due) {
      if (stopped) break;
      try {
        const t0 = performance.now();
        let pauseMs = 0;
        const image = await o.atRest(() => {
          const t = performance.now();
          const img = o.engine.has(symbol) ? o.engine.book(symbol).image() : undefined;
          pauseMs = performance.now() - t;
          return img;
        });
        if (!image) continue;
        const w = await writeSnapshot(o.knex, symbol, image);
        if (!w.written) continue;
        await trimSnapshots(o.knex, symbol, o.keep);
        done.push(symbol);
        o.onWritten?.(symbol, image.seq, w.orders, pauseMs, performance.now() - t0);
      } catch (err) {
        o.onError?.(err, symbol);
      }
    }
    return done;
  };
  const run = () => (running = running.then(pass, pass));
  const timer = o.intervalSeconds > 0 ? setInterval(() => void run().catch((err: unknown) => o.onError?.(err, '')), o.intervalSeconds * 1000) : undefined;
  timer?.unref();
  return {
    runOnce: () => run(),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running.catch(() => {});
    },
  };
}
