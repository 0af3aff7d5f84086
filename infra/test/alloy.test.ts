/**
 * The Grafana Alloy configs (monitoring/alloy), read by lib/alloy.ts and their `loki.process`
 * pipelines run by lib/log-pipeline.ts: the wiring (discovery → source → process → Loki, every
 * reference declared); what labels and timestamp Loki gets for a pino line, a numeric level, a
 * plain-text line, a CRI-wrapped stderr line; Go template semantics for missing values; and
 * refusal of syntax and stages the offline reader does not implement. live/logs.test.ts feeds the
 * real API's output through the same pipelines.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA } from './lib/tools.js';
import { checkReferences, component, parseAlloy, type Block, type Ref } from './lib/alloy.js';
import { runPipeline, stagesOf, type Stage } from './lib/log-pipeline.js';

const load = (file: string) => parseAlloy(readFileSync(join(INFRA, 'monitoring/alloy', file), 'utf8'));
const composeCfg = load('config.alloy');
const k8sCfg = load('config.kubernetes.alloy');
const compose = stagesOf(component(composeCfg, 'loki.process', 'api'));
const k8s = stagesOf(component(k8sCfg, 'loki.process', 'api'));
const cri = (line: string, stream = 'stdout') => `2026-01-02T03:04:05.123456789Z ${stream} F ${line}`;
const pino = '{"level":"info","time":"2026-01-02T03:04:05.678Z","app":"trading-api","component":"order-path","userId":7,"orderId":42,"msg":"order event"}';
const refs = (v: unknown) => (v as Ref[]).map((r) => r.ref);
const stage = (name: string, attrs: Stage['attrs']): Stage => ({ name, attrs });

describe('Alloy configs: wiring', () => {
  it.each([['config.alloy', composeCfg], ['config.kubernetes.alloy', k8sCfg]] as [string, Block[]][])('%s: every reference names a declared component; the logs reach Loki through the pipeline', (_file, cfg) => {
    expect(checkReferences(cfg)).toEqual([]);
    const source = cfg.find((b) => b.name.startsWith('loki.source.'))!;
    expect(refs(source.attrs.forward_to)).toEqual(['loki.process.api.receiver']);
    expect(refs(component(cfg, 'loki.process', 'api').attrs.forward_to)).toEqual(['loki.write.loki.receiver']);
    const endpoint = component(cfg, 'loki.write', 'loki').blocks.find((b) => b.name === 'endpoint')!;
    expect(endpoint.attrs.url).toMatch(/\/loki\/api\/v1\/push$/);
  });

  it('compose: only containers labelled logging.alloy=true, as compose.yaml labels the API', () => {
    const docker = component(composeCfg, 'discovery.docker', 'api');
    expect(docker.blocks.find((b) => b.name === 'filter')?.attrs).toEqual({ name: 'label', values: ['logging.alloy=true'] });
    expect(readFileSync(join(INFRA, 'compose.yaml'), 'utf8')).toMatch(/^\s+logging\.alloy: "true"$/m);
    expect(component(composeCfg, 'loki.source.docker', 'api').attrs.targets).toEqual({ ref: 'discovery.docker.api.targets' });
  });

  it('Kubernetes: the API and migration pods\' log files, nothing relabelled into a stream label', () => {
    const relabel = component(k8sCfg, 'discovery.relabel', 'api');
    const rules = relabel.blocks.filter((b) => b.name === 'rule').map((b) => b.attrs);
    expect(rules[0]).toMatchObject({ regex: 'trading-api|trading-migrate', action: 'keep' });
    for (const r of rules) if (r.target_label) expect(r.target_label).toMatch(/^__/);
    expect(component(k8sCfg, 'loki.source.file', 'api').attrs.targets).toEqual({ ref: 'local.file_match.api.targets' });
  });
});

describe('Alloy pipelines (offline interpreter) on the committed configs', () => {
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

  it('follows Go templates on missing values, as the template stage runs them', () => {
    const stages = [stage('stage.json', { expressions: { level: 'level' } }), stage('stage.template', { source: 'level', template: '{{ if eq .Value "30" }}info{{ else }}{{ .Value }}{{ end }}' }), stage('stage.labels', { values: { level: '' } })];
    expect(runPipeline(stages, 'not json').labels).toEqual({ level: '<no value>' });
    expect(runPipeline(stages, '{"level":30}').labels).toEqual({ level: 'info' });
    const trim = [stage('stage.json', { expressions: { a: '' } }), stage('stage.template', { source: 'a', template: '{{- if .Value -}} x{{ .Value }} {{- end }}' }), stage('stage.labels', { values: { a: '' } })];
    expect(runPipeline(trim, '{"a":"1"}').labels).toEqual({ a: 'x1' });
    expect(runPipeline(trim, '{"a":""}').labels, 'an empty result removes the key').toEqual({});
  });

  it('refuses what it does not implement', () => {
    expect(() => runPipeline([stage('stage.regex', { expression: '.*' })], 'x')).toThrow(/not implemented/);
    expect(() => runPipeline([stage('stage.json', { expressions: { a: 'a.b' } })], '{}')).toThrow(/JMESPath/);
    expect(() => runPipeline([stage('stage.json', { expressions: { a: '' }, drop_malformed: true })], '{}')).toThrow(/drop_malformed not implemented/);
    expect(() => runPipeline([stage('stage.template', { source: 'a', template: '{{ ToUpper .Value }}' })], 'x')).toThrow(/unsupported/);
  });
});

describe('the Alloy syntax reader', () => {
  it('reads blocks, labels, attributes, raw and quoted strings, lists and objects', () => {
    const [b] = parseAlloy('a.b "x" {\n  s = "q\\"\\n" // c\n  r = `{{ "raw" }}`\n  /* c */ l = [1, true, null,]\n  o = { k = "v", "k 2" = c.d.e.f }\n  inner {}\n}\n');
    expect(b).toMatchObject({ name: 'a.b', label: 'x', attrs: { s: 'q"\n', r: '{{ "raw" }}', l: [1, true, null], o: { k: 'v', 'k 2': { ref: 'c.d.e.f' } } } });
    expect(b!.blocks.map((x) => x.name)).toEqual(['inner']);
  });

  it('refuses syntax outside its subset and undeclared references', () => {
    expect(() => parseAlloy('a "x" {\n  v = sys.env("HOME")\n}\n')).toThrow(/function calls|unsupported character/);
    expect(() => parseAlloy('a "x" {\n  v = 1 + 2\n}\n')).toThrow(/unsupported character/);
    expect(() => parseAlloy('a "x" {\n  v = "open\n}\n')).toThrow(/unterminated/);
    expect(checkReferences(parseAlloy('a "x" {\n  forward_to = [loki.process.missing.receiver]\n}\n'))).toHaveLength(1);
  });
});
