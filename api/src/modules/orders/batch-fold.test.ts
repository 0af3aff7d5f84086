import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MatchingEngine, OrderBook, assertBookInvariants } from '../../engine/index.js';
import { DomainError } from '../../errors.js';
import { clKey, foldBatch, hydrated, type BatchWork, type FoldContext, type ProductLock } from './batch-fold.js';
import { toResting } from './book-recovery.js';
import type { ExecutionRecord, OrderRecord } from './order-record.js';
import type { NewOrderRequest, OrderRequest, PathRequest } from './order-request.js';
import { applyEntry, type JournalEntry } from './journal.js';

const SYMBOLS = ['AAA', 'BBB'];
const HALTED = 'HLT';

const newRequest = fc
  .record({
    accountId: fc.integer({ min: 1, max: 3 }),
    clOrdId: fc.integer({ min: 1, max: 40 }).map((n) => `c${n}`),
    symbol: fc.constantFrom(...SYMBOLS, ...SYMBOLS, HALTED, 'NOPE'),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    limit: fc.boolean(),
    tif: fc.constantFrom('GTC' as const, 'DAY' as const, 'IOC' as const, 'FOK' as const),
    priceTicks: fc.integer({ min: 97, max: 103 }),
    qty: fc.integer({ min: 1, max: 10 }),
    postOnly: fc.boolean(),
  })
  .map(({ limit, ...r }): OrderRequest => ({
    kind: 'new',
    ...r,
    ordType: limit ? 'LIMIT' : 'MARKET',
    tif: limit ? r.tif : r.tif === 'FOK' ? 'FOK' : 'IOC',
    priceTicks: limit ? r.priceTicks : 0,
    postOnly: limit && r.postOnly,
    channel: 'graphql',
  }));

const cancelRequest = fc
  .record({ orderId: fc.integer({ min: 1, max: 60 }), symbol: fc.constantFrom(...SYMBOLS), accountId: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }) })
  .map((r): OrderRequest => ({ kind: 'cancel', ...r, channel: 'graphql' }));

const amendRequest = fc
  .record({
    orderId: fc.integer({ min: 1, max: 60 }),
    symbol: fc.constantFrom(...SYMBOLS),
    accountId: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    qty: fc.integer({ min: 1, max: 12 }),
    priceTicks: fc.option(fc.integer({ min: 97, max: 103 }), { nil: undefined }),
  })
  .map((r): OrderRequest => ({ kind: 'amend', ...r, channel: 'graphql' }));

/** End of session for a symbol; closes are small numbers, so repeats and out-of-order ones are common. */
const expireRequest = fc
  .record({ symbol: fc.constantFrom(...SYMBOLS), closeMs: fc.integer({ min: 1, max: 6 }) })
  .map((r): PathRequest => ({ kind: 'expire', ...r }));

const request = fc.oneof(
  { weight: 6, arbitrary: newRequest as fc.Arbitrary<PathRequest> },
  { weight: 2, arbitrary: cancelRequest },
  { weight: 2, arbitrary: amendRequest },
  { weight: 1, arbitrary: expireRequest },
);
const batches = fc.array(fc.array(request, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 25 });

/** The database, as a map of rows, written the way the order path's SQL writes them. */
class MemoryStore {
  readonly orders = new Map<number, OrderRecord>();
  readonly executions: ExecutionRecord[] = [];
  readonly seqs = new Map<string, number>();
  /** products.day_expired_through */
  readonly expiredThrough = new Map<string, number>();
  private nextId = 1;

  products(): Map<string, ProductLock> {
    const out = new Map<string, ProductLock>();
    for (const s of SYMBOLS) out.set(s, { seq: this.seqs.get(s) ?? 0, halted: false, lastPrice: null, expiredThrough: this.expiredThrough.get(s) ?? 0 });
    out.set(HALTED, { seq: 0, halted: true, lastPrice: null });
    return out;
  }

