/**
 * Real Prometheus (Debian package `prometheus`; .ci/run installs it) scraping the real API.
 * The config is the compose one (infra/monitoring/prometheus/prometheus.yml: job names, rule
 * files) with the targets pointed at loopback and every interval shortened to 1 s, rule groups
 * included (theirs are 30 s): the test would otherwise wait minutes. After orders (crossing
 * ones, and bad ones for rejects) the contract metrics must have arrived through Prometheus'
 * HTTP API with the values the traffic implies, `up` must be 1, the recording rules must
 * evaluate to numbers and no rule may be in error.
 * Under CI=true a missing prometheus fails; elsewhere the test skips with the install hint.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { INFRA, requireTool, which } from '../lib/tools.js';
import { nginxTempDir as tempDir } from '../lib/nginx.js';
import { freePort, gql, PLACE_ORDER, signUp, startLiveApi, uniqueName, type LiveApi } from './support/api.js';
import { connectGqlWs, type GqlSocket } from './support/gql-ws.js';

const HINT = 'apt-get install -y prometheus';
const PROM_DIR = join(INFRA, 'monitoring/prometheus');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let api: LiveApi | undefined;
let prom: ChildProcess | undefined;
let promLog = '';
let promUrl = '';
let dir = '';
let ws: GqlSocket | undefined;

type Sample = { metric: Record<string, string>; value: [number, string] };

async function query(expr: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data: { resultType: string; result: Sample[] } };
  if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
  return body.data.result;
}

/** Polls `expr` until `ok(samples)` holds (Prometheus scrapes and evaluates every second). */
async function eventually(expr: string, ok: (s: Sample[]) => boolean, timeoutMs = 30_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    last = await query(expr);
    if (ok(last)) return last;
    await sleep(250);
  }
  throw new Error(`${expr} never satisfied the check within ${timeoutMs} ms; last result ${JSON.stringify(last)}\nprometheus log:\n${promLog.slice(-3000)}`);
}
const value = (s: Sample[]) => (s.length === 1 ? Number(s[0]!.value[1]) : NaN);

async function queryAt(expr: string, time: number): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}&time=${time}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`query ${expr} at ${time}: ${body.error}`);
  return body.data.result;
}

/**
 * A recording rule's newest sample, and its defining expression (from the rule files) evaluated
 * over the raw series at the same instant: they must be the same number, so the rule reads the
 * series and labels the API really exports.
 */
