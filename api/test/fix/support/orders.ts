/** Order messages and report matchers shared by the FIX tests. */
import { MsgTag, MsgType } from 'jspurefix';
import type { FixClient, Received } from './fix-client.js';

export { MsgTag as Tag, MsgType };

/** FIX values used in the tests (Side, OrdType, TimeInForce, ExecType, OrdStatus). */
export const BUY = '1';
export const SELL = '2';
export const MARKET = '1';
export const LIMIT = '2';
export const DAY = '0';
export const IOC = '3';
export const EXEC = { NEW: '0', CANCELED: '4', REPLACED: '5', REJECTED: '8', TRADE: 'F', STATUS: 'I' } as const;
export const STATUS = { NEW: '0', PARTIAL: '1', FILLED: '2', CANCELED: '4', REJECTED: '8' } as const;

export interface OrderFields {
  readonly side?: string;
  readonly qty?: number | string;
  readonly price?: string;
  readonly symbol?: string;
  readonly type?: string;
  readonly tif?: string;
  readonly extra?: Record<string, unknown>;
}

/** Sends a NewOrderSingle (default: limit DAY sell of 100 AAPL at 140.00). */
export function sendOrder(c: FixClient, clOrdId: string, o: OrderFields = {}): void {
  c.send(MsgType.NewOrderSingle, {
    ClOrdID: clOrdId,
    Instrument: { Symbol: o.symbol ?? 'AAPL' },
    Side: o.side ?? SELL,
    TransactTime: new Date(),
    OrderQtyData: { OrderQty: o.qty ?? 100 },
    OrdType: o.type ?? LIMIT,
    Price: (o.type ?? LIMIT) === LIMIT ? (o.price ?? '140.00') : undefined,
    TimeInForce: o.tif ?? DAY,
    ...o.extra,
  });
}

/** Sends an OrderCancelRequest. */
export function sendCancel(c: FixClient, clOrdId: string, origClOrdId: string, o: { side?: string; symbol?: string } = {}): void {
  c.send(MsgType.OrderCancelRequest, {
    OrigClOrdID: origClOrdId,
    ClOrdID: clOrdId,
    Instrument: { Symbol: o.symbol ?? 'AAPL' },
    Side: o.side ?? SELL,
    TransactTime: new Date(),
  });
}

/** Sends an OrderCancelReplaceRequest for a limit order. */
export function sendReplace(c: FixClient, clOrdId: string, origClOrdId: string, o: { qty: number; price: string; side?: string; symbol?: string }): void {
  c.send(MsgType.OrderCancelReplaceRequest, {
    OrigClOrdID: origClOrdId,
    ClOrdID: clOrdId,
    Instrument: { Symbol: o.symbol ?? 'AAPL' },
    Side: o.side ?? SELL,
    TransactTime: new Date(),
    OrderQtyData: { OrderQty: o.qty },
    OrdType: LIMIT,
    Price: o.price,
  });
}

/** The ExecutionReport with this ClOrdID and ExecType. */
export function report(c: FixClient, clOrdId: string, execType: string): Promise<Received> {
  return c.next(
    (m) => m.msgType === MsgType.ExecutionReport && m.get(MsgTag.ClOrdID) === clOrdId && m.get(MsgTag.ExecType) === execType,
    5000,
    `ExecutionReport 11=${clOrdId} 150=${execType}`,
  );
}

/** A message of this type whose `tag` is `value`. */
export function message(c: FixClient, msgType: string, tag: number, value: string): Promise<Received> {
  return c.next((m) => m.msgType === msgType && m.get(tag) === value, 5000, `${msgType} with ${tag}=${value}`);
}

/** The tags of a message that matter to a test, as an object (for toMatchObject). */
export function tags(m: Received, ...wanted: number[]): Record<number, string | undefined> {
  return Object.fromEntries(wanted.map((t) => [t, m.get(t)]));
}
