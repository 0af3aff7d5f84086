/**
 * The L2 order book on the client: a SNAPSHOT, then DELTAs chained by sequence numbers.
 *
 * Each update carries `seq` (the book's sequence number after it) and `prevSeq` (the one it
 * follows). A DELTA applies only when its `prevSeq` is the book's current `seq`; otherwise
 * updates were missed and the book must be fetched again (a new SNAPSHOT). In a DELTA a level
 * with quantity 0 is gone. Pure functions: no Apollo, no Vue.
 */
import { compareDecimal, formatFixed, parseDecimal, type Fixed } from '@trading-app/api/decimal';

/** One price level. Price is a decimal string. */
export interface Level {
  readonly price: string;
  readonly quantity: number;
  readonly orderCount: number;
}

/** An update as the `orderBook` subscription sends it. */
export interface BookUpdate {
  readonly symbol: string;
  readonly kind: 'SNAPSHOT' | 'DELTA';
  readonly seq: number;
  readonly prevSeq: number;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

/** The merged book: levels best first (bids high → low, asks low → high). */
export interface BookState {
  readonly symbol: string;
  /** Sequence number of the last update applied; null before the first snapshot. */
  readonly seq: number | null;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

/**
 * What happened to an update:
 * - `snapshot`: replaced the book;
 * - `applied`: a DELTA chained onto the book;
 * - `stale`: an old or repeated update (seq ≤ the book's), ignored;
 * - `gap`: updates were missed (or no snapshot yet); the book is unchanged and must be refetched.
 */
export type MergeOutcome = 'snapshot' | 'applied' | 'stale' | 'gap';

/** An empty book for a symbol, waiting for its snapshot. */
export function emptyBook(symbol: string): BookState {
  return { symbol, seq: null, bids: [], asks: [] };
}

const bestBidFirst = (a: Level, b: Level) => compareDecimal(b.price, a.price);
const bestAskFirst = (a: Level, b: Level) => compareDecimal(a.price, b.price);

function applySide(levels: readonly Level[], changes: readonly Level[], order: (a: Level, b: Level) => number): Level[] {
  if (changes.length === 0) return levels as Level[];
  const byPrice = new Map<string, Level>();
  // Key by the canonical number, so "140.0" and "140.00" are one level.
  const key = (price: string) => price.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  for (const l of levels) byPrice.set(key(l.price), l);
  for (const c of changes) {
    if (c.quantity <= 0) byPrice.delete(key(c.price));
    else byPrice.set(key(c.price), c);
  }
  return [...byPrice.values()].sort(order);
}

/** Merges one update into the book. Never throws; a gap leaves the book as it was. */
export function applyBookUpdate(book: BookState, update: BookUpdate): { book: BookState; outcome: MergeOutcome } {
  if (update.symbol !== book.symbol) return { book, outcome: 'stale' };
  if (update.kind === 'SNAPSHOT') {
    if (book.seq !== null && update.seq < book.seq) return { book, outcome: 'stale' };
    return {
      book: {
        symbol: book.symbol,
        seq: update.seq,
        bids: [...update.bids].filter((l) => l.quantity > 0).sort(bestBidFirst),
        asks: [...update.asks].filter((l) => l.quantity > 0).sort(bestAskFirst),
      },
      outcome: 'snapshot',
    };
  }
  if (book.seq === null) return { book, outcome: 'gap' };
  if (update.seq <= book.seq) return { book, outcome: 'stale' };
  if (update.prevSeq !== book.seq) return { book, outcome: 'gap' };
  return {
    book: {
      symbol: book.symbol,
      seq: update.seq,
      bids: applySide(book.bids, update.bids, bestBidFirst),
      asks: applySide(book.asks, update.asks, bestAskFirst),
    },
    outcome: 'applied',
  };
}

/** One row of the ladder as drawn: the level, the cumulative quantity and the depth bar's share. */
export interface LadderRow extends Level {
  /** Quantity at this level and all better ones on the same side. */
  readonly cumulative: number;
  /** cumulative ÷ the deepest cumulative on either side shown, 0..1: the depth bar's width. */
  readonly depth: number;
}

/** The top `depth` levels per side with cumulative quantities and depth-bar widths. */
export function ladder(book: BookState, depth: number): { bids: LadderRow[]; asks: LadderRow[] } {
  const cum = (levels: readonly Level[]) => {
    let total = 0;
    return levels.slice(0, depth).map((l) => ({ ...l, cumulative: (total += l.quantity) }));
  };
  const bids = cum(book.bids);
  const asks = cum(book.asks);
  const max = Math.max(bids.at(-1)?.cumulative ?? 0, asks.at(-1)?.cumulative ?? 0, 1);
  const withDepth = (rows: Omit<LadderRow, 'depth'>[]) => rows.map((r) => ({ ...r, depth: r.cumulative / max }));
  return { bids: withDepth(bids), asks: withDepth(asks) };
}

/** Best bid and best ask prices; null for an empty side. */
export function touch(book: BookState): { bid: string | null; ask: string | null } {
  return { bid: book.bids[0]?.price ?? null, ask: book.asks[0]?.price ?? null };
}

/** A price as a key that ignores trailing zeros ("150.0" and "150.00" are one level). */
export function priceKey(price: string): string {
  const f = parseDecimal(price);
  return f ? formatFixed(normalize(f)) : price;
}

function normalize(f: Fixed): Fixed {
  let { units, scale } = f;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/** The caller's open quantity at each price of one side: what the ladder marks as "mine". */
export type OwnLevels = { readonly bid: ReadonlyMap<string, number>; readonly ask: ReadonlyMap<string, number> };

/** The trader's open LIMIT orders of one symbol, summed per side and price ({@link priceKey}). */
export function ownLevels(
  orders: readonly { readonly symbol: string; readonly side: string; readonly type: string; readonly price?: string | null; readonly leavesQty: number; readonly status: string }[],
  symbol: string,
): OwnLevels {
  const bid = new Map<string, number>();
  const ask = new Map<string, number>();
  for (const o of orders) {
    if (o.symbol !== symbol || o.type !== 'LIMIT' || !o.price || o.leavesQty <= 0) continue;
    if (!['NEW', 'PARTIALLY_FILLED', 'PENDING_NEW'].includes(o.status)) continue;
    const side = o.side === 'BUY' ? bid : ask;
    const k = priceKey(o.price);
    side.set(k, (side.get(k) ?? 0) + o.leavesQty);
  }
  return { bid, ask };
}

/** What the book's status line shows: a live book is stale while the connection is down. */
export function bookStatusView(status: 'loading' | 'live' | 'resyncing' | 'offline', connection: string): { kind: string; label: string } {
  if (connection === 'reconnecting' && status !== 'loading') return { kind: 'offline', label: 'Connection lost: book may be stale' };
  switch (status) {
    case 'live':
      return { kind: 'live', label: 'Live' };
    case 'resyncing':
      return { kind: 'resyncing', label: 'Resyncing…' };
    case 'offline':
      return { kind: 'offline', label: 'Live book unavailable' };
    default:
      return { kind: 'loading', label: 'Loading…' };
  }
}
