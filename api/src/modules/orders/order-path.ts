import type { EngineEvent, MatchingEngine } from '../../engine/index.js';
import type { Dialect } from '../../db/dialect.js';
import type { Knex } from '../../db/knex.js';
import type { IdAllocator } from '../../db/id-allocator.js';
import type { ConnectionSource } from '../../db/worker-connections.js';
import { DomainError, databaseUnavailable, unavailable } from '../../errors.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';
import { orderFromRow, type ExecutionRecord, type OrderRecord } from './order-record.js';
import type { ExpireOutcome, OrderOutcome, OrderRequest, PathRequest } from './order-request.js';
import type { FoldContext, ProductLock } from './batch-fold.js';
import { clKey, foldBatch, type BatchWork } from './batch-fold.js';
import { BatchSql, productsFrom, type Rows } from './batch-sql.js';
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
  /** Matched on top of a group still committing (see {@link OrderPath.commit}). */
  readonly speculative: boolean;
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
  /** Called when a speculative group was rolled back and its requests queued again (see {@link OrderPath.commit}). */
  readonly onSpeculationFailed?: (reason: SpeculationFailure) => void;
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
  /** Retried after a speculation failed: its group reads under the lock first (never speculates). */
  readonly careful?: boolean;
}

/** A group whose transaction is in flight, as a later group speculating on top of it sees it. */
interface InFlight {
  /** Resolves once the group has settled: true when committed, false when it failed (its books rebuilt). */
  settled: Promise<boolean>;
  /** Per symbol the group's fold changed: the book's seq before it (the database's until it commits). */
  readonly fromSeqs: Map<string, number>;
  /** (account, ClOrdID) keys of its new orders ({@link clKey}). */
  readonly clKeys: Set<string>;
  /**
   * Resolves once the group holds its product locks (or failed without them). A later group asks
   * for the same locks only after it, so no group ever waits in the database for a later one
   * (which may be waiting for it to settle).
   */
  locked: Promise<void>;
  /** The group in flight before it, until that one has settled (then cleared: no chain of past groups). */
  before?: InFlight;
}

/** Why a speculative group was rolled back and its requests queued again (read under the lock then). */
export type SpeculationFailure =
  /** A group it matched on top of failed: its books were rebuilt without that group. */
  | 'previous-failed'
  /** Under the lock, a product was not as the speculation read it (another replica traded it, a halt, new hours). */
  | 'product-changed'
  /** Its writes failed (another replica wrote the same journal seq, a unique key): it is read under the lock again, where a real fault fails for good. */
  | 'write-failed';

/** How long after another replica moved a book its groups are read under the lock (no speculation). */
const CONTENDED_MS = 2_000;

