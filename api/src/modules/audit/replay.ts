/**
 * The sequence rules and the engine replay of the audit.
 *
 * What the database keeps of a book's history: every trade with its seq (`trade_id`), and for
 * every order the seq of the event that gave it its current place (`priority_seq`: its
 * acceptance, or its last amend that lost priority). Cancels, expiries, amends that kept
 * priority, and the earlier places of amended orders are not in those rows. So an exact replay
 * from the rows alone is impossible (the book journal gives one: journal-replay.ts); what is
 * proven from the rows, per symbol:
 *
 * - sequence: the identified events (entries and trades) have distinct seqs within book_seq,
 *   and book_seq leaves room for one event per canceled or expired order;
 * - atomicity: between an order's entry and its last fill as taker there is no other order's
 *   entry and no other taker's trade (a command's events are consecutive);
 * - replay: walking the identified events in seq order, each entry is run through the real
 *   {@link OrderBook} against a book of the orders that were *certainly* resting at that moment
 *   (entered before, and resting now or filled as makers later), each with the least quantity
 *   it can have had. Any order that would have matched ahead of the recorded makers is in that
 *   book (it rested, and it was not filled then), so the engine must produce exactly the
 *   recorded trades — same makers, order, prices and quantities — and must not want to trade
 *   the remainder of an order that the database shows resting or canceled;
 * - at the end the replayed book must equal the open orders (ids, prices, leaves, priority).
 *
 * Commands that involve an order's earlier, unrecorded place (a fill before its last
 * priority-losing amend) cannot be matched through the engine: their fills are applied as
 * recorded and only their remainder is checked. The stats count both kinds.
 */
import { OrderBook, type EngineEvent, type OrdType, type TimeInForce } from '../../engine/index.js';
import { canRest, isResting, type OrderRow, type ProductRow, type Trade } from './audit-data.js';

/** What the sequence rules and the replay covered. */
export interface ReplayStats {
  /** Entries run through the engine whose trades were compared one by one. */
  commandsReplayed: number;
  /** Entries whose trades involve an order's unrecorded earlier place: fills applied as recorded, remainder checked. */
  commandsPartial: number;
  /** Trades the engine reproduced. */
  tradesReplayed: number;
  /** Trades applied as recorded (an order's earlier place was involved). */
  tradesApplied: number;
  /** Seqs not identified by any row: amends that kept priority, earlier places of amended orders (book_seq minus identified, canceled and expired). */
  unjournaledEvents: number;
  /** Symbols whose replay stopped at a violation (later commands were not replayed). */
  symbolsStopped: string[];
}

export const emptyReplayStats = (): ReplayStats => ({
  commandsReplayed: 0,
  commandsPartial: 0,
  tradesReplayed: 0,
  tradesApplied: 0,
  unjournaledEvents: 0,
  symbolsStopped: [],
});

interface SymbolData {
  readonly symbol: string;
  readonly bookSeq: number;
  /** Orders that entered a book (REJECTED ones never did). */
  readonly orders: OrderRow[];
  readonly trades: Trade[];
  readonly canceled: number;
  readonly expired: number;
}

function bySymbol(orders: readonly OrderRow[], trades: readonly Trade[], products: readonly ProductRow[]): SymbolData[] {
  const seqs = new Map(products.map((p) => [p.symbol, p.bookSeq]));
  const out = new Map<string, { orders: OrderRow[]; trades: Trade[]; canceled: number; expired: number }>();
  const get = (s: string) => {
    let d = out.get(s);
    if (!d) out.set(s, (d = { orders: [], trades: [], canceled: 0, expired: 0 }));
    return d;
  };
  for (const o of orders) {
    if (o.status === 'REJECTED') continue;
    const d = get(o.symbol);
    d.orders.push(o);
    if (o.status === 'CANCELED') d.canceled++;
    if (o.status === 'EXPIRED') d.expired++;
  }
  for (const t of trades) get(t.symbol).trades.push(t);
  return [...out].sort(([a], [b]) => (a < b ? -1 : 1)).map(([symbol, d]) => ({ symbol, bookSeq: seqs.get(symbol) ?? 0, ...d }));
}

