// Generates the Grafana dashboards in ./dashboards from the compact definitions below, so
// layout, datasource references and panel options stay uniform. After editing, run
//   node infra/monitoring/grafana/build-dashboards.mjs
// and commit the JSON; infra/test/grafana.test.ts fails when the JSON is stale, and checks it
// against Grafana's dashboard schema types and the API's metric names.
//
// PromQL here may use only the metrics the API exposes (see the contract in
// infra/test/lib/observability.ts). LogQL stream selectors may use only the labels Alloy
// promotes: app, component, level.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PROM = { type: 'prometheus', uid: 'prometheus' };
const LOKI = { type: 'loki', uid: 'loki' };
const R = '$__rate_interval';
const q = (h, quantile, by = 'le') => `histogram_quantile(${quantile}, sum by (${by}) (rate(${h}_bucket[${R}])))`;
const PLACE_ORDER_SLI = (w) =>
  `sum(rate(trading_graphql_operation_duration_seconds_bucket{operation="placeOrder",le="0.75"}[${w}])) / sum(rate(trading_graphql_operation_duration_seconds_count{operation="placeOrder"}[${w}]))`;

/** A time series panel: targets are [expr, legend] pairs. */
const ts = (title, targets, { unit = 'short', description, w = 12, h = 8 } = {}) => ({ kind: 'timeseries', title, targets, unit, description, w, h });
const stat = (title, expr, { unit = 'short', description } = {}) => ({ kind: 'stat', title, targets: [[expr, title]], unit, description, w: 6, h: 4 });
const logs = (title, expr, { description } = {}) => ({ kind: 'logs', title, targets: [[expr]], description, w: 24, h: 10 });

