import type { Depth, MatchingEngine } from '../../engine/index.js';
import { fromTicks } from '../../decimal.js';
import type { ProductRecord } from '../products/product.service.js';
import type { OrderPath } from '../orders/order-path.js';

/** A quote in ticks; change is last − reference. */
export interface QuoteTicks {
  readonly symbol: string;
  readonly last: number | null;
  readonly bid: number | null;
  readonly ask: number | null;
  readonly reference: number | null;
  readonly change: number | null;
  /** Change in hundredths of a percent (basis points), rounded half away from zero. */
  readonly changeBps: number | null;
}

export interface BookLevelView {
  readonly price: string;
  readonly quantity: number;
  readonly orderCount: number;
}

export interface BookView {
  readonly symbol: string;
  readonly seq: number;
  readonly bids: BookLevelView[];
  readonly asks: BookLevelView[];
}

/** A quote from its prices in ticks: the one rule for change and change in basis points. */
export function quoteOf(q: { symbol: string; last: number | null; bid: number | null; ask: number | null; reference: number | null }): QuoteTicks {
  const change = q.last !== null && q.reference !== null ? q.last - q.reference : null;
  return {
    symbol: q.symbol,
    last: q.last,
    bid: q.bid,
    ask: q.ask,
    reference: q.reference,
    change,
    changeBps: change !== null && q.reference ? Math.sign(change) * Math.round((Math.abs(change) * 10000) / q.reference) : null,
  };
}

/** Book levels in ticks → the API's levels in the product's decimal prices. */
export function levelsOf(levels: readonly { price: number; qty: number; count: number }[], tickSize: string): BookLevelView[] {
  return levels.map((l) => ({ price: fromTicks(l.price, tickSize), quantity: l.qty, orderCount: l.count }));
}

/** Quotes and depth from the in-memory books (the committed state: books change only after commit). */
export class MarketDataService {
  constructor(
    private readonly engine: MatchingEngine,
    private readonly path: OrderPath,
  ) {}

  quote(p: ProductRecord): QuoteTicks {
    const book = this.engine.has(p.symbol) ? this.engine.book(p.symbol) : undefined;
    return quoteOf({ symbol: p.symbol, last: p.lastPriceTicks, bid: book?.bestBid() ?? null, ask: book?.bestAsk() ?? null, reference: p.refPriceTicks });
  }

  /** L2 depth in ticks, after catching up with other replicas when the database is ahead of this book. */
  async depth(symbol: string, depth: number): Promise<Depth> {
    await this.path.syncBook(symbol);
    return this.engine.has(symbol) ? this.engine.book(symbol).depth(depth) : { seq: 0, bids: [], asks: [] };
  }

  /** L2 depth in the product's prices (the `orderBook` query; the subscription's snapshot). */
  async book(p: ProductRecord, depth: number): Promise<BookView> {
    const d = await this.depth(p.symbol, depth);
    return { symbol: p.symbol, seq: d.seq, bids: levelsOf(d.bids, p.tickSize), asks: levelsOf(d.asks, p.tickSize) };
  }
}