/** Sequence numbers, book_seq accounting, command atomicity and the taker-only order types. */
export function checkSequence(orders: readonly OrderRow[], trades: readonly Trade[], products: readonly ProductRow[], stats: ReplayStats): string[] {
  const out: string[] = [];
  for (const d of bySymbol(orders, trades, products)) {
    const owner = new Map<number, string>();
    const claim = (seq: number, what: string) => {
      const other = owner.get(seq);
      if (other !== undefined) out.push(`sequence numbers are unique: ${d.symbol} seq ${seq} is ${other} and ${what}`);
      else owner.set(seq, what);
    };
    for (const o of d.orders) {
      if (!Number.isSafeInteger(o.prioritySeq) || o.prioritySeq <= 0) {
        out.push(`sequence numbers are unique: ${d.symbol} order ${o.id} has priority seq ${o.prioritySeq}`);
        continue;
      }
      claim(o.prioritySeq, `order ${o.id}'s entry`);
    }
    for (const t of d.trades) claim(t.tradeId, `trade ${t.tradeId}`);
    const identified = owner.size;
    const room = d.bookSeq - identified - d.canceled - d.expired;
    if (room < 0) {
      out.push(`book_seq accounts for every event: ${d.symbol} book_seq ${d.bookSeq} < ${identified} identified events + ${d.canceled} cancels + ${d.expired} expiries`);
    } else {
      stats.unjournaledEvents += room;
    }

    // Atomicity: the events of an entry command are its own trades (and self-trade cancels, which are not journaled).
    const takerTrades = new Map<number, Trade[]>();
    const tradeAt = new Map<number, Trade>();
    for (const t of d.trades) {
      tradeAt.set(t.tradeId, t);
      const list = takerTrades.get(t.taker.orderId);
      if (list) list.push(t);
      else takerTrades.set(t.taker.orderId, [t]);
    }
    const known = [...owner.keys()].sort((a, b) => a - b);
    const fills = new Map<number, { maker: number[]; taker: number[] }>();
    for (const t of d.trades) {
      for (const [e, role] of [[t.maker, 'maker'], [t.taker, 'taker']] as const) {
        let f = fills.get(e.orderId);
        if (!f) fills.set(e.orderId, (f = { maker: [], taker: [] }));
        f[role].push(t.tradeId);
      }
    }
    for (const o of d.orders) {
      const p = o.prioritySeq;
      const mine = (takerTrades.get(o.id) ?? []).filter((t) => t.tradeId > p);
      if (mine.length > 0) {
        const end = mine[mine.length - 1]!.tradeId;
        for (let i = lowerBound(known, p + 1); i < known.length && known[i]! <= end; i++) {
          const s = known[i]!;
          const t = tradeAt.get(s);
          if (!t || t.taker.orderId !== o.id) {
            out.push(`commands are atomic: ${d.symbol} order ${o.id}'s command (seq ${p} to ${end}) contains ${owner.get(s)} at seq ${s}`);
            break;
          }
        }
      }
      if (!canRest(o)) {
        const f = fills.get(o.id);
        const bad = [...(f?.maker ?? []).map((s) => `maker at ${s}`), ...(f?.taker ?? []).filter((s) => s < p).map((s) => `taker at ${s} before its entry ${p}`)];
        if (bad.length > 0) out.push(`IOC, FOK and market orders only take, on entry: ${d.symbol} order ${o.id} (${o.ordType} ${o.tif}) ${bad.slice(0, 3).join(', ')}`);
      }
    }
  }
  return out;
}

/** Replays every symbol through the engine (see the module comment). Returns the violations. */
export function replayBooks(orders: readonly OrderRow[], trades: readonly Trade[], products: readonly ProductRow[], stats: ReplayStats): string[] {
  const out: string[] = [];
  for (const d of bySymbol(orders, trades, products)) {
    const v = replaySymbol(d, stats);
    if (v) {
      out.push(v);
      stats.symbolsStopped.push(d.symbol);
    }
  }
  return out;
}

/** One order's fills, split around its entry. */
interface OrderFills {
  /** Lots filled before the entry (at an earlier, unrecorded place). */
  before: number;
  /** Lots filled as maker after the entry. */
  makerAfter: number;
  /** Its trades as taker after the entry: its entry command's trades. */
  command: Trade[];
}

