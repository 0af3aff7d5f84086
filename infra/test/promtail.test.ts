/**
 * The offline Promtail pipeline (lib/promtail.ts) on the committed configs: what labels and
 * timestamp Loki gets for a pino line, a numeric level, a plain-text line, a CRI-wrapped stderr
 * line; Go template semantics for missing values; and refusal of stages it does not implement.
 * live/logs.test.ts feeds the real API's output through the same pipeline.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { INFRA } from './lib/tools.js';
import { runPipeline, type Stage } from './lib/promtail.js';

const stagesOf = (file: string): Stage[] => (parse(readFileSync(join(INFRA, 'monitoring/promtail', file), 'utf8')) as { scrape_configs: { pipeline_stages: Stage[] }[] }).scrape_configs[0]!.pipeline_stages;
const compose = stagesOf('promtail.yaml');
const k8s = stagesOf('promtail.kubernetes.yaml');
const cri = (line: string, stream = 'stdout') => `2026-01-02T03:04:05.123456789Z ${stream} F ${line}`;
const pino = '{"level":"info","time":"2026-01-02T03:04:05.678Z","app":"trading-api","component":"order-path","userId":7,"orderId":42,"msg":"order event"}';

describe('Promtail pipeline (offline interpreter) on the committed configs', () => {
  it('a pino line: exactly app, component and level; the line\'s own time', () => {
    for (const [stages, line] of [[compose, pino], [k8s, cri(pino)]] as const) {
      const e = runPipeline(stages, line);
      expect(e.labels).toEqual({ app: 'trading-api', component: 'order-path', level: 'info' });
      expect(e.timestampParsed).toBe(true);
      expect(e.timestamp.toISOString()).toBe('2026-01-02T03:04:05.678Z');
      expect(e.line).toBe(pino);
    }
  });

  it('numeric pino levels become names; a line without component gets "none"', () => {
    const e = runPipeline(compose, '{"level":50,"time":"2026-01-02T03:04:05.678Z","app":"trading-api","msg":"x"}');
    expect(e.labels).toEqual({ app: 'trading-api', component: 'none', level: 'error' });
  });

  it('plain-text lines still carry app="trading-api" (stderr ones are errors on Kubernetes)', () => {
    expect(runPipeline(compose, 'Trading App is running: open http://localhost:4000').labels).toEqual({ app: 'trading-api', component: 'none', level: 'info' });
    expect(runPipeline(k8s, cri('Loaded 11 products.')).labels).toEqual({ app: 'trading-api', component: 'none', level: 'info' });
    expect(runPipeline(k8s, cri('Invalid environment:', 'stderr')).labels).toEqual({ app: 'trading-api', component: 'none', level: 'error' });
  });

  it('follows Go templates on missing values, as Promtail runs them', () => {
    const stages: Stage[] = [{ json: { expressions: { level: 'level' } } }, { template: { source: 'level', template: '{{ if eq .Value "30" }}info{{ else }}{{ .Value }}{{ end }}' } }, { labels: { level: null } }];
    expect(runPipeline(stages, 'not json').labels).toEqual({ level: '<no value>' });
    expect(runPipeline(stages, '{"level":30}').labels).toEqual({ level: 'info' });
    const trim: Stage[] = [{ json: { expressions: { a: 'a' } } }, { template: { source: 'a', template: '{{- if .Value -}} x{{ .Value }} {{- end }}' } }, { labels: { a: null } }];
    expect(runPipeline(trim, '{"a":"1"}').labels).toEqual({ a: 'x1' });
    expect(runPipeline(trim, '{"a":""}').labels, 'an empty result removes the key').toEqual({});
  });

  it('refuses what it does not implement', () => {
    expect(() => runPipeline([{ regex: { expression: '.*' } }], 'x')).toThrow(/not implemented/);
    expect(() => runPipeline([{ json: { expressions: { a: 'a.b' } } }], '{}')).toThrow(/JMESPath/);
    expect(() => runPipeline([{ template: { source: 'a', template: '{{ ToUpper .Value }}' } }], 'x')).toThrow(/unsupported/);
  });
});
