/**
 * The API's metric contract and PromQL/LogQL inspection helpers, shared by the Prometheus,
 * Grafana and runbook checks. Queries are parsed with the official Lezer grammars
 * (@prometheus-io/lezer-promql, @grafana/lezer-logql), not with regular expressions.
 */
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parser as logqlParser } from '@grafana/lezer-logql';
import type { SyntaxNode, Tree } from '@lezer/common';

/** Metric names the API exposes (prom-client, names fixed by contract). */
export const APP_METRICS = {
  counters: [
    'trading_graphql_operations_total', 'trading_http_requests_total', 'trading_orders_received_total',
    'trading_order_rejects_total', 'trading_trades_total', 'trading_traded_quantity_total', 'trading_ws_disconnects_total',
  ],
  histograms: [
    'trading_graphql_operation_duration_seconds', 'trading_order_path_duration_seconds',
    'trading_db_commit_duration_seconds', 'trading_db_commit_group_size',
  ],
  gauges: ['trading_ws_connections', 'trading_ws_subscriptions', 'trading_fix_sessions', 'trading_resting_orders', 'trading_books_loaded'],
} as const;

/** prom-client's default process/Node metrics that the dashboards use, and Prometheus' own `up`. */
export const DEFAULT_METRICS = [
  'up', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes', 'nodejs_eventloop_lag_p99_seconds',
] as const;

export const ALLOWED_METRICS: ReadonlySet<string> = new Set([
  ...APP_METRICS.counters,
  ...APP_METRICS.gauges,
  ...APP_METRICS.histograms.flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
  ...DEFAULT_METRICS,
]);

/** Promtail promotes exactly these to Loki stream labels. */
export const LOKI_LABELS: ReadonlySet<string> = new Set(['app', 'component', 'level']);

/** Grafana's built-in interval variables, replaced by a duration so PromQL/LogQL parse. */
export function expandGrafanaVars(q: string): string {
  return q.replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '5m');
}

function errors(tree: Tree, q: string): string[] {
  const out: string[] = [];
  tree.iterate({ enter: (n) => { if (n.type.isError) out.push(`syntax error at ${n.from}: …${q.slice(Math.max(0, n.from - 20), n.from + 20)}…`); } });
  return out;
}

const text = (q: string, n: SyntaxNode | null) => (n ? q.slice(n.from, n.to) : '');
const unquote = (s: string) => s.replace(/^["'`]|["'`]$/g, '');

/** Metric names a PromQL expression selects (plain names and __name__="..." matchers). */
export function promqlMetrics(expr: string): { metrics: string[]; errors: string[] } {
  const q = expandGrafanaVars(expr);
  const tree = promqlParser.parse(q);
  const metrics: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.name !== 'VectorSelector') return;
      const id = n.node.getChild('Identifier');
      if (id) { metrics.push(text(q, id)); return; }
      const matchers = n.node.getChild('LabelMatchers');
      for (const m of matchers?.getChildren('UnquotedLabelMatcher') ?? []) {
        if (text(q, m.getChild('LabelName')) === '__name__') metrics.push(unquote(text(q, m.getChild('StringLiteral'))));
      }
    },
  });
  return { metrics, errors: errors(tree, q) };
}

/** Label names used in a LogQL query's stream selectors ({...}), and syntax errors. */
export function logqlStreamLabels(query: string): { labels: string[]; errors: string[] } {
  const q = expandGrafanaVars(query);
  const tree = logqlParser.parse(q);
  const labels: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.name !== 'Selector') return;
      n.node.cursor().iterate((c) => {
        if (c.name === 'Matcher') labels.push(text(q, c.node.getChild('Identifier')));
        return c.name !== 'PipelineExpr';
      });
    },
  });
  if (!/\{[^}]*\}/.test(q)) return { labels, errors: ['no stream selector'] };
  return { labels, errors: errors(tree, q) };
}
