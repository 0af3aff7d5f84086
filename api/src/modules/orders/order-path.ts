import type { EngineEvent, MatchingEngine } from '../../engine/index.js';
import type { Dialect } from '../../db/dialect.js';
import type { Knex } from '../../db/knex.js';
import type { IdAllocator } from '../../db/id-allocator.js';
import type { ConnectionSource } from '../../db/worker-connections.js';
import { DomainError, databaseUnavailable, unavailable } from '../../errors.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { orderFromRow, type ExecutionRecord, type OrderRecord } from './order-record.js';
import type { ExpireOutcome, OrderOutcome, OrderRequest, PathRequest } from './order-request.js';
import type { FoldContext } from './batch-fold.js';
import { clKey, foldBatch, type BatchWork } from './batch-fold.js';
import { BatchSql, productsFrom } from './batch-sql.js';
import { applyEntries, catchUp, loadAllBooks, reloadBook, type SyncHooks } from './book-recovery.js';
import { entryFromRow, insertEntries, readEntries, selectEntriesAfter, type JournalEntry } from './journal.js';

export type { NewOrderRequest, CancelRequest, AmendRequest, OrderRequest, OrderOutcome, ExpireOutcome } from './order-request.js';
export { toResting } from './book-recovery.js';

/** Everything one transaction committed, handed to listeners after the commit (publish after commit). */
export interface CommittedBatch {
  /** Engine events per symbol, in sequence order. */
  readonly events: ReadonlyMap<string, readonly EngineEvent[]>;
  /** Every order whose row changed, in its committed state. */
  readonly orders: ReadonlyMap<number, OrderRecord>;
  readonly executions: readonly ExecutionRecord[];
  /** The requests committed, with their outcomes (duplicates included). */
  readonly outcomes: readonly { request: OrderRequest; outcome: OrderOutcome }[];
  /** Book sequence numbers after the commit. */
  readonly seqs: ReadonlyMap<string, number>;
  /** The journal entries written (one per symbol whose book moved): other replicas apply them. */
  readonly journal: readonly JournalEntry[];
}

export type CommitListener = (batch: CommittedBatch) => void;

/** Timing of one committed batch, for metrics. */
export interface BatchStats {
  readonly size: number;
  readonly engineMs: number;
  readonly commitMs: number;
}

export interface OrderPathOptions {
  readonly knex: Knex;
  readonly dialect: Dialect;
  readonly engine: MatchingEngine;
  readonly ids: IdAllocator;
  /**
   * The connection takes several statements per query (MySQL `multipleStatements`, a pool of
   * the order path's own whose sessions are READ COMMITTED): a transaction's reads go in one
   * round trip and its writes in another. Otherwise statements go one by one (SQLite: in
   * process, nothing to save) and MySQL transactions ask for READ COMMITTED themselves.
   */
  readonly multiStatements?: boolean;
  /** Where a batch's transaction gets its connection with `multiStatements` (default: the pool of `knex`). */
  readonly connections?: ConnectionSource;
  /** Wall clock in ms; the engine gets its time from here. */
  readonly now?: () => number;
  /** Largest number of requests committed in one transaction. */
  readonly maxBatch?: number;
  /**
   * Requests waiting for a transaction beyond which `submit` refuses at once with
   * SERVICE_UNAVAILABLE/ORDER_QUEUE_FULL (the queue is bounded whatever the channel); default 4096.
   */
  readonly maxQueued?: number;
  /**
   * Start the next group's transaction while the previous one commits (see `drain`); default:
   * on MySQL, off on SQLite (one connection in process: nothing to overlap).
   */
  readonly pipeline?: boolean;
  /** Called for each request refused with SERVICE_UNAVAILABLE (queue full, database unavailable), for metrics. */
  readonly onRefused?: (reason: string) => void;
  readonly onStats?: (stats: BatchStats) => void;
  /** Called when a batch failed and its books were rebuilt from the database. */
  readonly onFailure?: (error: unknown, symbols: readonly string[]) => void;
  /** Journal entries record the book's state hash every this many seqs (0 = never); default 100. */
  readonly hashEvery?: number;
  /** Catch-up, reloads and divergences, for metrics and logs. */
  readonly sync?: SyncHooks;
  /** A product's trading session at a batch's time (see {@link FoldContext.session}); absent = always open. */
  readonly session?: FoldContext['session'];
}