const dashboards = {
  'trading-overview': {
    title: 'Trading — overview',
    description: 'Order flow, matching and the placeOrder latency SLI.',
    panels: [
      stat('placeOrder under 750 ms (1h)', PLACE_ORDER_SLI('1h'), { unit: 'percentunit', description: 'The SLI: share of placeOrder requests that completed under 750 ms. Objective: 95 %.' }),
      stat('Orders / s', `sum(rate(trading_orders_received_total[${R}]))`, { unit: 'reqps' }),
      stat('Resting orders', 'max(trading_resting_orders)', { description: 'Every replica holds every book, so this is the maximum across replicas, not the sum.' }),
      stat('Books loaded (fewest on a replica)', 'min(trading_books_loaded)'),
      ts('Orders received / s by side', [[`sum by (side) (rate(trading_orders_received_total[${R}]))`, '{{side}}']], { unit: 'reqps' }),
      ts('Orders received / s by channel and type', [[`sum by (channel, ord_type, tif) (rate(trading_orders_received_total[${R}]))`, '{{channel}} {{ord_type}} {{tif}}']], { unit: 'reqps' }),
      ts('Rejects / s by reason', [[`sum by (reason) (rate(trading_order_rejects_total[${R}]))`, '{{reason}}']], { unit: 'reqps' }),
      ts('Trades / s', [[`sum(rate(trading_trades_total[${R}]))`, 'trades']], { unit: 'reqps' }),
      ts('Traded quantity / s', [[`sum(rate(trading_traded_quantity_total[${R}]))`, 'lots']], { description: 'Lots (shares) matched per second.' }),
      ts('Order path latency (engine + commit)', [[q('trading_order_path_duration_seconds', 0.5), 'p50'], [q('trading_order_path_duration_seconds', 0.99), 'p99']], { unit: 's' }),
      ts('Resting orders by replica', [['trading_resting_orders', '{{instance}}']]),
      ts('Books loaded by replica', [['trading_books_loaded', '{{instance}}']]),
      ts('Journal entries applied / s by replica', [[`sum by (instance) (rate(trading_journal_entries_applied_total[${R}]))`, '{{instance}}']], { unit: 'reqps', description: "Other replicas' commits replayed from the book journal (bus or catch-up at the lock) instead of reloading books." }),
      ts('Book reloads and divergences by replica', [
        [`sum by (instance, reason) (increase(trading_book_reloads_total[${R}]))`, 'reload {{reason}} {{instance}}'],
        [`sum by (instance) (increase(trading_book_divergences_total[${R}]))`, 'divergence {{instance}}'],
      ], { description: 'Full reloads from the order rows (cost: the depth of the book). pruned = the journal no longer reached back; divergence fires TradingBookDivergence.' }),
      ts('Book snapshots by replica', [
        [`sum by (instance) (increase(trading_book_snapshots_total[${R}]))`, 'written {{instance}}'],
        [`sum by (instance) (increase(trading_book_snapshot_failures_total[${R}]))`, 'failed {{instance}}'],
        [`sum by (instance, reason) (increase(trading_book_snapshots_rejected_total[${R}]))`, 'rejected {{reason}} {{instance}}'],
        [`histogram_quantile(0.99, sum by (le, instance) (rate(trading_book_snapshot_pause_seconds_bucket[${R}])))`, 'pause p99 (s) {{instance}}'],
        ['trading_books_load_seconds', 'start-up load (s) {{instance}}'],
      ], { description: 'Snapshots of the books (SNAPSHOT_INTERVAL_SECONDS), the pause of matching while a book is copied, and the time the last start-up took to load the books. rejected fires TradingBookSnapshotRejected.' }),
      ts('Event bus (Redis) by replica', [
        ['trading_bus_connected', 'connected {{instance}}'],
        [`sum by (instance) (increase(trading_bus_dropped_messages_total[${R}]))`, 'dropped {{instance}}'],
        [`sum by (instance) (increase(trading_reports_replayed_total[${R}]))`, 'reports from the journal {{instance}}'],
        [`sum by (instance) (increase(trading_report_gap_seqs_total[${R}]))`, 'report seqs skipped {{instance}}'],
      ], { description: '1 = connected. While 0, publishes wait in a bounded queue (BUS_MAX_OUTBOUND); beyond it they are dropped, and execution reports of other replicas come from the journal tail instead. 0 for a minute fires TradingBusDisconnected.' }),
      logs('Errors (all components)', '{app="trading-api", level=~"error|fatal"}'),
    ],
  },
  'trading-api': {
    title: 'Trading — API',
    description: 'GraphQL operations, HTTP, and the Node.js processes behind them.',
    panels: [
      stat('Replicas up', 'sum(up{job="trading-api"})'),
      stat('Operations / s', `sum(rate(trading_graphql_operations_total[${R}]))`, { unit: 'reqps' }),
      stat('Error ratio', `sum(rate(trading_graphql_operations_total{outcome="error"}[${R}])) / sum(rate(trading_graphql_operations_total[${R}]))`, { unit: 'percentunit' }),
      stat('placeOrder under 750 ms (1h)', PLACE_ORDER_SLI('1h'), { unit: 'percentunit' }),
      ts('Operations / s by name and outcome', [[`sum by (operation, outcome) (rate(trading_graphql_operations_total[${R}]))`, '{{operation}} {{outcome}}']], { unit: 'reqps' }),
      ts('Operation latency (all operations)', [
        [q('trading_graphql_operation_duration_seconds', 0.5), 'p50'],
        [q('trading_graphql_operation_duration_seconds', 0.95), 'p95'],
        [q('trading_graphql_operation_duration_seconds', 0.99), 'p99'],
      ], { unit: 's' }),
      ts('p99 latency by operation', [[q('trading_graphql_operation_duration_seconds', 0.99, 'le, operation'), '{{operation}}']], { unit: 's' }),
      ts('placeOrder under 750 ms (5m windows)', [[PLACE_ORDER_SLI('5m'), 'SLI']], { unit: 'percentunit', description: 'Below 0.95 on both the 1h and the 5m window fires TradingPlaceOrderLatencySLO.' }),
      ts('HTTP requests / s by status', [[`sum by (status) (rate(trading_http_requests_total[${R}]))`, '{{status}}']], { unit: 'reqps' }),
      ts('HTTP requests / s by route', [[`sum by (route, method) (rate(trading_http_requests_total[${R}]))`, '{{method}} {{route}}']], { unit: 'reqps' }),
      ts('CPU by replica', [[`sum by (instance) (rate(process_cpu_seconds_total{job="trading-api"}[${R}]))`, '{{instance}}']], { unit: 'percentunit', description: '1.0 = one full core.' }),
      ts('Heap used by replica', [['nodejs_heap_size_used_bytes{job="trading-api"}', '{{instance}}']], { unit: 'bytes' }),
      ts('Event loop lag p99 by replica', [['nodejs_eventloop_lag_p99_seconds{job="trading-api"}', '{{instance}}']], { unit: 's', description: 'A busy event loop delays every request on that replica, orders included.' }),
      ts('Resident memory by replica', [['process_resident_memory_bytes{job="trading-api"}', '{{instance}}']], { unit: 'bytes' }),
      logs('GraphQL errors', '{app="trading-api", component="graphql"} | json | outcome="error"'),
    ],
  },
  'trading-realtime': {
    title: 'Trading — real time',
    description: 'graphql-ws connections, subscriptions and disconnects.',
    panels: [
      stat('Connections', 'sum(trading_ws_connections)'),
      stat('Subscriptions', 'sum(trading_ws_subscriptions)'),
      stat('Disconnects / s', `sum(rate(trading_ws_disconnects_total[${R}]))`, { unit: 'reqps' }),
      stat('Replicas with connections', 'count(trading_ws_connections > 0)'),
      ts('Connections by replica', [['trading_ws_connections', '{{instance}}']]),
      ts('Subscriptions by topic', [['sum by (topic) (trading_ws_subscriptions)', '{{topic}}']]),
      ts('Disconnects / s by replica', [[`sum by (instance) (rate(trading_ws_disconnects_total[${R}]))`, '{{instance}}']], { unit: 'reqps' }),
      ts('Subscriptions per connection', [['sum(trading_ws_subscriptions) / sum(trading_ws_connections)', 'average']]),
      ts('Refusals / s by reason', [[`sum by (reason) (rate(trading_ws_refusals_total[${R}]))`, '{{reason}}']], { unit: 'reqps', description: 'Sockets and subscriptions refused by a budget (RUNBOOK: WebSocket budgets).' }),
      logs('Real-time log', '{app="trading-api", component="realtime", level=~"warn|error|fatal"}'),
    ],
  },
  'trading-database': {
    title: 'Trading — database',
    description: 'Order-path commits: duration and group-commit size.',
    panels: [
      stat('Commit p99', q('trading_db_commit_duration_seconds', 0.99), { unit: 's' }),
      stat('Commits / s', `sum(rate(trading_db_commit_duration_seconds_count[${R}]))`, { unit: 'reqps' }),
      stat('Average group size', `sum(rate(trading_db_commit_group_size_sum[${R}])) / sum(rate(trading_db_commit_group_size_count[${R}]))`, { description: 'Commands per order-path transaction (group commit).' }),
      stat('Order path p99', q('trading_order_path_duration_seconds', 0.99), { unit: 's' }),
      ts('Commit duration', [[q('trading_db_commit_duration_seconds', 0.5), 'p50'], [q('trading_db_commit_duration_seconds', 0.99), 'p99']], { unit: 's' }),
      ts('Commits / s by replica', [[`sum by (instance) (rate(trading_db_commit_duration_seconds_count[${R}]))`, '{{instance}}']], { unit: 'reqps' }),
      ts('Group size', [[q('trading_db_commit_group_size', 0.5), 'p50'], [q('trading_db_commit_group_size', 0.99), 'p99']]),
      ts('Commit vs whole order path (p99)', [[q('trading_db_commit_duration_seconds', 0.99), 'commit'], [q('trading_order_path_duration_seconds', 0.99), 'order path']], { unit: 's', description: 'When the two lines move together, the database is the bottleneck.' }),
      // The API has no "db" component: commit failures are logged by the order path.
      logs('Order-path (database) warnings and errors', '{app="trading-api", component="order-path", level=~"warn|error|fatal"}'),
    ],
  },
  'trading-fix': {
    title: 'Trading — FIX',
    description: 'FIX 4.4 acceptor sessions and the orders they send.',
    panels: [
      stat('FIX sessions', 'sum(trading_fix_sessions)'),
      stat('FIX orders / s', `sum(rate(trading_orders_received_total{channel="fix"}[${R}]))`, { unit: 'reqps' }),
      stat('FIX share of orders', `sum(rate(trading_orders_received_total{channel="fix"}[${R}])) / sum(rate(trading_orders_received_total[${R}]))`, { unit: 'percentunit' }),
      stat('Replicas with FIX sessions', 'count(trading_fix_sessions > 0)'),
      ts('Sessions by replica', [['trading_fix_sessions', '{{instance}}']]),
      ts('FIX orders / s by side and type', [[`sum by (side, ord_type) (rate(trading_orders_received_total{channel="fix"}[${R}]))`, '{{side}} {{ord_type}}']], { unit: 'reqps' }),
      logs('FIX log', '{app="trading-api", component="fix"}'),
    ],
  },
};

