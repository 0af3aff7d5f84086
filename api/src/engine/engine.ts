/**
 * A registry of order books, one per symbol.
 */
import { OrderBook } from './order-book.js';
import type { BookImage } from './book-image.js';
import type { BookOptions, Command, CommandResult, LastTrade, RestingOrder } from './types.js';

/**
 * Holds one {@link OrderBook} per symbol, all created with the same {@link BookOptions}.
 * Books are independent; serializing the commands of one symbol is the caller's job.
 */
export class MatchingEngine {
  private readonly books = new Map<string, OrderBook>();
  private readonly options: BookOptions;

  /** @param options - options for every book (default STP mode). */
  constructor(options: BookOptions = {}) {
    this.options = options;
  }

  /** The options every book is created with. */
  get bookOptions(): BookOptions {
    return this.options;
  }

  /** The book for `symbol`, created empty (seq 0) on first use. */
  book(symbol: string): OrderBook {
    let b = this.books.get(symbol);
    if (b === undefined) {
      b = new OrderBook(symbol, this.options);
      this.books.set(symbol, b);
    }
    return b;
  }

  /** True if a book for `symbol` exists. */
  has(symbol: string): boolean {
    return this.books.has(symbol);
  }

  /** Executes `cmd` on the book for `symbol` (creating it if needed). */
  execute(symbol: string, cmd: Command): CommandResult {
    return this.book(symbol).execute(cmd);
  }

  /**
   * Replaces the book for `symbol` with one rebuilt from resting orders in priority order (see
   * {@link OrderBook.restore}, which throws RangeError on corrupt input; the old book is then kept).
   */
  restore(symbol: string, orders: readonly RestingOrder[], seq: number, lastTrade?: LastTrade): OrderBook {
    const b = OrderBook.restore(symbol, orders, seq, this.options, lastTrade);
    this.books.set(symbol, b);
    return b;
  }

  /** Replaces the book for `symbol` with one rebuilt from an image (see {@link OrderBook.restoreImage}; throws RangeError on corrupt input, the old book is then kept). */
  restoreImage(symbol: string, image: BookImage): OrderBook {
    const b = OrderBook.restoreImage(symbol, image, this.options);
    this.books.set(symbol, b);
    return b;
  }

  /**
   * Forgets the book for `symbol` (e.g. after a failed commit, so the next use rebuilds it from
   * the database). Returns true if there was one. The next {@link MatchingEngine.book} call
   * creates an empty book with seq 0.
   */
  drop(symbol: string): boolean {
    return this.books.delete(symbol);
  }

  /** Symbols with a book, sorted. */
  symbols(): string[] {
    return [...this.books.keys()].sort();
  }
}
