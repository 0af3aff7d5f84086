import type { EngineEvent, Side } from '../../engine/index.js';
import type { OrderRecord } from '../orders/order-record.js';
import type { JournalEntry } from '../orders/journal.js';

/**
 * What travels on the bus (in-process, or through Redis between replicas): plain JSON, times
 * as epoch milliseconds, prices in ticks with the tick size alongside.
 */

/** ExecType (150) of an execution report. */
export const EXEC_TYPES = ['NEW', 'CANCELED', 'REPLACED', 'REJECTED', 'EXPIRED', 'TRADE'] as const;
export type ExecType = (typeof EXEC_TYPES)[number];

/** An order's state on the wire: a record with its times as epoch milliseconds. */
export type OrderWire = Omit<OrderRecord, 'createdAt' | 'updatedAt'> & { readonly createdAt: number; readonly updatedAt: number };

/** A FIX-style execution report for one order. */
export interface ExecReportMsg {
  /** ExecID (17): unique; for fills it equals the execution row's exec_id. */
  readonly execId: string;
  readonly execType: ExecType;
  readonly order: OrderWire;
  readonly tickSize: string;
  readonly lastQty: number | null;
  readonly lastPxTicks: number | null;
  readonly tradeId: number | null;
  readonly reason: string | null;
  readonly time: number;
}

export interface LevelWire {
  readonly price: number;
  readonly qty: number;
  readonly count: number;
}

/** The top of a book after a commit: complete for any depth up to {@link BOOK_WIRE_DEPTH}. */
export interface BookMsg {
  readonly symbol: string;
  readonly tickSize: string;
  readonly seq: number;
  readonly prevSeq: number;
  readonly bids: readonly LevelWire[];
  readonly asks: readonly LevelWire[];
}

export interface TradeMsg {
  readonly symbol: string;
  readonly tickSize: string;
  readonly tradeId: number;
  readonly priceTicks: number;
  readonly qty: number;
  readonly aggressorSide: Side;
  readonly time: number;
}

export interface QuoteMsg {
  readonly symbol: string;
  readonly tickSize: string;
  readonly last: number | null;
  readonly bid: number | null;
  readonly ask: number | null;
  readonly reference: number | null;
}

export interface OrderChangeMsg {
  readonly order: OrderWire;
  readonly tickSize: string;
}

export interface RevokedMsg {
  readonly userId: number;
  /** Only this session; all of the user's sessions when absent. */
  readonly sessionId?: number;
  /** DISABLED: the account was disabled (the socket's close reason says so). */
  readonly reason?: 'DISABLED';
}

/**
 * One commit of one symbol on the bus: its journal entry (the other replicas apply it to their
 * book), with the engine events and the committed states of the orders they touched, from which
 * every replica builds the same execution reports and order changes for its own subscribers.
 * A commit of refusals only (new orders rejected, the book unmoved) has `fromSeq === toSeq` and
 * no commands.
 */
export interface JournalMsg extends JournalEntry {
  /** The process that committed it (report-feed.ts ignores its own). */
  readonly origin: string;
  readonly events: readonly EngineEvent[];
  readonly orders: readonly OrderWire[];
}

/** Levels per side carried by book messages: the deepest book a subscription may ask for. */
export const BOOK_WIRE_DEPTH = 50;

/** Topic → [routing key, payload]. */
export type Topics = {
  exec: [number, ExecReportMsg];
  book: [string, BookMsg];
  trades: [string, TradeMsg];
  quotes: [string, QuoteMsg];
  orders: [OrderChangeMsg];
  revoked: [RevokedMsg];
  /** A user's role or status changed: replicas drop what they cached about them. */
  userChanged: [{ userId: number }];
  /** A commit's journal entries (one per symbol): the other replicas apply them to stay warm. */
  journal: [JournalMsg];
};

export function orderToWire(o: OrderRecord): OrderWire {
  return { ...o, createdAt: o.createdAt.getTime(), updatedAt: o.updatedAt.getTime() };
}

export function orderFromWire(o: OrderWire): OrderRecord {
  return { ...o, createdAt: new Date(o.createdAt), updatedAt: new Date(o.updatedAt) };
}
