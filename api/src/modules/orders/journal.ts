import type { Command, EngineEvent, MatchingEngine } from '../../engine/index.js';
import type { Knex } from '../../db/knex.js';
import { toDate } from '../../db/dialect.js';

/**
 * The per-symbol command journal: what a replica needs to replay another replica's commits
 * instead of reloading the book from the order rows. Books are deterministic, so the same
 * commands on a book at the same seq give the same events and the same state hash.
 */

/** One committed batch's commands for one symbol, taking its book from `fromSeq` to `toSeq`. */
export interface JournalEntry {
  readonly symbol: string;
  /** The book's seq before the first command (the previous entry's `toSeq`). */
  readonly fromSeq: number;
  /** The book's seq after the last command; always greater than `fromSeq`. */
  readonly toSeq: number;
  /**
   * The engine commands in execution order, complete: order ids, accounts, timestamps, the
   * self-trade prevention mode; refused commands included (they change nothing).
   */
  readonly commands: readonly Command[];
  /** The book's {@link OrderBook.stateHash} at `toSeq`, when the writer recorded it (every N seqs). */
  readonly stateHash: string | null;
  /** Commit time, ms since the epoch. */
  readonly time: number;
}

/** What {@link applyEntry} did. */
export type ApplyOutcome =
  /** The book moved from `fromSeq` to `toSeq` and matches the recorded hash, if any. */
  | 'applied'
  /** The book is already at or past `toSeq` (its own commit, or an entry heard twice): nothing done. */
  | 'stale'
  /** The book is behind `fromSeq` (or has no book and the entry does not start at 0): entries are missing. Nothing done. */
  | 'gap'
  /** Replaying did not reach `toSeq` or the recorded hash, or the book sits inside the entry's range: the book is wrong and must be reloaded. */
  | 'diverged';

/**
 * Applies one journal entry to its book when it follows the book's seq (pure, synchronous).
 * After `'diverged'` the book is in an unknown state: the caller must rebuild it. The engine
 * events of the replay are appended to `events` when given (the same events the writer had).
 */
export function applyEntry(engine: MatchingEngine, entry: JournalEntry, events?: EngineEvent[]): ApplyOutcome {
  const seq = engine.has(entry.symbol) ? engine.book(entry.symbol).seq : undefined;
  if (seq !== undefined && entry.toSeq <= seq) return 'stale';
  if ((seq ?? 0) < entry.fromSeq || (seq === undefined && entry.fromSeq !== 0)) return 'gap';
  if (seq !== undefined && seq !== entry.fromSeq) return 'diverged';
  for (const c of entry.commands) {
    const result = engine.execute(entry.symbol, c);
    if (events) for (const e of result.events) events.push(e);
  }
  const book = engine.book(entry.symbol);
  if (book.seq !== entry.toSeq) return 'diverged';
  if (entry.stateHash !== null && book.stateHash() !== entry.stateHash) return 'diverged';
  return 'applied';
}

/** True when an entry from `fromSeq` to `toSeq` records the state hash: it reaches a multiple of `every` (0 = never). */
export function hashDue(fromSeq: number, toSeq: number, every: number): boolean {
  return every > 0 && Math.floor(toSeq / every) > Math.floor(fromSeq / every);
}

/** The INSERT of a batch's entries (undefined when there are none). */
export function insertEntries(trx: Knex.Transaction, entries: readonly JournalEntry[]): Knex.QueryBuilder | undefined {
  if (entries.length === 0) return undefined;
  return trx('book_journal').insert(
    entries.map((e) => ({
      symbol: e.symbol,
      from_seq: e.fromSeq,
      to_seq: e.toSeq,
      commands: JSON.stringify(e.commands),
      state_hash: e.stateHash,
      created_at: new Date(e.time),
    })),
  );
}

/**
 * The entries after each given book seq (`[symbol, seq]` pairs), in symbol and seq order: run in
 * the batch's first round trip right after the product locks, so a book behind is caught up
 * without another one. No pairs → a query that returns nothing.
 */
export function selectEntriesAfter(trx: Knex.Transaction, seqs: readonly (readonly [string, number])[]): Knex.QueryBuilder {
  if (seqs.length === 0) return trx('book_journal').whereIn('symbol', []).select('*');
  return trx('book_journal')
    .where((q) => {
      for (const [symbol, seq] of seqs) void q.orWhere((w) => void w.where('symbol', symbol).andWhere('from_seq', '>=', seq));
    })
    .orderBy([{ column: 'symbol' }, { column: 'from_seq' }])
    .select('*');
}

/** The entries of `symbol` that start at or after `fromSeq` and before `toSeq`, in seq order. */
export async function readEntries(knex: Knex | Knex.Transaction, symbol: string, fromSeq: number, toSeq: number): Promise<JournalEntry[]> {
  const rows = await knex('book_journal').where({ symbol }).andWhere('from_seq', '>=', fromSeq).andWhere('from_seq', '<', toSeq).orderBy('from_seq').select('*');
  return rows.map(entryFromRow);
}

export function entryFromRow(row: Record<string, unknown>): JournalEntry {
  return {
    symbol: String(row.symbol),
    fromSeq: Number(row.from_seq),
    toSeq: Number(row.to_seq),
    commands: JSON.parse(String(row.commands)) as Command[],
    stateHash: row.state_hash == null ? null : String(row.state_hash),
    time: toDate(row.created_at).getTime(),
  };
}
