/**
 * The exact replay of the audit: every symbol's book journal (the engine commands each batch
 * ran, see orders/journal.ts) run from seq 0 through a fresh {@link OrderBook} must give exactly
 * what the database holds — the same trades (id, maker, taker, price, quantity), the same state
 * for every order the commands touched, the products' book seq, the recorded state hashes, and a
 * final book equal to the open orders. Where the journal was pruned behind a snapshot (see
 * orders/snapshots.ts), the replay starts from the oldest snapshot the journal reaches back to,
 * and checks what happened after it (trades after its seq, orders the journal touched, and the
 * orders resting in it that nothing touched since). Every snapshot's content must hash to its
 * recorded state hash, and the replay passing its seq must reach that hash. A symbol whose
 * journal reaches back neither to seq 0 nor to a snapshot cannot be replayed exactly and is
 * counted, not reported.
 */
import { IMAGE_FIELDS, IMAGE_SELL, OrderBook, imageStateHash, type BookImage, type EngineEvent, type OrderState } from '../../engine/index.js';
import type { JournalEntry } from '../orders/journal.js';
import { isResting, type ExecutionRow, type OrderRow, type ProductRow } from './audit-data.js';

/** What the exact replay covered. */
export interface JournalReplayStats {
  /** Symbols replayed from seq 0 to their book seq. */
  symbolsReplayed: number;
  /** Symbols with history whose journal does not start at seq 0 (pruned, or written before the journal existed). */
  symbolsNotReplayable: string[];
  entries: number;
  commands: number;
  /** Trades the replay reproduced exactly. */
  trades: number;
  /** Recorded state hashes the replay reached. */
  hashesChecked: number;
  /** Symbols of `symbolsReplayed` whose replay started from a snapshot (the journal before it pruned). */
  symbolsFromSnapshot: number;
  /** Snapshots whose state hash the replay reached (or started from, after checking its content). */
  snapshotsChecked: number;
}

export const emptyJournalReplayStats = (): JournalReplayStats => ({
  symbolsReplayed: 0,
  symbolsNotReplayable: [],
  entries: 0,
  commands: 0,
  trades: 0,
  hashesChecked: 0,
  symbolsFromSnapshot: 0,
  snapshotsChecked: 0,
});

/** A stored snapshot as the audit reads it: its recorded hash and its content. */
export interface AuditSnapshot {
  readonly symbol: string;
  readonly seq: number;
  readonly stateHash: string;
  readonly image: BookImage;
}

/** Replays every symbol's journal; returns violations (`rule: detail`) and fills `stats`. */
export function replayJournal(
  journal: readonly JournalEntry[],
  orders: readonly OrderRow[],
  executions: readonly ExecutionRow[],
  products: readonly ProductRow[],
  stats: JournalReplayStats,
  snapshots: readonly AuditSnapshot[] = [],
): string[] {
  const out: string[] = [];
  const bySymbol = groupBy(journal, (e) => e.symbol);
  const ordersBySymbol = groupBy(orders, (o) => o.symbol);
  const execsBySymbol = groupBy(executions, (e) => e.symbol);
  const snapsBySymbol = groupBy(snapshots, (s) => s.symbol);
  for (const p of products) {
    const snaps = (snapsBySymbol.get(p.symbol) ?? []).sort((a, b) => a.seq - b.seq);
    // A snapshot's content must hash to what was recorded with it, whatever the replay does.
    const sound: AuditSnapshot[] = [];
    for (const snap of snaps) {
      const hash = imageStateHash(snap.image);
      if (hash === snap.stateHash && snap.image.seq === snap.seq) sound.push(snap);
      else out.push(`snapshots hash to their recorded state hash: ${p.symbol} snapshot at seq ${snap.seq} hashes ${hash}, recorded ${snap.stateHash}`);
    }
    if (p.bookSeq === 0) continue;
    const entries = (bySymbol.get(p.symbol) ?? []).sort((a, b) => a.fromSeq - b.fromSeq);
    const first = entries[0]?.fromSeq;
    const start = first === 0 ? undefined : sound.find((snap) => snap.seq >= (first ?? p.bookSeq) && (snap.seq === p.bookSeq || entries.some((e) => e.fromSeq === snap.seq)));
    if (first !== 0 && !start) {
      stats.symbolsNotReplayable.push(p.symbol);
      continue;
    }
    const bySeq = new Map(snaps.map((snap) => [snap.seq, snap]));
    const from = start ? entries.filter((e) => e.fromSeq >= start.seq) : entries;
    out.push(...replaySymbol(p, from, ordersBySymbol.get(p.symbol) ?? [], execsBySymbol.get(p.symbol) ?? [], stats, start, bySeq));
  }
  return out;
}

