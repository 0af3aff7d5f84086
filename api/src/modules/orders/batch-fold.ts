import type { Command, EngineEvent, MatchingEngine, OrderState } from '../../engine/index.js';
import { DomainError, engineError } from '../../errors.js';
import { withState, type ExecutionRecord, type OrderRecord } from './order-record.js';
import type { ExpireOutcome, OrderOutcome, PathRequest } from './order-request.js';
import { defaultHours, type SessionState, type TradingHours } from '../products/trading-schedule.js';
import { marketClosed } from '../products/trading-sessions.js';
import { hashDue, type JournalEntry } from './journal.js';

/**
 * The pure part of a batch: requests + the engine → what the transaction must write. No I/O;
 * time and order ids come in as arguments, so the same inputs on the same books give the same
 * work every time.
 */

/** A product row as the batch's lock read it. */
export interface ProductLock {
  /** The committed book sequence number (`products.book_seq`). */
  readonly seq: number;
  readonly halted: boolean;
  readonly lastPrice: number | null;
  /** The product's trading hours. */
  readonly hours?: TradingHours;
  /** The close (ms) up to which its DAY orders have expired (`products.day_expired_through`). */
  readonly expiredThrough?: number;
}

/** What one batch changes, gathered by {@link foldBatch} for the SQL writer and the listeners. */
export interface BatchWork {
  /** Per request, in batch order: its outcome or the DomainError it gets. */
  readonly results: (OrderOutcome | ExpireOutcome | DomainError)[];
  /** Every order whose row changes, in its state at the end of the batch. */
  readonly orders: Map<number, OrderRecord>;
  /** Ids of `orders` that are new rows (the rest are updates). */
  readonly inserted: Set<number>;
  /** Orders from earlier transactions touched here, not yet hydrated with their full rows. */
  readonly prior: Set<number>;
  readonly executions: ExecutionRecord[];
  /** Engine events per symbol, in sequence order. */
  readonly events: Map<string, EngineEvent[]>;
  /** Book seq after the batch, for every locked symbol that has a book. */
  readonly seqs: Map<string, number>;
  readonly lastTrades: Map<string, { price: number; at: Date }>;
  /** One journal entry per symbol whose book moved, with the commands that moved it. */
  readonly journal: JournalEntry[];
  /** New `day_expired_through` per symbol whose close this batch expired. */
  readonly expiredThrough: Map<string, number>;
}

/** Inputs of {@link foldBatch} besides the requests and the engine. */
export interface FoldContext {
  /** Fresh order ids, at least one per new-order request. */
  readonly ids: readonly number[];
  /** The locked product rows of the batch's symbols (a symbol missing here is unknown). */
  readonly products: ReadonlyMap<string, ProductLock>;
  /** Orders already carrying an (account, ClOrdID) of a new request, keyed by {@link clKey}; new orders are added. */
  readonly existing: Map<string, OrderRecord>;
  /** The batch's time, ms since the epoch: every command and row of the batch carries it. */
  readonly nowMs: number;
  /** Symbols whose book the fold changed (or may have changed when it throws): filled in as it goes. */
  readonly touched: Set<string>;
  /** Journal entries record the book's state hash when they reach a multiple of this seq (0 or absent = never). */
  readonly hashEvery?: number;
  /**
   * A product's trading session at the batch's time; absent (or undefined) = always open. Under
   * the row lock, before a symbol's first request of the batch, a close passed and not yet
   * expired is expired inline, so no DAY order outlives its session whenever the scheduler runs;
   * new orders and amends outside the session are refused (MARKET_CLOSED).
   */
  readonly session?: (product: ProductLock, nowMs: number) => SessionState | undefined;
}

/** The key of an (account, ClOrdID) pair in {@link FoldContext.existing}. */
export const clKey = (accountId: number, clOrdId: string): string => `${accountId}\u0000${clOrdId}`;

/**
 * Runs a batch of requests through the engine, in order, and gathers what must be written:
 * new and changed orders (orders from earlier batches as stubs listed in `prior`, to be
 * hydrated from their rows), executions, events, seqs and last trades. Requests the engine or
 * the product refuse get their DomainError in `results`; an exception means a bug.
 */
