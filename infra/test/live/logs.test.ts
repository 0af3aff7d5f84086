/**
 * The real API's log output (LOG_LEVEL=info, stdout and stderr captured) while traders sign up,
 * log in (once with a wrong password), open WebSockets (one with a bad token), trade, send bad
 * orders and log out, then the process stops:
 *  - every JSON line has app="trading-api", a level name, and a component the runbook lists;
 *    plain-text lines are the start-up banner only;
 *  - no line contains a password (traders', admin's) or a bearer token;
 *  - through the committed Alloy pipelines (compose and Kubernetes, run by lib/log-pipeline.ts),
 *    every line gets exactly the labels app/component/level with the line's own values and its
 *    own timestamp;
 *  - the runbook's LogQL queries, run on those labelled lines (lib/observability.ts), name only
 *    components the API writes and fields they carry, and the "Error ratio" and "Rejects spike"
 *    queries find the errors and rejects this test caused.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { INFRA, REPO } from '../lib/tools.js';
import { nginxTempDir as tempDir } from '../lib/nginx.js';
import { component, parseAlloy } from '../lib/alloy.js';
import { runPipeline, stagesOf, type Entry } from '../lib/log-pipeline.js';
import { logqlFilterFields, logqlSelect } from '../lib/observability.js';
import { gql, gqlOk, PLACE_ORDER, signUp, startLiveApi, uniqueName, type LiveApi } from './support/api.js';
import { connectGqlWs } from './support/gql-ws.js';

const ADMIN_PASSWORD = 'Adm1n-secret-for-log-test';
const LEVELS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
/** Components that only ever log failures: a healthy run may have none of their lines. */
const FAILURE_ONLY = new Set(['realtime', 'bus']);

