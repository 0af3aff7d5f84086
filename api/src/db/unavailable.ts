/**
 * Whether a thrown value means "the database cannot be reached right now" (a connection refused,
 * lost or reset, a pool that could not get a connection, a server shutting down, SQLite busy):
 * a condition the caller can retry, answered as SERVICE_UNAVAILABLE/DATABASE_UNAVAILABLE rather
 * than as an internal error. A query the database refused (syntax, constraint) is not one.
 */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; fatal?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'KnexTimeoutError') return true;
  // mysql2: a fatal error ends the connection (the server went away mid-query).
  if (e.fatal === true) return true;
  if (typeof e.message === 'string' && /connection is in closed state|Connection lost|Pool is closed/i.test(e.message)) return true;
  // Node's happy-eyeballs connect gives an AggregateError of one error per address.
  if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
