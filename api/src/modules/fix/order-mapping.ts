/**
 * Incoming order messages → the order service's inputs. Pure: reads fields, checks their form
 * against FIX (session-level problems: missing tags, values outside the FIX enumeration, bad
 * number formats) and against what the platform supports (business-level refusals: a valid
 * FIX value the exchange does not offer). Everything else — symbol, tick, limits — is left to
 * the same validation GraphQL uses.
 */
import { MsgTag } from 'jspurefix';
import { SessionRejectReason } from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import type { OrdType, Side, TimeInForce } from '../../engine/index.js';
import { badInput, DomainError } from '../../errors.js';
import { EXEC_INST_POST_ONLY, ORD_TYPE_FROM_FIX, SIDE_FROM_FIX, TIF_FROM_FIX } from './fix-codes.js';

/** Read access to a received message's fields (a jspurefix MsgView satisfies it). */
export interface FieldSource {
  getString(tag: number): string | null;
}

/** Which values the dictionary allows for an enumerated field. */
export interface FieldDictionary {
  /** True when `tag` is not enumerated, or `value` is one of its values. */
  allows(tag: number, value: string): boolean;
}

/** A message that must be refused with a session Reject (35=3). */
export interface SessionProblem {
  readonly kind: 'session';
  readonly refTagId: number;
  readonly reason: SessionRejectReason;
  readonly text: string;
}

/** A well-formed request the platform refuses (ExecutionReport 39=8 or OrderCancelReject). */
export interface BusinessProblem {
  readonly kind: 'business';
  readonly error: DomainError;
  readonly echo: OrderEcho;
  /** OrigClOrdID (41) of a refused cancel/replace. */
  readonly origClOrdId: string;
}

export type Parsed<T> = { readonly kind: 'ok'; readonly value: T } | SessionProblem | BusinessProblem;

/** Fields of an order message echoed on the answer whatever happens (ExecutionReport requires Symbol and Side). */
export interface OrderEcho {
  readonly clOrdId: string;
  readonly symbol: string;
  /** Side (54) as received. */
  readonly side: string;
  readonly ordType: string | null;
  readonly orderQty: string | null;
  readonly price: string | null;
}

/** A NewOrderSingle (D) in the order service's terms. */
export interface NewOrderRequest {
  readonly echo: OrderEcho;
  readonly clOrdId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrdType;
  readonly price: string | null;
  readonly quantity: number;
  /** Absent: the platform default (DAY for limit, IOC for market orders). */
  readonly timeInForce: TimeInForce | null;
  readonly postOnly: boolean;
  /** Account (1), when given: must be the logged-on account's username. */
  readonly account: string | null;
}

/** An OrderCancelRequest (F). */
export interface CancelRequest {
  readonly echo: OrderEcho;
  readonly clOrdId: string;
  readonly origClOrdId: string;
  /** OrderID (37), when given. */
  readonly orderId: string | null;
}

/** An OrderCancelReplaceRequest (G): the new total quantity and, when given, the new price. */
export interface ReplaceRequest extends CancelRequest {
  readonly quantity: number;
  readonly price: string | null;
  readonly type: OrdType;
  readonly timeInForce: TimeInForce | null;
  readonly postOnly: boolean | null;
}

/** An OrderStatusRequest (H). */
export interface StatusRequest {
  readonly echo: OrderEcho;
  readonly clOrdId: string;
  readonly orderId: string | null;
  /** OrdStatusReqID (790), echoed on the report. */
  readonly statusReqId: string | null;
}

const QTY = /^-?\d+(\.\d+)?$/;
const WHOLE_QTY = /^(-?\d+)(\.0+)?$/;
const PRICE = /^-?\d+(\.\d+)?$/;

const session = (refTagId: number, reason: SessionRejectReason, text: string): SessionProblem => ({ kind: 'session', refTagId, reason, text });
const unsupported = (text: string) => badInput('UNSUPPORTED_ORDER', text);
const ok = <T>(value: T): Parsed<T> => ({ kind: 'ok', value });

/** Reads fields, turning absent, empty and out-of-dictionary values into session problems. */
class Reader {
  problem: SessionProblem | undefined;

  constructor(
    private readonly m: FieldSource,
    private readonly dict: FieldDictionary,
  ) {}

  required(tag: number): string {
    const v = this.optional(tag);
    if (v === null) this.fail(tag, SessionRejectReason.RequiredTagMissing, `Required tag ${tag} missing.`);
    return v ?? '';
  }

  optional(tag: number): string | null {
    const v = this.m.getString(tag);
    if (v === null || v === undefined) return null;
    if (v === '') {
      this.fail(tag, SessionRejectReason.TagSpecifiedWithoutAValue, `Tag ${tag} has no value.`);
      return null;
    }
    for (const part of tag === MsgTag.ExecInst ? v.split(' ') : [v]) {
      if (!this.dict.allows(tag, part)) this.fail(tag, SessionRejectReason.ValueIsIncorrect, `Value ${part} is not valid for tag ${tag}.`);
    }
    return v;
  }

  formatted(tag: number, value: string | null, pattern: RegExp): string | null {
    if (value !== null && !pattern.test(value)) this.fail(tag, SessionRejectReason.IncorrectDataFormatForValue, `Tag ${tag} is not a decimal number.`);
    return value;
  }

