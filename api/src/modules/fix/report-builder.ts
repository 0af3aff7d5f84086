/**
 * Outgoing application messages as jspurefix message bodies (field names of the FIX 4.4
 * dictionary; prices as exact decimal strings, never binary floats). Pure functions.
 */
import type { OrderRecord } from '../orders/order-record.js';
import { MsgType } from 'jspurefix';
import {
  BusinessRejectReason,
  CxlRejResponseTo,
  ExecType as FixExecType,
  OrdRejReason,
  OrdStatus as FixOrdStatus,
} from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import { averagePrice, fromTicks } from '../../decimal.js';
import type { FixRejection } from './fix-rejections.js';
import {
  EXEC_INST_POST_ONLY,
  EXEC_TYPE_ORDER_STATUS,
  NO_ORDER_ID,
  ORD_STATUS_TO_FIX,
  ORD_TYPE_TO_FIX,
  SIDE_TO_FIX,
  TIF_TO_FIX,
} from './fix-codes.js';
import type { OrderEcho, SessionProblem } from './order-mapping.js';

/** A message to send: its MsgType (35) and body. */
export interface FixMessage {
  readonly msgType: string;
  readonly body: Record<string, unknown>;
}

/** An order's state as reports need it (an OrderRecord or a bus OrderWire). */
export type ReportOrder = Pick<
  OrderRecord,
  'id' | 'symbol' | 'side' | 'ordType' | 'tif' | 'postOnly' | 'priceTicks' | 'qty' | 'cumQty' | 'leavesQty' | 'cumNotional' | 'status'
>;

/** What one ExecutionReport says about the order. */
export interface ReportFacts {
  readonly execId: string;
  /** ExecType (150) value. */
  readonly execType: string;
  readonly clOrdId: string;
  readonly origClOrdId?: string;
  readonly lastQty?: number | null;
  readonly lastPxTicks?: number | null;
  readonly text?: string | null;
  readonly ordRejReason?: number;
  readonly statusReqId?: string | null;
  readonly time: Date;
}

/** ExecutionReport (8) for an order that exists. */
export function orderReport(o: ReportOrder, tickSize: string, f: ReportFacts): FixMessage {
  const fill = f.lastQty != null && f.lastPxTicks != null;
  return {
    msgType: MsgType.ExecutionReport,
    body: {
      OrderID: String(o.id),
      ClOrdID: f.clOrdId,
      OrigClOrdID: f.origClOrdId,
      OrdStatusReqID: f.statusReqId ?? undefined,
      ExecID: f.execId,
      ExecType: f.execType,
      OrdStatus: ORD_STATUS_TO_FIX[o.status],
      OrdRejReason: f.ordRejReason,
      Instrument: { Symbol: o.symbol },
      Side: SIDE_TO_FIX[o.side],
      OrderQtyData: { OrderQty: o.qty },
      OrdType: ORD_TYPE_TO_FIX[o.ordType],
      Price: o.ordType === 'LIMIT' ? fromTicks(o.priceTicks, tickSize) : undefined,
      TimeInForce: TIF_TO_FIX[o.tif],
      ExecInst: o.postOnly ? EXEC_INST_POST_ONLY : undefined,
      LastQty: fill ? f.lastQty : undefined,
      LastPx: fill ? fromTicks(f.lastPxTicks!, tickSize) : undefined,
      LeavesQty: o.leavesQty,
      CumQty: o.cumQty,
      AvgPx: averagePrice(o.cumNotional, o.cumQty, tickSize) ?? '0',
      TransactTime: f.time,
      Text: f.text ?? undefined,
    },
  };
}

/** ExecutionReport (39=8, 150=8) for a NewOrderSingle refused before any order existed. */
export function refusedOrderReport(echo: OrderEcho, rejection: FixRejection, execId: string, time: Date): FixMessage {
  return {
    msgType: MsgType.ExecutionReport,
    body: {
      ...echoed(echo),
      ExecID: execId,
      ExecType: FixExecType.Rejected,
      OrdStatus: FixOrdStatus.Rejected,
      OrdRejReason: rejection.ordRejReason,
      LeavesQty: 0,
      CumQty: 0,
      AvgPx: '0',
      TransactTime: time,
      Text: rejection.text,
    },
  };
}

/** ExecutionReport (150=I, 39=8, 103=5) answering an OrderStatusRequest for an order we do not know (or could not look up). */
export function unknownOrderReport(echo: OrderEcho, statusReqId: string | null, execId: string, time: Date, text = 'Unknown order.'): FixMessage {
  return {
    msgType: MsgType.ExecutionReport,
    body: {
      ...echoed(echo),
      OrdStatusReqID: statusReqId ?? undefined,
      ExecID: execId,
      ExecType: EXEC_TYPE_ORDER_STATUS,
      OrdStatus: FixOrdStatus.Rejected,
      OrdRejReason: OrdRejReason.UnknownOrder,
      LeavesQty: 0,
      CumQty: 0,
      AvgPx: '0',
      TransactTime: time,
      Text: text,
    },
  };
}

/** Fields of a request echoed on a report about an order that does not exist. */
function echoed(echo: OrderEcho): Record<string, unknown> {
  return {
    OrderID: NO_ORDER_ID,
    ClOrdID: echo.clOrdId,
    Instrument: { Symbol: echo.symbol },
    Side: echo.side,
    OrderQtyData: echo.orderQty === null ? undefined : { OrderQty: echo.orderQty },
    OrdType: echo.ordType ?? undefined,
    Price: echo.price ?? undefined,
  };
}

/** Which request an OrderCancelReject answers. */
export type CancelRejectTo = 'cancel' | 'replace';

/** OrderCancelReject (9). `order` is the order's current state when it is known. */
export function cancelReject(
  request: { readonly clOrdId: string; readonly origClOrdId: string },
  order: ReportOrder | undefined,
  to: CancelRejectTo,
  rejection: FixRejection,
  time: Date,
): FixMessage {
  return {
    msgType: MsgType.OrderCancelReject,
    body: {
      OrderID: order ? String(order.id) : NO_ORDER_ID,
      ClOrdID: request.clOrdId,
      OrigClOrdID: request.origClOrdId,
      OrdStatus: order ? ORD_STATUS_TO_FIX[order.status] : FixOrdStatus.Rejected,
      TransactTime: time,
      CxlRejResponseTo: to === 'cancel' ? CxlRejResponseTo.OrderCancelRequest : CxlRejResponseTo.OrderCancelReplaceRequest,
      CxlRejReason: rejection.cxlRejReason,
      Text: rejection.text,
    },
  };
}

/** Business Message Reject (j) for an application message type the gateway does not offer. */
export function unsupportedMessageReject(refSeqNum: number, refMsgType: string): FixMessage {
  return {
    msgType: MsgType.BusinessMessageReject,
    body: {
      RefSeqNum: refSeqNum,
      RefMsgType: refMsgType,
      BusinessRejectReason: BusinessRejectReason.UnsupportedMessageType,
      Text: `MsgType ${refMsgType} is not supported; this gateway accepts D, F, G, H and q.`,
    },
  };
}

/** Session-level Reject (3) of a malformed message. */
export function sessionReject(refSeqNum: number, refMsgType: string, problem: SessionProblem): FixMessage {
  return {
    msgType: MsgType.Reject,
    body: {
      RefSeqNum: refSeqNum,
      RefTagID: problem.refTagId,
      RefMsgType: refMsgType,
      SessionRejectReason: problem.reason,
      Text: problem.text,
    },
  };
}
