/**
 * Command builders for engine tests (pure; no test-framework imports). Defaults: GTC limit,
 * account = order id (so orders never self-trade unless a test says so), timestamp 1.
 */
import type { AmendCommand, CancelCommand, NewOrderCommand, Side } from '../../../src/engine/types.js';

/** A LIMIT order; `o` overrides any field. */
export function limit(side: Side, orderId: number, price: number, qty: number, o: Partial<NewOrderCommand> = {}): NewOrderCommand {
  return { type: 'new', orderId, account: orderId, side, ordType: 'LIMIT', tif: 'GTC', price, qty, timestamp: 1, ...o };
}

/** A BUY limit order. */
export function bid(orderId: number, price: number, qty: number, o: Partial<NewOrderCommand> = {}): NewOrderCommand {
  return limit('BUY', orderId, price, qty, o);
}

/** A SELL limit order. */
export function ask(orderId: number, price: number, qty: number, o: Partial<NewOrderCommand> = {}): NewOrderCommand {
  return limit('SELL', orderId, price, qty, o);
}

/** A MARKET IOC order without price. */
export function market(side: Side, orderId: number, qty: number, o: Partial<NewOrderCommand> = {}): NewOrderCommand {
  return { type: 'new', orderId, account: orderId, side, ordType: 'MARKET', tif: 'IOC', qty, timestamp: 1, ...o };
}

/** A cancel (admin: no account unless given). */
export function cancel(orderId: number, o: Partial<CancelCommand> = {}): CancelCommand {
  return { type: 'cancel', orderId, timestamp: 1, ...o };
}

/** An amend to total quantity `qty` (and optionally a new price). */
export function amend(orderId: number, qty: number, price?: number, o: Partial<AmendCommand> = {}): AmendCommand {
  return { type: 'amend', orderId, qty, ...(price === undefined ? {} : { price }), timestamp: 1, ...o };
}
