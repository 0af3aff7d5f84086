/**
 * The matching engine's public vocabulary.
 *
 * Names follow FIX 4.4 so the engine, the GraphQL API, the FIX gateway and the database speak
 * one language. Everything inside is an integer: prices in ticks of the product's tick size,
 * quantities in lots (shares), notionals in ticks × lots. The engine is pure: no I/O, no
 * environment, no clock of its own — every command carries its own timestamp.
 */

// The FIX vocabulary is declared once here, as values; the GraphQL enums, the entity columns and
// the FIX tag maps are derived from these lists.

/** Side (54): BUY=1, SELL=2. */
export const SIDES = ['BUY', 'SELL'] as const;
export type Side = (typeof SIDES)[number];

/** OrdType (40): MARKET=1, LIMIT=2. */
export const ORD_TYPES = ['MARKET', 'LIMIT'] as const;
export type OrdType = (typeof ORD_TYPES)[number];

/** TimeInForce (59): DAY=0, GTC=1, IOC=3, FOK=4. */
export const TIMES_IN_FORCE = ['DAY', 'GTC', 'IOC', 'FOK'] as const;
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];

/** OrdStatus (39) values the engine produces. PENDING_NEW exists only before the engine sees an order. */
export const ORD_STATUSES = ['PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'] as const;
export type OrdStatus = (typeof ORD_STATUSES)[number];

/** The statuses of an order that rests in its book and can still trade, be canceled or amended. */
export const OPEN_STATUSES = ['NEW', 'PARTIALLY_FILLED'] as const satisfies readonly OrdStatus[];

