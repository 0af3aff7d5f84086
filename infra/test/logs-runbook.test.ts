/**
 * Logs and the runbook: Alloy promotes only app, component and level to Loki labels (never
 * userId, orderId, reqId...: one stream per value would swamp Loki's index); Loki's config is
 * the minimal single-process one the compose stack mounts; and every query in
 * docs/RUNBOOK.md parses, LogQL selecting only promoted labels, PromQL only real metrics.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INFRA, REPO } from './lib/tools.js';
import { component, parseAlloy } from './lib/alloy.js';
import { stagesOf } from './lib/log-pipeline.js';
import { ALLOWED_METRICS, LOKI_LABELS, logqlFilterFields, logqlSelect, logqlStreamLabels, promqlMetrics } from './lib/observability.js';

const ALLOY_FILES = ['config.alloy', 'config.kubernetes.alloy'];
const runbook = readFileSync(join(REPO, 'docs/RUNBOOK.md'), 'utf8');
const fenced = (lang: string) => [...runbook.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].flatMap((m) => m[1]!.split('\n').map((l) => l.trim()).filter(Boolean));

describe.each(ALLOY_FILES)('alloy/%s', (file) => {
  const cfg = parseAlloy(readFileSync(join(INFRA, 'monitoring/alloy', file), 'utf8'));
  const stages = stagesOf(component(cfg, 'loki.process', 'api'));
  const one = (name: string) => stages.filter((s) => s.name === name);

  it('promotes exactly app, component and level', () => {
    const promoted = one('stage.labels').flatMap((s) => Object.keys(s.attrs.values as object));
    expect(promoted.sort()).toEqual([...LOKI_LABELS].sort());
    expect((one('stage.label_keep')[0]?.attrs.values as string[] | undefined)?.slice().sort(), 'stage.label_keep').toEqual([...LOKI_LABELS].sort());
    // label_keep must come after anything that could add labels.
    expect(stages.findIndex((s) => s.name === 'stage.label_keep')).toBe(stages.length - 1);
    // Nothing outside the pipeline adds stream labels: relabel rules only write __ labels, and
    // no source sets static labels.
    for (const b of cfg) {
      for (const r of b.blocks.filter((x) => x.name === 'rule')) if (r.attrs.target_label) expect(r.attrs.target_label, `${b.name}: relabel target`).toMatch(/^__/);
      if (b.name.startsWith('loki.source.')) expect(b.attrs.labels, `${b.name} labels`).toBeUndefined();
    }
  });

  it('parses the pino JSON and uses its timestamp', () => {
    const json = one('stage.json')[0]!.attrs.expressions as Record<string, string>;
    expect(json).toMatchObject({ app: 'app', component: 'component', level: 'level', time: 'time' });
    expect(one('stage.timestamp')[0]?.attrs, 'pino isoTime: 2026-01-02T03:04:05.678Z').toEqual({ source: 'time', format: 'RFC3339Nano' });
    const forbidden = ['userId', 'orderId', 'reqId', 'symbol', 'operation'];
    expect(Object.keys(json).filter((k) => forbidden.includes(k)), 'high-cardinality fields are not even extracted').toEqual([]);
  });
});

describe('loki/loki.yaml', () => {
  const cfg = parse(readFileSync(join(INFRA, 'monitoring/loki/loki.yaml'), 'utf8')) as {
    auth_enabled: boolean; server: { http_listen_port: number };
    schema_config: { configs: { store: string; schema: string; object_store: string }[] };
    limits_config: { retention_period: string; max_label_names_per_series: number }; compactor: { retention_enabled: boolean };
  };
  it('is a single-process filesystem Loki with tsdb/v13 and retention', () => {
    expect(cfg.auth_enabled).toBe(false);
    expect(cfg.server.http_listen_port).toBe(3100);
    expect(cfg.schema_config.configs.at(-1)).toMatchObject({ store: 'tsdb', schema: 'v13', object_store: 'filesystem' });
    expect(cfg.limits_config.retention_period).toMatch(/^\d+h$/);
    expect(cfg.compactor.retention_enabled).toBe(true);
    expect(cfg.limits_config.max_label_names_per_series).toBeLessThanOrEqual(10);
  });
});

describe('docs/RUNBOOK.md', () => {
  it('has a "When something breaks" section for each failure the alerts point to', () => {
    const section = runbook.slice(runbook.indexOf('## When something breaks'));
    for (const h of ['API down', 'Slow trades SLI burn', 'Error ratio', 'Order-path latency', 'WebSocket drops', 'DB commit slow', 'FIX sessions gone', 'Rejects spike']) {
      expect(section, h).toContain(`### ${h}\n`);
    }
  });

  it('every LogQL query parses and selects only the promoted labels', () => {
    const queries = fenced('logql');
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const q of queries) {
      const { labels, errors } = logqlStreamLabels(q);
      expect(errors, q).toEqual([]);
      expect(labels.length, q).toBeGreaterThan(0);
      for (const l of labels) expect(LOKI_LABELS.has(l), `${q}: label ${l} is not promoted by Alloy`).toBe(true);
    }
  });

  it('the LogQL check itself rejects a high-cardinality label', () => {
    const { labels } = logqlStreamLabels('{app="trading-api", userId="42"} | json');
    expect(labels.filter((l) => !LOKI_LABELS.has(l))).toEqual(['userId']);
  });

  it('every PromQL query parses and selects only real metrics or recorded series', () => {
    const recorded = new Set([...readFileSync(join(INFRA, 'monitoring/prometheus/rules/trading-recording.yml'), 'utf8').matchAll(/record: (\S+)/g)].map((m) => m[1]!));
    const queries = fenced('promql');
    expect(queries.length).toBeGreaterThanOrEqual(8);
    for (const q of queries) {
      const { metrics, errors } = promqlMetrics(q);
      expect(errors, q).toEqual([]);
      for (const m of metrics) expect(ALLOWED_METRICS.has(m) || recorded.has(m), `${q}: ${m}`).toBe(true);
    }
  });
});

describe('the LogQL subset evaluator (used on real lines by live/logs.test.ts)', () => {
  const e = (component: string, level: string, fields: Record<string, unknown>) => ({ labels: { app: 'trading-api', component, level }, line: JSON.stringify({ component, level, ...fields }) });
  const entries = [
    e('graphql', 'info', { operation: 'placeOrder', outcome: 'error', durationMs: 12 }),
    e('graphql', 'info', { operation: 'placeOrder', outcome: 'ok', durationMs: 900 }),
    e('order-path', 'error', { msg: 'order batch failed' }),
    { labels: { app: 'trading-api', component: 'none', level: 'info' }, line: 'Loaded 11 products.' },
  ];
  it('selects by labels, json fields, numbers and line filters', () => {
    expect(logqlSelect('{app="trading-api"}', entries)).toHaveLength(4);
    expect(logqlSelect('{app="trading-api", level=~"error|fatal"}', entries)).toHaveLength(1);
    expect(logqlSelect('{app="trading-api", component="graphql"} | json | outcome="error"', entries)).toHaveLength(1);
    expect(logqlSelect('{app="trading-api", component="graphql"} | json | operation="placeOrder" | durationMs > 750', entries)).toHaveLength(1);
    expect(logqlSelect('{app="trading-api", component!="none"} |= "batch" | json', entries)).toHaveLength(1);
    expect(logqlSelect('{app="trading-api"} | json | line_format "{{.msg}}"', entries)).toHaveLength(4);
    expect(logqlFilterFields('{app="trading-api"} | json | operation="placeOrder" | durationMs > 750')).toEqual(['operation', 'durationMs']);
  });
  it('refuses what it does not implement', () => {
    expect(() => logqlSelect('{app="trading-api"} | logfmt', entries)).toThrow(/LogfmtParser is not implemented/);
  });
});