  /** One batch through the fold, then hydrate + write, as the order path does inside its transaction. */
  commit(engine: MatchingEngine, requests: readonly PathRequest[], nowMs: number, session?: FoldContext['session']): BatchWork {
    const ids = requests.filter((r) => r.kind === 'new').map(() => this.nextId++);
    const existing = new Map<string, OrderRecord>();
    for (const o of this.orders.values()) existing.set(clKey(o.accountId, o.clOrdId), o);
    const w = foldBatch(engine, requests, { ids, products: this.products(), existing, nowMs, touched: new Set(), hashEvery: 3, session });
    for (const id of [...w.prior]) {
      const full = this.orders.get(id);
      expect(full, `order ${id} touched by the batch has a row`).toBeDefined();
      w.orders.set(id, hydrated(w.orders.get(id)!, full!));
      w.prior.delete(id);
    }
    for (const o of w.orders.values()) {
      expect(w.inserted.has(o.id)).toBe(!this.orders.has(o.id));
      this.orders.set(o.id, o);
    }
    this.executions.push(...w.executions);
    for (const [s, seq] of w.seqs) this.seqs.set(s, seq);
    for (const [s, through] of w.expiredThrough) this.expiredThrough.set(s, through);
    return w;
  }
}

/** Runs batches on a fresh engine and store; checks the store against the engine after each. */
function run(input: readonly (readonly PathRequest[])[]) {
  const engine = new MatchingEngine();
  const store = new MemoryStore();
  const works: BatchWork[] = [];
  /** The reference model of expiry: a close is performed once, and only after every earlier one. */
  const expiredThrough = new Map<string, number>();
  input.forEach((requests, i) => {
    const w = store.commit(engine, requests, 1_000 + i);
    works.push(w);
    expect(w.results).toHaveLength(requests.length);
    requests.forEach((r, j) => {
      const result = w.results[j]!;
      if (r.kind === 'expire') {
        const due = r.closeMs > (expiredThrough.get(r.symbol) ?? 0);
        expect(result).toMatchObject({ kind: 'expire', performed: due });
        if (due) expiredThrough.set(r.symbol, r.closeMs);
        return;
      }
      if (result instanceof DomainError || 'kind' in result) {
        if (r.symbol === 'NOPE') expect(result).toMatchObject({ code: 'NOT_FOUND' });
        return;
      }
      expect(r.symbol).not.toBe('NOPE');
      if (r.kind === 'new' && r.symbol === HALTED) expect(result.duplicate).toBe(true);
      if (!result.duplicate && r.kind === 'new') expect(result.order.clOrdId).toBe(r.clOrdId);
    });
    // After a performed expiry, no DAY order placed before it rests.
    for (const [j, r] of requests.entries()) {
      const result = w.results[j]!;
      if (r.kind !== 'expire' || !('kind' in result) || !result.performed) continue;
      const placedLater = new Set(requests.slice(j + 1).flatMap((q, k) => {
        const o = w.results[j + 1 + k];
        return q.kind === 'new' && o && !(o instanceof DomainError) && 'order' in o ? [o.order.id] : [];
      }));
      const day = engine.book(r.symbol).restingOrders().filter((o) => o.tif === 'DAY' && !placedLater.has(o.orderId));
      expect(day, 'DAY orders left after the expiry').toEqual([]);
    }
    for (const symbol of SYMBOLS) {
      if (!engine.has(symbol)) continue;
      const book = engine.book(symbol);
      assertBookInvariants(book);
      expect(store.seqs.get(symbol) ?? 0).toBe(book.seq);
      // The rows, restored as a book, equal the live book.
      const rows = [...store.orders.values()].filter((o) => o.symbol === symbol);
      expect(OrderBook.restore(symbol, toResting(rows), book.seq).restingOrders()).toEqual(book.restingOrders());
    }
  });
  return { engine, store, works };
}