function replaySymbol(
  product: ProductRow,
  entries: readonly JournalEntry[],
  orders: readonly OrderRow[],
  executions: readonly ExecutionRow[],
  stats: JournalReplayStats,
  start: AuditSnapshot | undefined,
  snapshots: ReadonlyMap<number, AuditSnapshot>,
): string[] {
  const { symbol } = product;
  let book: OrderBook;
  try {
    book = start ? OrderBook.restoreImage(symbol, start.image) : new OrderBook(symbol);
  } catch (e) {
    return [`snapshots restore to a valid book: ${symbol} snapshot at seq ${start?.seq}: ${(e as Error).message}`];
  }
  if (start) stats.snapshotsChecked++;
  const states = new Map<number, OrderState & { rejected?: boolean }>();
  const trades: EngineEvent[] = [];
  let seq = book.seq;
  const boundaries = new Set<number>([seq]);
  for (const entry of entries) {
    const at = `${symbol} entry ${entry.fromSeq}..${entry.toSeq}`;
    if (entry.fromSeq !== seq) return [`journal entries chain: ${at} follows seq ${seq}`];
    for (const cmd of entry.commands) {
      stats.commands++;
      for (const e of book.execute(cmd).events) {
        if (e.type === 'trade') {
          trades.push(e);
          states.set(e.maker.orderId, e.maker);
          states.set(e.taker.orderId, e.taker);
        } else if (e.type === 'rejected') {
          if (e.command === 'new') states.set(e.orderId, { ...rejectedState(e.orderId), rejected: true });
        } else {
          states.set(e.order.orderId, e.order);
        }
      }
    }
    stats.entries++;
    seq = book.seq;
    boundaries.add(seq);
    if (seq !== entry.toSeq) return [`journal replay reaches each entry's seq: ${at} replayed to ${seq}`];
    if (entry.stateHash !== null) {
      if (book.stateHash() !== entry.stateHash) return [`journal replay reaches the recorded state hash: ${at} ${book.stateHash()} ≠ ${entry.stateHash}`];
      stats.hashesChecked++;
    }
    const snap = snapshots.get(seq);
    if (snap && snap !== start) {
      if (book.stateHash() !== snap.stateHash) return [`journal replay reaches each snapshot's state hash: ${symbol} snapshot at seq ${seq} recorded ${snap.stateHash}, replay ${book.stateHash()}`];
      stats.snapshotsChecked++;
    }
  }
  const out: string[] = [];
  for (const snapSeq of snapshots.keys()) {
    if (snapSeq >= (start?.seq ?? 0) && !boundaries.has(snapSeq)) out.push(`snapshots sit at a journal entry boundary: ${symbol} snapshot at seq ${snapSeq} is not one the replay passed`);
  }
  if (seq !== product.bookSeq) out.push(`journal reaches the book seq: ${symbol} journal ends at ${seq}, book_seq ${product.bookSeq}`);
  // Trades: exactly the recorded ones.
  const recorded = new Map<number, { maker?: ExecutionRow; taker?: ExecutionRow }>();
  const after = start?.seq ?? 0;
  for (const e of executions) {
    if (e.tradeId <= after) continue;
    const t = recorded.get(e.tradeId) ?? {};
    if (e.maker) t.maker = e;
    else t.taker = e;
    recorded.set(e.tradeId, t);
  }
  for (const e of trades) {
    if (e.type !== 'trade') continue;
    const r = recorded.get(e.tradeId);
    recorded.delete(e.tradeId);
    const got = r?.maker && r.taker ? `${r.maker.orderId}/${r.taker.orderId} ${r.maker.qty}@${r.maker.priceTicks}` : 'nothing';
    const want = `${e.maker.orderId}/${e.taker.orderId} ${e.qty}@${e.price}`;
    if (got !== want) out.push(`journal replay gives the recorded trades: ${symbol} trade ${e.tradeId} replayed ${want}, recorded ${got}`);
    else stats.trades++;
  }
  for (const tradeId of recorded.keys()) out.push(`journal replay gives the recorded trades: ${symbol} trade ${tradeId} recorded but not replayed`);
  const restingAtStart = start ? imageOrders(start.image) : new Map<number, ImageOrder>();
  // Orders: the state each one's last event left, for every order the journal touched; the others were refused without changing anything.
  for (const o of orders) {
    const s = states.get(o.id);
    const at = `${symbol} order ${o.id}`;
    if (!s) {
      const rested = restingAtStart.get(o.id);
      if (rested) {
        // Resting in the snapshot and untouched since: the row must still say what the snapshot says.
        const want = `${rested.cumQty > 0 ? 'PARTIALLY_FILLED' : 'NEW'} ${rested.cumQty}/${rested.qty} leaves ${rested.qty - rested.cumQty} notional ${rested.cumNotional} @${rested.price} ${rested.side}`;
        const got = `${o.status} ${o.cumQty}/${o.qty} leaves ${o.leavesQty} notional ${o.cumNotional} @${o.priceTicks} ${o.side}`;
        if (want !== got) out.push(`journal replay gives every order's state: ${at} in the snapshot at seq ${after} ${want}, recorded ${got}`);
      } else if (!start && (o.status !== 'REJECTED' || o.cumQty !== 0)) {
        out.push(`journal replay covers every order that changed a book: ${at} (${o.status}) is not in the journal`);
      }
      continue;
    }
    states.delete(o.id);
    if (s.rejected) {
      if (o.status !== 'REJECTED' || o.cumQty !== 0) out.push(`journal replay gives every order's state: ${at} replayed REJECTED, recorded ${o.status} ${o.cumQty}/${o.qty}`);
      continue;
    }
    const want = `${s.status} ${s.cumQty}/${s.qty} leaves ${s.leavesQty} notional ${s.cumNotional} @${s.price}`;
    const got = `${o.status} ${o.cumQty}/${o.qty} leaves ${o.leavesQty} notional ${o.cumNotional} @${o.priceTicks}`;
    if (want !== got) out.push(`journal replay gives every order's state: ${at} replayed ${want}, recorded ${got}`);
  }
  for (const id of states.keys()) out.push(`journal replay gives every order's state: ${symbol} order ${id} replayed but has no row`);
  // The final book: the open orders, in the same places.
  const open = orders.filter(isResting).map((o) => o.id).sort((a, b) => a - b);
  const resting = book.restingOrders().map((r) => r.orderId).sort((a, b) => a - b);
  if (open.join(',') !== resting.join(',')) out.push(`journal replay ends with the open orders resting: ${symbol} replayed [${resting.join(',')}], open [${open.join(',')}]`);
  if (out.length === 0) {
    stats.symbolsReplayed++;
    if (start) stats.symbolsFromSnapshot++;
  }
  return out;
}

interface ImageOrder {
  readonly side: 'BUY' | 'SELL';
  readonly price: number;
  readonly qty: number;
  readonly cumQty: number;
  readonly cumNotional: number;
}

/** The orders of an image by id. */
function imageOrders(image: BookImage): Map<number, ImageOrder> {
  const out = new Map<number, ImageOrder>();
  const o = image.orders;
  for (let b = 0; b < o.length; b += IMAGE_FIELDS) {
    out.set(o[b]!, { side: o[b + 2]! & IMAGE_SELL ? 'SELL' : 'BUY', price: o[b + 3]!, qty: o[b + 4]!, cumQty: o[b + 5]!, cumNotional: o[b + 6]! });
  }
  return out;
}

function rejectedState(orderId: number): OrderState {
  return { orderId, account: 0, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 0, qty: 0, cumQty: 0, leavesQty: 0, cumNotional: 0, status: 'REJECTED' };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    const list = out.get(k);
    if (list) list.push(t);
    else out.set(k, [t]);
  }
  return out;
}
