/**
 * The order path's MySQL connections, in a worker thread (see worker-connections.ts): the
 * escaping of a batch's values, the socket writes and the parsing of the answers run here,
 * beside the event loop that serves requests, on the machine's other core.
 *
 * Messages in: `{ id, conn, sql }` (a query, its values bound on connection `conn`, opened on first use,
 * in READ COMMITTED) and `{ close: conn }`. Messages out: `{ id, results }` or `{ id, error }`
 * with the driver's error fields (code, errno, sqlState, fatal). A connection that failed
 * fatally is never opened again under its number (its transaction is gone: a later statement
 * must not run outside it): its queries are refused as lost, and the client retires the number.
 */
import { parentPort, workerData } from 'node:worker_threads';
import mysql from 'mysql2';

interface QueryMessage {
  readonly id: number;
  readonly conn: number;
  /** The statements with their values bound (see worker-connections.ts). */
  readonly sql: string;
}

const options = workerData as mysql.ConnectionOptions;
const connections = new Map<number, mysql.Connection>();
/** Numbers whose connection failed or was closed. */
const dead = new Set<number>();

function connection(n: number): mysql.Connection | undefined {
  if (dead.has(n)) return undefined;
  let c = connections.get(n);
  if (c) return c;
  c = mysql.createConnection({ ...options, multipleStatements: true });
  // Queued before any query of the connection.
  c.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', () => {});
  c.on('error', () => retire(n));
  connections.set(n, c);
  return c;
}

function retire(n: number): void {
  dead.add(n);
  const c = connections.get(n);
  connections.delete(n);
  c?.destroy();
}

const LOST = { message: 'Connection lost: the order path connection failed', code: 'PROTOCOL_CONNECTION_LOST', fatal: true };

/** The driver's error as plain fields (what the order path reads: isDatabaseUnavailable, constraint codes). */
function errorFields(err: unknown): Record<string, unknown> {
  const e = err as Record<string, unknown>;
  return { message: String(e.message ?? err), code: e.code, errno: e.errno, sqlState: e.sqlState, sqlMessage: e.sqlMessage, fatal: e.fatal };
}

parentPort!.on('message', (m: QueryMessage | { close: number }) => {
  if ('close' in m) {
    retire(m.close);
    return;
  }
  const c = connection(m.conn);
  if (!c) {
    parentPort!.postMessage({ id: m.id, error: LOST });
    return;
  }
  c.query(m.sql, (err, results) => {
    if (err) {
      if ((err as { fatal?: boolean }).fatal) retire(m.conn);
      parentPort!.postMessage({ id: m.id, error: errorFields(err) });
      return;
    }
    try {
      parentPort!.postMessage({ id: m.id, results });
    } catch (e) {
      parentPort!.postMessage({ id: m.id, error: errorFields(e) });
    }
  });
});