describe('foldBatch', () => {
  it('leaves rows that rebuild the live books, fills that add up to each order, and one order per ClOrdID', () => {
    fc.assert(
      fc.property(batches, (input) => {
        const { store } = run(input);
        const filled = new Map<number, number>();
        for (const e of store.executions) filled.set(e.orderId, (filled.get(e.orderId) ?? 0) + e.qty);
        const keys = new Set<string>();
        for (const o of store.orders.values()) {
          expect(o.cumQty, `order ${o.id}`).toBe(filled.get(o.id) ?? 0);
          expect(o.cumQty).toBeLessThanOrEqual(o.qty);
          if (!['NEW', 'PARTIALLY_FILLED'].includes(o.status)) expect(o.leavesQty).toBe(0);
          const key = clKey(o.accountId, o.clOrdId);
          expect(keys.has(key), `ClOrdID ${o.clOrdId} of ${o.accountId} twice`).toBe(false);
          keys.add(key);
        }
        const trades = new Map<string, ExecutionRecord[]>();
        for (const e of store.executions) trades.set(`${e.symbol}:${e.tradeId}`, [...(trades.get(`${e.symbol}:${e.tradeId}`) ?? []), e]);
        for (const [k, sides] of trades) {
          expect(sides.map((s) => s.side).sort(), k).toEqual(['BUY', 'SELL']);
          expect(sides.filter((s) => s.maker)).toHaveLength(1);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic: the same batches at the same times give the same work', () => {
    fc.assert(
      fc.property(batches, (input) => {
        const a = run(input);
        const b = run(input);
        const strip = (w: BatchWork) => ({ ...w, results: w.results.map((r) => (r instanceof DomainError ? r.reason : r)) });
        expect(b.works.map(strip)).toEqual(a.works.map(strip));
        for (const s of SYMBOLS) expect(b.engine.has(s) && b.engine.book(s).stateHash()).toBe(a.engine.has(s) && a.engine.book(s).stateHash());
      }),
      { numRuns: 50 },
    );
  });

  it('answers a retried ClOrdID with the existing order and changes nothing', () => {
    const engine = new MatchingEngine();
    const store = new MemoryStore();
    const req: OrderRequest = { kind: 'new', accountId: 1, clOrdId: 'x', symbol: 'AAA', side: 'BUY', ordType: 'LIMIT', tif: 'GTC', priceTicks: 100, qty: 5, postOnly: false, channel: 'fix' };
    const first = store.commit(engine, [req], 1);
    const seq = engine.book('AAA').seq;
    const again = store.commit(engine, [req, req], 2);
    expect(again.results).toEqual([
      { order: first.orders.get(1), duplicate: true, events: [] },
      { order: first.orders.get(1), duplicate: true, events: [] },
    ]);
    expect(engine.book('AAA').seq).toBe(seq);
    expect(store.orders.size).toBe(1);
  });

  it('writes a journal whose replay on empty books gives the same books, seq for seq and hash for hash', () => {
    fc.assert(
      fc.property(batches, (input) => {
        const { engine, works } = run(input);
        const replica = new MatchingEngine();
        const last = new Map<string, number>();
        for (const entry of works.flatMap((w) => w.journal)) {
          expect(entry.toSeq).toBeGreaterThan(entry.fromSeq);
          expect(entry.fromSeq, 'entries chain').toBe(last.get(entry.symbol) ?? 0);
          last.set(entry.symbol, entry.toSeq);
          // Through JSON, as the database and the bus carry it.
          expect(applyEntry(replica, JSON.parse(JSON.stringify(entry)) as JournalEntry)).toBe('applied');
          expect(applyEntry(replica, entry), 'an entry heard twice').toBe('stale');
        }
        for (const s of SYMBOLS) {
          expect(replica.has(s)).toBe(engine.has(s) && engine.book(s).seq > 0);
          if (replica.has(s)) expect(replica.book(s).stateHash()).toBe(engine.book(s).stateHash());
        }
      }),
      { numRuns: 100 },
    );
  });

  it('records the state hash when an entry reaches a multiple of hashEvery', () => {
    const { works } = run([[newOrder(1, 'BUY', 100)], [newOrder(2, 'BUY', 99)], [newOrder(3, 'SELL', 101)], [newOrder(4, 'SELL', 100)], [newOrder(5, 'BUY', 98)]]);
    const entries = works.flatMap((w) => w.journal);
    expect(entries.map((e) => [e.fromSeq, e.toSeq, e.stateHash !== null])).toEqual([
      [0, 1, false],
      [1, 2, false],
      [2, 3, true],
      [3, 5, false],
      [5, 6, true],
    ]);
  });
});

describe('foldBatch and trading sessions', () => {
  it('refuses new orders and amends with MARKET_CLOSED while closed, and still cancels', () => {
    const engine = new MatchingEngine();
    const store = new MemoryStore();
    store.commit(engine, [newOrder(1, 'BUY', 100), newOrder(2, 'BUY', 99)], 1);
    const closed = () => ({ open: false, lastClose: 0, nextOpen: 10_000, nextClose: 20_000 });
    const w = store.commit(
      engine,
      [newOrder(3, 'SELL', 100), { kind: 'amend', orderId: 1, symbol: 'AAA', qty: 3, channel: 'graphql' }, { kind: 'cancel', orderId: 2, symbol: 'AAA', channel: 'graphql' }],
      2,
      closed,
    );
    expect(w.results.map((r) => (r instanceof DomainError ? r.reason : 'order' in r ? r.order.status : r.kind))).toEqual(['MARKET_CLOSED', 'MARKET_CLOSED', 'CANCELED']);
    expect(engine.book('AAA').restingOrders().map((o) => [o.orderId, o.qty])).toEqual([[1, 5]]);
  });

  it('expires DAY orders and leaves GTC ones, once per close, journaling the command', () => {
    const engine = new MatchingEngine();
    const store = new MemoryStore();
    store.commit(engine, [{ ...newOrder(1, 'BUY', 100), tif: 'DAY' }, newOrder(2, 'BUY', 99)], 1);
    const w = store.commit(engine, [{ kind: 'expire', symbol: 'AAA', closeMs: 500 }, { kind: 'expire', symbol: 'AAA', closeMs: 500 }], 2);
    expect(w.results).toEqual([
      { kind: 'expire', performed: true, expired: 1 },
      { kind: 'expire', performed: false, expired: 0 },
    ]);
    expect(w.orders.get(1)).toMatchObject({ status: 'EXPIRED', reason: 'DAY_EXPIRED', leavesQty: 0 });
    expect(w.orders.has(2)).toBe(false);
    expect(w.expiredThrough).toEqual(new Map([['AAA', 500]]));
    expect(w.journal.map((e) => e.commands)).toEqual([[{ type: 'expireDay', timestamp: 2 }]]);
    // Another replica (or a retry) for the same close, in a later batch: nothing.
    const again = store.commit(engine, [{ kind: 'expire', symbol: 'AAA', closeMs: 500 }], 3);
    expect(again.results).toEqual([{ kind: 'expire', performed: false, expired: 0 }]);
    expect(again.journal).toEqual([]);
  });

  it('expires a close the scheduler has not reached before the first request after it, and only once', () => {
    const engine = new MatchingEngine();
    const store = new MemoryStore();
    const open = (lastClose: number) => () => ({ open: true, lastClose, nextOpen: 100_000, nextClose: 50_000 });
    store.commit(engine, [{ ...newOrder(1, 'BUY', 100), tif: 'DAY' }, newOrder(2, 'BUY', 99)], 1, open(0));
    // Next session: the first order finds yesterday's close (700) not expired; order 1 expires before order 3 can meet it.
    const w = store.commit(engine, [newOrder(3, 'SELL', 99), { ...newOrder(4, 'BUY', 98), tif: 'DAY' }], 800, open(700));
    expect(w.orders.get(1)).toMatchObject({ status: 'EXPIRED' });
    expect(w.executions.map((e) => e.orderId).sort()).toEqual([2, 3]);
    expect(store.expiredThrough.get('AAA')).toBe(700);
    const later = store.commit(engine, [{ kind: 'expire', symbol: 'AAA', closeMs: 700 }, newOrder(5, 'BUY', 97)], 900, open(700));
    expect(later.results[0]).toEqual({ kind: 'expire', performed: false, expired: 0 });
    expect(engine.book('AAA').restingOrders().map((o) => o.orderId)).toEqual([4, 5]);
  });
});

function newOrder(n: number, side: 'BUY' | 'SELL', priceTicks: number): NewOrderRequest {
  return { kind: 'new', accountId: n, clOrdId: `n${n}`, symbol: 'AAA', side, ordType: 'LIMIT', tif: 'GTC', priceTicks, qty: 5, postOnly: false, channel: 'graphql' };
}
