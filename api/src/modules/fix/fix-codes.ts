/**
 * The FIX 4.4 vocabulary of the gateway: the platform's names (FIX names already, see
 * ARCHITECTURE.md) mapped to their tag values, and the gateway's fixed settings.
 *
 * Tag numbers come from jspurefix's `MsgTag`, message types from `MsgType`, enumerations from
 * the QuickFIX FIX 4.4 dictionary's generated enums, so no FIX code is spelled out by hand.
 */
import {
  ExecInst,
  ExecType as FixExecType,
  OrdStatus as FixOrdStatus,
  OrdType as FixOrdType,
  Side as FixSide,
  TimeInForce as FixTimeInForce,
} from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import { MsgType } from 'jspurefix';
import { ORD_TYPES, SIDES, TIMES_IN_FORCE, type CancelReason, type OrdStatus, type OrdType, type Side, type TimeInForce } from '../../engine/index.js';
import type { ExecType } from '../realtime/messages.js';

/** BeginString (8) of every session. */
export const BEGIN_STRING = 'FIX.4.4';

/** A CompID (49/56) the gateway accepts: 1 to 64 printable ASCII characters, no spaces. */
export const COMP_ID_PATTERN = /^[\x21-\x7e]{1,64}$/;

/** jspurefix alias of the QuickFIX-format FIX 4.4 dictionary (node_modules/jspurefix/data/FIX44.xml). */
export const DICTIONARY = 'qf44';

/**
 * CancelOrdersOnDisconnect (8013, user-defined; the tag several venues use): on a Logon, `Y`
 * cancels the account's open orders when the session ends, `N` keeps them; absent, the
 * account's `cancelOnDisconnect` setting decides.
 */
export const TAG_CANCEL_ON_DISCONNECT = 8013;

/** OrderID (37) when no order exists (a refused NewOrderSingle, an unknown order). */
export const NO_ORDER_ID = 'NONE';

/** Accepted HeartBtInt (108) range on Logon, in seconds. */
export const MIN_HEARTBEAT_SECONDS = 1;
export const MAX_HEARTBEAT_SECONDS = 300;

/** ClOrdIDs are unique per account for at least this long (FIX asks for a trading day; orders' own are unique for ever). */
export const CL_ORD_ID_UNIQUENESS_MS = 24 * 3600 * 1000;

/** How long a process's claim on a session lasts without renewal, and how often it renews. */
export const SESSION_LEASE_MS = 15_000;
export const SESSION_LEASE_RENEW_MS = 5_000;

/**
 * Sequence numbers are written behind, at most once per this interval per session: a crash can
 * lose the last few. A session taken over from a process that never released it therefore skips
 * this many outgoing numbers, so the counterparty sees a gap it can fill rather than numbers it
 * has already seen.
 */
export const SEQNUM_WRITE_INTERVAL_MS = 25;
export const TAKEOVER_SENDER_SEQ_SKIP = 1_000;

/**
 * Messages a session holds ahead of a gap (waiting for the resend) before it gives up with a
 * Logout: bounds the memory one counterparty can take.
 */
export const MAX_OUT_OF_SEQUENCE = 1_000;

/** How long a graceful stop waits for counterparties to confirm our Logout. */
export const LOGOUT_WAIT_MS = 2_000;

/** The application messages the gateway answers; any other application message gets a Business Message Reject. */
export const SUPPORTED_MSG_TYPES: ReadonlySet<string> = new Set([
  MsgType.NewOrderSingle,
  MsgType.OrderCancelRequest,
  MsgType.OrderCancelReplaceRequest,
  MsgType.OrderStatusRequest,
  MsgType.OrderMassCancelRequest,
]);

/** Side (54). */
export const SIDE_TO_FIX: Readonly<Record<Side, string>> = { BUY: FixSide.Buy, SELL: FixSide.Sell };
export const SIDE_FROM_FIX: Readonly<Record<string, Side>> = Object.fromEntries(SIDES.map((s) => [SIDE_TO_FIX[s], s]));

