/**
 * bench:login — how a normal login fares under a sign-up flood. Starts the real API process on
 * SQLite, then sends N concurrent sign-ups from N addresses (X-Forwarded-For through the
 * trusted loopback) while one account logs in again and again. Prints the login latency at
 * rest and during the flood, what the flood was answered (created / AUTH_BUSY / other), and
 * /healthz latency during the flood. `--json`: the last line is one JSON object.
 * Options: --signups N (default 150), --logins N (default 10), --no-build.
 */
import { ensureBuilt, freshDatabaseUrl, percentile, startApi } from '../harness/api-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const signups = arg('signups', 150);
const logins = arg('logins', 10);
const json = process.argv.includes('--json');

const SIGN_UP = 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }';
const LOGIN = 'mutation($u:String!,$p:String!){ login(username:$u, password:$p){ token } }';

/** One GraphQL request from `from`; resolves with its outcome (OK or the error reason) and time. */
async function timed(url: string, query: string, variables: Record<string, unknown>, from: string): Promise<{ outcome: string; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { errors?: { extensions?: { reason?: string } }[] };
  return { outcome: body.errors?.[0]?.extensions?.reason ?? (body.errors ? 'ERROR' : 'OK'), ms: performance.now() - started };
}

async function loginSeries(url: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await timed(url, LOGIN, { u: 'steady', p: 'bench-passphrase-one' }, '203.0.113.1');
    if (r.outcome !== 'OK') throw new Error(`login failed: ${r.outcome}`);
    times.push(r.ms);
  }
  return times;
}

async function main(): Promise<void> {
  ensureBuilt();
  const db = await freshDatabaseUrl('sqlite');
  const api = await startApi({ DATABASE_URL: db.url, FIX_ENABLED: 'false' });
  try {
    const up = await timed(api.url, SIGN_UP, { u: 'steady', p: 'bench-passphrase-one' }, '203.0.113.1');
    if (up.outcome !== 'OK') throw new Error(`sign-up failed: ${up.outcome}`);
    const idle = await loginSeries(api.url, logins);

    const floodStarted = performance.now();
    const flood = Array.from({ length: signups }, (_, i) => timed(api.url, SIGN_UP, { u: `flood${i}`, p: `bench-flood-passphrase-${i}` }, `100.64.${i >> 8}.${i & 255}`));
    const health: number[] = [];
    let flooding = true;
    const probe = (async () => {
      while (flooding) {
        const t = performance.now();
        await fetch(`${api.url}/healthz`);
        health.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const during = await loginSeries(api.url, logins);
    const answers = await Promise.all(flood);
    const floodMs = performance.now() - floodStarted;
    flooding = false;
    await probe;

    const outcomes: Record<string, number> = {};
    for (const a of answers) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
    const round = (x: number) => Math.round(x * 10) / 10;
    const figures = {
      signups,
      loginIdleP50Ms: round(percentile(idle, 50)),
      loginFloodP50Ms: round(percentile(during, 50)),
      loginFloodMaxMs: round(Math.max(...during)),
      floodMs: Math.round(floodMs),
      outcomes,
      healthzMaxMs: round(Math.max(...health)),
    };
    console.log(`login at rest: p50 ${figures.loginIdleP50Ms} ms`);
    console.log(`login during ${signups} concurrent sign-ups: p50 ${figures.loginFloodP50Ms} ms, max ${figures.loginFloodMaxMs} ms`);
    console.log(`sign-up flood answered in ${figures.floodMs} ms: ${Object.entries(outcomes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`/healthz during the flood: max ${figures.healthzMaxMs} ms over ${health.length} probes`);
    if (json) console.log(JSON.stringify(figures));
  } finally {
    await api.stop();
    await db.drop();
  }
}

await main();