interface Pending {
  readonly request: PathRequest;
  readonly resolve: (o: OrderOutcome | ExpireOutcome) => void;
  readonly reject: (e: unknown) => void;
  /** Retried in a group of its own (its group failed). */
  readonly alone?: boolean;
}

/**
 * The order path: the single writer of books and order rows in this process.
 *
 * Requests queue here and are committed in groups: while one transaction is in flight, new
 * requests accumulate and go together in the next one (group commit). For each group, in one
 * database transaction:
 * 1. lock the product rows of the symbols concerned (in symbol order, so replicas never
 *    deadlock) and compare each row's `book_seq` with the in-memory book's `seq`; a book that
 *    is behind (another replica matched since) is rebuilt from the database first;
 * 2. resolve ClOrdID retries to the existing order;
 * 3. run the commands through the pure engine, collecting order states and fills;
 * 4. write new orders, changed orders, executions and the products' seq and last price.
 * Only after COMMIT do callers get their answer and listeners hear of it. If anything fails,
 * the books touched are rebuilt from the database (which rolled back), so memory never shows
 * what the database does not have, and the callers get the error. A group that fails is retried
 * one request at a time, so one bad request cannot sink the others.
 */
export class OrderPath {
  private readonly queue: Pending[] = [];
  /** Book maintenance run between transactions, so it never interleaves with matching. */
  private readonly tasks: (() => Promise<void>)[] = [];
  private draining = false;
  private stopped = false;
  private readonly listeners = new Set<CommitListener>();
  private readonly now: () => number;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  /** Whether the next group's transaction starts while the previous one commits (MySQL). */
  private readonly pipelined: boolean;
  private inFlightGroups = 0;
  /** Requests answered per ms, smoothed: the retry hint of a full queue. */
  private ratePerMs = 1;
  private idle: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | undefined;
  private readonly sql: BatchSql;
  private readonly hashEvery: number;

  constructor(private readonly options: OrderPathOptions) {
    this.now = options.now ?? Date.now;
    this.maxBatch = options.maxBatch ?? 256;
    this.maxQueued = options.maxQueued ?? 4096;
    this.pipelined = options.pipeline ?? options.dialect === 'mysql';
    this.sql = new BatchSql(options.dialect, options.multiStatements ?? false);
    this.hashEvery = options.hashEvery ?? 100;
  }