let api: LiveApi | undefined;
let dir = '';
afterAll(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const runbook = readFileSync(join(REPO, 'docs/RUNBOOK.md'), 'utf8');
/** The component values the runbook's Logs paragraph lists. */
const documentedComponents = new Set(/`component` \(`([a-z|-]+)`\)/.exec(runbook)?.[1]?.split('|') ?? []);
/** Each LogQL query of the runbook with the heading of its section. */
const runbookQueries = [...runbook.matchAll(/^### (.+)$|```logql\n([\s\S]*?)```/gm)].reduce<{ section: string; queries: { section: string; query: string }[] }>(
  (acc, m) => {
    if (m[1]) acc.section = m[1];
    else for (const q of m[2]!.split('\n').map((l) => l.trim()).filter(Boolean)) acc.queries.push({ section: acc.section, query: q });
    return acc;
  },
  { section: '', queries: [] },
).queries;
const pipelines = Object.fromEntries(['config.alloy', 'config.kubernetes.alloy'].map((f) => [f, stagesOf(component(parseAlloy(readFileSync(join(INFRA, 'monitoring/alloy', f), 'utf8')), 'loki.process', 'api'))]));

describe('the API\'s logs, as Alloy and the runbook see them', () => {
  it('JSON with app/component/level, no secrets, labelled as intended, findable by the runbook queries', async () => {
    expect(documentedComponents.size, 'the runbook lists the components').toBeGreaterThan(3);
    dir = tempDir();
    api = await startLiveApi({ DATABASE_URL: `sqlite:${join(dir, 'live.sqlite')}`, LOG_LEVEL: 'info', ADMIN_PASSWORD });
    const base = api.url;
    const secrets: string[] = [ADMIN_PASSWORD];

    const [u1, u2] = [uniqueName('la'), uniqueName('lb')];
    const [p1, p2] = ['Seller-pass-8731', 'Buyer-pass-5519'];
    secrets.push(p1, p2);
    const t1 = await signUp(base, u1, p1);
    const t2 = await signUp(base, u2, p2);
    const bad = await gql(base, 'mutation($u:String!,$p:String!){ login(username:$u, password:$p){ token } }', { u: u1, p: 'Wrong-pass-0000' });
    expect(bad.errors?.length).toBeGreaterThan(0);
    secrets.push('Wrong-pass-0000');
    const t3 = (await gqlOk<{ login: { token: string } }>(base, 'mutation($u:String!,$p:String!){ login(username:$u, password:$p){ token } }', { u: u1, p: p1 })).login.token;
    const admin = (await gqlOk<{ login: { token: string } }>(base, 'mutation($u:String!,$p:String!){ login(username:$u, password:$p){ token } }', { u: 'admin', p: ADMIN_PASSWORD })).login.token;
    secrets.push(t1, t2, t3, admin);
    expect((await gql(base, '{ me { username } }', {}, 'not-a-valid-token')).status).toBeLessThan(500);

    const ws = await connectGqlWs(`ws://127.0.0.1:${api.port}/graphql`, { authorization: `Bearer ${t2}` });
    ws.subscribe('subscription { executionReports { execType } }');
    await expect(connectGqlWs(`ws://127.0.0.1:${api.port}/graphql`, { authorization: 'Bearer forged-token-123' })).rejects.toThrow(/4403/);

    let errorsCaused = 0;
    expect((await gqlOk(base, PLACE_ORDER, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '140.00', quantity: 10 } }, t1)).placeOrder.status).toBe('NEW');
    expect((await gqlOk(base, PLACE_ORDER, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.00', quantity: 4 } }, t2)).placeOrder.status).toBe('FILLED');
    for (const i of [{ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.001', quantity: 1 }, { symbol: 'NOPE', side: 'BUY', type: 'LIMIT', price: '1.00', quantity: 1 }]) {
      expect((await gql(base, PLACE_ORDER, { i }, t2)).errors?.length).toBe(1);
      errorsCaused++;
    }
    expect((await gqlOk<{ logout: boolean }>(base, 'mutation { logout }', {}, t2)).logout).toBe(true);
    await ws.closed;
    await api.stop();
    const { stdout, stderr } = api;

    // 1. Shape of every line.
    const lines = [...stdout, ...stderr].filter((l) => l.trim() !== '');
    const json = lines.filter((l) => l.startsWith('{')).map((l) => ({ raw: l, obj: JSON.parse(l) as Record<string, unknown> }));
    const plain = lines.filter((l) => !l.startsWith('{'));
    expect(json.length).toBeGreaterThan(10);
    for (const { raw, obj } of json) {
      expect(obj.app, raw).toBe('trading-api');
      expect(LEVELS.has(String(obj.level)), raw).toBe(true);
      expect(documentedComponents.has(String(obj.component)), `component of ${raw}`).toBe(true);
      expect(typeof obj.msg, raw).toBe('string');
      expect(Number.isNaN(Date.parse(String(obj.time))), raw).toBe(false);
    }
    const banner = [/^Trading App starting \(database: \w+\)$/, /^Applied migrations: /, /^Loading product catalog: \d+\/\d+$/, /^Loaded \d+ products\.$/, /^Trading App is running: open http/, /^ {2}GraphQL API: /, /^ {2}Log in as admin: /, /^ {2}\(generated on first start/];
    console.log(`[logs] ${json.length} JSON lines (components: ${[...new Set(json.map((j) => j.obj.component))].join(', ')}), ${plain.length} plain-text lines`);
    for (const l of plain) expect(banner.some((re) => re.test(l)), `plain-text line outside the start-up banner: ${l}`).toBe(true);
    expect(stderr.filter((l) => l.trim()), 'nothing on stderr').toEqual([]);

    // 2. No secrets.
    for (const l of lines) {
      for (const s of secrets) expect(l.includes(s), `a secret in: ${l}`).toBe(false);
      expect(l, 'no Authorization header value').not.toMatch(/Bearer /i);
    }

    // 3. Alloy's labels and timestamps.
    const labelled: Record<string, Entry[]> = {};
    for (const [file, stages] of Object.entries(pipelines)) {
      labelled[file] = [];
      for (const l of stdout.filter((x) => x.trim() !== '')) {
        const e = runPipeline(stages, file.includes('kubernetes') ? `2026-01-02T03:04:05.123456789Z stdout F ${l}` : l);
        labelled[file]!.push(e);
        expect(Object.keys(e.labels).sort(), `${file}: ${l}`).toEqual(['app', 'component', 'level']);
        expect(e.labels.app, `${file}: ${l}`).toBe('trading-api');
        if (l.startsWith('{')) {
          const obj = JSON.parse(l) as { component: string; level: string; time: string };
          expect(e.labels, `${file}: ${l}`).toEqual({ app: 'trading-api', component: obj.component, level: obj.level });
          expect(e.timestampParsed, `${file}: the line's own time is used`).toBe(true);
          expect(e.timestamp.toISOString(), `${file}: ${l}`).toBe(new Date(obj.time).toISOString());
        } else {
          expect(e.labels, `${file}: ${l}`).toEqual({ app: 'trading-api', component: 'none', level: 'info' });
        }
      }
    }

    // 4. The runbook's LogQL on those lines.
    const entries = labelled['config.alloy']!;
    const emitted = new Set(entries.map((e) => e.labels.component));
    expect(runbookQueries.length).toBeGreaterThanOrEqual(8);
    for (const { section, query } of runbookQueries) {
      const components = [...query.matchAll(/component(=~?)"([^"]+)"/g)].flatMap((m) => (m[1] === '=~' ? m[2]!.split('|') : [m[2]!]));
      for (const c of components) expect(emitted.has(c) || FAILURE_ONLY.has(c), `${section}: ${query} selects component "${c}", which the API never writes`).toBe(true);
      const selected = logqlSelect(query.replace(/,?\s*level=~?"[^"]*"/, '').replace(/\|\s*level=~?"[^"]*"/, '').replace(/\| json(.*)$/, '| json'), entries);
      const fields = logqlFilterFields(query).filter((f) => f !== 'level');
      for (const f of fields) {
        if (selected.length === 0) continue;
        expect(selected.some((e) => f in (JSON.parse(e.line) as object)), `${section}: ${query} filters on "${f}", which its lines do not carry`).toBe(true);
      }
    }
    const errorRatio = runbookQueries.filter((q) => q.section === 'Error ratio').map((q) => logqlSelect(q.query, entries).length);
    expect(errorRatio[0], 'the "Error ratio" query finds the GraphQL errors caused (failed login, bad orders)').toBeGreaterThanOrEqual(errorsCaused + 1);
    const rejects = runbookQueries.filter((q) => q.section === 'Rejects spike').reduce((n, q) => n + logqlSelect(q.query, entries).length, 0);
    expect(rejects, 'the "Rejects spike" queries find the refused orders').toBeGreaterThanOrEqual(errorsCaused);
    const slow = runbookQueries.find((q) => q.section === 'Slow trades SLI burn')!.query;
    expect(logqlSelect(slow.replace(/durationMs > \d+/, 'durationMs >= 0'), entries).length, 'the SLI query\'s selector finds placeOrder lines').toBeGreaterThanOrEqual(2);
  });
});
