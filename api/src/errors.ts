/**
 * The one error model. Services return or throw {@link DomainError}s; `toGraphQLError` (the one
 * map) turns them into GraphQL errors with `extensions.code`; the FIX gateway maps the same
 * reasons to Reject / OrderCancelReject. Anything else reaching a client is a bug and is
 * masked as INTERNAL_SERVER_ERROR in production.
 */
import { GraphQLError } from 'graphql';
import type { Logger } from './logger.js';
import { CxlRejReason, OrdRejReason } from 'jspurefix/dist/types/FIX4.4/quickfix/enum/all-enum.js';
import { isDatabaseUnavailable } from './db/unavailable.js';

/** GraphQL `extensions.code` values the API produces. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** A failure the caller caused or can act on. `reason` is a stable machine-readable detail. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    message: string,
    /** The input field concerned, when there is one (clients show the message beside it). */
    readonly field?: string,
    /** For SERVICE_UNAVAILABLE and TOO_MANY_REQUESTS: when to try again (`extensions.retryAfterMs`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (reason: string, message: string, field?: string) =>
  new DomainError('BAD_USER_INPUT', reason, message, field);
export const notFound = (reason: string, message: string) => new DomainError('NOT_FOUND', reason, message);
export const conflict = (reason: string, message: string) => new DomainError('CONFLICT', reason, message);
export const forbidden = (message = 'You are not allowed to do this.') =>
  new DomainError('FORBIDDEN', 'FORBIDDEN', message);
export const unauthenticated = (message = 'Log in first.') =>
  new DomainError('UNAUTHENTICATED', 'UNAUTHENTICATED', message);
/** A refusal for lack of capacity or of the database: nothing was done; retry after `retryAfterMs`. */
export const unavailable = (reason: string, message: string, retryAfterMs: number) =>
  new DomainError('SERVICE_UNAVAILABLE', reason, `${message} Retry in ${retryAfterMs} ms.`, undefined, retryAfterMs);

/** How long a client should wait before retrying while the database is unreachable. */
export const DATABASE_RETRY_MS = 1000;

/**
 * The database could not be reached: SERVICE_UNAVAILABLE/DATABASE_UNAVAILABLE. A write may or
 * may not have committed when the connection broke during COMMIT: a retry with the same ClOrdID
 * never makes a second order.
 */
export const databaseUnavailable = () =>
  unavailable('DATABASE_UNAVAILABLE', 'The database is unavailable; retry with the same clOrdId (a retry never makes a second order).', DATABASE_RETRY_MS);

/** Engine result codes → (GraphQL code, message). */
const ENGINE_REASONS: Record<string, [ErrorCode, string]> = {
  INVALID_QUANTITY: ['BAD_USER_INPUT', 'Quantity must be a positive whole number of lots.'],
  INVALID_PRICE: ['BAD_USER_INPUT', 'Price must be a positive multiple of the tick size.'],
  INVALID_ORDER_ID: ['BAD_USER_INPUT', 'Unknown order id.'],
  INVALID_TIME_IN_FORCE: ['BAD_USER_INPUT', 'This time in force is not allowed for this order type.'],
  DUPLICATE_ORDER_ID: ['CONFLICT', 'An order with this id already exists.'],
  UNKNOWN_ORDER: ['CONFLICT', 'The order is no longer open.'],
  AMEND_BELOW_FILLED: ['BAD_USER_INPUT', 'The new quantity must be above the filled quantity.'],
  POST_ONLY_WOULD_TAKE: ['CONFLICT', 'A post-only order would have traded on arrival.'],
  NOT_OWNER: ['FORBIDDEN', 'This order belongs to another account.'],
};

/** The DomainError for an engine result code other than OK. */
export function engineError(code: string): DomainError {
  const [gqlCode, message] = ENGINE_REASONS[code] ?? ['INTERNAL_SERVER_ERROR', 'Unexpected engine result.'];
  return new DomainError(gqlCode, code, message, code === 'AMEND_BELOW_FILLED' ? 'quantity' : undefined);
}

/** The one map from any thrown value to what a GraphQL client sees. */
export function toGraphQLError(error: unknown, production: boolean): GraphQLError {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  if (!(original instanceof DomainError) && isDatabaseUnavailable(original)) {
    const base = error instanceof GraphQLError ? error : undefined;
    return toGraphQLError(base ? new GraphQLError(base.message, { nodes: base.nodes, path: base.path, originalError: databaseUnavailable() }) : databaseUnavailable(), production);
  }
  if (original instanceof DomainError) {
    const base = error instanceof GraphQLError ? error : undefined;
    return new GraphQLError(original.message, {
      nodes: base?.nodes,
      path: base?.path,
      extensions: {
        code: original.code,
        reason: original.reason,
        ...(original.field ? { field: original.field } : {}),
        ...(original.retryAfterMs !== undefined ? { retryAfterMs: original.retryAfterMs } : {}),
      },
    });
  }
  if (error instanceof GraphQLError && error.extensions?.code && error.extensions.code !== 'INTERNAL_SERVER_ERROR') {
    return error.extensions.reason ? error : withReason(error, String(error.extensions.code));
  }
  if (error instanceof GraphQLError && !error.originalError) {
    // Parse and validation errors from graphql-js carry no original error. Production names no
    // field the caller did not write ("Did you mean …?" would reveal the schema).
    const shown = production ? withoutSuggestions(error) : error;
    return withReason(shown, String(error.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED'));
  }
  if (error instanceof GraphQLError && !error.path && error.message.startsWith('Variable "$')) {
    // A variable that does not coerce, found by graphql-js before execution (no path). Apollo
    // codes these itself over HTTP; on the WebSocket they arrive uncoded, with the scalar's
    // parse error as originalError.
    return withReason(new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code: 'BAD_USER_INPUT' } }), 'BAD_USER_INPUT');
  }
  const base = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError(production ? 'Internal server error.' : String((original as Error)?.message ?? original), {
    path: base?.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

function withoutSuggestions(error: GraphQLError): GraphQLError {
  const message = error.message.replace(/ ?Did you mean(.+)\?$/, '');
  return message === error.message ? error : new GraphQLError(message, { nodes: error.nodes, path: error.path, extensions: error.extensions });
}

/**
 * A coded GraphQL error from graphql-js or Apollo (variable coercion, parse, validation) with
 * the `reason` every error of this API carries: INVALID_VARIABLE for a variable that does not
 * coerce to its type, INVALID_QUERY for validation, SYNTAX_ERROR for parsing, else the code.
 */
function withReason(error: GraphQLError, code: string): GraphQLError {
  const reason =
    code === 'BAD_USER_INPUT' && error.message.startsWith('Variable "$')
      ? 'INVALID_VARIABLE'
      : code === 'GRAPHQL_VALIDATION_FAILED'
        ? 'INVALID_QUERY'
        : code === 'GRAPHQL_PARSE_FAILED'
          ? 'SYNTAX_ERROR'
          : code;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code, reason },
  });
}

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
const FIX_REASONS: Record<string, [number, number]> = {
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

/** An internal error: one line at error level with its stack, whatever the client is told. */
export function logInternalError(logger: Logger, component: string, error: unknown): void {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const err = original instanceof Error ? original : new Error(String(original));
  logger.error({ component, err }, 'internal error');
}
