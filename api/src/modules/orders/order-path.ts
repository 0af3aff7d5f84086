import type {
  Command,
  EngineEvent,
  LastTrade,
  MatchingEngine,
  OrderState,
  OrdType,
  RestingOrder,
  Side,
  TimeInForce,
} from '../../engine/index.js';
import type { Dialect } from '../../db/orm.js';
import type { Knex } from '../../db/knex.js';
import type { IdAllocator } from '../../db/id-allocator.js';
import { DomainError, engineError } from '../../errors.js';
import {
  OPEN_STATUSES,
  executionFromRow,
  executionToRow,
  orderFromRow,
  orderToRow,
  withState,
  type Channel,
  type ExecutionRecord,
  type OrderRecord,
} from './order-record.js';

/** A new order, validated at the edge (symbol exists, integers in range, price on tick). */
export interface NewOrderRequest {
  readonly kind: 'new';
  readonly accountId: number;
  readonly clOrdId: string;
  /**
   * True when the server made the ClOrdID up (a random UUID; the client sent none): it cannot
   * name an earlier order, so the retry lookup skips it (the unique key still guards it).
   */
  readonly clOrdIdGenerated?: boolean;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType;
  readonly tif: TimeInForce;
  /** Ticks; 0 for market orders. */
  readonly priceTicks: number;
  readonly qty: number;
  readonly postOnly: boolean;
  readonly channel: Channel;
}

/** Cancel an open order. `accountId` undefined = on behalf of an admin (no ownership check). */
export interface CancelRequest {
  readonly kind: 'cancel';
  readonly accountId?: number;
  readonly orderId: number;
  readonly symbol: string;
  readonly channel: Channel;
}

/** Cancel/replace: `qty` is the new total quantity; `priceTicks` undefined keeps the price. */
export interface AmendRequest {
  readonly kind: 'amend';
  readonly accountId?: number;
  readonly orderId: number;
  readonly symbol: string;
  readonly qty: number;
  readonly priceTicks?: number;
  readonly channel: Channel;
}

export type OrderRequest = NewOrderRequest | CancelRequest | AmendRequest;

/** What the caller gets once the request's transaction has committed. */
export interface OrderOutcome {
  /** The order's committed state at the end of the transaction. */
  readonly order: OrderRecord;
  /** True when a new order's ClOrdID already existed: `order` is the existing order, nothing was done. */
  readonly duplicate: boolean;
  /** The engine events this request caused (empty for a duplicate). */
  readonly events: readonly EngineEvent[];
}

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
  /** Wall clock in ms; the engine gets its time from here. */
  readonly now?: () => number;
  /** Largest number of requests committed in one transaction. */
  readonly maxBatch?: number;
  readonly onStats?: (stats: BatchStats) => void;
  /** Called when a batch failed and its books were rebuilt from the database. */
  readonly onFailure?: (error: unknown, symbols: readonly string[]) => void;
}

interface Pending {
  readonly request: OrderRequest;
  readonly resolve: (o: OrderOutcome) => void;
  readonly reject: (e: unknown) => void;
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
  private idle: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | undefined;

