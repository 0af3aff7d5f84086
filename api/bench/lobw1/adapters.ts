/**
 * Drives one engine with a LOBW1 stream: our OrderBook or the peer, nodejs-order-book.
 * Each adapter turns stream row i into that engine's API call and counts traded lots and
 * successful cancels, the figures LOBW1 checks.
 */
import { createRequire } from 'node:module';
import { OrderBook, type Command } from '../../src/engine/index.js';
import { BUY, type DepthPair } from './model.js';
import { OP_CANCEL, OP_LIMIT, type Lobw1Stream } from './generate.js';

export type EngineKind = 'engine' | 'peer';

export interface Adapter {
  readonly kind: EngineKind;
  /** Starts again with an empty book and zero counters. */
  reset(): void;
  /** Applies stream row `i`. */
  apply(i: number): void;
  tradedQty: number;
  cancels: number;
  restingCount(): number;
  /** Final depth, best first. */
  depth(): { bids: DepthPair[]; asks: DepthPair[] };
}

/** Our engine. Market orders get ids above every limit id (they never rest); account = order id, so no self-trade prevention applies. */
export function engineAdapter(s: Lobw1Stream): Adapter {
  let book = new OrderBook('LOBW1');
  let marketId = s.maxOrderId;
  const a: Adapter = {
    kind: 'engine',
    tradedQty: 0,
    cancels: 0,
    reset() {
      book = new OrderBook('LOBW1');
      marketId = s.maxOrderId;
      a.tradedQty = 0;
      a.cancels = 0;
    },
    apply(i: number) {
      const type = s.type[i];
      let cmd: Command;
      if (type === OP_CANCEL) {
        if (book.execute({ type: 'cancel', orderId: s.id[i]!, timestamp: i }).code === 'OK') a.cancels++;
        return;
      }
      const side = s.side[i] === BUY ? 'BUY' : 'SELL';
      if (type === OP_LIMIT) {
        const id = s.id[i]!;
        cmd = { type: 'new', orderId: id, account: id, side, ordType: 'LIMIT', tif: 'GTC', price: s.price[i]!, qty: s.qty[i]!, timestamp: i };
      } else {
        const id = ++marketId;
        cmd = { type: 'new', orderId: id, account: id, side, ordType: 'MARKET', tif: 'IOC', qty: s.qty[i]!, timestamp: i };
      }
      const events = book.execute(cmd).events;
      for (let k = 0; k < events.length; k++) {
        const e = events[k]!;
        if (e.type === 'trade') a.tradedQty += e.qty;
      }
    },
    restingCount: () => book.restingCount,
    depth() {
      const d = book.depth(Infinity);
      return { bids: d.bids.map((l) => [l.price, l.qty] as const), asks: d.asks.map((l) => [l.price, l.qty] as const) };
    },
  };
  return a;
}

/** The subset of nodejs-order-book 10.1.1 the benchmark uses (its published `types` path is broken). */
interface PeerResponse {
  readonly err: unknown;
  readonly quantityLeft: number;
}
interface PeerBook {
  limit(o: { id: string; side: 'buy' | 'sell'; size: number; price: number }): PeerResponse;
  market(o: { side: 'buy' | 'sell'; size: number }): PeerResponse;
  cancel(id: string): unknown;
  depth(): [asks: [number, number][], bids: [number, number][]];
}
interface PeerModule {
  OrderBook: new () => PeerBook;
}

/** nodejs-order-book: string ids (String(id), converted per op), GTC limits, IOC market orders. */
export function peerAdapter(s: Lobw1Stream): Adapter {
  const { OrderBook: PeerOrderBook } = createRequire(import.meta.url)('nodejs-order-book') as PeerModule;
  let book = new PeerOrderBook();
  const a: Adapter = {
    kind: 'peer',
    tradedQty: 0,
    cancels: 0,
    reset() {
      book = new PeerOrderBook();
      a.tradedQty = 0;
      a.cancels = 0;
    },
    apply(i: number) {
      const type = s.type[i];
      if (type === OP_CANCEL) {
        if (book.cancel(String(s.id[i])) !== undefined) a.cancels++;
        return;
      }
      const side = s.side[i] === BUY ? 'buy' : 'sell';
      const qty = s.qty[i]!;
      const r = type === OP_LIMIT ? book.limit({ id: String(s.id[i]), side, size: qty, price: s.price[i]! }) : book.market({ side, size: qty });
      if (r.err !== null) throw new Error(`peer refused op ${i}: ${JSON.stringify(r.err)}`);
      a.tradedQty += qty - r.quantityLeft;
    },
    // No public count: read its private id → order map (untimed, after a run).
    restingCount: () => Object.keys((book as unknown as { orders: object }).orders).length,
    depth() {
      const [asks, bids] = book.depth();
      const bidPairs = bids.map(([p, q]) => [p, q] as const).sort((x, y) => y[0] - x[0]);
      const askPairs = asks.map(([p, q]) => [p, q] as const).sort((x, y) => x[0] - y[0]);
      return { bids: bidPairs, asks: askPairs };
    },
  };
  return a;
}