  /** Registers a listener called after every commit; returns its unsubscribe function. */
  onCommit(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queues a request; resolves once it is committed, rejects with a DomainError or the commit failure. */
  submit(request: OrderRequest): Promise<OrderOutcome> {
    if (this.stopped) {
      return Promise.reject(new DomainError('SERVICE_UNAVAILABLE', 'SHUTTING_DOWN', 'The server is shutting down; retry on another instance.'));
    }
    if (this.queue.length >= this.maxQueued) {
      this.options.onRefused?.('ORDER_QUEUE_FULL');
      const retryAfterMs = Math.min(1000, Math.max(10, Math.ceil(this.queue.length / this.ratePerMs)));
      return Promise.reject(unavailable('ORDER_QUEUE_FULL', 'The order queue is full; nothing was done.', retryAfterMs));
    }
    return new Promise<OrderOutcome>((resolve, reject) => {
      this.queue.push({ request, resolve: resolve as (o: OrderOutcome | ExpireOutcome) => void, reject });
      this.kick();
    });
  }

  /**
   * Expires `symbol`'s resting DAY orders for the close at `closeMs`, sequenced with its orders
   * (journaled, so other replicas replay it). A close already expired, here or by another
   * replica, is a no-op (`performed: false`).
   */
  expire(symbol: string, closeMs: number): Promise<ExpireOutcome> {
    if (this.stopped) {
      return Promise.reject(new DomainError('SERVICE_UNAVAILABLE', 'SHUTTING_DOWN', 'The server is shutting down; retry on another instance.'));
    }
    return new Promise<ExpireOutcome>((resolve, reject) => {
      this.queue.push({ request: { kind: 'expire', symbol, closeMs }, resolve: resolve as (o: OrderOutcome | ExpireOutcome) => void, reject });
      this.kick();
    });
  }

  /** Stops taking requests and waits until everything queued has committed or failed. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle;
  }

  /**
   * Brings a symbol's book up to the committed database state when another replica has moved
   * it on (`book_seq` ahead of the book's seq): from the journal, or a reload when it cannot
   * serve. Serialized with matching. Resolves when done.
   */
  syncBook(symbol: string): Promise<void> {
    return this.task(async () => {
      const row = await this.options.knex('products').where({ symbol }).first('book_seq');
      if (row) await catchUp(this.options.engine, this.options.knex, symbol, Number(row.book_seq), this.options.sync);
    });
  }

  /**
   * Applies another replica's journal entry (heard on the bus) once the book reaches its
   * `fromSeq`, serialized with matching: an entry this book already has is ignored; entries
   * missed before it (a lost or late message) are read from the database; a replay that
   * diverges reloads the book. A symbol without a book here is left to load on first use.
   */
  receive(entry: JournalEntry): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return this.task(async () => {
      const { engine, knex, sync } = this.options;
      if (!engine.has(entry.symbol) && entry.fromSeq !== 0) return;
      const seq = engine.has(entry.symbol) ? engine.book(entry.symbol).seq : 0;
      if (entry.toSeq <= seq) return;
      const entries = entry.fromSeq === seq ? [entry] : [...(await readEntries(knex, entry.symbol, seq, entry.fromSeq)), entry];
      const outcome = applyEntries(engine, entries, sync);
      if (outcome === 'applied') return;
      try {
        await reloadBook(engine, knex, entry.symbol);
        sync?.onReload?.(entry.symbol, outcome === 'diverged' ? 'divergence' : 'pruned');
      } catch {
        // The database is unreachable: drop the book; the next command reloads it (seq check).
        engine.drop(entry.symbol);
      }
    });
  }

  /**
   * Runs `f` between two transactions, when every book holds exactly a committed state (e.g. to
   * copy a book for a snapshot); resolves with its result. Keep `f` short: matching waits.
   */
  atRest<T>(f: () => T): Promise<T> {
    let out: T;
    return this.task(async () => void (out = f())).then(() => out);
  }

