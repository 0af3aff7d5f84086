/**
 * The FIX side of the one error map (errors.ts): a refused request's DomainError reason → the
 * OrdRejReason / CxlRejReason a FIX client is told, with the same message in Text (58).
 */
import { CxlRejReason, OrdRejReason } from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import { DomainError, databaseUnavailable, type ReasonCode } from '../../errors.js';
import { isDatabaseUnavailable } from '../../db/unavailable.js';

/** What a FIX client is told about a refused request: the FIX side of the one error map. */
export interface FixRejection {
  /** OrdRejReason (103) for a refused NewOrderSingle (ExecutionReport 39=8/150=8). */
  readonly ordRejReason: number;
  /** CxlRejReason (102) for a refused OrderCancelRequest or OrderCancelReplaceRequest. */
  readonly cxlRejReason: number;
  /** Text (58): the same message a GraphQL client gets. */
  readonly text: string;
}

/** DomainError reasons → [OrdRejReason, CxlRejReason]; anything else is "Other" (99) with its message. */
const FIX_REASONS: Partial<Record<ReasonCode, [number, number]>> = {
  UNKNOWN_SYMBOL: [OrdRejReason.UnknownSymbol, CxlRejReason.Other],
  SYMBOL_HALTED: [OrdRejReason.ExchangeClosed, CxlRejReason.Broker],
  MARKET_CLOSED: [OrdRejReason.ExchangeClosed, CxlRejReason.Other],
  SHUTTING_DOWN: [OrdRejReason.Broker, CxlRejReason.Broker],
  OVERLOADED: [OrdRejReason.Broker, CxlRejReason.Broker],
  ORDER_QUEUE_FULL: [OrdRejReason.Broker, CxlRejReason.Broker],
  DATABASE_UNAVAILABLE: [OrdRejReason.Broker, CxlRejReason.Broker],
  INVALID_QUANTITY: [OrdRejReason.IncorrectQuantity, CxlRejReason.Other],
  AMEND_BELOW_FILLED: [OrdRejReason.IncorrectQuantity, CxlRejReason.Other],
  QUANTITY_TOO_LARGE: [OrdRejReason.OrderExceedsLimit, CxlRejReason.Other],
  INVALID_TIME_IN_FORCE: [OrdRejReason.UnsupportedOrderCharacteristic12SurveillenceOption, CxlRejReason.Other],
  POST_ONLY_NOT_ALLOWED: [OrdRejReason.UnsupportedOrderCharacteristic12SurveillenceOption, CxlRejReason.Other],
  UNSUPPORTED_ORDER: [OrdRejReason.UnsupportedOrderCharacteristic12SurveillenceOption, CxlRejReason.Other],
  DUPLICATE_CL_ORD_ID: [OrdRejReason.DuplicateOrder, CxlRejReason.DuplicateClordid],
  UNKNOWN_ACCOUNT: [OrdRejReason.UnknownAccount, CxlRejReason.Other],
  ORDER_NOT_FOUND: [OrdRejReason.UnknownOrder, CxlRejReason.UnknownOrder],
  INVALID_ORDER_ID: [OrdRejReason.UnknownOrder, CxlRejReason.UnknownOrder],
  NOT_OWNER: [OrdRejReason.UnknownOrder, CxlRejReason.UnknownOrder],
  ORDER_NOT_OPEN: [OrdRejReason.TooLateToEnter, CxlRejReason.TooLateToCancel],
  UNKNOWN_ORDER: [OrdRejReason.TooLateToEnter, CxlRejReason.TooLateToCancel],
  PRICE_OUT_OF_BAND: [OrdRejReason.OrderExceedsLimit, CxlRejReason.Other],
  ORDER_NOTIONAL_TOO_LARGE: [OrdRejReason.OrderExceedsLimit, CxlRejReason.Other],
  POSITION_LIMIT: [OrdRejReason.OrderExceedsLimit, CxlRejReason.Other],
  SHORT_SALE_NOT_ALLOWED: [OrdRejReason.OrderExceedsLimit, CxlRejReason.Other],
  THROTTLED: [OrdRejReason.Other, CxlRejReason.Other],
};

/**
 * The one map from any thrown value (or an engine reason code carried by a REJECTED report) to
 * FIX reject codes. Non-domain errors are internal: their message is hidden in production.
 */
export function toFixRejection(error: unknown, production: boolean): FixRejection {
  if (!(error instanceof DomainError) && isDatabaseUnavailable(error)) return toFixRejection(databaseUnavailable(), production);
  if (error instanceof DomainError) {
    const [ordRejReason, cxlRejReason] = FIX_REASONS[error.reason] ?? [OrdRejReason.Other, CxlRejReason.Other];
    return { ordRejReason, cxlRejReason, text: error.message };
  }
  const text = production ? 'Internal server error.' : String((error as Error)?.message ?? error);
  return { ordRejReason: OrdRejReason.Other, cxlRejReason: CxlRejReason.Other, text };
}