/** Replays one symbol; returns the first violation (the replay stops there) or undefined. */
function replaySymbol(d: SymbolData, stats: ReplayStats): string | undefined {
  const { symbol } = d;
  const orders = new Map(d.orders.map((o) => [o.id, o]));
  const fills = new Map<number, OrderFills>();
  const fillsOf = (id: number) => {
    let f = fills.get(id);
    if (!f) fills.set(id, (f = { before: 0, makerAfter: 0, command: [] }));
    return f;
  };
  /** Trades whose taker's entry is not recorded (it traded at a place it later left): applied as recorded. */
  const orphans: Trade[] = [];
  for (const t of d.trades) {
    const maker = orders.get(t.maker.orderId);
    const taker = orders.get(t.taker.orderId);
    if (!maker || !taker) return `replay gives the same trades: ${symbol} trade ${t.tradeId} names an order that never entered the book`;
    if (t.tradeId < maker.prioritySeq) fillsOf(maker.id).before += t.qty;
    else fillsOf(maker.id).makerAfter += t.qty;
    if (t.tradeId < taker.prioritySeq) {
      fillsOf(taker.id).before += t.qty;
      orphans.push(t);
    } else {
      fillsOf(taker.id).command.push(t);
    }
  }

  type Step = { seq: number; order?: OrderRow; orphan?: Trade };
  const steps: Step[] = [
    ...d.orders.filter((o) => Number.isSafeInteger(o.prioritySeq) && o.prioritySeq > 0).map((order): Step => ({ seq: order.prioritySeq, order })),
    ...orphans.map((orphan): Step => ({ seq: orphan.tradeId, orphan })),
  ].sort((a, b) => a.seq - b.seq || (a.order ? 0 : 1) - (b.order ? 0 : 1));

  const book = new OrderBook(symbol);
  /** Takes `qty` lots off a resting order as a recorded fill (no matching). */
  const applyFill = (orderId: number, qty: number, seq: number): string | undefined => {
    const s = book.getOrder(orderId);
    if (!s || s.leavesQty < qty) {
      return `replay gives the same trades: ${symbol} trade ${seq} fills ${qty} of order ${orderId}, which the replayed book holds ${s ? `with ${s.leavesQty} left` : 'not at all'}`;
    }
    const r = s.leavesQty === qty ? book.execute({ type: 'cancel', orderId, timestamp: seq }) : book.execute({ type: 'amend', orderId, qty: s.qty - qty, timestamp: seq });
    return r.code === 'OK' ? undefined : `replay gives the same trades: ${symbol} cannot apply trade ${seq} to order ${orderId} (${r.code})`;
  };
  const tradesOf = (events: readonly EngineEvent[]) => events.flatMap((e) => (e.type === 'trade' ? [`${e.maker.orderId}:${e.qty}@${e.price}`] : []));
  const foreignCancels = (events: readonly EngineEvent[], self: number) =>
    events.flatMap((e) => (e.type === 'canceled' && e.order.orderId !== self ? [e.order.orderId] : []));

  for (const step of steps) {
    if (step.orphan) {
      const t = step.orphan;
      stats.tradesApplied++;
      const maker = orders.get(t.maker.orderId)!;
      if (maker.prioritySeq < t.tradeId) {
        const v = applyFill(maker.id, t.qty, t.tradeId);
        if (v) return v;
      }
      continue;
    }
    const o = step.order!;
    const f = fillsOf(o.id);
    const p = o.prioritySeq;
    const rests = canRest(o);
    const qtyIn = rests ? o.qty - f.before : o.qty;
    if (!(qtyIn > 0)) return `replay gives the same trades: ${symbol} order ${o.id} enters at seq ${p} with ${o.qty} lots of which ${f.before} were filled before`;
    if (!rests && f.before > 0) return `replay gives the same trades: ${symbol} order ${o.id} (${o.ordType} ${o.tif}) filled ${f.before} lots before its entry at seq ${p}`;
    const ordType = o.ordType as OrdType;
    const price = o.ordType === 'LIMIT' ? o.priceTicks : undefined;
    const want = f.command.map((t) => `${t.maker.orderId}:${t.qty}@${t.priceTicks}`);
    const exact = f.command.every((t) => orders.get(t.maker.orderId)!.prioritySeq < t.tradeId);
    if (exact) {
      const r = book.execute({ type: 'new', orderId: o.id, account: o.accountId, side: o.side, ordType, tif: o.tif as TimeInForce, price, qty: qtyIn, timestamp: p });
      if (r.code !== 'OK') return `replay gives the same trades: ${symbol} the engine refuses order ${o.id} at seq ${p} (${r.code})`;
      const got = tradesOf(r.events);
      if (got.join() !== want.join()) {
        return `replay gives the same trades: ${symbol} order ${o.id} (${o.side} ${o.ordType} ${o.tif} ${qtyIn}${price === undefined ? '' : `@${price}`}) entering at seq ${p}: engine [${got.slice(0, 8).join(' ')}] database [${want.slice(0, 8).join(' ')}] (maker:qty@price)`;
      }
      const canceled = foreignCancels(r.events, o.id);
      if (canceled.length > 0) {
        return `replay gives the same trades: ${symbol} order ${o.id} entering at seq ${p} would cancel order ${canceled[0]} (self-trade), which the database shows resting or filled later`;
      }
      stats.commandsReplayed++;
      stats.tradesReplayed += got.length;
    } else {
      stats.commandsPartial++;
      stats.tradesApplied += f.command.length;
      for (const t of f.command) {
        if (orders.get(t.maker.orderId)!.prioritySeq < t.tradeId) {
          const v = applyFill(t.maker.orderId, t.qty, t.tradeId);
          if (v) return v;
        }
      }
      const left = qtyIn - f.command.reduce((n, t) => n + t.qty, 0);
      if (left > 0) {
        const tif = (rests ? o.tif : o.tif === 'FOK' && f.command.length > 0 ? 'IOC' : o.tif) as TimeInForce;
        const r = book.execute({ type: 'new', orderId: o.id, account: o.accountId, side: o.side, ordType, tif, price, qty: left, timestamp: p });
        const got = tradesOf(r.events);
        if (r.code !== 'OK' || got.length > 0 || foreignCancels(r.events, o.id).length > 0) {
          return `replay gives the same trades: ${symbol} the remainder (${left}) of order ${o.id} after its command at seq ${p} would trade [${got.slice(0, 4).join(' ')}] or cancel with orders that certainly rested then (${r.code})`;
        }
      }
    }
    // What the order certainly still had after its command: its later fills as maker, plus what rests now.
    const after = f.makerAfter + (isResting(o) ? o.leavesQty : 0);
    const s = book.getOrder(o.id);
    if (!s) {
      if (after > 0) return `replay gives the same trades: ${symbol} order ${o.id} would not rest after its command at seq ${p}, yet the database shows ${after} lots resting or filled later`;
      continue;
    }
    if (after > s.leavesQty) return `replay gives the same trades: ${symbol} order ${o.id} rests with ${s.leavesQty} after its command at seq ${p}, yet the database shows ${after} lots resting or filled later`;
    if (after < s.leavesQty) {
      const r = after === 0 ? book.execute({ type: 'cancel', orderId: o.id, timestamp: p }) : book.execute({ type: 'amend', orderId: o.id, qty: s.qty - (s.leavesQty - after), timestamp: p });
      if (r.code !== 'OK') return `replay gives the same trades: ${symbol} cannot trim order ${o.id} to ${after} (${r.code})`;
    }
  }

  const replayed = book.restingOrders().map((r) => `${r.orderId} ${r.side} ${r.qty - r.cumQty}@${r.price}`);
  const open = d.orders
    .filter(isResting)
    .sort((a, b) => (a.side !== b.side ? (a.side === 'BUY' ? -1 : 1) : a.priceTicks !== b.priceTicks ? (a.side === 'BUY' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks) : a.prioritySeq - b.prioritySeq))
    .map((o) => `${o.id} ${o.side} ${o.leavesQty}@${o.priceTicks}`);
  if (replayed.join() !== open.join()) {
    const i = replayed.findIndex((r, k) => r !== open[k]);
    const at = i < 0 ? replayed.length : i;
    return `replay leaves the same book: ${symbol} differs at position ${at}: replay ${replayed[at] ?? '(end)'}, database ${open[at] ?? '(end)'} (${replayed.length} vs ${open.length} resting orders)`;
  }
  return undefined;
}

/** First index in sorted `a` whose value is ≥ `x`. */
function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
