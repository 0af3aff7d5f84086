/**
 * bench:cost — the most expensive requests the API accepts, against the real API process with the
 * full 45,055-product catalog on SQLite and on MySQL, while /healthz is polled: prints /healthz
 * latency (p50/p99/max) during each, beside an idle baseline. Target: /healthz within 100 ms while
 * the dearest accepted request runs.
 *
 * The requests: the worst catalog searches (measured here among common trigrams and short
 * prefixes), as many in one request as the budget accepts, with the largest page it accepts; a
 * full page of every product field; the root-field cap filled with browse pages of one type. The
 * 1,000-alias search that froze the process is sent once to show it is refused.
 * Options: --seconds N per request kind (default 5), --concurrency N requests in flight (default 1),
 * --only mysql|sqlite, --no-build, --json (the last line is one JSON object).
 */
import { ensureBuilt, freshDatabaseUrl, percentile, repoRoot, startApi, type ApiProcess } from '../harness/api-process.js';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const json = process.argv.includes('--json');
const seconds = arg('seconds', 5);
const concurrency = arg('concurrency', 1);
const CATALOG = join(repoRoot, 'db/seeds/products.csv');
const ROW = 'symbol name type tickSize status quote { symbol last bid ask reference change changePercent }';

interface Answer {
  status: number;
  ms: number;
  reason?: string;
}

async function post(url: string, query: string): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await res.json()) as { errors?: { extensions?: { reason?: string } }[] };
  return { status: res.status, ms: performance.now() - started, reason: body.errors?.[0]?.extensions?.reason };
}

const aliases = (n: number, sel: (i: number) => string) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${sel(i)}`).join(' ')} }`;

/** The largest `first` (≤ 200) at which `build(first)` is accepted, or 0. */
async function largestAccepted(url: string, build: (first: number) => string): Promise<number> {
  let lo = 0;
  let hi = 200;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const a = await post(url, build(mid));
    if (a.status === 200 && !a.reason) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** /healthz latencies while `work` runs (one probe at a time, every 10 ms). */
async function healthDuring(url: string, work: () => Promise<void>): Promise<number[]> {
  const samples: number[] = [];
  let done = false;
  const probe = (async () => {
    while (!done) {
      const t = performance.now();
      await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
      samples.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await work();
  done = true;
  await probe;
  return samples;
}

interface Row {
  request: string;
  requests: number;
  requestP50Ms: number;
  requestMaxMs: number;
  healthP50Ms: number;
  healthP99Ms: number;
  healthMaxMs: number;
}

async function loadWith(api: ApiProcess, name: string, query: string): Promise<Row> {
  const check = await post(api.url, query);
  if (check.status !== 200 || check.reason) throw new Error(`${name} is refused (${check.status} ${check.reason}): not a request the server accepts`);
  const times: number[] = [];
  const until = performance.now() + seconds * 1000;
  const health = await healthDuring(api.url, async () => {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < until) times.push((await post(api.url, query)).ms);
      }),
    );
  });
  return {
    request: name,
    requests: times.length,
    requestP50Ms: percentile(times, 50),
    requestMaxMs: Math.max(...times),
    healthP50Ms: percentile(health, 50),
    healthP99Ms: percentile(health, 99),
    healthMaxMs: Math.max(...health),
  };
}

