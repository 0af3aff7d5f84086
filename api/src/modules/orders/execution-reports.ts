import type { EngineEvent, OrderState } from '../../engine/index.js';
import { orderToWire, type ExecReportMsg, type ExecType } from '../realtime/messages.js';
import type { OrderRecord } from './order-record.js';

/** An execution report as the order path makes it: the bus message without the product's tick size. */
export type ExecutionReportOf = Omit<ExecReportMsg, 'tickSize'>;

/**
 * Execution reports for one symbol's committed events, each carrying the order's state as of that
 * event (FIX: one report per order per event; a trade reports both sides). Pure: the publisher
 * adds the product's tick size, the order-event log and the FIX gateway read them as they are.
 */
export function executionReports(symbol: string, events: readonly EngineEvent[], orders: ReadonlyMap<number, OrderRecord>): ExecutionReportOf[] {
  const out: ExecutionReportOf[] = [];
  const report = (execId: string, execType: ExecType, s: OrderState | undefined, orderId: number, time: number, extra: Partial<ExecutionReportOf> = {}) => {
    const final = orders.get(orderId);
    if (!final) return;
    const order = s
      ? { ...orderToWire(final), priceTicks: s.price, qty: s.qty, cumQty: s.cumQty, leavesQty: s.leavesQty, cumNotional: s.cumNotional, status: s.status }
      : orderToWire(final);
    out.push({ execId, execType, order, lastQty: null, lastPxTicks: null, tradeId: null, reason: null, time, ...extra });
  };
  for (const e of events) {
    switch (e.type) {
      case 'accepted':
        report(`${symbol}:${e.seq}:${e.order.orderId}`, 'NEW', e.order, e.order.orderId, e.timestamp);
        break;
      case 'trade':
        for (const s of [e.maker, e.taker]) {
          report(`${symbol}:${e.tradeId}:${s.side === 'BUY' ? 'B' : 'S'}`, 'TRADE', s, s.orderId, e.timestamp, {
            lastQty: e.qty,
            lastPxTicks: e.price,
            tradeId: e.tradeId,
          });
        }
        break;
      case 'amended':
        report(`${symbol}:${e.seq}:${e.order.orderId}`, 'REPLACED', e.order, e.order.orderId, e.timestamp);
        break;
      case 'canceled':
        report(`${symbol}:${e.seq}:${e.order.orderId}`, 'CANCELED', e.order, e.order.orderId, e.timestamp, { reason: e.reason });
        break;
      case 'expired':
        report(`${symbol}:${e.seq}:${e.order.orderId}`, 'EXPIRED', e.order, e.order.orderId, e.timestamp, { reason: 'DAY_EXPIRED' });
        break;
      case 'rejected':
        // Only a refused new order has a row (status REJECTED); refused cancels and amends are answered to their caller.
        if (e.command === 'new') report(`${symbol}:r:${e.orderId}`, 'REJECTED', undefined, e.orderId, e.timestamp, { reason: e.reason });
        break;
    }
  }
  return out;
}
