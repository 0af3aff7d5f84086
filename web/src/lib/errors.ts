/**
 * The API's coded errors on the client. Each GraphQL error carries `extensions.code`
 * (BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, ...), `extensions.reason` (PRICE_OFF_TICK, ...)
 * and usually `extensions.field` (the input it is about); forms show the message beside that
 * field. Works on Apollo's error objects by shape, without importing Apollo.
 */

/** One error from the server, or a transport failure (code NETWORK). */
export interface ServerError {
  readonly message: string;
  readonly code?: string;
  readonly reason?: string;
  readonly field?: string;
}

/** Fields for reasons the server reports without `extensions.field`. */
const REASON_FIELD: Readonly<Record<string, string>> = {
  USERNAME_TAKEN: 'username',
  BAD_CREDENTIALS: 'password',
  SYMBOL_HALTED: 'symbol',
  UNKNOWN_SYMBOL: 'symbol',
  POST_ONLY_WOULD_TAKE: 'postOnly',
  CANNOT_DEMOTE_SELF: 'role',
  CANNOT_DISABLE_SELF: 'disabled',
};

interface GraphQLErrorLike {
  message?: unknown;
  extensions?: Record<string, unknown> | null;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function fromGraphQL(e: GraphQLErrorLike): ServerError {
  const ext = e.extensions ?? {};
  const reason = str(ext.reason);
  return {
    message: str(e.message) ?? 'The server refused the request.',
    code: str(ext.code),
    reason,
    field: str(ext.field) ?? (reason ? REASON_FIELD[reason] : undefined),
  };
}

/** The server errors inside anything Apollo throws or returns (ApolloError, GraphQL errors, Error). */
export function serverErrors(error: unknown): ServerError[] {
  if (!error || typeof error !== 'object') return [];
  const e = error as { graphQLErrors?: unknown; networkError?: unknown; protocolErrors?: unknown; message?: unknown; extensions?: unknown };
  const list: ServerError[] = [];
  if (Array.isArray(e.graphQLErrors)) list.push(...(e.graphQLErrors as GraphQLErrorLike[]).map(fromGraphQL));
  if (Array.isArray(e.protocolErrors)) list.push(...(e.protocolErrors as GraphQLErrorLike[]).map(fromGraphQL));
  if (list.length === 0 && e.networkError) {
    const net = e.networkError as { result?: { errors?: unknown } };
    if (net.result && Array.isArray(net.result.errors)) list.push(...(net.result.errors as GraphQLErrorLike[]).map(fromGraphQL));
    else list.push({ code: 'NETWORK', message: 'Cannot reach the server; check the connection and retry.' });
  }
  if (list.length === 0 && e.extensions && typeof e.extensions === 'object') list.push(fromGraphQL(e as GraphQLErrorLike));
  if (list.length === 0 && str(e.message)) list.push({ message: str(e.message)! });
  return list;
}

/** Errors split for a form: a message per known field, the rest as one general message. */
export interface FormErrors {
  readonly fields: Record<string, string>;
  readonly general: string | null;
}

/** Sorts a server failure into the form's fields (those named in `fields`) and a general message. */
export function formErrors(error: unknown, fields: readonly string[]): FormErrors {
  const out: Record<string, string> = {};
  const general: string[] = [];
  for (const e of serverErrors(error)) {
    if (e.field && fields.includes(e.field) && !out[e.field]) out[e.field] = e.message;
    else general.push(e.message);
  }
  return { fields: out, general: general.length ? general.join(' ') : null };
}

/** Whether a failure carries the given `extensions.code`. */
export function hasCode(error: unknown, code: string): boolean {
  return serverErrors(error).some((e) => e.code === code);
}