  constructor(private readonly options: OrderPathOptions) {
    this.now = options.now ?? Date.now;
    this.maxBatch = options.maxBatch ?? 256;
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
    return new Promise<OrderOutcome>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
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
   * it on (`book_seq` ahead of the book's seq). Serialized with matching. Resolves when done.
   */
  syncBook(symbol: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.tasks.push(async () => {
        try {
          const row = await this.options.knex('products').where({ symbol }).first('book_seq');
          const { engine } = this.options;
          if (row && (!engine.has(symbol) || engine.book(symbol).seq !== Number(row.book_seq))) await this.reloadBook(symbol);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
      this.kick();
    });
  }

  /** Number of requests waiting for the next transaction. */
  get queued(): number {
    return this.queue.length;
  }

  /** Rebuilds one symbol's book from the database (recovery and catch-up). */
  async reloadBook(symbol: string, trx: Knex | Knex.Transaction = this.options.knex): Promise<void> {
    const product = await trx('products').where({ symbol }).first('book_seq');
    const rows = await trx('orders')
      .where({ symbol, ord_type: 'LIMIT' })
      .whereIn('status', OPEN_STATUSES as string[])
      .select('*');
    const last = await trx('executions').where({ symbol }).orderBy('id', 'desc').first('*');
    const lastTrade: LastTrade | undefined = last
      ? { price: Number(last.price_ticks), qty: Number(last.qty), tradeId: Number(last.trade_id), timestamp: executionFromRow(last).createdAt.getTime() }
      : undefined;
    this.options.engine.restore(symbol, toResting(rows.map(orderFromRow)), Number(product?.book_seq ?? 0), lastTrade);
  }

  /** Rebuilds every book that has open orders or history (start-up). Returns the number of books. */
  async loadAllBooks(): Promise<number> {
    const { knex } = this.options;
    const rows = await knex('orders').where({ ord_type: 'LIMIT' }).whereIn('status', OPEN_STATUSES as string[]).select('*');
    const bySymbol = new Map<string, OrderRecord[]>();
    for (const r of rows.map(orderFromRow)) {
      const list = bySymbol.get(r.symbol) ?? [];
      list.push(r);
      bySymbol.set(r.symbol, list);
    }
    const products = await knex('products').where('book_seq', '>', 0).select('symbol', 'book_seq');
    const lastTrades = await lastTradesBySymbol(knex);
    for (const p of products) {
      const symbol = String(p.symbol);
      this.options.engine.restore(symbol, toResting(bySymbol.get(symbol) ?? []), Number(p.book_seq), lastTrades.get(symbol));
    }
    return products.length;
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

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.tasks.length > 0) {
        for (const task of this.tasks.splice(0)) await task();
        if (this.queue.length === 0) continue;
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.commit(batch);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          for (const p of batch) {
            try {
              await this.commit([p]);
            } catch (e) {
              p.reject(e);
            }
          }
        }
      }
    } finally {
      this.draining = false;
      this.idleResolve?.();
    }
  }