  private fail(tag: number, reason: SessionRejectReason, text: string): void {
    this.problem ??= session(tag, reason, text);
  }
}

function echoOf(r: Reader): OrderEcho {
  const orderQty = r.formatted(MsgTag.OrderQty, r.optional(MsgTag.OrderQty), QTY);
  return {
    clOrdId: r.required(MsgTag.ClOrdID),
    symbol: r.required(MsgTag.Symbol),
    side: r.required(MsgTag.Side),
    ordType: r.optional(MsgTag.OrdType),
    orderQty,
    price: r.formatted(MsgTag.Price, r.optional(MsgTag.Price), PRICE),
  };
}

/** A whole number of lots when the text is one, else a value the order service refuses as INVALID_QUANTITY. */
function lots(orderQty: string): number {
  const m = WHOLE_QTY.exec(orderQty);
  return m ? Number(m[1]) : Number.NaN;
}

/** Side, OrdType, TimeInForce and ExecInst values the platform supports, or the refusal. */
function characteristics(echo: OrderEcho, tif: string | null, execInst: string | null): DomainError | {
  side: Side;
  type: OrdType;
  timeInForce: TimeInForce | null;
  postOnly: boolean;
} {
  const side = SIDE_FROM_FIX[echo.side];
  if (!side) return unsupported(`Side ${echo.side} is not supported: use 1 (buy) or 2 (sell).`);
  const type = echo.ordType === null ? undefined : ORD_TYPE_FROM_FIX[echo.ordType];
  if (!type) return unsupported(`OrdType ${echo.ordType} is not supported: use 1 (market) or 2 (limit).`);
  const timeInForce = tif === null ? null : TIF_FROM_FIX[tif];
  if (timeInForce === undefined) return unsupported(`TimeInForce ${tif} is not supported: use 0 (day), 1 (GTC), 3 (IOC) or 4 (FOK).`);
  const instructions = execInst === null ? [] : execInst.split(' ');
  const other = instructions.find((i) => i !== EXEC_INST_POST_ONLY);
  if (other !== undefined) return unsupported(`ExecInst ${other} is not supported: only ${EXEC_INST_POST_ONLY} (post-only).`);
  return { side, type, timeInForce, postOnly: instructions.length > 0 };
}

/** NewOrderSingle (D). */
export function parseNewOrder(m: FieldSource, dict: FieldDictionary): Parsed<NewOrderRequest> {
  const r = new Reader(m, dict);
  const echo = echoOf(r);
  r.required(MsgTag.OrdType);
  r.required(MsgTag.OrderQty);
  const tif = r.optional(MsgTag.TimeInForce);
  const execInst = r.optional(MsgTag.ExecInst);
  const account = r.optional(MsgTag.Account);
  if (r.problem) return r.problem;
  const c = characteristics(echo, tif, execInst);
  if (c instanceof Error) return { kind: 'business', error: c, echo, origClOrdId: '' };
  return ok({ echo, clOrdId: echo.clOrdId, symbol: echo.symbol, ...c, price: echo.price, quantity: lots(echo.orderQty!), account });
}

/** OrderCancelRequest (F). */
export function parseCancel(m: FieldSource, dict: FieldDictionary): Parsed<CancelRequest> {
  const r = new Reader(m, dict);
  const echo = echoOf(r);
  const origClOrdId = r.required(MsgTag.OrigClOrdID);
  const orderId = r.optional(MsgTag.OrderID);
  if (r.problem) return r.problem;
  return ok({ echo, clOrdId: echo.clOrdId, origClOrdId, orderId });
}

/** OrderCancelReplaceRequest (G). */
export function parseReplace(m: FieldSource, dict: FieldDictionary): Parsed<ReplaceRequest> {
  const r = new Reader(m, dict);
  const echo = echoOf(r);
  const origClOrdId = r.required(MsgTag.OrigClOrdID);
  const orderId = r.optional(MsgTag.OrderID);
  r.required(MsgTag.OrdType);
  r.required(MsgTag.OrderQty);
  const tif = r.optional(MsgTag.TimeInForce);
  const execInst = r.optional(MsgTag.ExecInst);
  if (r.problem) return r.problem;
  const c = characteristics(echo, tif, execInst);
  if (c instanceof Error) return { kind: 'business', error: c, echo, origClOrdId };
  return ok({
    echo,
    clOrdId: echo.clOrdId,
    origClOrdId,
    orderId,
    quantity: lots(echo.orderQty!),
    price: echo.price,
    type: c.type,
    timeInForce: c.timeInForce,
    postOnly: execInst === null ? null : c.postOnly,
  });
}

/** OrderStatusRequest (H). */
export function parseStatus(m: FieldSource, dict: FieldDictionary): Parsed<StatusRequest> {
  const r = new Reader(m, dict);
  const echo = echoOf(r);
  const orderId = r.optional(MsgTag.OrderID);
  const statusReqId = r.optional(MsgTag.OrdStatusReqID);
  if (r.problem) return r.problem;
  return ok({ echo, clOrdId: echo.clOrdId, orderId, statusReqId });
}

/** OrderID (37) as we issue it (the order's id), or undefined for anything else. */
export function parseOrderId(orderId: string | null): number | undefined {
  if (orderId === null || !/^\d{1,15}$/.test(orderId)) return undefined;
  return Number(orderId);
}
