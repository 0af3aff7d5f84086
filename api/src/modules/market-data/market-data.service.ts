import type { MatchingEngine } from '../../engine/index.js';
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

/** Quotes and depth from the in-memory books (the committed state: books change only after commit). */
export class MarketDataService {
  constructor(
    private readonly engine: MatchingEngine,
    private readonly path: OrderPath,
  ) {}

  quote(p: ProductRecord): QuoteTicks {
    const book = this.engine.has(p.symbol) ? this.engine.book(p.symbol) : undefined;
    const last = p.lastPriceTicks;
    const ref = p.refPriceTicks;
    const change = last !== null && ref !== null ? last - ref : null;
    return {
      symbol: p.symbol,
      last,
      bid: book?.bestBid() ?? null,
      ask: book?.bestAsk() ?? null,
      reference: ref,
      change,
      changeBps: change !== null && ref ? Math.sign(change) * Math.round((Math.abs(change) * 10000) / ref) : null,
    };
  }

  /** L2 depth, after catching up with other replicas when the database is ahead of this book. */
  async book(p: ProductRecord & { bookSeq?: number }, depth: number): Promise<BookView> {
    await this.path.syncBook(p.symbol);
    return this.bookNow(p.symbol, p.tickSize, depth);
  }

  /** L2 depth as this process holds it now (for subscriptions, which follow commits). */
  bookNow(symbol: string, tickSize: string, depth: number): BookView {
    if (!this.engine.has(symbol)) return { symbol, seq: 0, bids: [], asks: [] };
    const d = this.engine.book(symbol).depth(depth);
    const level = (l: { price: number; qty: number; count: number }): BookLevelView => ({
      price: fromTicks(l.price, tickSize),
      quantity: l.qty,
      orderCount: l.count,
    });
    return { symbol, seq: d.seq, bids: d.bids.map(level), asks: d.asks.map(level) };
  }
}
