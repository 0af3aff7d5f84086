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
    'trading_journal_entries_applied_total', 'trading_book_reloads_total', 'trading_book_divergences_total',
    'trading_bus_dropped_messages_total', 'trading_reports_replayed_total', 'trading_report_gap_seqs_total',
    'trading_book_snapshots_total', 'trading_book_snapshot_failures_total', 'trading_book_snapshots_rejected_total',
    'trading_ws_refusals_total',
  ],
  histograms: [
    'trading_graphql_operation_duration_seconds', 'trading_order_path_duration_seconds',
    'trading_db_commit_duration_seconds', 'trading_db_commit_group_size', 'trading_book_snapshot_pause_seconds',
  ],
  gauges: ['trading_ws_connections', 'trading_ws_subscriptions', 'trading_fix_sessions', 'trading_resting_orders', 'trading_books_loaded', 'trading_bus_connected', 'trading_books_load_seconds'],
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

/** Alloy promotes exactly these to Loki stream labels. */
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

/**
 * A LogQL evaluator for the subset the runbook uses, over entries already labelled (as Alloy
 * would): a stream selector (=, !=, =~, !~), then `| json`, label filters on strings and numbers,
 * `and`-free chains of them, line filters (|=, !=, |~, !~) and `| line_format` (ignored: it
 * changes the text, not the selection). Anything else throws. Returns the matching entries.
 */
export function logqlSelect<E extends { labels: Record<string, string>; line: string }>(query: string, entries: E[]): E[] {
  const q = expandGrafanaVars(query);
  const tree = logqlParser.parse(q);
  const errs = errors(tree, q);
  if (errs.length) throw new Error(`${query}: ${errs.join('; ')}`);
  type Test = (labels: Record<string, string>, fields: Record<string, unknown>, line: string) => boolean;
  const stream: Test[] = [];
  const pipeline: (Test | 'json')[] = [];
  const strMatch = (op: string, want: string): ((v: string | undefined) => boolean) => {
    const v0 = (v: string | undefined) => v ?? '';
    if (op === '=') return (v) => v0(v) === want;
    if (op === '!=') return (v) => v0(v) !== want;
    const re = new RegExp(`^(?:${want})$`);
    if (op === '=~') return (v) => re.test(v0(v));
    if (op === '!~') return (v) => !re.test(v0(v));
    throw new Error(`${query}: matcher ${op}`);
  };
  const matcher = (n: SyntaxNode) => {
    const name = text(q, n.getChild('Identifier'));
    const op = text(q, n.getChild('Eq') ?? n.getChild('Neq') ?? n.getChild('Re') ?? n.getChild('Nre'));
    const want = JSON.parse(text(q, n.getChild('String'))) as string;
    return { name, test: strMatch(op, want) };
  };
  tree.iterate({
    enter: (n) => {
      if (n.name === 'Selector') {
        for (const m of n.node.getChildren('Matchers').flatMap(function all(x): SyntaxNode[] { return [...x.getChildren('Matcher'), ...x.getChildren('Matchers').flatMap(all)]; })) {
          const { name, test } = matcher(m);
          stream.push((labels) => test(labels[name]));
        }
        return false;
      }
      if (n.name === 'PipelineStage') {
        let stage = n.node.firstChild;
        if (stage?.name === 'Pipe') stage = stage.nextSibling;
        if (!stage) throw new Error(`${query}: empty stage`);
        if (stage.name === 'LineFilters') {
          for (const lf of stage.getChildren('LineFilter')) {
            const op = lf.getChild('Filter')?.firstChild?.name ?? '';
            const want = JSON.parse(text(q, lf.getChild('String'))) as string;
            const tests: Record<string, (l: string) => boolean> = { PipeExact: (l) => l.includes(want), Neq: (l) => !l.includes(want), PipeMatch: (l) => new RegExp(want).test(l), Nre: (l) => !new RegExp(want).test(l) };
            if (!tests[op]) throw new Error(`${query}: line filter ${op}`);
            pipeline.push((_l, _f, line) => tests[op]!(line));
          }
        } else if (stage.name === 'LabelParser') {
          if (text(q, stage) !== 'json') throw new Error(`${query}: parser ${text(q, stage)}`);
          pipeline.push('json');
        } else if (stage.name === 'LineFormatExpr') {
          // changes the text only
        } else if (stage.name === 'LabelFilter') {
          const f = stage.firstChild!;
          if (f.name === 'Matcher') {
            const { name, test } = matcher(f);
            pipeline.push((labels, fields) => test(name in fields ? String(fields[name]) : labels[name]));
          } else if (f.name === 'NumberFilter') {
            const name = text(q, f.getChild('Identifier'));
            const op = f.getChild('Identifier')!.nextSibling!.name;
            const want = Number(text(q, f.getChild('LiteralExpr')));
            const cmp: Record<string, (a: number) => boolean> = { Gtr: (a) => a > want, Gte: (a) => a >= want, Lss: (a) => a < want, Lte: (a) => a <= want, CmpEq: (a) => a === want, Neq: (a) => a !== want };
            if (!cmp[op]) throw new Error(`${query}: number filter ${op}`);
            pipeline.push((labels, fields) => { const v = Number(fields[name] ?? labels[name]); return !Number.isNaN(v) && cmp[op]!(v); });
          } else {
            throw new Error(`${query}: label filter ${f.name}`);
          }
        } else {
          throw new Error(`${query}: pipeline stage ${stage.name} is not implemented`);
        }
        return false;
      }
      return undefined;
    },
  });
  if (stream.length === 0) throw new Error(`${query}: no stream selector`);
  return entries.filter((e) => {
    if (!stream.every((t) => t(e.labels, {}, e.line))) return false;
    let fields: Record<string, unknown> = {};
    for (const p of pipeline) {
      if (p === 'json') {
        try {
          const parsed = JSON.parse(e.line) as Record<string, unknown>;
          fields = {};
          for (const [k, v] of Object.entries(parsed)) fields[k] = typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
        } catch {
          fields = { __error__: 'JSONParserErr' };
        }
      } else if (!p(e.labels, fields, e.line)) {
        return false;
      }
    }
    return true;
  });
}

/** The field names a LogQL query's label filters read after `| json` (labels excluded by the caller). */
export function logqlFilterFields(query: string): string[] {
  const q = expandGrafanaVars(query);
  const out: string[] = [];
  logqlParser.parse(q).iterate({
    enter: (n) => {
      if (n.name === 'LabelFilter') {
        n.node.cursor().iterate((c) => { if (c.name === 'Identifier') out.push(text(q, c.node)); });
        return false;
      }
      return undefined;
    },
  });
  return out;
}