class SpeculationFailed extends Error {
  constructor(readonly reason: SpeculationFailure) {
    super(`speculative batch rolled back: ${reason}`);
  }
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
  /** Set while the drain waits for the group in flight with nothing queued: a new request wakes it. */
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly listeners = new Set<CommitListener>();
  private readonly now: () => number;
  private readonly maxBatch: number;
  private readonly maxQueued: number;
  /** Whether the next group's transaction starts while the previous one commits (MySQL). */
  private readonly pipelined: boolean;
  private inFlightGroups = 0;
  /**
   * Symbols another replica moved lately (performance.now() of the last time): their groups are
   * read under the lock rather than speculate, which would mostly be rolled back.
   */
  private readonly contended = new Map<string, number>();
  /** Groups matched and not yet settled: what a speculating group may find uncommitted. */
  private readonly unsettled = new Set<InFlight>();
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
      this.contended.set(entry.symbol, performance.now());
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
    if (this.wake) {
      // The drain waits for the group in flight: take this request (and its turn's) at once.
      const wake = this.wake;
      this.wake = undefined;
      setImmediate(wake);
    }
    if (this.draining) return;
    this.draining = true;
    this.idle = new Promise((r) => (this.idleResolve = r));
    setImmediate(() => void this.drain());
  }

  /**
   * Takes groups off the queue and commits them, pipelined on MySQL: as soon as a group has been
   * matched (its engine work done; its writes and COMMIT under way), the next group is taken,
   * its transaction started and, when it can, matched at once on top of the books the group
   * before left, while that group commits (see {@link commit}: a speculative group). Answers
   * and listeners follow commit order. SQLite (one connection, in process) commits one group at
   * a time. Book maintenance tasks run with nothing in flight.
   */
  private async drain(): Promise<void> {
    try {
      let previous: InFlight | undefined;
      for (;;) {
        if (this.queue.length === 0 && this.tasks.length === 0) {
          if (!previous) break;
          // Until the group in flight settles, or a request arrives to be matched on top of it.
          const settled = await Promise.race([previous.settled.then(() => true), new Promise<false>((r) => (this.wake = () => r(false)))]);
          this.wake = undefined;
          if (settled) previous = undefined;
          continue;
        }
        if (this.tasks.length > 0) {
          await previous?.settled;
          previous = undefined;
          for (const task of this.tasks.splice(0)) await task();
          continue;
        }
        // At most two groups in flight: one committing, one matched on top of it.
        if (previous?.before) {
          await previous.before.settled;
          previous.before = undefined;
        }
        const batch = this.take();
        let matched!: () => void;
        const isMatched = new Promise<void>((r) => (matched = r));
        const group: InFlight = { settled: Promise.resolve(true), locked: Promise.resolve(), fromSeqs: new Map(), clKeys: new Set(), before: this.pipelined ? previous : undefined };
        this.inFlightGroups++;
        group.settled = this.settle(batch, this.pipelined ? previous : undefined, matched, group).finally(() => this.inFlightGroups--);
        if (this.pipelined) {
          await isMatched;
          previous = group;
        } else await group.settled;
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
   * Commits a group after `previous` has settled; never rejects; resolves true when the group
   * committed. A group that fails has its books rebuilt (in {@link commit}); its requests are
   * refused as DATABASE_UNAVAILABLE when the database is away; queued again at the head (to be
   * read under the lock) when its speculation failed; else retried one at a time at the head
   * of the queue, so one bad request cannot sink the others.
   */
  private async settle(batch: Pending[], previous: InFlight | undefined, matched: () => void, group: InFlight): Promise<boolean> {
    try {
      await this.commit(batch, previous, matched, group);
      return true;
    } catch (error) {
      matched();
      if (error instanceof SpeculationFailed) {
        this.options.onSpeculationFailed?.(error.reason);
        this.queue.unshift(...batch.map((p) => ({ ...p, careful: true })));
      } else if (isDatabaseUnavailable(error)) {
        // Nothing to learn from retrying one by one: every request gets the coded refusal.
        for (const p of batch) {
          this.options.onRefused?.('DATABASE_UNAVAILABLE');
          p.reject(databaseUnavailable());
        }
      } else if (batch.length === 1) batch[0]!.reject(error);
      else this.queue.unshift(...batch.map((p) => ({ ...p, alone: true })));
      return false;
    } finally {
      // A group that failed before reaching the engine still settles after the one before it.
      if (previous) await previous.settled;
    }
  }

  /**
   * Whether a group may be matched now, on top of the groups still committing, from what it
   * read without the lock: every book is here and the database's seq is one the books went
   * through since it last committed (the groups in flight may or may not have committed yet);
   * no new order reuses an (account, ClOrdID) of an order still committing.
   */
  private canSpeculate(products: ReadonlyMap<string, ProductLock>, wanted: readonly { accountId: number; clOrdId: string }[]): boolean {
    const { engine } = this.options;
    for (const [symbol, row] of products) {
      if (!engine.has(symbol)) return false;
      if (row.seq === engine.book(symbol).seq) continue;
      let known = false;
      for (const g of this.unsettled) if (g.fromSeqs.get(symbol) === row.seq) known = true;
      if (!known) return false;
    }
    for (const r of wanted) for (const g of this.unsettled) if (g.clKeys.has(clKey(r.accountId, r.clOrdId))) return false;
    return true;
  }

  /**
   * Commits one group. Resolves each request's promise (or rejects those the engine refused);
   * `matched` is called once this group's engine work is done.
   *
   * With no group in flight before it (or on SQLite), or when it is retried after a failed
   * speculation: BEGIN and its reads under the products' row locks (which wait in the database
   * for the group before to commit), then, once `previous` has settled, catch-up of any book
   * another replica moved, the engine, and its writes with COMMIT: two round trips.
   *
   * Speculative (a group before it is still committing): its reads go without the lock, and if
   * {@link canSpeculate} allows it, it is matched at once on top of the books as that group left
   * them; then, in one round trip, the products are locked (waiting for that group's COMMIT)
   * and its rows read and written; it commits only if the locked products are exactly as it
   * matched them (seq, status, hours) and every group before it committed. Otherwise it rolls
   * back, its books are rebuilt from the database once the groups before it have settled (so
   * the engine holds exactly what committed), and its requests are queued again, to be read
   * under the lock. No request is answered before its own COMMIT.
   */
  private async commit(batch: Pending[], previous: InFlight | undefined, matched: () => void, group: InFlight): Promise<void> {
    const { knex, engine } = this.options;
    const started = performance.now();
    const symbols = [...new Set(batch.map((p) => p.request.symbol))].sort();
    const newCount = batch.filter((p) => p.request.kind === 'new').length;
    const ids = newCount > 0 ? await this.options.ids.take(newCount) : [];
    let engineMs = 0;
    /** Time spent waiting for the group before (not this transaction's own time). */
    let waitedMs = 0;
    const waitFor = async (g: InFlight): Promise<boolean> => {
      const w0 = performance.now();
      const ok = await g.settled;
      waitedMs += performance.now() - w0;
      return ok;
    };
    const touchedBooks = new Set<string>();
    /** Each book's seq when this group was matched: what the database must hold for it to commit. */
    let before: ReadonlyMap<string, number> = new Map();
    // Only on top of a group still committing (one that has committed leaves nothing to overlap).
    let speculative = previous !== undefined && this.unsettled.has(previous) && !batch.some((p) => p.careful || p.alone) && !symbols.some((s) => this.isContended(s));

    let work: BatchWork;
    let hasLocks!: () => void;
    group.locked = new Promise<void>((r) => (hasLocks = r));
    const tx = await this.sql.begin(knex, this.options.connections).catch((e: unknown) => {
      hasLocks();
      throw e;
    });
    try {
      const db = tx.db;
      const wanted = batch.flatMap((p) => (p.request.kind === 'new' && !p.request.clOrdIdGenerated ? [p.request] : []));
      // The journal after each book's seq, read with the products: a book another replica
      // moved on catches up from it without another round trip.
      const bookSeqs = () => symbols.filter((s) => engine.has(s)).map((s) => [s, engine.book(s).seq] as const);
      const locked = () => [this.sql.lockProducts(db, symbols), selectEntriesAfter(db, bookSeqs()), ...this.sql.findExistingClOrdIds(db, wanted)];
      // Product rows, journal rows (under the lock only), then the ClOrdID lookups.
      const split = (results: Rows[][], withJournal: boolean) => ({ products: productsFrom(results[0]!), journal: withJournal ? results[1]! : [], existing: results.slice(withJournal ? 2 : 1) });
      // The locks are asked for only once the group before holds its own (see InFlight.locked).
      if (!speculative) await previous?.locked;
      let read = speculative ? split(await tx.read([this.sql.readProducts(db, symbols), ...this.sql.findExistingClOrdIds(db, wanted)]), false) : split(await tx.read(locked()), true);
      let products = read.products;
      if (speculative && !this.canSpeculate(products, wanted)) {
        // Not now: wait for the groups before, then read again under the lock.
        speculative = false;
        await waitFor(previous!);
        read = split(await tx.run(locked()), true);
        products = read.products;
      }
      if (!speculative) {
        hasLocks();
        // The group before has committed (or failed and its books were rebuilt): the books are
        // the committed state from here on.
        if (previous) await waitFor(previous);
        const journal = read.journal.map(entryFromRow);
        for (const symbol of symbols) {
          const row = products.get(symbol);
          if (!row) continue;
          if (!engine.has(symbol) || engine.book(symbol).seq !== row.seq) {
            touchedBooks.add(symbol);
            // A book here and behind: another replica moved it.
            if (engine.has(symbol)) this.contended.set(symbol, performance.now());
            // No book here: catch-up reads the journal from seq 0 itself (or reloads).
            const entries = engine.has(symbol) ? journal.filter((e) => e.symbol === symbol && e.toSeq <= row.seq) : undefined;
            await catchUp(engine, db, symbol, row.seq, this.options.sync, entries);
          }
        }
      }
      // Existing ClOrdIDs were read before any reload: a reload changes books, never order rows.
      const existing = new Map<string, OrderRecord>();
      for (const row of read.existing.flat()) {
        const o = orderFromRow(row);
        existing.set(clKey(o.accountId, o.clOrdId), o);
      }
      before = new Map(symbols.filter((s) => engine.has(s)).map((s) => [s, engine.book(s).seq] as const));
      const t0 = performance.now();
      work = foldBatch(engine, batch.map((p) => p.request), { ids, products, existing, nowMs: this.now(), touched: touchedBooks, hashEvery: this.hashEvery, session: this.options.session });
      engineMs = performance.now() - t0;
      // What a group speculating on top of this one must know, until this one settles.
      // (A book the fold created had none before: seq 0, as its product row says.)
      for (const [symbol, seq] of work.seqs) if (seq !== (before.get(symbol) ?? 0)) group.fromSeqs.set(symbol, before.get(symbol) ?? 0);
      for (const o of work.orders.values()) if (work.inserted.has(o.id)) group.clKeys.add(clKey(o.accountId, o.clOrdId));
      this.unsettled.add(group);
      matched();
      const priorReads = this.sql.priorRows(db, work);
      const appended = insertEntries(db, work.journal);
      const writes = this.sql.writes(db, work, appended ? [appended] : []);
      let priorRows: Rows[];
      if (speculative) {
        // Locks first (in symbol order, as every batch), then the rows and writes; COMMIT only
        // once the products are as matched and every group before has committed.
        await previous!.locked;
        let results: Rows[][];
        try {
          results = await tx.run([this.sql.lockProducts(db, symbols), ...priorReads, ...writes]);
        } catch (error) {
          // Its writes may have met what it did not know of (another replica's journal entry at
          // the same seq): decided under the lock, in a group of its own kind, not here.
          if (isDatabaseUnavailable(error)) throw error;
          throw new SpeculationFailed((await previous!.settled) ? 'write-failed' : 'previous-failed');
        } finally {
          hasLocks();
        }
        const [lockedRows, ...rest] = results;
        if (!(await waitFor(previous!))) throw new SpeculationFailed('previous-failed');
        const now = productsFrom(lockedRows!);
        for (const [symbol, read] of products) {
          const row = now.get(symbol);
          if (!row || row.seq !== (before.get(symbol) ?? 0) || row.halted !== read.halted || !sameHours(row, read)) throw new SpeculationFailed('product-changed');
        }
        await tx.commit([]);
        priorRows = rest.slice(0, priorReads.length).flat();
      } else {
        const results = await tx.commit([...priorReads, ...writes]);
        priorRows = results.slice(0, priorReads.length).flat();
      }
      // Cannot fail for an order in a book (it has a row); if it did, the books are rebuilt from
      // what was committed and the callers get the error.
      this.sql.hydrate(work, priorRows);
    } catch (error) {
      hasLocks();
      await tx.rollback();
      // The connection goes back first: the rebuild reads through the pool, whose other
      // connection the next group may hold while it waits for this one.
      tx.release();
      // A speculative group's books hold what the groups before it matched: rebuilt once they
      // have settled, they are exactly what committed.
      if (previous) await previous.settled;
      this.unsettled.delete(group);
      // (After a failed group before it, the database is behind what it matched on by that group.)
      if (error instanceof SpeculationFailed) await this.replayBooks(touchedBooks, error.reason === 'previous-failed' ? undefined : before);
      else await this.rebuildAfterFailure(touchedBooks, error);
      throw error;
    } finally {
      tx.release();
      this.unsettled.delete(group);
    }

    const elapsed = performance.now() - started - waitedMs;
    this.ratePerMs = 0.8 * this.ratePerMs + 0.2 * (batch.length / Math.max(1, elapsed));
    const commitMs = elapsed - engineMs;
    this.options.onStats?.({ size: batch.length, engineMs, commitMs, speculative });
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

  /** Whether another replica moved the symbol's book within the last {@link CONTENDED_MS}. */
  private isContended(symbol: string): boolean {
    const at = this.contended.get(symbol);
    if (at === undefined) return false;
    if (performance.now() - at < CONTENDED_MS) return true;
    this.contended.delete(symbol);
    return false;
  }

  /**
   * Rolls back a speculative group's books: each is dropped and brought to the committed seq
   * as a book missing here is, by replaying the journal (from seq 0 while it is short, else from
   * the newest snapshot), the order rows only when neither serves. The replay reports what
   * another replica committed meanwhile, as catch-up does; what this process reported already
   * is not reported again. A book found past the seq it was matched on (`expected`) is marked
   * contended.
   */
  private async replayBooks(symbols: Set<string>, expected: ReadonlyMap<string, number> | undefined): Promise<void> {
    const { engine, knex, sync } = this.options;
    for (const symbol of symbols) {
      try {
        engine.drop(symbol);
        const row = await knex('products').where({ symbol }).first('book_seq');
        if (!row) continue;
        // Not the seq it was matched on: another replica moved the book meanwhile.
        if (expected && Number(row.book_seq) !== (expected.get(symbol) ?? 0)) this.contended.set(symbol, performance.now());
        await catchUp(engine, knex, symbol, Number(row.book_seq), sync);
      } catch {
        // The database is unreachable: the book stays dropped; the next command reloads it.
        engine.drop(symbol);
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

/** Whether two reads of a product give it the same trading hours. */
function sameHours(a: ProductLock, b: ProductLock): boolean {
  const x = a.hours;
  const y = b.hours;
  if (!x || !y) return x === y;
  return x.timeZone === y.timeZone && x.open === y.open && x.close === y.close && x.days.join() === y.days.join();
}