/** OrdType (40). */
export const ORD_TYPE_TO_FIX: Readonly<Record<OrdType, string>> = { MARKET: FixOrdType.Market, LIMIT: FixOrdType.Limit };
export const ORD_TYPE_FROM_FIX: Readonly<Record<string, OrdType>> = Object.fromEntries(ORD_TYPES.map((t) => [ORD_TYPE_TO_FIX[t], t]));

/** TimeInForce (59). */
export const TIF_TO_FIX: Readonly<Record<TimeInForce, string>> = {
  DAY: FixTimeInForce.Day,
  GTC: FixTimeInForce.GoodTillCancel,
  IOC: FixTimeInForce.ImmediateOrCancel,
  FOK: FixTimeInForce.FillOrKill,
};
export const TIF_FROM_FIX: Readonly<Record<string, TimeInForce>> = Object.fromEntries(TIMES_IN_FORCE.map((t) => [TIF_TO_FIX[t], t]));

/** OrdStatus (39). */
export const ORD_STATUS_TO_FIX: Readonly<Record<OrdStatus, string>> = {
  PENDING_NEW: FixOrdStatus.PendingNew,
  NEW: FixOrdStatus.New,
  PARTIALLY_FILLED: FixOrdStatus.PartiallyFilled,
  FILLED: FixOrdStatus.Filled,
  CANCELED: FixOrdStatus.Canceled,
  REJECTED: FixOrdStatus.Rejected,
  EXPIRED: FixOrdStatus.Expired,
};

/** ExecType (150) of bus reports. */
export const EXEC_TYPE_TO_FIX: Readonly<Record<ExecType, string>> = {
  NEW: FixExecType.New,
  CANCELED: FixExecType.Canceled,
  REPLACED: FixExecType.Replace,
  REJECTED: FixExecType.Rejected,
  EXPIRED: FixExecType.Expired,
  TRADE: FixExecType.Trade,
};

/** ExecType (150) of a report answering an OrderStatusRequest or a duplicate ClOrdID. */
export const EXEC_TYPE_ORDER_STATUS: string = FixExecType.OrderStatus;

/** ExecInst (18) value meaning post-only: "participate, don't initiate". */
export const EXEC_INST_POST_ONLY: string = ExecInst.ParticipateDontInitiate;

/** Text (58) of an ExecutionReport for an order that left the book unfilled, by the platform's reason. */
export const LEFT_BOOK_TEXT: Readonly<Record<CancelReason | 'DAY_EXPIRED', string>> = {
  USER: 'Canceled on request.',
  MASS_CANCEL: 'Canceled by a cancel-all (mass cancel) request.',
  ACCOUNT_DISABLED: 'Canceled: the account was disabled.',
  DISCONNECT: 'Canceled on disconnect: the FIX session ended.',
  IOC_REMAINDER: 'Immediate-or-cancel: the unfilled quantity was canceled.',
  MARKET_REMAINDER: 'Market order: no more liquidity; the unfilled quantity was canceled.',
  SELF_TRADE: 'Canceled by self-trade prevention.',
  FOK_UNFILLABLE: 'Fill-or-kill: the order could not be filled entirely.',
  DAY_EXPIRED: 'Day order expired at the end of the trading day.',
  BOOK_FULL: 'The book holds as many resting orders as it may: the unfilled quantity was canceled.',
  NOTIONAL_LIMIT: "The order's total value reached the largest the exchange accepts: the rest was canceled.",
  PRICE_BAND: 'Price band: the next fill would have been outside the price band; the unfilled quantity was canceled.',
};

/** Text (58) for a cancel or expiry `reason`: human-readable, whatever the reason. */
export function leftBookText(reason: string): string {
  return (LEFT_BOOK_TEXT as Readonly<Record<string, string>>)[reason] ?? `Canceled (${reason.toLowerCase().replace(/_/g, ' ')}).`;
}
