/**
 * Grafana provisioning and dashboards.
 *
 * Schema: @grafana/schema publishes Grafana's dashboard schema (generated from its CUE
 * definitions) as TypeScript types, not as a JSON Schema file. Each dashboard JSON is
 * type-checked against its `Dashboard` type (see lib/typecheck.ts): unknown keys and wrong
 * value types anywhere fail. On top: ids, grid layout, datasource references, and every query
 * parsed: PromQL may use only the API's metric names, LogQL stream selectors only the labels
 * Alloy promotes. And the JSON must be what build-dashboards.mjs generates.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INFRA } from './lib/tools.js';
import { typecheckLiterals } from './lib/typecheck.js';
import { ALLOWED_METRICS, APP_METRICS, LOKI_LABELS, promqlMetrics, logqlStreamLabels } from './lib/observability.js';

const DIR = join(INFRA, 'monitoring/grafana');
type Ref = { type?: string; uid?: string };
type Target = { refId: string; expr: string; datasource?: Ref };
type Panel = { id: number; type: string; title: string; datasource?: Ref; gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[] };
type Dashboard = { uid: string; title: string; schemaVersion: number; panels: Panel[] };

const files = readdirSync(join(DIR, 'dashboards')).filter((f) => f.endsWith('.json')).sort();
const dashboards = Object.fromEntries(files.map((f) => [f, JSON.parse(readFileSync(join(DIR, 'dashboards', f), 'utf8')) as Dashboard]));
const datasources = (parse(readFileSync(join(DIR, 'provisioning/datasources/datasources.yml'), 'utf8')) as { datasources: { uid: string; type: string; url: string }[] }).datasources;
const byUid = new Map(datasources.map((d) => [d.uid, d]));
const allTargets = (d: Dashboard) => d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));

it('the five dashboards exist', () => {
  expect(files).toEqual(['trading-api.json', 'trading-database.json', 'trading-fix.json', 'trading-overview.json', 'trading-realtime.json']);
});

it('the committed JSON is what build-dashboards.mjs generates', async () => {
  const gen = await import('../monitoring/grafana/build-dashboards.mjs');
  const built = gen.buildDashboards();
  expect(Object.keys(built).map((u) => `${u}.json`).sort()).toEqual(files);
  for (const [uid, d] of Object.entries(built)) {
    expect(readFileSync(join(DIR, 'dashboards', `${uid}.json`), 'utf8'), `${uid}.json is stale: run node infra/monitoring/grafana/build-dashboards.mjs`).toBe(gen.render(d));
  }
});

it('every dashboard matches Grafana\'s Dashboard schema type (@grafana/schema)', () => {
  const problems = typecheckLiterals(files.map((f) => ({ module: '@grafana/schema', type: 'Dashboard', value: dashboards[f], label: f })));
  expect(problems).toEqual([]);
});

it('the schema check itself rejects an unknown panel field', () => {
  const bad = structuredClone(dashboards['trading-fix.json']!) as Dashboard & { panels: (Panel & Record<string, unknown>)[] };
  bad.panels[0]!.gridpos = bad.panels[0]!.gridPos;
  const problems = typecheckLiterals([{ module: '@grafana/schema', type: 'Dashboard', value: bad, label: 'bad' }]);
  expect(problems.map((p) => p.message).join('\n')).toMatch(/gridpos/);
});

describe.each(files)('%s', (file) => {
  const d = dashboards[file]!;

  it('has a unique uid, unique panel ids and refIds, a title on every panel', () => {
    expect(d.uid).toBe(file.replace(/\.json$/, ''));
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of d.panels) {
      expect(p.title, `panel ${p.id}`).toBeTruthy();
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(refIds.length, `${p.title} has queries`).toBeGreaterThan(0);
      expect(new Set(refIds).size, `${p.title} refIds`).toBe(refIds.length);
    }
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const cells = new Set<string>();
    for (const p of d.panels) {
      const { x, y, w, h } = p.gridPos;
      for (const v of [x, y, w, h]) expect(Number.isInteger(v), p.title).toBe(true);
      expect(w, p.title).toBeGreaterThanOrEqual(1);
      expect(h, p.title).toBeGreaterThanOrEqual(1);
      expect(x + w, `${p.title} fits the grid`).toBeLessThanOrEqual(24);
      for (let cx = x; cx < x + w; cx++) for (let cy = y; cy < y + h; cy++) {
        const key = `${cx},${cy}`;
        expect(cells.has(key), `${p.title} overlaps at ${key}`).toBe(false);
        cells.add(key);
      }
    }
  });

  it('refers only to provisioned datasources, of the right type', () => {
    for (const { panel, target } of allTargets(d)) {
      for (const ref of [panel.datasource, target.datasource]) {
        const ds = byUid.get(ref?.uid ?? '');
        expect(ds, `${panel.title}: datasource ${ref?.uid}`).toBeDefined();
        expect(ref?.type, panel.title).toBe(ds!.type);
      }
    }
  });

  it('PromQL uses only the API\'s metrics; LogQL selects only promoted labels', () => {
    for (const { panel, target } of allTargets(d)) {
      if (target.datasource?.type === 'loki') {
        const { labels, errors } = logqlStreamLabels(target.expr);
        expect(errors, `${panel.title}: ${target.expr}`).toEqual([]);
        for (const l of labels) expect(LOKI_LABELS.has(l), `${panel.title}: stream label ${l}`).toBe(true);
        continue;
      }
      const { metrics, errors } = promqlMetrics(target.expr);
      expect(errors, `${panel.title}: ${target.expr}`).toEqual([]);
      expect(metrics.length, `${panel.title} selects a metric`).toBeGreaterThan(0);
      for (const m of metrics) expect(ALLOWED_METRICS.has(m), `${panel.title}: ${m} is not an API metric`).toBe(true);
    }
  });
});

describe('coverage', () => {
  const exprs = (file: string) => allTargets(dashboards[file]!).map((t) => t.target.expr).join('\n');

  it('each dashboard shows what it is for', () => {
    const want: Record<string, RegExp[]> = {
      'trading-overview.json': [/sum by \(side\) \(rate\(trading_orders_received_total/, /sum by \(reason\) \(rate\(trading_order_rejects_total/, /trading_trades_total/, /trading_traded_quantity_total/, /histogram_quantile\(0\.5, [^\n]*trading_order_path_duration_seconds_bucket/, /histogram_quantile\(0\.99, [^\n]*trading_order_path_duration_seconds_bucket/, /trading_resting_orders/, /trading_books_loaded/],
      'trading-api.json': [/sum by \(operation, outcome\) \(rate\(trading_graphql_operations_total/, /histogram_quantile\(0\.95, [^\n]*trading_graphql_operation_duration_seconds_bucket/, /sum by \(status\) \(rate\(trading_http_requests_total/],
      'trading-realtime.json': [/trading_ws_connections/, /sum by \(topic\) \(trading_ws_subscriptions\)/, /trading_ws_disconnects_total/],
      'trading-database.json': [/trading_db_commit_duration_seconds_bucket/, /trading_db_commit_group_size_bucket/],
      'trading-fix.json': [/trading_fix_sessions/],
    };
    for (const [file, patterns] of Object.entries(want)) for (const p of patterns) expect(exprs(file), `${file}: ${p}`).toMatch(p);
  });

  it('every metric of the API contract appears on some dashboard', () => {
    const used = new Set(files.flatMap((f) => allTargets(dashboards[f]!).filter((t) => t.target.datasource?.type === 'prometheus').flatMap((t) => promqlMetrics(t.target.expr).metrics)));
    for (const m of [...APP_METRICS.counters, ...APP_METRICS.gauges]) expect(used, m).toContain(m);
    for (const h of APP_METRICS.histograms) expect([...used].some((u) => u.startsWith(h)), h).toBe(true);
  });
});

describe('provisioning', () => {
  it('datasources point at the compose services; the provider at the mounted folder', () => {
    expect(byUid.get('prometheus')).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    expect(byUid.get('loki')).toMatchObject({ type: 'loki', url: 'http://loki:3100' });
    const providers = (parse(readFileSync(join(DIR, 'provisioning/dashboards/dashboards.yml'), 'utf8')) as { providers: { options: { path: string } }[] }).providers;
    const compose = readFileSync(join(INFRA, 'compose.yaml'), 'utf8');
    expect(compose).toContain(`./monitoring/grafana/dashboards:${providers[0]!.options.path}:ro`);
    expect(compose).toContain('./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro');
  });
});
