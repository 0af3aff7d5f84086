/**
 * The one error model. Services return or throw {@link DomainError}s; `toGraphQLError` (the one
 * map) turns them into GraphQL errors with `extensions.code`; the FIX gateway maps the same
 * reasons to Reject / OrderCancelReject (fix/fix-rejections.ts). Anything else reaching a client is a bug and is
 * masked as INTERNAL_SERVER_ERROR in production.
 */
import { GraphQLError } from 'graphql';
import type { Logger } from './logger.js';
import { isDatabaseUnavailable } from './db/unavailable.js';
import type { ResultCode } from './engine/index.js';

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

/** An engine refusal: every engine result code other than OK. */
export type EngineReason = Exclude<ResultCode, 'OK'>;

/**
 * The reasons the services give (beside the engine's refusals), each documented in
 * docs/API.md's reason table (a test checks).
 */
export const SERVICE_REASONS = [
  'ACCOUNT_DISABLED',
  'AUTH_BUSY',
  'BAD_CREDENTIALS',
  'CANNOT_DEMOTE_SELF',
  'CANNOT_DISABLE_SELF',
  'COMP_ID_NOT_FOUND',
  'COMP_ID_TAKEN',
  'DATABASE_UNAVAILABLE',
  'DUPLICATE_CL_ORD_ID',
  'FIX_SESSION_ACTIVE',
  'FORBIDDEN',
  'INVALID_CL_ORD_ID',
  'INVALID_COMP_ID',
  'INVALID_CREDENTIALS_FORMAT',
  'INVALID_CURSOR',
  'INVALID_DATE',
  'INVALID_DEPTH',
  'INVALID_ID',
  'INVALID_LIMIT',
  'INVALID_NAME',
  'INVALID_PAGE_SIZE',
  'INVALID_PASSWORD',
  'INVALID_SYMBOL',
  'INVALID_SYMBOLS',
  'INVALID_TICK_SIZE',
  'INVALID_TRADING_HOURS',
  'INVALID_USERNAME',
  'LOGIN_RATE_LIMITED',
  'MARKET_CLOSED',
  'NOTIONAL_TOO_LARGE',
  'ORDER_MISMATCH',
  'ORDER_NOTIONAL_TOO_LARGE',
  'ORDER_NOT_FOUND',
  'ORDER_NOT_OPEN',
  'ORDER_QUEUE_FULL',
  'OVERLOADED',
  'POSITION_LIMIT',
  'POST_ONLY_NOT_ALLOWED',
  'PRICE_NOT_ALLOWED',
  'PRICE_OFF_TICK',
  'PRICE_OUT_OF_BAND',
  'PRICE_REQUIRED',
  'PRICE_TOO_LARGE',
  'SHORT_SALE_NOT_ALLOWED',
  'SHUTTING_DOWN',
  'SIGN_UP_RATE_LIMITED',
  'SLOW_CONSUMER',
  'SYMBOL_EXISTS',
  'SYMBOL_HALTED',
  'THROTTLED',
  'UNAUTHENTICATED',
  'UNKNOWN_ACCOUNT',
  'UNKNOWN_SYMBOL',
  'UNSUPPORTED_ORDER',
  'USERNAME_TAKEN',
  'USER_NOT_FOUND',
  'WEAK_PASSWORD',
] as const;

/**
 * Every `reason` a {@link DomainError} carries (GraphQL `extensions.reason`, the origin of a FIX
 * reject): the engine's refusals and the services'. The maps below are keyed by it, so the
 * compiler tells when a reason has no message or FIX code.
 */
export type ReasonCode = EngineReason | (typeof SERVICE_REASONS)[number];

/** Every engine refusal, for documentation checks. */
export const engineReasonCodes = (): readonly EngineReason[] => Object.keys(ENGINE_REASONS).filter(isEngineReason);

/** A failure the caller caused or can act on. `reason` is a stable machine-readable detail. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly reason: ReasonCode,
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

export const badInput = (reason: ReasonCode, message: string, field?: string) =>
  new DomainError('BAD_USER_INPUT', reason, message, field);
export const notFound = (reason: ReasonCode, message: string) => new DomainError('NOT_FOUND', reason, message);
export const conflict = (reason: ReasonCode, message: string) => new DomainError('CONFLICT', reason, message);
export const forbidden = (message = 'You are not allowed to do this.') =>
  new DomainError('FORBIDDEN', 'FORBIDDEN', message);
export const unauthenticated = (message = 'Log in first.') =>
  new DomainError('UNAUTHENTICATED', 'UNAUTHENTICATED', message);
/** A refusal for lack of capacity or of the database: nothing was done; retry after `retryAfterMs`. */
export const unavailable = (reason: ReasonCode, message: string, retryAfterMs: number) =>
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

/** Engine refusals → (GraphQL code, message): every one, or the build fails. */
const ENGINE_REASONS: Record<EngineReason, [ErrorCode, string]> = {
  INVALID_QUANTITY: ['BAD_USER_INPUT', 'Quantity must be a positive whole number of lots.'],
  INVALID_PRICE: ['BAD_USER_INPUT', 'Price must be a positive multiple of the tick size.'],
  INVALID_ORDER_ID: ['BAD_USER_INPUT', 'Unknown order id.'],
  INVALID_TIME_IN_FORCE: ['BAD_USER_INPUT', 'This time in force is not allowed for this order type.'],
  DUPLICATE_ORDER_ID: ['CONFLICT', 'An order with this id already exists.'],
  UNKNOWN_ORDER: ['CONFLICT', 'The order is no longer open.'],
  AMEND_BELOW_FILLED: ['BAD_USER_INPUT', 'The new quantity must be above the filled quantity.'],
  POST_ONLY_WOULD_TAKE: ['CONFLICT', 'A post-only order would have traded on arrival.'],
  NOT_OWNER: ['FORBIDDEN', 'This order belongs to another account.'],
  QUANTITY_TOO_LARGE: ['BAD_USER_INPUT', 'The quantity is above the largest order this book accepts.'],
  INVALID_COMMAND: ['BAD_USER_INPUT', 'The order is malformed.'],
};

/** Whether a reason read off the wire (the bus, a stored report) is an engine refusal. */
export function isEngineReason(reason: string): reason is EngineReason {
  return Object.hasOwn(ENGINE_REASONS, reason);
}

/** The DomainError for an engine result code other than OK. */
export function engineError(code: EngineReason): DomainError {
  const [gqlCode, message] = ENGINE_REASONS[code];
  const field = code === 'AMEND_BELOW_FILLED' || code === 'QUANTITY_TOO_LARGE' || code === 'INVALID_QUANTITY' ? 'quantity' : code === 'INVALID_PRICE' ? 'price' : undefined;
  return new DomainError(gqlCode, code, message, field);
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

/** An internal error: one line at error level with its stack, whatever the client is told. */
export function logInternalError(logger: Logger, component: string, error: unknown): void {
  const original = error instanceof GraphQLError && error.originalError ? error.originalError : error;
  const err = original instanceof Error ? original : new Error(String(original));
  logger.error({ component, err }, 'internal error');
}