/** Whether an order in this status is open (see {@link OPEN_STATUSES}). */
export function isOpenStatus(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

/**
 * Self-trade prevention mode, applied when an incoming order would trade with a resting order
 * of the same account.
 * - `CANCEL_RESTING` (default): cancel the resting order's remaining quantity and keep matching.
 * - `CANCEL_INCOMING`: cancel the incoming order's remaining quantity and stop matching.
 */
export type SelfTradePrevention = 'CANCEL_RESTING' | 'CANCEL_INCOMING';

/** Why an order left the book without being filled. */
export type CancelReason =
  | 'IOC_REMAINDER' // the unfilled rest of an IOC limit order
  | 'MARKET_REMAINDER' // the unfilled rest of a market order (no liquidity left)
  | 'SELF_TRADE' // self-trade prevention
  | 'FOK_UNFILLABLE' // a FOK order that could not fill entirely (no trade happened)
  | 'BOOK_FULL' // the rest of a limit order that would rest in a book already holding maxRestingOrders
  | 'NOTIONAL_LIMIT' // the order's notional (Σ price × qty of its fills and leaves) would pass 2^53 − 1
  | 'PRICE_BAND' // the rest of an order whose next fill would be beyond its price band (NewOrderCommand.bandPrice)
  | RequestedCancelReason;

/**
 * Why a cancel command was sent, carried into its `canceled` event (and so into the journal,
 * the order row and the execution reports): `USER` for an ordinary cancel (the default), or a
 * kill switch.
 */
export type RequestedCancelReason =
  | 'USER' // the owner (or an admin) asked for this order
  | 'MASS_CANCEL' // a cancel-all (GraphQL cancelAllOrders, FIX OrderMassCancelRequest)
  | 'ACCOUNT_DISABLED' // an admin disabled the account
  | 'DISCONNECT'; // the account's FIX session ended with cancel-on-disconnect on

/** Every {@link RequestedCancelReason}: a cancel naming another reason is INVALID_COMMAND. */
export const REQUESTED_CANCEL_REASONS: readonly RequestedCancelReason[] = ['USER', 'MASS_CANCEL', 'ACCOUNT_DISABLED', 'DISCONNECT'];

/**
 * Result codes. `OK` means the command was applied (which can still mean the order was
 * canceled, e.g. an IOC with nothing to match). Every other code means the command changed
 * nothing at all: no event except a `rejected` one, the book and sequence number untouched
 * apart from that event.
 */
export type ResultCode =
  | 'OK'
  | 'INVALID_QUANTITY' // not a positive safe integer
  | 'QUANTITY_TOO_LARGE' // above the book's maxOrderQty
  | 'INVALID_PRICE' // limit price not a positive safe integer, or a price on a market order
  | 'INVALID_ORDER_ID' // not a positive safe integer
  | 'INVALID_TIME_IN_FORCE' // e.g. DAY/GTC on a MARKET order
  | 'DUPLICATE_ORDER_ID' // an order with this id is resting in the book
  | 'UNKNOWN_ORDER' // cancel/amend of an id not resting in the book (filled, canceled, never seen)
  | 'AMEND_BELOW_FILLED' // new quantity <= cumQty
  | 'POST_ONLY_WOULD_TAKE' // post-only limit order would have traded on arrival
  | 'NOT_OWNER' // cancel/amend naming an account that does not own the order
  | 'INVALID_COMMAND'; // malformed command the type system should have stopped: unknown `type`, side, ordType or stp, account not a safe integer, postOnly on a MARKET order

/** A new order entering the book. */
export interface NewOrderCommand {
  readonly type: 'new';
  /** Positive safe integer, unique for ever (the caller allocates it; the book refuses one that is resting). */
  readonly orderId: number;
  /** Owner account id; self-trade prevention compares these. */
  readonly account: number;
  readonly side: Side;
  readonly ordType: OrdType;
  /** GTC/DAY rest their remainder (LIMIT only); IOC cancels it; FOK fills all or nothing. MARKET allows IOC and FOK. */
  readonly tif: TimeInForce;
  /** Limit price in ticks (positive integer); must be 0 or omitted for MARKET. */
  readonly price?: number;
  /** Quantity in lots, positive safe integer. */
  readonly qty: number;
  /** LIMIT only: reject instead of taking liquidity. */
  readonly postOnly?: boolean;
  /** Defaults to the book's configured mode (itself `CANCEL_RESTING` by default). */
  readonly stp?: SelfTradePrevention;
  /**
   * The worst price (ticks, a positive safe integer) the order may trade at: at most this for a
   * buy, at least this for a sell. Matching stops before a price beyond it and the unfilled rest
   * is canceled with PRICE_BAND (a FOK counts no liquidity beyond it). Omitted = no band. The
   * caller computes it (the price band around the reference price), so the book stays pure.
   */
  readonly bandPrice?: number;
  /** Caller-supplied time (ms since epoch or any monotonic integer); copied into events. */
  readonly timestamp: number;
}

/** Cancel a resting order. */
export interface CancelCommand {
  readonly type: 'cancel';
  readonly orderId: number;
  /** When given, the order must belong to this account (else NOT_OWNER). Admin cancels omit it. */
  readonly account?: number;
  /** Why; `USER` when omitted. Copied into the `canceled` event. */
  readonly reason?: RequestedCancelReason;
  readonly timestamp: number;
}

/**
 * Cancel/replace. `qty` is the new total order quantity (FIX OrderQty 38), so the new leaves
 * quantity is `qty - cumQty`. Lowering quantity at the same price keeps time priority; raising it
 * or changing the price loses priority (the order moves to the back of its new level) and may
 * trade if the new price crosses.
 */
export interface AmendCommand {
  readonly type: 'amend';
  readonly orderId: number;
  readonly account?: number;
  /** New total quantity in lots; must be > cumQty. */
  readonly qty: number;
  /** New limit price in ticks; omitted = unchanged. */
  readonly price?: number;
  readonly timestamp: number;
}

/** End of session: every resting DAY order expires. */
export interface ExpireDayCommand {
  readonly type: 'expireDay';
  readonly timestamp: number;
}

export type Command = NewOrderCommand | CancelCommand | AmendCommand | ExpireDayCommand;

/** The state of one order after an event, as FIX reports it. */
export interface OrderState {
  readonly orderId: number;
  readonly account: number;
  readonly side: Side;
  readonly ordType: OrdType;
  readonly tif: TimeInForce;
  /** Limit price in ticks; 0 for MARKET. */
  readonly price: number;
  /** OrderQty (38): total quantity in lots. */
  readonly qty: number;
  /** CumQty (14). */
  readonly cumQty: number;
  /** LeavesQty (151): 0 once the order is done (filled, canceled, expired, rejected). */
  readonly leavesQty: number;
  /** Sum of lastPx × lastQty over fills, in ticks × lots. AvgPx = cumNotional / cumQty. */
  readonly cumNotional: number;
  readonly status: OrdStatus;
}

interface EventBase {
  /**
   * The book's sequence number: every state-changing event advances it by exactly 1, so the
   * events of one command carry consecutive seqs. A `rejected` event changes no state and
   * carries the book's current seq without advancing it.
   */
  readonly seq: number;
  readonly timestamp: number;
}

/** A new order was accepted (ExecType NEW). Emitted before any trade it takes part in. */
export interface AcceptedEvent extends EventBase {
  readonly type: 'accepted';
  readonly order: OrderState;
}

/** A fill between a resting maker and the incoming taker, at the maker's price (ExecType TRADE). */
export interface TradeEvent extends EventBase {
  readonly type: 'trade';
  /** Unique within the book: equals this event's seq. */
  readonly tradeId: number;
  readonly price: number;
  readonly qty: number;
  readonly aggressorSide: Side;
  /** Maker state after this fill. */
  readonly maker: OrderState;
  /** Taker state after this fill. */
  readonly taker: OrderState;
}

/** An order's quantity and/or price changed (ExecType REPLACED). */
export interface AmendedEvent extends EventBase {
  readonly type: 'amended';
  readonly order: OrderState;
  readonly priorityKept: boolean;
}

/** An order's remaining quantity was canceled (ExecType CANCELED). */
export interface CanceledEvent extends EventBase {
  readonly type: 'canceled';
  readonly order: OrderState;
  readonly reason: CancelReason;
  /** The leaves quantity removed. */
  readonly canceledQty: number;
}

/** A command was refused (ExecType REJECTED for new orders). */
export interface RejectedEvent extends EventBase {
  readonly type: 'rejected';
  readonly orderId: number;
  readonly reason: Exclude<ResultCode, 'OK'>;
  /** The command that was refused. */
  readonly command: 'new' | 'cancel' | 'amend';
}

/** A DAY order expired at end of session (ExecType EXPIRED). */
export interface ExpiredEvent extends EventBase {
  readonly type: 'expired';
  readonly order: OrderState;
}

export type EngineEvent =
  | AcceptedEvent
  | TradeEvent
  | AmendedEvent
  | CanceledEvent
  | RejectedEvent
  | ExpiredEvent;

/** What a command returns: a result code and the events, in order. */
export interface CommandResult {
  readonly code: ResultCode;
  readonly events: readonly EngineEvent[];
}

/** One price level of L2 depth. */
export interface DepthLevel {
  readonly price: number;
  /** Total leaves quantity at this level. */
  readonly qty: number;
  /** Number of resting orders at this level. */
  readonly count: number;
}

export interface Depth {
  /** Best first: highest bid first. */
  readonly bids: readonly DepthLevel[];
  /** Best first: lowest ask first. */
  readonly asks: readonly DepthLevel[];
  /** The book's sequence number this snapshot reflects. */
  readonly seq: number;
}

export interface LastTrade {
  readonly price: number;
  readonly qty: number;
  readonly tradeId: number;
  readonly timestamp: number;
}

/** A resting order as the recovery path supplies it (from the database), in priority order. */
export interface RestingOrder {
  readonly orderId: number;
  readonly account: number;
  readonly side: Side;
  readonly tif: TimeInForce;
  readonly price: number;
  readonly qty: number;
  readonly cumQty: number;
  readonly cumNotional: number;
}

export interface BookOptions {
  /** Default self-trade prevention mode; `CANCEL_RESTING` when omitted. */
  readonly stp?: SelfTradePrevention;
  /**
   * Largest quantity (lots) of a new order or an amend; larger ones are rejected with
   * QUANTITY_TOO_LARGE. Default {@link DEFAULT_MAX_ORDER_QTY}.
   */
  readonly maxOrderQty?: number;
  /**
   * Most orders resting in the book (both sides); the rest of an order that would rest beyond
   * it is canceled with BOOK_FULL. Default {@link DEFAULT_MAX_RESTING_ORDERS}.
   * `maxOrderQty × maxRestingOrders` must not exceed 2^53 − 1: every level total, side total
   * and FOK liquidity sum then stays an exact integer.
   */
  readonly maxRestingOrders?: number;
}

/** Default {@link BookOptions.maxOrderQty}: 2^31 − 1 lots (a GraphQL Int). */
export const DEFAULT_MAX_ORDER_QTY = 2 ** 31 - 1;

/** Default {@link BookOptions.maxRestingOrders}: 2^22 (× 2^31 − 1 lots stays below 2^53). */
export const DEFAULT_MAX_RESTING_ORDERS = 2 ** 22;
