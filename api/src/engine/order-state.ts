/**
 * Small pure helpers shared by the book: input checks and OrderState construction.
 */
import type { OrdStatus, OrdType, OrderState, Side, TimeInForce } from './types.js';

/** True for a positive safe integer (the only valid order id, quantity and limit price). */
export function isPositiveSafeInteger(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) > 0;
}

/** True for one of the four time-in-force values. */
export function isTimeInForce(x: unknown): x is TimeInForce {
  return x === 'GTC' || x === 'DAY' || x === 'IOC' || x === 'FOK';
}

/**
 * Builds an {@link OrderState}. Always the same property order, so every state object shares one
 * hidden class.
 */
export function orderState(
  orderId: number,
  account: number,
  side: Side,
  ordType: OrdType,
  tif: TimeInForce,
  price: number,
  qty: number,
  cumQty: number,
  leavesQty: number,
  cumNotional: number,
  status: OrdStatus,
): OrderState {
  return { orderId, account, side, ordType, tif, price, qty, cumQty, leavesQty, cumNotional, status };
}

/** NEW, PARTIALLY_FILLED or FILLED for a live order with this fill state. */
export function liveStatus(qty: number, cumQty: number): OrdStatus {
  return cumQty === 0 ? 'NEW' : cumQty < qty ? 'PARTIALLY_FILLED' : 'FILLED';
}
