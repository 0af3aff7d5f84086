import type { Depth, MatchingEngine } from '../../engine/index.js';
import type { CommittedBatch } from '../orders/order-path.js';
import { executionReports } from '../orders/execution-reports.js';
import type { ProductService } from '../products/product.service.js';
import type { Logger } from '../../logger.js';
import { BOOK_WIRE_DEPTH, orderToWire, type Topics } from './messages.js';
import type { Hub } from './hub.js';
import { tickSizeOf } from '../products/product.service.js';

/** Publishes committed batches on the bus. */
export interface Publisher {
  /** The order path's commit listener. */
  readonly onCommit: (batch: CommittedBatch) => void;
  /** Resolves once every batch committed so far has been published (graceful shutdown). */
  idle(): Promise<void>;
}

/**
 * Turns each committed batch into bus messages: execution reports per account, book tops,
 * trades, quotes and order changes. Runs after the commit (the order path calls listeners
 * only then), so nothing is ever published that the database does not have.
 */
export function createPublisher(deps: {
  pubsub: Hub<Topics>;
  engine: MatchingEngine;
  products: ProductService;
  logger: Logger;
  /**
   * Publish execution reports and order changes (default true). False when a report feed
   * delivers them (several replicas: report-feed.ts); the market data is published here either way.
   */
  reports?: boolean;
}): Publisher {
  const { pubsub, engine, products, logger } = deps;
  const reports = deps.reports ?? true;
  const inFlight = new Set<Promise<void>>();
  return {
    onCommit: (batch) => {
      const p = publish(batch)
        .catch((err: unknown) => logger.error({ component: 'realtime', err }, 'publishing a committed batch failed'))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
    idle: async () => {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };

  async function publish(batch: CommittedBatch): Promise<void> {
    // The books as this commit left them, read before the first await: the next batch may
    // change a book as soon as this function yields.
    const books = new Map<string, { depth: Depth; last: number | null; bid: number | null; ask: number | null }>();
    for (const symbol of batch.events.keys()) {
      if (!engine.has(symbol)) continue;
      const book = engine.book(symbol);
      books.set(symbol, { depth: book.depth(BOOK_WIRE_DEPTH), last: book.lastTrade()?.price ?? null, bid: book.bestBid() ?? null, ask: book.bestAsk() ?? null });
    }
    const tick = new Map<string, string>();
    const refs = new Map<string, number | null>();
    const symbols = new Set(batch.events.keys());
    for (const o of batch.orders.values()) symbols.add(o.symbol);
    for (const symbol of symbols) {
      const p = await products.cached(symbol);
      tick.set(symbol, tickSizeOf(p));
      refs.set(symbol, p?.refPriceTicks ?? null);
    }
    // The public messages, published after the execution reports.
    const market: (() => void)[] = [];
    for (const [symbol, events] of batch.events) {
      const tickSize = tick.get(symbol)!;
      for (const e of events) {
        if (e.type !== 'trade') continue;
        const msg = { symbol, tickSize, tradeId: e.tradeId, priceTicks: e.price, qty: e.qty, aggressorSide: e.aggressorSide, time: e.timestamp };
        market.push(() => pubsub.publish('trades', symbol, msg));
      }
      const firstSeq = events.find((e) => e.type !== 'rejected')?.seq;
      const book = books.get(symbol);
      if (firstSeq !== undefined && book) {
        const { depth } = book;
        const top = { symbol, tickSize, seq: depth.seq, prevSeq: firstSeq - 1, bids: depth.bids, asks: depth.asks };
        const quote = { symbol, tickSize, last: book.last, bid: book.bid, ask: book.ask, reference: refs.get(symbol) ?? null };
        market.push(() => pubsub.publish('book', symbol, top));
        market.push(() => pubsub.publish('quotes', symbol, quote));
      }
    }
    // Execution reports first, and alone: the owners of the orders hear of their fills before
    // the event loop turns to the public market data, which may go to thousands of sockets (each
    // subscriber's stream, execution and socket write would otherwise interleave with theirs,
    // and a fill would wait for the whole fan-out).
    if (reports) {
      for (const [symbol, events] of batch.events) {
        const tickSize = tick.get(symbol)!;
        for (const report of executionReports(symbol, events, batch.orders)) pubsub.publish('exec', report.order.accountId, { ...report, tickSize });
      }
    }
    await new Promise((r) => setImmediate(r));
    for (const publishOne of market) publishOne();
    if (reports) for (const o of batch.orders.values()) pubsub.publish('orders', { order: orderToWire(o), tickSize: tick.get(o.symbol)! });
  }
}
