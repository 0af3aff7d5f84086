import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { OrdType, Side, TimeInForce } from './engine/types.js';
import type { Channel } from './modules/orders/order-record.js';
import type { ReloadReason } from './modules/orders/book-recovery.js';
import type { SnapshotRejection } from './modules/orders/snapshots.js';
import type { SpeculationFailure } from './modules/orders/order-path.js';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5];

/**
 * The app's Prometheus metrics. Label values are bounded: operation names come from the schema
 * (unknown names are folded into "other"), reasons from fixed code lists; no per-user or
 * per-order labels.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const m = {
    registry,
    graphqlOperations: new Counter({
      name: 'trading_graphql_operations_total',
      help: 'GraphQL operations by name, type and outcome.',
      labelNames: ['operation', 'type', 'outcome'] as const,
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'trading_graphql_operation_duration_seconds',
      help: 'GraphQL operation duration.',
      labelNames: ['operation', 'type'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'trading_http_requests_total',
      help: 'HTTP requests by route, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    ordersReceived: new Counter({
      name: 'trading_orders_received_total',
      help: 'New orders received by side, type, time in force and channel.',
      labelNames: ['side', 'ord_type', 'tif', 'channel'] as const,
      registers: [registry],
    }),
    orderRejects: new Counter({
      name: 'trading_order_rejects_total',
      help: 'Order requests refused, by reason code.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    serviceUnavailable: new Counter({
      name: 'trading_service_unavailable_total',
      help: 'Requests refused with SERVICE_UNAVAILABLE, by reason (OVERLOADED, ORDER_QUEUE_FULL, DATABASE_UNAVAILABLE).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    trades: new Counter({ name: 'trading_trades_total', help: 'Trades (fills) committed.', registers: [registry] }),
    tradedQuantity: new Counter({ name: 'trading_traded_quantity_total', help: 'Quantity traded, in lots.', registers: [registry] }),
    orderPathDuration: new Histogram({
      name: 'trading_order_path_duration_seconds',
      help: 'Order path latency per request: queueing, engine and commit.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    dbCommitDuration: new Histogram({
      name: 'trading_db_commit_duration_seconds',
      help: 'Duration of one order-path transaction.',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    dbCommitGroupSize: new Histogram({
      name: 'trading_db_commit_group_size',
      help: 'Requests committed per order-path transaction (group commit).',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    orderPathGroups: new Counter({
      name: 'trading_order_path_groups_total',
      help: 'Order-path groups committed, by mode: locked (read under the product locks, then matched) or speculative (matched on top of a group still committing).',
      labelNames: ['mode'] as const,
      registers: [registry],
    }),
    orderPathSpeculationFailures: new Counter({
      name: 'trading_order_path_speculation_failures_total',
      help: 'Speculative groups rolled back and queued again (read under the lock then), by reason: previous-failed, product-changed or write-failed.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    wsConnections: new Gauge({ name: 'trading_ws_connections', help: 'Open GraphQL WebSocket connections.', registers: [registry] }),
    wsSubscriptions: new Gauge({
      name: 'trading_ws_subscriptions',
      help: 'Active subscriptions by topic.',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    wsDisconnects: new Counter({ name: 'trading_ws_disconnects_total', help: 'WebSocket connections closed.', registers: [registry] }),
    wsRefusals: new Counter({
      name: 'trading_ws_refusals_total',
      help: 'WebSocket connections and operations refused by a budget (or a socket without a token asking for more than public data), by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    fixSessions: new Gauge({ name: 'trading_fix_sessions', help: 'Logged-on FIX sessions.', registers: [registry] }),
    restingOrders: new Gauge({ name: 'trading_resting_orders', help: 'Orders resting in the books of this process.', registers: [registry] }),
    booksLoaded: new Gauge({ name: 'trading_books_loaded', help: 'Books held in memory by this process.', registers: [registry] }),
    journalEntriesApplied: new Counter({
      name: 'trading_journal_entries_applied_total',
      help: "Journal entries of other replicas' commits applied to this process's books (catch-up and the bus).",
      registers: [registry],
    }),
    bookReloads: new Counter({
      name: 'trading_book_reloads_total',
      help: 'Books rebuilt (from their newest snapshot + journal, or the order rows) instead of caught up from the journal, by reason.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    busConnected: new Gauge({
      name: 'trading_bus_connected',
      help: 'Whether the event bus (Redis pub/sub between replicas) is connected: 1 or 0 (always 1 without Redis).',
      registers: [registry],
    }),
    busDropped: new Counter({
      name: 'trading_bus_dropped_messages_total',
      help: 'Bus messages dropped because Redis was away and the bounded outbound queue was full.',
      registers: [registry],
    }),
    reportsReplayed: new Counter({
      name: 'trading_reports_replayed_total',
      help: "Commits of other replicas whose execution reports this process built from its journal replay (the bus message was lost, late or Redis was away).",
      registers: [registry],
    }),
    reportGaps: new Counter({
      name: 'trading_report_gap_seqs_total',
      help: 'Book seqs whose execution reports could not be rebuilt here and were skipped (the book was reloaded past them).',
      registers: [registry],
    }),
    bookDivergences: new Counter({
      name: 'trading_book_divergences_total',
      help: "Journal replays that did not reach the writer's seq or state hash (the book was reloaded).",
      registers: [registry],
    }),
    booksLoadSeconds: new Gauge({ name: 'trading_books_load_seconds', help: 'Time the start-up of this process took to load its books (snapshots + journal tails, order rows).', registers: [registry] }),
    bookSnapshots: new Counter({ name: 'trading_book_snapshots_total', help: 'Book snapshots written by this process.', registers: [registry] }),
    bookSnapshotPause: new Histogram({
      name: 'trading_book_snapshot_pause_seconds',
      help: 'Time matching waited while a book was copied for a snapshot (hashing and writing happen after).',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    bookSnapshotFailures: new Counter({ name: 'trading_book_snapshot_failures_total', help: 'Book snapshots that could not be written.', registers: [registry] }),
    bookSnapshotsRejected: new Counter({
      name: 'trading_book_snapshots_rejected_total',
      help: 'Snapshots not used to load a book (state hash mismatch, corrupt, journal not chaining): the book was loaded from the order rows instead.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
  // Every known series exists from the start at 0, so rate() and absent-data alerts see a
  // series before its first event (a counter born at 1 hides that first increase from rate()).
  const sides: Side[] = ['BUY', 'SELL'];
  const ordTypes: OrdType[] = ['LIMIT', 'MARKET'];
  const tifs: TimeInForce[] = ['DAY', 'GTC', 'IOC', 'FOK'];
  const channels: Channel[] = ['graphql', 'fix'];
  for (const side of sides) for (const ord_type of ordTypes) for (const tif of tifs) for (const channel of channels) m.ordersReceived.inc({ side, ord_type, tif, channel }, 0);
  for (const topic of SUBSCRIPTION_TOPICS) m.wsSubscriptions.set({ topic }, 0);
  for (const reason of RELOAD_REASONS) m.bookReloads.inc({ reason }, 0);
  for (const mode of ['locked', 'speculative']) m.orderPathGroups.inc({ mode }, 0);
  for (const reason of SPECULATION_FAILURES) m.orderPathSpeculationFailures.inc({ reason }, 0);
  for (const reason of WS_REFUSAL_REASONS) m.wsRefusals.inc({ reason }, 0);
  for (const reason of SNAPSHOT_REJECTIONS) m.bookSnapshotsRejected.inc({ reason }, 0);
  return m;
}

/** The `reason` label values of trading_ws_refusals_total (the `reason`s clients get, docs/API.md). */
export const WS_REFUSAL_REASONS = [
  'TOO_MANY_CONNECTIONS_FOR_USER',
  'TOO_MANY_CONNECTIONS_FROM_ADDRESS',
  'CONNECTION_CAPACITY',
  'TOO_MANY_SUBSCRIPTIONS',
  'TOO_MANY_SUBSCRIPTIONS_FROM_ADDRESS',
  'TOO_MANY_DOCUMENTS_FROM_ADDRESS',
  'SUBSCRIPTION_CAPACITY',
  'DOCUMENT_CAPACITY',
  'LOGIN_REQUIRED',
] as const;

/** The `topic` label values of trading_ws_subscriptions: the subscription fields of the schema. */
export const SUBSCRIPTION_TOPICS = ['executionReports', 'orderBook', 'trades', 'quotes', 'orderUpdates'] as const;

/** The `reason` label values of trading_order_path_speculation_failures_total. */
export const SPECULATION_FAILURES: readonly SpeculationFailure[] = ['previous-failed', 'product-changed', 'write-failed'];

/** The `reason` label values of trading_book_reloads_total. */
export const RELOAD_REASONS: readonly ReloadReason[] = ['missing', 'ahead', 'pruned', 'divergence', 'failure'];

export type Metrics = ReturnType<typeof createMetrics>;

/** Every {@link SnapshotRejection}, pre-created at 0. */
export const SNAPSHOT_REJECTIONS: readonly SnapshotRejection[] = ['hash', 'corrupt', 'journal'];