  /** Runs `f` between transactions (never interleaved with matching); resolves with its result. */
  private task(f: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.tasks.push(() => f().then(resolve, reject));
      this.kick();
    });
  }

  /** Groups whose transaction is in flight (at most two when pipelined). */
  get groupsInFlight(): number {
    return this.inFlightGroups;
  }

  /** Number of requests waiting for the next transaction. */
  get queued(): number {
    return this.queue.length;
  }

  /** Rebuilds one symbol's book from the database (recovery and catch-up). */
  async reloadBook(symbol: string, trx: Knex | Knex.Transaction = this.options.knex): Promise<void> {
    await reloadBook(this.options.engine, trx, symbol);
  }

  /** Rebuilds every book that has open orders or history (start-up). Returns the number of books. */
  async loadAllBooks(): Promise<number> {
    return loadAllBooks(this.options.engine, this.options.knex);
  }

  /**
   * Starts draining on the next turn of the event loop, so that every request that arrived in
   * this turn (several sockets read at once) goes into the same transaction.
   */
  private kick(): void {
    if (this.draining) return;
    this.draining = true;
    this.idle = new Promise((r) => (this.idleResolve = r));
    setImmediate(() => void this.drain());
  }

  /**
   * Takes groups off the queue and commits them, pipelined on MySQL: as soon as a group has been
   * matched (its engine work done; its writes and COMMIT under way), the next group is taken and
   * its transaction started: BEGIN, the product locks and its reads go to the database while the
   * previous one commits (a lock on a shared symbol simply waits in the database for that
   * COMMIT). Its engine work waits until the previous group has settled: committed and answered,
   * or failed and its books rebuilt from the database. So the engine never holds uncommitted
   * state of more than one group, a failed group's rollback needs nothing from the next, and
   * answers and listeners follow commit order. At most two transactions are in flight (the order
   * path's pool holds two connections). SQLite (one connection, in process) commits one group at
   * a time. Book maintenance tasks run with nothing in flight.
   */
  private async drain(): Promise<void> {
    try {
      let previous: Promise<void> | undefined;
      for (;;) {
        if (this.queue.length === 0 && this.tasks.length === 0) {
          if (!previous) break;
          await previous;
          previous = undefined;
          continue;
        }
        if (this.tasks.length > 0) {
          await previous;
          previous = undefined;
          for (const task of this.tasks.splice(0)) await task();
          continue;
        }
        const batch = this.take();
        let matched!: () => void;
        const isMatched = new Promise<void>((r) => (matched = r));
        this.inFlightGroups++;
        const done = this.settle(batch, this.pipelined ? previous : undefined, matched).finally(() => this.inFlightGroups--);
        if (this.pipelined) {
          await isMatched;
          previous = done;
        } else await done;
      }
    } finally {
      this.draining = false;
      this.idleResolve?.();
    }
  }

  /** The next group: up to maxBatch requests, or one request alone when it is retried alone. */
  private take(): Pending[] {
    if (this.queue[0]!.alone) return this.queue.splice(0, 1);
    let n = 0;
    while (n < this.queue.length && n < this.maxBatch && !this.queue[n]!.alone) n++;
    return this.queue.splice(0, n);
  }

  /**
   * Commits a group after `previous` has settled; never rejects. A group that fails has its
   * books rebuilt (in {@link commit}); its requests are refused as DATABASE_UNAVAILABLE when the
   * database is away, else retried one at a time at the head of the queue, so one bad request
   * cannot sink the others.
   */
  private async settle(batch: Pending[], previous: Promise<void> | undefined, matched: () => void): Promise<void> {
    try {
      await this.commit(batch, previous, matched);
    } catch (error) {
      matched();
      if (isDatabaseUnavailable(error)) {
        // Nothing to learn from retrying one by one: every request gets the coded refusal.
        for (const p of batch) {
          this.options.onRefused?.('DATABASE_UNAVAILABLE');
          p.reject(databaseUnavailable());
        }
      } else if (batch.length === 1) batch[0]!.reject(error);
      else this.queue.unshift(...batch.map((p) => ({ ...p, alone: true })));
    } finally {
      // A group that failed before reaching the engine still settles after the one before it.
      if (previous) await previous;
    }
  }

  /**
   * Commits one group. Resolves each request's promise (or rejects those the engine refused).
   * The engine is touched only once `previous` (the group before, in flight) has settled;
   * `matched` is called once this group's engine work is done.
   */
  private async commit(batch: Pending[], previous?: Promise<void>, matched?: () => void): Promise<void> {
    const { knex, engine } = this.options;
    const started = performance.now();
    const symbols = [...new Set(batch.map((p) => p.request.symbol))].sort();
    const newCount = batch.filter((p) => p.request.kind === 'new').length;
    const ids = newCount > 0 ? await this.options.ids.take(newCount) : [];
    let engineMs = 0;
    /** Time spent waiting for the group before (not this transaction's own time). */
    let waitedMs = 0;
    const touchedBooks = new Set<string>();

    let work: BatchWork;
    const tx = await this.sql.begin(knex, this.options.connections);
    try {
      const db = tx.db;
      const wanted = batch.flatMap((p) => (p.request.kind === 'new' && !p.request.clOrdIdGenerated ? [p.request] : []));
      // The journal after each book's seq, read right after the locks: a book another replica
      // moved on catches up from it without another round trip.
      const bookSeqs = symbols.filter((s) => engine.has(s)).map((s) => [s, engine.book(s).seq] as const);
      const [lockRows, journalRows, ...existingRows] = await tx.read([this.sql.lockProducts(db, symbols), selectEntriesAfter(db, bookSeqs), ...this.sql.findExistingClOrdIds(db, wanted)]);
      // The group before has committed (or failed and its books were rebuilt): the books are
      // the committed state from here on.
      if (previous) {
        const w0 = performance.now();
        await previous;
        waitedMs = performance.now() - w0;
      }
      const products = productsFrom(lockRows!);
      const journal = journalRows!.map(entryFromRow);
      for (const symbol of symbols) {
        const row = products.get(symbol);
        if (!row) continue;
        if (!engine.has(symbol) || engine.book(symbol).seq !== row.seq) {
          touchedBooks.add(symbol);
          // No book here: catch-up reads the journal from seq 0 itself (or reloads).
          const entries = engine.has(symbol) ? journal.filter((e) => e.symbol === symbol && e.toSeq <= row.seq) : undefined;
          await catchUp(engine, db, symbol, row.seq, this.options.sync, entries);
        }
      }
      // Existing ClOrdIDs were read before any reload: a reload changes books, never order rows.
      const existing = new Map<string, OrderRecord>();
      for (const row of existingRows.flat()) {
        const o = orderFromRow(row);
        existing.set(clKey(o.accountId, o.clOrdId), o);
      }
      const t0 = performance.now();
      work = foldBatch(engine, batch.map((p) => p.request), { ids, products, existing, nowMs: this.now(), touched: touchedBooks, hashEvery: this.hashEvery, session: this.options.session });
      engineMs = performance.now() - t0;
      matched?.();
      // Orders of earlier transactions that the batch changed are read (full rows) before the
      // writes, which go with COMMIT: one more round trip.
      const priorReads = this.sql.priorRows(db, work);
      const appended = insertEntries(db, work.journal);
      const results = await tx.commit([...priorReads, ...this.sql.writes(db, work, appended ? [appended] : [])]);
      // Cannot fail for an order in a book (it has a row); if it did, the books are rebuilt from
      // what was committed and the callers get the error.
      this.sql.hydrate(work, results.slice(0, priorReads.length).flat());
    } catch (error) {
      await tx.rollback();
      // The connection goes back first: the rebuild reads through the pool, whose other
      // connection the next group may hold while it waits for this one.
      tx.release();
      await this.rebuildAfterFailure(touchedBooks, error);
      throw error;
    } finally {
      tx.release();
    }

    const elapsed = performance.now() - started - waitedMs;
    this.ratePerMs = 0.8 * this.ratePerMs + 0.2 * (batch.length / Math.max(1, elapsed));
    const commitMs = elapsed - engineMs;
    this.options.onStats?.({ size: batch.length, engineMs, commitMs });
    const committed: CommittedBatch = {
      events: work.events,
      orders: work.orders,
      executions: work.executions,
      outcomes: work.results.flatMap((r, i) => {
        const request = batch[i]!.request;
        return r instanceof DomainError || request.kind === 'expire' || 'kind' in r ? [] : [{ request, outcome: r }];
      }),
      seqs: work.seqs,
      journal: work.journal,
    };
    batch.forEach((p, i) => {
      const r = work.results[i]!;
      if (r instanceof DomainError) p.reject(r);
      else if ('kind' in r) p.resolve(r);
      else p.resolve({ ...r, order: work.orders.get(r.order.id) ?? r.order });
    });
    for (const l of this.listeners) {
      try {
        l(committed);
      } catch {
        // A listener's failure must not affect the order path; listeners log their own errors.
      }
    }
  }

  private async rebuildAfterFailure(symbols: Set<string>, error: unknown): Promise<void> {
    const list = [...symbols];
    for (const symbol of list) {
      try {
        await this.reloadBook(symbol);
        this.options.sync?.onReload?.(symbol, 'failure');
      } catch {
        // The database is unreachable: drop the book; the next command reloads it (seq check).
        this.options.engine.drop(symbol);
      }
    }
    this.options.onFailure?.(error, list);
  }
}