export function foldBatch(engine: MatchingEngine, requests: readonly PathRequest[], ctx: FoldContext): BatchWork {
  const w: BatchWork = {
    results: [],
    orders: new Map(),
    inserted: new Set(),
    executions: [],
    events: new Map(),
    seqs: new Map(),
    lastTrades: new Map(),
    prior: new Set(),
    journal: [],
    expiredThrough: new Map(),
  };
  const { nowMs, products, existing, touched } = ctx;
  const stp = engine.bookOptions.stp ?? 'CANCEL_RESTING';
  const commands = new Map<string, { fromSeq: number; list: Command[] }>();
  const execute = (symbol: string, cmd: Command) => {
    let j = commands.get(symbol);
    if (!j) commands.set(symbol, (j = { fromSeq: engine.book(symbol).seq, list: [] }));
    j.list.push(cmd);
    return engine.execute(symbol, cmd);
  };
  const now = new Date(nowMs);
  let nextId = 0;
  for (const req of requests) {
    const product = products.get(req.symbol);
    if (!product) {
      w.results.push(new DomainError('NOT_FOUND', 'UNKNOWN_SYMBOL', `No product ${req.symbol}.`));
      continue;
    }
    /** Expires the symbol's DAY orders for the close at `closeMs` unless done; undefined when it was. */
    const expire = (closeMs: number): number | undefined => {
      if (closeMs <= (w.expiredThrough.get(req.symbol) ?? product.expiredThrough ?? 0)) return undefined;
      touched.add(req.symbol);
      const result = execute(req.symbol, { type: 'expireDay', timestamp: nowMs });
      // No DAY order rested: the command changed nothing, and replicas need not replay it.
      if (result.events.length === 0) commands.get(req.symbol)!.list.pop();
      absorb(w, req.symbol, result.events, now);
      w.expiredThrough.set(req.symbol, closeMs);
      return result.events.length;
    };
    if (req.kind === 'expire') {
      const expired = expire(req.closeMs);
      w.results.push({ kind: 'expire', performed: expired !== undefined, expired: expired ?? 0 });
      continue;
    }
    const session = ctx.session?.(product, nowMs);
    if (session) expire(session.lastClose);
    const closed = session !== undefined && !session.open && req.kind !== 'cancel';
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
      if (closed) {
        w.results.push(marketClosed(req.symbol, product.hours ?? defaultHours(req.symbol), session!));
        continue;
      }
      const id = ctx.ids[nextId++];
      if (id === undefined) throw new Error('foldBatch: fewer order ids than new orders');
      touched.add(req.symbol);
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
        stp,
        ...(req.bandPrice !== undefined ? { bandPrice: req.bandPrice } : {}),
        timestamp: nowMs,
      };
      const seqBefore = engine.book(req.symbol).seq;
      const result = execute(req.symbol, cmd);
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
      absorb(w, req.symbol, result.events, now);
      const outcome: OrderOutcome = { order: w.orders.get(id)!, duplicate: false, events: result.events };
      w.results.push(outcome);
      existing.set(key, outcome.order);
      continue;
    }
    if (closed) {
      w.results.push(marketClosed(req.symbol, product.hours ?? defaultHours(req.symbol), session!));
      continue;
    }
    touched.add(req.symbol);
    const cmd: Command =
      req.kind === 'cancel'
        ? { type: 'cancel', orderId: req.orderId, account: req.accountId, ...(req.reason ? { reason: req.reason } : {}), timestamp: nowMs }
        : { type: 'amend', orderId: req.orderId, account: req.accountId, qty: req.qty, price: req.priceTicks, timestamp: nowMs };
    const result = execute(req.symbol, cmd);
    if (result.code !== 'OK') {
      w.results.push(engineError(result.code));
      continue;
    }
    absorb(w, req.symbol, result.events, now);
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
  for (const [symbol, { fromSeq, list }] of commands) {
    const book = engine.book(symbol);
    if (book.seq === fromSeq) continue; // only refusals: the book did not change
    const stateHash = hashDue(fromSeq, book.seq, ctx.hashEvery ?? 0) ? book.stateHash() : null;
    w.journal.push({ symbol, fromSeq, toSeq: book.seq, commands: list, stateHash, time: nowMs });
  }
  return w;
}

/** Folds engine events into the batch: order states, fills, seqs. */
function absorb(w: BatchWork, symbol: string, events: readonly EngineEvent[], now: Date): void {
  if (events.length === 0) return;
  const list = w.events.get(symbol) ?? [];
  w.events.set(symbol, list);
  for (const e of events) {
    list.push(e);
    switch (e.type) {
      case 'accepted':
        setState(w, e.order, now, { prioritySeq: e.seq });
        break;
      case 'amended':
        setState(w, e.order, now, e.priorityKept ? {} : { prioritySeq: e.seq });
        break;
      case 'canceled':
        setState(w, e.order, now, { reason: e.reason });
        break;
      case 'expired':
        setState(w, e.order, now, { reason: 'DAY_EXPIRED' });
        break;
      case 'rejected':
        break;
      case 'trade': {
        setState(w, e.maker, now);
        setState(w, e.taker, now);
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

function setState(w: BatchWork, s: OrderState, now: Date, extra?: Partial<OrderRecord>): void {
  const current = w.orders.get(s.orderId);
  if (current) {
    w.orders.set(s.orderId, withState(current, s, now, extra));
    return;
  }
  // A resting order from an earlier transaction: a stub until the SQL side reads its row (hydrate).
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

/**
 * An order from an earlier batch: its stored row (`full`) with the state the batch gave it
 * (`stub`, from {@link foldBatch}'s `orders`, listed in `prior`).
 */
export function hydrated(stub: OrderRecord, full: OrderRecord): OrderRecord {
  return {
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
  };
}
