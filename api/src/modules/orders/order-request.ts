import type { EngineEvent, OrdType, RequestedCancelReason, Side, TimeInForce } from '../../engine/index.js';
import type { Channel, OrderRecord } from './order-record.js';

/** A new order, validated at the edge (symbol exists, integers in range, price on tick). */
export interface NewOrderRequest {
  readonly kind: 'new';
  readonly accountId: number;
  readonly clOrdId: string;
  /**
   * True when the server made the ClOrdID up (a random UUID; the client sent none): it cannot
   * name an earlier order, so the retry lookup skips it (the unique key still guards it).
   */
  readonly clOrdIdGenerated?: boolean;
  readonly symbol: string;
  readonly side: Side;
  readonly ordType: OrdType;
  readonly tif: TimeInForce;
  /** Ticks; 0 for market orders. */
  readonly priceTicks: number;
  readonly qty: number;
  readonly postOnly: boolean;
  /** The worst price (ticks) it may trade at: its price band's edge (NewOrderCommand.bandPrice); undefined = none. */
  readonly bandPrice?: number;
  readonly channel: Channel;
}

/** Cancel an open order. `accountId` undefined = on behalf of an admin (no ownership check). */
export interface CancelRequest {
  readonly kind: 'cancel';
  readonly accountId?: number;
  readonly orderId: number;
  readonly symbol: string;
  readonly channel: Channel;
  /** Why (a kill switch); an ordinary cancel (`USER`) when absent. Journaled with the command. */
  readonly reason?: RequestedCancelReason;
}

/** Cancel/replace: `qty` is the new total quantity; `priceTicks` undefined keeps the price. */
export interface AmendRequest {
  readonly kind: 'amend';
  readonly accountId?: number;
  readonly orderId: number;
  readonly symbol: string;
  readonly qty: number;
  readonly priceTicks?: number;
  readonly channel: Channel;
}

export type OrderRequest = NewOrderRequest | CancelRequest | AmendRequest;

/**
 * End of session for one symbol: expire its resting DAY orders for the close at `closeMs` (ms
 * since the epoch). Done at most once per close across replicas: under the product row lock, a
 * close at or before the row's `day_expired_through` is a no-op (see orders/expiry.ts).
 */
export interface ExpireRequest {
  readonly kind: 'expire';
  readonly symbol: string;
  readonly closeMs: number;
}

/** Anything the order path sequences. */
export type PathRequest = OrderRequest | ExpireRequest;

/** What an {@link ExpireRequest} did once committed. */
export interface ExpireOutcome {
  readonly kind: 'expire';
  /** False when this close had already been expired (by another replica, or an earlier request). */
  readonly performed: boolean;
  /** DAY orders expired. */
  readonly expired: number;
}

/** What the caller gets once the request's transaction has committed. */
export interface OrderOutcome {
  /** The order's committed state at the end of the transaction. */
  readonly order: OrderRecord;
  /** True when a new order's ClOrdID already existed: `order` is the existing order, nothing was done. */
  readonly duplicate: boolean;
  /** The engine events this request caused (empty for a duplicate). */
  readonly events: readonly EngineEvent[];
}