async function run(dialect: 'sqlite' | 'mysql') {
  const db = await freshDatabaseUrl(dialect);
  const seeding = performance.now();
  const api = await startApi({ DATABASE_URL: db.url, CATALOG_PATH: CATALOG }, { readyTimeoutMs: 600_000 });
  const startMs = performance.now() - seeding;
  try {
    // The worst single searches: common trigrams (thousands of names) and short symbol prefixes.
    const candidates = ['ion', 'inc', 'ltd', 'ing', 'ent', 'corp', 'fund', 'a', '0', '6', 'zzzzzz'];
    for (const q of candidates) await post(api.url, `{ products(query: "${q}", first: 200) { nodes { ${ROW} } } }`); // warm-up
    const single: { q: string; ms: number }[] = [];
    for (const q of candidates) {
      const query = `{ products(query: "${q}", first: 200) { nodes { ${ROW} } } }`;
      const ms: number[] = [];
      for (let i = 0; i < 5; i++) ms.push((await post(api.url, query)).ms);
      single.push({ q, ms: percentile(ms, 50) });
    }
    single.sort((a, b) => b.ms - a.ms);
    const [w1, w2] = [single[0]!.q, single[1]!.q];
    // Two searches in one request (refused at the default budget: then the row is left out).
    const twoSearches = (first: number) => `{ a: products(query: "${w1}", first: ${first}) { nodes { symbol } } b: products(query: "${w2}", first: ${first}) { nodes { symbol } } }`;
    const twoFirst = await largestAccepted(api.url, twoSearches);
    const mixed = (first: number) => `{ s: products(query: "${w2}", first: ${first}) { nodes { symbol name } } ${Array.from({ length: 19 }, (_, i) => `b${i}: products(type: FUND, first: ${first}, after: "${String.fromCharCode(65 + i)}") { nodes { symbol name } }`).join(' ')} }`;
    const mixedFirst = await largestAccepted(api.url, mixed);
    const oneFull = (first: number) => `{ products(query: "${w1}", first: ${first}) { nodes { ${ROW} } pageInfo { endCursor hasNextPage } } }`;
    const fullFirst = await largestAccepted(api.url, oneFull);
    const browse = (first: number) => aliases(20, (i) => `products(type: TRUST, first: ${first}, after: "${String.fromCharCode(65 + i)}") { nodes { symbol name } }`);
    const browseFirst = await largestAccepted(api.url, browse);
    const freezer = await post(api.url, aliases(1000, () => 'products(query: "zzzzzz", first: 1) { nodes { symbol } }'));

    const idle = await healthDuring(api.url, () => new Promise((r) => setTimeout(r, 1000)));
    const rows: Row[] = [];
    if (twoFirst > 0) rows.push(await loadWith(api, `2 searches "${w1}" + "${w2}", first ${twoFirst}`, twoSearches(twoFirst)));
    if (fullFirst > 0) rows.push(await loadWith(api, `1 search "${w1}", first ${fullFirst}, every field`, oneFull(fullFirst)));
    if (browseFirst > 0) rows.push(await loadWith(api, `20 browse pages of TRUST, first ${browseFirst}`, browse(browseFirst)));
    if (mixedFirst > 0) rows.push(await loadWith(api, `search "${w2}" + 19 browse pages, first ${mixedFirst}`, mixed(mixedFirst)));
    return {
      dialect,
      startMs,
      singleSearchP50Ms: Object.fromEntries(single.map((s) => [s.q, Number(s.ms.toFixed(1))])),
      freezer: { status: freezer.status, reason: freezer.reason, ms: freezer.ms },
      idle: { healthP50Ms: percentile(idle, 50), healthMaxMs: Math.max(...idle) },
      loadAverage: loadavg()[0]!,
      rows,
    };
  } finally {
    await api.stop();
    await db.drop();
  }
}

ensureBuilt();
const results = [];
for (const dialect of ['sqlite', 'mysql'] as const) {
  if (only && only !== dialect) continue;
  const r = await run(dialect);
  results.push(r);
  const f = (n: number) => n.toFixed(1).padStart(7);
  console.log(`\n${dialect}: started with the full catalog in ${(r.startMs / 1000).toFixed(1)} s; machine load average ${r.loadAverage.toFixed(1)}`);
  console.log(`  single search p50 (ms), first 200: ${Object.entries(r.singleSearchP50Ms).map(([q, ms]) => `${q}=${ms}`).join(' ')}`);
  console.log(`  1,000 aliased searches: HTTP ${r.freezer.status} ${r.freezer.reason ?? ''} in ${r.freezer.ms.toFixed(1)} ms`);
  console.log(`  idle /healthz: p50 ${r.idle.healthP50Ms.toFixed(1)} ms, max ${r.idle.healthMaxMs.toFixed(1)} ms`);
  console.log(`  ${'request'.padEnd(48)} ${'n'.padStart(5)} ${'req p50'.padStart(7)} ${'req max'.padStart(7)} ${'hz p50'.padStart(7)} ${'hz p99'.padStart(7)} ${'hz max'.padStart(7)}`);
  for (const row of r.rows) {
    console.log(`  ${row.request.padEnd(48)} ${String(row.requests).padStart(5)} ${f(row.requestP50Ms)} ${f(row.requestMaxMs)} ${f(row.healthP50Ms)} ${f(row.healthP99Ms)} ${f(row.healthMaxMs)}`);
  }
}
if (json) console.log(JSON.stringify({ seconds, concurrency, results }));