function layout(panels) {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return panels.map((p) => {
    if (x + p.w > 24) { x = 0; y += rowHeight; rowHeight = 0; }
    const gridPos = { h: p.h, w: p.w, x, y };
    x += p.w;
    rowHeight = Math.max(rowHeight, p.h);
    return { ...p, gridPos };
  });
}

function panelJson(p, id) {
  const datasource = p.kind === 'logs' ? LOKI : PROM;
  const base = {
    id,
    type: p.kind,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    datasource,
    gridPos: p.gridPos,
  };
  const targets = p.targets.map(([expr, legend], i) => ({
    refId: String.fromCharCode(65 + i),
    datasource,
    expr,
    ...(p.kind === 'logs' ? { queryType: 'range' } : { legendFormat: legend, range: true }),
  }));
  if (p.kind === 'logs') {
    return { ...base, options: { showTime: true, wrapLogMessage: true, sortOrder: 'Descending', enableLogDetails: true, dedupStrategy: 'none' }, targets };
  }
  const fieldConfig = { defaults: { unit: p.unit, ...(p.unit === 'percentunit' ? { min: 0, max: 1 } : {}) }, overrides: [] };
  if (p.kind === 'stat') {
    return { ...base, fieldConfig, options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'area', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' }, targets };
  }
  return {
    ...base,
    fieldConfig: { ...fieldConfig, defaults: { ...fieldConfig.defaults, custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false } } },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets,
  };
}

export function buildDashboards() {
  return Object.fromEntries(Object.entries(dashboards).map(([uid, d]) => [uid, {
    uid,
    title: d.title,
    description: d.description,
    tags: ['trading'],
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    links: [{ title: 'Trading dashboards', type: 'dashboards', tags: ['trading'], asDropdown: true, icon: 'external link', includeVars: false, keepTime: true, targetBlank: false, tooltip: '' }],
    panels: layout(d.panels).map((p, i) => panelJson(p, i + 1)),
  }]));
}

export const render = (dashboard) => JSON.stringify(dashboard, null, 2) + '\n';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [uid, d] of Object.entries(buildDashboards())) {
    writeFileSync(new URL(`./dashboards/${uid}.json`, import.meta.url), render(d));
    console.log(`wrote dashboards/${uid}.json (${d.panels.length} panels)`);
  }
}