  /** Commits one group. Resolves each request's promise (or rejects those the engine refused). */
  private async commit(batch: Pending[]): Promise<void> {
    const { knex, engine } = this.options;
    const started = performance.now();
    const symbols = [...new Set(batch.map((p) => p.request.symbol))].sort();
    const newCount = batch.filter((p) => p.request.kind === 'new').length;
    const ids = newCount > 0 ? await this.options.ids.take(newCount) : [];
    let engineMs = 0;
    const touchedBooks = new Set<string>();

    let work: BatchWork;
    try {
      work = await knex.transaction(async (trx) => {
        const wanted = batch.flatMap((p) => (p.request.kind === 'new' && !p.request.clOrdIdGenerated ? [p.request] : []));
        const [lockRows, ...existingRows] = await this.run(trx, [this.lockProducts(trx, symbols), ...this.findExistingClOrdIds(trx, wanted)]);
        const products = productsFrom(lockRows!);
        for (const symbol of symbols) {
          const row = products.get(symbol);
          if (!row) continue;
          if (!engine.has(symbol) || engine.book(symbol).seq !== row.seq) {
            touchedBooks.add(symbol);
            await this.reloadBook(symbol, trx);
          }
        }
        // Existing ClOrdIDs were read before any reload: a reload changes books, never order rows.
        const existing = new Map<string, OrderRecord>();
        for (const row of existingRows.flat()) {
          const o = orderFromRow(row);
          existing.set(clKey(o.accountId, o.clOrdId), o);
        }
        const t0 = performance.now();
        const w = this.apply(batch, ids, products, existing, touchedBooks);
        engineMs = performance.now() - t0;
        await this.hydrate(trx, w);
        await this.write(trx, w);
        return w;
      }, this.options.dialect === 'mysql' && !this.options.multiStatements ? { isolationLevel: 'read committed' } : undefined);
    } catch (error) {
      await this.rebuildAfterFailure(touchedBooks, error);
      throw error;
    }

    const commitMs = performance.now() - started - engineMs;
    this.options.onStats?.({ size: batch.length, engineMs, commitMs });
    const committed: CommittedBatch = {
      events: work.events,
      orders: work.orders,
      executions: work.executions,
      outcomes: work.results.flatMap((r, i) => (r instanceof DomainError ? [] : [{ request: batch[i]!.request, outcome: r }])),
      seqs: work.seqs,
    };
    batch.forEach((p, i) => {
      const r = work.results[i]!;
      if (r instanceof DomainError) p.reject(r);
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

  /**
   * Runs statements in order and returns each one's rows (empty for writes): in one round trip
   * when the connection takes several statements per query, else one by one.
   */
  private async run(trx: Knex.Transaction, statements: readonly Statement[]): Promise<Record<string, unknown>[][]> {
    if (statements.length === 0) return [];
    if (!this.options.multiStatements || statements.length === 1) {
      const out: Record<string, unknown>[][] = [];
      for (const s of statements) {
        const r: unknown = await s;
        out.push(Array.isArray(r) ? (r as Record<string, unknown>[]) : []);
      }
      return out;
    }
    const parts = statements.map((s) => s.toSQL().toNative());
    // mysql2 answers a multi-statement query with [results, fields]: one entry per statement.
    const [results] = (await trx.raw(parts.map((p) => p.sql).join(';\n'), parts.flatMap((p) => p.bindings) as never[])) as [unknown[]];
    return results.map((r) => (Array.isArray(r) ? (r as Record<string, unknown>[]) : []));
  }

  /** Locks the products of a batch (symbol order, so replicas never deadlock) and reads their book seq. */
  private lockProducts(trx: Knex.Transaction, symbols: string[]): Statement {
    const q = trx('products').whereIn('symbol', symbols).orderBy('symbol').select('symbol', 'book_seq', 'status', 'last_price_ticks');
    return this.options.dialect === 'mysql' ? q.forUpdate() : q;
  }

  /** The orders that already carry a new request's (account, ClOrdID): one query per chunk, any number of accounts. */
  private findExistingClOrdIds(trx: Knex.Transaction, wanted: readonly NewOrderRequest[]): Statement[] {
    const out: Statement[] = [];
    for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
      const chunk = wanted.slice(i, i + LOOKUP_CHUNK);
      out.push(
        trx('orders')
          .where((q) => {
            for (const r of chunk) void q.orWhere({ account_id: r.accountId, cl_ord_id: r.clOrdId });
          })
          .select('*'),
      );
    }
    return out;
  }

  /** Runs the batch through the engine (synchronously) and gathers what must be written. */
  private apply(
    batch: Pending[],
    ids: number[],
    products: Map<string, ProductLock>,
    existing: Map<string, OrderRecord>,
    touchedBooks: Set<string>,
  ): BatchWork {
    const { engine } = this.options;
    const w: BatchWork = {
      results: [],
      orders: new Map(),
      inserted: new Set(),
      executions: [],
      events: new Map(),
      seqs: new Map(),
      lastTrades: new Map(),
      prior: new Set(),
    };
    const nowMs = this.now();
    const now = new Date(nowMs);
    let nextId = 0;
    for (const p of batch) {
      const req = p.request;
      const product = products.get(req.symbol);
      if (!product) {
        w.results.push(new DomainError('NOT_FOUND', 'UNKNOWN_SYMBOL', `No product ${req.symbol}.`));
        continue;
      }
      if (req.kind === 'new') {
        const key = clKey(req.accountId, req.clOrdId);
        const dup = existing.get(key);
        if (dup) {
          w.results.push({ order: dup, duplicate: true, events: [] });
          continue;
        }
        if (product.halted) {
          w.results.push(new DomainError('CONFLICT', 'SYMBOL_HALTED', `Trading in ${req.symbol} is halted.`));
          continue;
        }
        const id = ids[nextId++]!;
        touchedBooks.add(req.symbol);
        const cmd: Command = {
          type: 'new',
          orderId: id,
          account: req.accountId,
          side: req.side,
          ordType: req.ordType,
          tif: req.tif,
          price: req.ordType === 'LIMIT' ? req.priceTicks : undefined,
          qty: req.qty,
          postOnly: req.postOnly,
          timestamp: nowMs,
        };
        const seqBefore = engine.book(req.symbol).seq;
        const result = engine.execute(req.symbol, cmd);
        const record: OrderRecord = {
          id,
          clOrdId: req.clOrdId,
          accountId: req.accountId,
          symbol: req.symbol,
          side: req.side,
          ordType: req.ordType,
          tif: req.tif,
          postOnly: req.postOnly,
          priceTicks: req.ordType === 'LIMIT' ? req.priceTicks : 0,
          qty: req.qty,
          cumQty: 0,
          leavesQty: result.code === 'OK' ? req.qty : 0,
          cumNotional: 0,
          status: result.code === 'OK' ? 'NEW' : 'REJECTED',
          reason: result.code === 'OK' ? null : result.code,
          prioritySeq: seqBefore + 1,
          createdAt: now,
          updatedAt: now,
        };
        w.orders.set(id, record);
        w.inserted.add(id);
        // An engine refusal of a new order is still an order: it is recorded as REJECTED (FIX ExecType 8).
        this.absorb(w, req.symbol, result.events, now);
        const outcome: OrderOutcome = { order: w.orders.get(id)!, duplicate: false, events: result.events };
        w.results.push(outcome);
        existing.set(key, outcome.order);
        continue;
      }
      touchedBooks.add(req.symbol);
      const cmd: Command =
        req.kind === 'cancel'
          ? { type: 'cancel', orderId: req.orderId, account: req.accountId, timestamp: nowMs }
          : { type: 'amend', orderId: req.orderId, account: req.accountId, qty: req.qty, price: req.priceTicks, timestamp: nowMs };
      const result = engine.execute(req.symbol, cmd);
      if (result.code !== 'OK') {
        w.results.push(engineError(result.code));
        continue;
      }
      this.absorb(w, req.symbol, result.events, now);
      const order = w.orders.get(req.orderId);
      if (!order) {
        // The engine knew an order the database does not: a bug, never a user error.
        throw new Error(`order ${req.orderId} changed in the book but has no row`);
      }
      w.results.push({ order, duplicate: false, events: result.events });
    }
    for (const symbol of products.keys()) {
      if (engine.has(symbol)) w.seqs.set(symbol, engine.book(symbol).seq);
    }
    return w;
  }

  /** Folds engine events into the batch: order states, fills, seqs. */
  private absorb(w: BatchWork, symbol: string, events: readonly EngineEvent[], now: Date): void {
    if (events.length === 0) return;
    const list = w.events.get(symbol) ?? [];
    w.events.set(symbol, list);
    for (const e of events) {
      list.push(e);
      switch (e.type) {
        case 'accepted':
          this.setState(w, e.order, now, { prioritySeq: e.seq });
          break;
        case 'amended':
          this.setState(w, e.order, now, e.priorityKept ? {} : { prioritySeq: e.seq });
          break;
        case 'canceled':
          this.setState(w, e.order, now, { reason: e.reason });
          break;
        case 'expired':
          this.setState(w, e.order, now, { reason: 'DAY_EXPIRED' });
          break;
        case 'rejected':
          break;
        case 'trade': {
          this.setState(w, e.maker, now);
          this.setState(w, e.taker, now);
          const buy = e.maker.side === 'BUY' ? e.maker : e.taker;
          const sell = e.maker.side === 'BUY' ? e.taker : e.maker;
          for (const [o, other] of [[buy, sell], [sell, buy]] as const) {
            w.executions.push({
              execId: `${symbol}:${e.tradeId}:${o.side === 'BUY' ? 'B' : 'S'}`,
              tradeId: e.tradeId,
              symbol,
              orderId: o.orderId,
              accountId: o.account,
              side: o.side,
              maker: o === e.maker,
              priceTicks: e.price,
              qty: e.qty,
              counterOrderId: other.orderId,
              createdAt: now,
            });
          }
          w.lastTrades.set(symbol, { price: e.price, at: now });
          break;
        }
      }
    }
  }

  private setState(w: BatchWork, s: OrderState, now: Date, extra?: Partial<OrderRecord>): void {
    const current = w.orders.get(s.orderId);
    if (current) {
      w.orders.set(s.orderId, withState(current, s, now, extra));
      return;
    }
    // A resting order from an earlier transaction: a stub until hydrate() reads its row.
    w.orders.set(
      s.orderId,
      withState(
        {
          id: s.orderId,
          clOrdId: '',
          accountId: s.account,
          symbol: '',
          side: s.side,
          ordType: s.ordType,
          tif: s.tif,
          postOnly: false,
          priceTicks: s.price,
          qty: s.qty,
          cumQty: s.cumQty,
          leavesQty: s.leavesQty,
          cumNotional: s.cumNotional,
          status: s.status,
          reason: null,
          prioritySeq: -1,
          createdAt: now,
          updatedAt: now,
        },
        s,
        now,
        extra,
      ),
    );
    w.prior.add(s.orderId);
  }

  /** Replaces the stubs of orders from earlier transactions with their full rows plus the new state. */
  private async hydrate(trx: Knex.Transaction, w: BatchWork): Promise<void> {
    const ids = [...w.prior];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await trx('orders').whereIn('id', ids.slice(i, i + 500)).select('*');
      for (const row of rows) {
        const full = orderFromRow(row);
        const stub = w.orders.get(full.id)!;
        w.orders.set(full.id, {
          ...full,
          priceTicks: stub.priceTicks,
          qty: stub.qty,
          cumQty: stub.cumQty,
          leavesQty: stub.leavesQty,
          cumNotional: stub.cumNotional,
          status: stub.status,
          updatedAt: stub.updatedAt,
          reason: stub.reason ?? full.reason,
          prioritySeq: stub.prioritySeq >= 0 ? stub.prioritySeq : full.prioritySeq,
        });
        w.prior.delete(full.id);
      }
    }
    if (w.prior.size > 0) throw new Error(`orders ${[...w.prior].join(',')} changed in the book but have no row`);
  }

  private async write(trx: Knex.Transaction, w: BatchWork): Promise<void> {
    const inserts: Record<string, unknown>[] = [];
    const updates: OrderRecord[] = [];
    for (const o of w.orders.values()) {
      if (w.inserted.has(o.id)) inserts.push(orderToRow(o));
      else updates.push(o);
    }
    // Multi-row INSERTs in this transaction (knex's batchInsert would open a nested one: a savepoint per call).
    const statements: Statement[] = [];
    for (let i = 0; i < inserts.length; i += INSERT_CHUNK) statements.push(trx('orders').insert(inserts.slice(i, i + INSERT_CHUNK)));
    statements.push(...this.updateOrders(trx, updates));
    const executions = w.executions.map(executionToRow);
    for (let i = 0; i < executions.length; i += INSERT_CHUNK) statements.push(trx('executions').insert(executions.slice(i, i + INSERT_CHUNK)));
    const products = this.updateProducts(trx, w);
    if (products) statements.push(products);
    await this.run(trx, statements);
  }

  /** Every touched product's book seq (and last trade) in one UPDATE … CASE. */
  private updateProducts(trx: Knex.Transaction, w: BatchWork): Statement | undefined {
    const symbols = [...w.seqs.keys()];
    if (symbols.length === 0) return undefined;
    const bindings: unknown[] = [];
    const sets: string[] = [];
    const caseOf = (col: string, entries: [string, unknown][]) => {
      if (entries.length === 0) return;
      sets.push(`${col} = CASE symbol ${entries.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${col} END`);
      for (const [symbol, v] of entries) bindings.push(symbol, v);
    };
    caseOf('book_seq', [...w.seqs]);
    const traded = [...w.lastTrades].filter(([symbol]) => w.seqs.has(symbol));
    caseOf('last_price_ticks', traded.map(([symbol, t]) => [symbol, t.price]));
    caseOf('last_trade_at', traded.map(([symbol, t]) => [symbol, t.at]));
    caseOf('updated_at', traded.map(([symbol, t]) => [symbol, t.at]));
    bindings.push(...symbols);
    return trx.raw(`UPDATE products SET ${sets.join(', ')} WHERE symbol IN (${symbols.map(() => '?').join(', ')})`, bindings as never[]);
  }

  /** One UPDATE … CASE per 200 changed resting orders. */
  private updateOrders(trx: Knex.Transaction, orders: OrderRecord[]): Statement[] {
    const out: Statement[] = [];
    const cols: [string, (o: OrderRecord) => unknown][] = [
      ['price_ticks', (o) => o.priceTicks],
      ['qty', (o) => o.qty],
      ['cum_qty', (o) => o.cumQty],
      ['leaves_qty', (o) => o.leavesQty],
      ['cum_notional', (o) => o.cumNotional],
      ['status', (o) => o.status],
      ['reason', (o) => o.reason],
      ['priority_seq', (o) => o.prioritySeq],
      ['updated_at', (o) => o.updatedAt],
    ];
    for (let i = 0; i < orders.length; i += 200) {
      const chunk = orders.slice(i, i + 200);
      const sets: string[] = [];
      const bindings: unknown[] = [];
      for (const [col, get] of cols) {
        sets.push(`${col} = CASE id ${chunk.map(() => 'WHEN ? THEN ?').join(' ')} END`);
        for (const o of chunk) bindings.push(o.id, get(o));
      }
      bindings.push(...chunk.map((o) => o.id));
      out.push(trx.raw(`UPDATE orders SET ${sets.join(', ')} WHERE id IN (${chunk.map(() => '?').join(', ')})`, bindings as never[]));
    }
    return out;
  }

  private async rebuildAfterFailure(symbols: Set<string>, error: unknown): Promise<void> {
    const list = [...symbols];
    for (const symbol of list) {
      try {
        await this.reloadBook(symbol);
      } catch {
        // The database is unreachable: drop the book; the next command reloads it (seq check).
        this.options.engine.drop(symbol);
      }
    }
    this.options.onFailure?.(error, list);
  }
}

/** One SQL statement of a transaction, built but not yet sent. */
type Statement = Knex.QueryBuilder | Knex.Raw;

type ProductLock = { seq: number; halted: boolean; lastPrice: number | null };

function productsFrom(rows: readonly Record<string, unknown>[]): Map<string, ProductLock> {
  return new Map(
    rows.map((r) => [
      String(r.symbol),
      { seq: Number(r.book_seq), halted: r.status === 'HALTED', lastPrice: r.last_price_ticks == null ? null : Number(r.last_price_ticks) },
    ]),
  );
}

interface BatchWork {
  /** Per request, in batch order: its outcome or the DomainError it gets. */
  results: (OrderOutcome | DomainError)[];
  orders: Map<number, OrderRecord>;
  inserted: Set<number>;
  /** Orders from earlier transactions touched here, not yet hydrated with their full rows. */
  prior: Set<number>;
  executions: ExecutionRecord[];
  events: Map<string, EngineEvent[]>;
  seqs: Map<string, number>;
  lastTrades: Map<string, { price: number; at: Date }>;
}

/** Rows per INSERT: SQLite builds multi-row inserts from UNION ALL selects, limited to 500 terms. */
const INSERT_CHUNK = 250;
/** (account, ClOrdID) pairs per lookup query (two bound parameters each; SQLite allows 32,766). */
const LOOKUP_CHUNK = 500;

const clKey = (accountId: number, clOrdId: string) => `${accountId}\u0000${clOrdId}`;

/** Open limit orders → the engine's recovery list, in priority order (bids high→low, asks low→high, then time). */
export function toResting(orders: readonly OrderRecord[]): RestingOrder[] {
  const open = orders.filter((o) => o.ordType === 'LIMIT' && o.leavesQty > 0 && (OPEN_STATUSES as string[]).includes(o.status));
  open.sort((a, b) => {
    if (a.side !== b.side) return a.side === 'BUY' ? -1 : 1;
    if (a.priceTicks !== b.priceTicks) return a.side === 'BUY' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks;
    return a.prioritySeq - b.prioritySeq;
  });
  return open.map((o) => ({
    orderId: o.id,
    account: o.accountId,
    side: o.side,
    tif: o.tif,
    price: o.priceTicks,
    qty: o.qty,
    cumQty: o.cumQty,
    cumNotional: o.cumNotional,
  }));
}

async function lastTradesBySymbol(knex: Knex): Promise<Map<string, LastTrade>> {
  const rows = await knex('executions as e')
    .join(knex('executions').select('symbol').max('id as id').groupBy('symbol').as('m'), 'm.id', 'e.id')
    .select('e.*');
  return new Map(
    rows.map((r: Record<string, unknown>) => [
      String(r.symbol),
      { price: Number(r.price_ticks), qty: Number(r.qty), tradeId: Number(r.trade_id), timestamp: executionFromRow(r).createdAt.getTime() },
    ]),
  );
}