async function recordedAndRaw(record: string): Promise<{ recorded: number; raw: number }> {
  const rules = readdirSync(join(PROM_DIR, 'rules'))
    .filter((f) => f.endsWith('.yml'))
    .flatMap((f) => (parse(readFileSync(join(PROM_DIR, 'rules', f), 'utf8')) as { groups: { rules: { record?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules));
  const rule = rules.find((r) => r.record === record);
  if (!rule) throw new Error(`no recording rule ${record}`);
  const at = value(await eventually(`timestamp(${record})`, (s) => Number.isFinite(value(s))));
  return { recorded: value(await queryAt(record, at)), raw: value(await queryAt(rule.expr, at)) };
}

beforeAll(async () => {
  const prometheus = which('prometheus');
  if (!prometheus) return; // the test fails (CI) or skips via requireTool
  dir = tempDir();
  api = await startLiveApi({ DATABASE_URL: `sqlite:${join(dir, 'live.sqlite')}` });
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;

  // The rule files as they are, with their evaluation interval shortened.
  mkdirSync(join(dir, 'rules'));
  for (const f of readdirSync(join(PROM_DIR, 'rules')).filter((n) => n.endsWith('.yml'))) {
    const doc = parse(readFileSync(join(PROM_DIR, 'rules', f), 'utf8')) as { groups: { interval?: string }[] };
    for (const g of doc.groups) g.interval = '1s';
    writeFileSync(join(dir, 'rules', f), stringify(doc));
  }
  const cfg = parse(readFileSync(join(PROM_DIR, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>; rule_files: string[];
    scrape_configs: { job_name: string; scrape_interval?: string; scrape_timeout?: string; static_configs: { targets: string[] }[] }[];
  };
  expect(cfg.rule_files).toEqual(['rules/*.yml']);
  cfg.global.scrape_interval = '1s';
  cfg.global.evaluation_interval = '1s';
  cfg.rule_files = [join(dir, 'rules/*.yml')];
  const targets: Record<string, string> = { 'trading-api': `127.0.0.1:${api.metricsPort}`, prometheus: `127.0.0.1:${port}` };
  for (const job of cfg.scrape_configs) {
    expect(Object.keys(targets), 'a job this test knows how to point at loopback').toContain(job.job_name);
    job.scrape_interval = '1s';
    job.scrape_timeout = '1s';
    job.static_configs = [{ targets: [targets[job.job_name]!] }];
  }
  writeFileSync(join(dir, 'prometheus.yml'), stringify(cfg));

  prom = spawn(prometheus, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  prom.stdout!.on('data', (d) => { promLog += String(d); });
  prom.stderr!.on('data', (d) => { promLog += String(d); });
  for (let i = 0; ; i++) {
    if (prom.exitCode !== null) throw new Error(`prometheus exited ${prom.exitCode}:\n${promLog}`);
    try {
      if ((await fetch(`${promUrl}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 300) throw new Error(`prometheus not ready in 30 s:\n${promLog}`);
    await sleep(100);
  }
});

afterAll(async () => {
  ws?.close();
  if (prom && prom.exitCode === null) {
    const exited = new Promise((r) => prom!.once('exit', r));
    prom.kill('SIGTERM');
    const t = setTimeout(() => prom!.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scraping the real API', () => {
  it('collects the contract metrics with the values the traffic implies, and the rules evaluate', async (ctx) => {
    requireTool(ctx, 'prometheus', HINT);
    const base = api!.url;

    // Scraped before any traffic, so the counters' rates cover the orders below.
    await eventually('up{job="trading-api"}', (s) => value(s) === 1);
    const targets = (await (await fetch(`${promUrl}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] } };
    const apiTarget = targets.data.activeTargets.find((t) => t.labels.job === 'trading-api')!;
    expect(apiTarget, 'the trading-api target').toBeDefined();
    expect(apiTarget.health).toBe('up');
    expect(apiTarget.lastError).toBe('');

    const maker = await signUp(base, uniqueName('pm'), 'prom-maker-password');
    const taker = await signUp(base, uniqueName('pt'), 'prom-taker-password');
    ws = await connectGqlWs(`${base.replace('http', 'ws')}/graphql`, { authorization: `Bearer ${taker}` });
    ws.subscribe('subscription { executionReports { execType } }');

    const order = (token: string, i: Record<string, unknown>) => gql(base, PLACE_ORDER, { i }, token);
    let placeOrders = 0;
    const ok = async (token: string, i: Record<string, unknown>) => {
      placeOrders++;
      const r = await order(token, i);
      expect(r.errors, JSON.stringify(i)).toBeUndefined();
      return r.data.placeOrder as { status: string };
    };
    const bad: [Record<string, unknown>, string][] = [
      [{ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.001', quantity: 1 }, 'PRICE_OFF_TICK'],
      [{ symbol: 'NOPE', side: 'BUY', type: 'LIMIT', price: '1.00', quantity: 1 }, 'UNKNOWN_SYMBOL'],
      [{ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.005', quantity: 1 }, 'PRICE_OFF_TICK'],
      [{ symbol: 'AAPL', side: 'BUY', type: 'MARKET', price: '140.00', quantity: 1 }, 'PRICE_NOT_ALLOWED'],
    ];
    const refuse = async ([i, reason]: [Record<string, unknown>, string]) => {
      placeOrders++;
      const r = await order(taker, i);
      expect(r.errors?.[0]?.extensions?.reason, JSON.stringify(i)).toBe(reason);
    };
    const cross = async () => {
      expect((await ok(maker, { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '140.00', quantity: 10 })).status).toBe('NEW');
      expect((await ok(taker, { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.00', quantity: 10 })).status).toBe('FILLED');
    };
    // Two phases a few scrapes apart. prom-client exports a labelled series only once it has
    // been incremented, so Prometheus first sees it already at its value: rate() cannot count
    // that first step. The second phase is what the rates (and so the rules) see.
    await cross();
    await refuse(bad[0]!);
    await refuse(bad[1]!);
    await eventually('sum(trading_graphql_operations_total{operation="placeOrder"})', (s) => value(s) === placeOrders);
    await sleep(2500);
    await cross();
    await cross();
    expect((await ok(taker, { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '200.00', quantity: 1 })).status).toBe('NEW');
    await refuse(bad[2]!);
    await refuse(bad[3]!);

    // Counters: exactly what was sent (one process, nothing else trades on it).
    await eventually('sum(trading_orders_received_total)', (s) => value(s) === placeOrders);
    await eventually('sum(trading_orders_received_total{channel="graphql", side="BUY", ord_type="LIMIT"})', (s) => value(s) === 7);
    await eventually('trading_trades_total', (s) => value(s) === 3);
    await eventually('trading_traded_quantity_total', (s) => value(s) === 30);
    await eventually('trading_order_rejects_total{reason="PRICE_OFF_TICK"}', (s) => value(s) === 2);
    await eventually('trading_order_rejects_total{reason="UNKNOWN_SYMBOL"}', (s) => value(s) === 1);
    await eventually('trading_order_rejects_total{reason="PRICE_NOT_ALLOWED"}', (s) => value(s) === 1);
    await eventually('sum(trading_graphql_operations_total{operation="placeOrder", outcome="ok"})', (s) => value(s) === 7);
    await eventually('sum(trading_graphql_operations_total{operation="placeOrder", outcome="error"})', (s) => value(s) === 4);
    await eventually('sum(trading_graphql_operations_total{operation="signUp"})', (s) => value(s) === 2);
    // Histograms: a bucket per boundary, cumulative, the +Inf bucket equal to the count.
    const buckets = await eventually('trading_order_path_duration_seconds_bucket', (s) => s.some((b) => b.metric.le === '+Inf' && Number(b.value[1]) >= 7));
    const les = buckets.map((b) => b.metric.le!).filter((le) => le !== '+Inf').map(Number).sort((a, b) => a - b);
    expect(les).toContain(0.75);
    const cumulative = buckets.sort((a, b) => Number(a.metric.le === '+Inf' ? Infinity : a.metric.le) - Number(b.metric.le === '+Inf' ? Infinity : b.metric.le)).map((b) => Number(b.value[1]));
    expect(cumulative, 'buckets are cumulative').toEqual([...cumulative].sort((a, b) => a - b));
    expect(value(await query('trading_order_path_duration_seconds_count'))).toBe(cumulative.at(-1));
    await eventually('trading_db_commit_duration_seconds_count', (s) => value(s) >= 1);
    await eventually('sum(trading_graphql_operation_duration_seconds_bucket{operation="placeOrder", le="0.75"})', (s) => value(s) >= 1);
    // Gauges: the one open WebSocket, its subscription, the resting MSFT bid.
    await eventually('trading_ws_connections', (s) => value(s) === 1);
    await eventually('sum(trading_ws_subscriptions)', (s) => value(s) === 1);
    await eventually('trading_resting_orders', (s) => value(s) === 1);
    await eventually('up', (s) => s.length === 2 && s.every((x) => Number(x.value[1]) === 1));

    // Recording rules: numbers (not NaN, not absent) in their ranges.
    // Each ratio equals its expression over the raw series, and lies strictly where this traffic
    // puts it: some placeOrders under 750 ms, some operations and orders refused, not all.
    await eventually('trading:graphql_errors:ratio_rate5m', (s) => value(s) > 0);
    await eventually('trading:order_rejects:ratio_rate5m', (s) => value(s) > 0);
    for (const record of ['trading:place_order_under_750ms:ratio_rate5m', 'trading:place_order_under_750ms:ratio_rate1h', 'trading:place_order_requests:rate5m', 'trading:graphql_errors:ratio_rate5m', 'trading:order_rejects:ratio_rate5m']) {
      // A scrape stamped just before an evaluation can be stored just after it: that evaluation
      // saw one sample fewer than a query at its instant does. Such a pair differs by one scrape;
      // the next evaluations agree (a wrong expression never does), so a few are tried.
      let { recorded, raw } = await recordedAndRaw(record);
      for (let attempt = 0; attempt < 10 && Math.abs(recorded - raw) > 1e-9; attempt++) {
        await new Promise((r) => setTimeout(r, 1_100));
        ({ recorded, raw } = await recordedAndRaw(record));
      }
      expect(Number.isFinite(raw), `${record}: its expression over the raw series`).toBe(true);
      expect(recorded, record).toBeCloseTo(raw, 9);
      expect(recorded, record).toBeGreaterThan(0);
    }
    expect((await recordedAndRaw('trading:graphql_errors:ratio_rate5m')).recorded).toBeLessThan(1);
    expect((await recordedAndRaw('trading:order_rejects:ratio_rate5m')).recorded).toBeLessThan(1);
    for (const p of ['trading:order_path_duration_seconds:p99_5m', 'trading:order_path_duration_seconds:p50_5m', 'trading:db_commit_duration_seconds:p99_5m']) {
      const v = value(await eventually(p, (s) => Number.isFinite(value(s))));
      expect(v, p).toBeGreaterThan(0);
      expect(v, p).toBeLessThan(5);
    }

    // Every rule evaluates without error against the real series; the API is not "down".
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: { name: string; health: string; lastError?: string; type: string }[] }[] } };
    const all = rules.data.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((r) => r.health !== 'ok' && r.health !== 'unknown').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(await query('ALERTS{alertname=~"TradingApiDown|TradingApiReplicaDown"}')).toEqual([]);
  });
});
