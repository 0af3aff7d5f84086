/**
 * Soak: the compiled API held at a fixed rate of placeOrder (open loop: orders are sent on
 * schedule whether or not earlier ones have answered) for a fixed time, with graphql-ws clients
 * subscribed to books and execution reports. Reports errors, latency percentiles per window,
 * and the server's resident memory at start, after warm-up and at the end.
 *
 * The flow keeps the books at a steady size, so memory can only grow by leaking: half the
 * orders rest (DAY limits 1–5 ticks away from the mid, never crossing), half are IOC orders 5
 * ticks through the mid that take from the other side, slightly larger on average, so resting
 * quantity drifts back towards empty instead of piling up.
 *
 * Memory verdict. RSS (and V8's "heap used") keep rising for a while after warm-up even without a
 * leak: V8 sizes its old space lazily, and garbage waits for the next major GC. So the server is
 * started with `--inspect` on a loopback port, and the live heap (V8's heap in use right after a
 * full GC requested through the inspector) is measured at the end of warm-up and again at the
 * end, both while no order is in flight (the load pauses after the warm-up until every order has
 * answered, so the GC's stall is not in the measured windows): it must not grow by more than
 * max(10 %, 8 MiB); nor may RSS (last window against the end of warm-up) by more than
 * max(10 %, 32 MiB). RSS at start, after warm-up and at the end, its least-squares slope over the
 * measured phase, and V8's committed heap are reported beside them (`--no-heap`: no inspector,
 * and RSS alone decides). 60 s only catches a fast leak: `--seconds 600` for a real soak.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { freePort, freshDatabaseUrl, repoRoot } from './api-process.js';
import { ensureProofBuild } from './proof-build.js';
import { startProofApi } from './proof-api.js';
import { agent, codeOf, percentile, post, prng, round, sleep, ticksToDecimal } from './proof-gql.js';

export interface SoakOptions {
  /** placeOrder per second (default 1000). */
  readonly rate: number;
  /** Measured duration in seconds (default 60), after the warm-up. */
  readonly seconds: number;
  /**
   * Warm-up seconds before the measured phase (default 30: V8 takes 20–30 s at this load to size
   * its heap, and RSS grows with it until then): same rate, not in the windows; then
   * the load pauses until every order has answered, and RSS and the live heap are measured.
   */
  readonly warmup: number;
  /** graphql-ws clients, each subscribed to one book and its account's execution reports (default 100). */
  readonly subscribers: number;
  /** Trading accounts (default 50). */
  readonly accounts: number;
  readonly symbols: readonly string[];
  readonly database: 'mysql' | 'sqlite';
  /** Window for the latency table, in seconds (default 10). */
  readonly window: number;
  /** Orders in flight above which the generator counts an order as an error instead of sending it (default 5000). */
  readonly maxInFlight: number;
  readonly seed: number;
  readonly reuseBuild?: boolean;
  /** Run the audit CLI on the database at the end (default true). */
  readonly audit?: boolean;
  /** Measure the live heap (full GC through the inspector) after warm-up and at the end (default true). */
  readonly liveHeap?: boolean;
  /**
   * Overload run: a SERVICE_UNAVAILABLE answer (admission control) is a refusal, not an error;
   * the rate verdict asks for every order to be answered (accepted or refused) at the rate.
   */
  readonly overload?: boolean;
  /** Orders/s the server sustains (from a run at capacity): with `overload`, accepted orders must reach 90 % of it. */
  readonly capacity?: number;
  readonly log: (line: string) => void;
}

export const SOAK_DEFAULTS = {
  rate: 1000,
  seconds: 60,
  warmup: 30,
  subscribers: 100,
  accounts: 50,
  symbols: ['AAPL', 'MSFT', 'SPY', 'TSLA'],
  database: 'mysql',
  window: 10,
  maxInFlight: 5000,
  seed: 1,
} as const;

export interface SoakWindow {
  readonly fromS: number;
  readonly toS: number;
  readonly sent: number;
  readonly ok: number;
  readonly refused: number;
  readonly errors: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly rssMiB: number;
}

export interface SoakResult {
  readonly ok: boolean;
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  readonly sent: number;
  readonly answered: number;
  readonly achievedRate: number;
  /** Orders refused with SERVICE_UNAVAILABLE (overload runs), by reason, and their rate. */
  readonly refused: number;
  readonly refusedKinds: Record<string, number>;
  readonly refusedRate: number;
  /** Largest retry hint (extensions.retryAfterMs) seen on a refusal. */
  readonly maxRetryAfterMs: number;
  readonly windows: SoakWindow[];
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number };
  readonly rssMiB: { start: number; afterWarmup: number; end: number; growthAfterWarmup: number; allowedGrowth: number; slopeMiBPerMin: number };
  readonly restingOrders: { start: number; afterWarmup: number; end: number };
  /** V8 heap in use (from /metrics), MiB: what RSS growth is made of, or not. */
  readonly heapUsedMiB: { start: number; afterWarmup: number; end: number };
  /** V8 heap committed (used + free space V8 keeps), MiB: most of RSS beyond the live heap. */
  readonly heapTotalMiB: { start: number; afterWarmup: number; end: number };
  /** Memory outside the V8 heap that V8 knows of (Buffers, sockets' ArrayBuffers), MiB. */
  readonly externalMiB: { start: number; afterWarmup: number; end: number };
  /** Live heap (V8's heap in use after a full GC), MiB: what the leak verdict uses. */
  readonly liveHeapMiB: { afterWarmup: number; end: number; growth: number; allowedGrowth: number };
  readonly subscribers: { clients: number; subscriptions: number; messages: number; errors: number };
  readonly audit?: { ok: boolean; violations?: number };
  readonly verdicts: { noErrors: boolean; rateHeld: boolean; memoryFlat: boolean; auditClean: boolean; acceptedAtCapacity?: boolean };
}

const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';
const SIGN_UP = 'mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token } }';
const BOOK_SUB = 'subscription($s: String!) { orderBook(symbol: $s, depth: 10) { kind seq } }';
const EXEC_SUB = 'subscription { executionReports { execType order { id status } } }';

const MiB = 1024 * 1024;
const median = (xs: readonly number[]) => percentile(xs, 50);
/** The largest value, 0 for none (a loop: spreading 100,000s of values into Math.max overflows the stack). */
const maxOf = (xs: readonly number[]) => xs.reduce((a, b) => (b > a ? b : a), 0);

/** The server's memory and book gauges, from one scrape of /metrics (NaN for any it could not read). */
async function gauges(metricsUrl: string) {
  const names = {
    resting: 'trading_resting_orders',
    heapUsed: 'nodejs_heap_size_used_bytes',
    heapTotal: 'nodejs_heap_size_total_bytes',
    external: 'nodejs_external_memory_bytes',
  } as const;
  let text = '';
  try {
    text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  } catch {
    // every gauge NaN
  }
  const read = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return Object.fromEntries(Object.entries(names).map(([k, name]) => [k, read(name)])) as Record<keyof typeof names, number>;
}

/**
 * The server's live heap in bytes: a full garbage collection through the inspector protocol
 * (the server was started with `--inspect` on a loopback port), then V8's heap usage. A heap
 * snapshot would measure the same thing, but it leaves V8 tracking object moves for the rest of
 * the process's life, which makes every later GC slower: the measured phase would then run on a
 * server the measurement itself had slowed down.
 */
async function liveHeap(inspectPort: number): Promise<number> {
  try {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(10_000) })).json()) as { webSocketDebuggerUrl: string }[];
    const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    let nextId = 0;
    const call = (method: string) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const id = ++nextId;
        const onMessage = (data: WebSocket.RawData) => {
          const m = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; error?: unknown };
          if (m.id !== id) return;
          ws.off('message', onMessage);
          if (m.error) reject(new Error(JSON.stringify(m.error)));
          else resolve(m.result ?? {});
        };
        ws.on('message', onMessage);
        ws.send(JSON.stringify({ id, method }));
      });
    try {
      // Twice: objects with finalizers or weak references may survive the first collection.
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      return Number((await call('Runtime.getHeapUsage')).usedSize);
    } finally {
      ws.close();
    }
  } catch {
    return NaN;
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const rnd = prng(o.seed);
  const build = await ensureProofBuild({ reuse: o.reuseBuild, log: o.log });
  const db = await freshDatabaseUrl(o.database);
  const logFile = join(repoRoot, `test-output/proof-logs/soak-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const measureLive = o.liveHeap !== false;
  const inspectPort = measureLive ? await freePort() : 0;
  const api = await startProofApi({
    main: build.main,
    databaseUrl: db.url,
    port: await freePort(),
    logFile,
    env: { WS_MAX_CONNECTIONS_PER_USER: '1000', ...(measureLive ? { NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` } : {}) },
  });
  const { url } = api;
  o.log(`Soak: ${o.rate} placeOrder/s for ${o.seconds} s (warm-up ${o.warmup} s) on ${o.database}, ${o.subscribers} subscribers, ${o.accounts} accounts; server log ${logFile}`);

  const tag = Math.floor(rnd() * 1e9).toString(36);
  const tokens: string[] = [];
  for (let i = 0; i < o.accounts; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, o.accounts - i) }, async (_, k) => {
        const a = await post<{ signUp: { token: string } }>(url, SIGN_UP, { u: `soak${i + k}-${tag}`, p: `soak-password-${i + k}` }, undefined, 60_000);
        if (a.kind !== 'data') throw new Error(`sign-up failed: ${JSON.stringify(a)}`);
        return a.data.signUp.token;
      }),
    );
    tokens.push(...batch);
  }
  const mids = new Map<string, { mid: number; tick: string }>();
  for (const s of o.symbols) {
    const a = await post<{ product: { tickSize: string; quote: { reference: string | null } } | null }>(url, 'query($s: String!) { product(symbol: $s) { tickSize quote { reference } } }', { s });
    if (a.kind !== 'data' || !a.data.product) throw new Error(`unknown symbol ${s}`);
    const tick = a.data.product.tickSize;
    const ref = a.data.product.quote.reference ?? '100';
    mids.set(s, { tick, mid: Math.round(Number(ref) / Number(tick)) });
  }

  // ---- subscribers ----
  const sub = { messages: 0, errors: 0, subscriptions: 0 };
  const errorKinds: Record<string, number> = {};
  const countError = (kind: string) => (errorKinds[kind] = (errorKinds[kind] ?? 0) + 1);
  const clients: Client[] = [];
  const subscribed: Promise<void>[] = [];
  let closing = false;
  for (let i = 0; i < o.subscribers; i++) {
    const token = tokens[i % tokens.length]!;
    const c = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: false,
      on: {
        closed: (e) => {
          if (!closing) {
            sub.errors++;
            countError(`subscriber closed ${(e as { code?: number }).code ?? ''}`);
          }
        },
      },
    });
    clients.push(c);
    for (const [query, variables] of [
      [BOOK_SUB, { s: o.symbols[i % o.symbols.length] }],
      [EXEC_SUB, {}],
    ] as const) {
      subscribed.push(
        new Promise<void>((resolve) => {
          let first = true;
          sub.subscriptions++;
          c.subscribe(
            { query, variables },
            {
              next: () => {
                sub.messages++;
                if (first) {
                  first = false;
                  resolve();
                }
              },
              error: (e) => {
                if (!closing) {
                  sub.errors++;
                  countError(`subscription error ${JSON.stringify(e).slice(0, 80)}`);
                }
                resolve();
              },
              complete: () => resolve(),
            },
          );
          // executionReports sends nothing until the account trades: do not wait for it.
          if (query === EXEC_SUB) setTimeout(resolve, 0);
        }),
      );
    }
  }
  await Promise.race([Promise.all(subscribed), sleep(60_000)]);

  // ---- the load: a warm-up phase, a pause to measure, then the measured phase ----
  const lat: { at: number; ms: number }[] = [];
  const windows: SoakWindow[] = [];
  const rssSamples: { t: number; rss: number }[] = [];
  /** Counts of the measured phase (the warm-up has its own). */
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let refused = 0;
  let maxRetryAfterMs = 0;
  const refusedKinds: Record<string, number> = {};
  const refusedAt: number[] = [];
  let warmupErrors = 0;
  let inFlight = 0;
  const errAt: number[] = [];
  const sentAt: number[] = [];
  const orderRnd = prng(o.seed + 1);
  // An overload is many clients: enough connections that the server, not this client's socket
  // pool, decides what waits (a pool of 128 would queue the excess here, out of the server's sight).
  const orderAgent = o.overload ? new http.Agent({ keepAlive: true, maxSockets: 1024, keepAliveMsecs: 1000 }) : agent;
  /** Sends one order; `t` is the measured-phase time in ms, undefined during warm-up. */
  const sendOne = (t: number | undefined) => {
    const measured = t !== undefined;
    if (measured) {
      sent++;
      sentAt.push(t);
    }
    const failed = (kind: string) => {
      if (measured) {
        errors++;
        errAt.push(t);
      } else warmupErrors++;
      countError(measured ? kind : `warm-up: ${kind}`);
    };
    if (inFlight >= o.maxInFlight) {
      failed('not sent: too many in flight');
      return;
    }
    const symbol = o.symbols[Math.floor(orderRnd() * o.symbols.length)]!;
    const { mid, tick } = mids.get(symbol)!;
    const buy = orderRnd() < 0.5;
    const ioc = orderRnd() < 0.5;
    const away = 1 + Math.floor(orderRnd() * 5);
    const input = {
      symbol,
      side: buy ? 'BUY' : 'SELL',
      type: 'LIMIT',
      timeInForce: ioc ? 'IOC' : 'DAY',
      price: ticksToDecimal(ioc ? (buy ? mid + 5 : mid - 5) : buy ? mid - away : mid + away, tick),
      quantity: ioc ? 1 + Math.floor(orderRnd() * 12) : 1 + Math.floor(orderRnd() * 10),
    };
    const token = tokens[Math.floor(orderRnd() * tokens.length)]!;
    const started = performance.now();
    inFlight++;
    void post(url, PLACE, { i: input }, token, 30_000, orderAgent).then((a) => {
      inFlight--;
      if (a.kind === 'data') {
        if (measured) {
          answered++;
          lat.push({ at: t, ms: performance.now() - started });
        }
      } else if (o.overload && a.kind === 'errors' && a.errors[0]?.extensions?.code === 'SERVICE_UNAVAILABLE') {
        if (!measured) return;
        refused++;
        refusedAt.push(t);
        const kind = codeOf(a.errors);
        refusedKinds[kind] = (refusedKinds[kind] ?? 0) + 1;
        maxRetryAfterMs = Math.max(maxRetryAfterMs, Number((a.errors[0].extensions as { retryAfterMs?: number }).retryAfterMs ?? 0));
      } else failed(a.kind === 'network' ? `network ${a.error}` : `answer ${codeOf(a.errors)}`);
    });
  };
  /** Sends at the rate for `ms`; `measured` phases record times relative to their start. */
  const phase = async (ms: number, measured: boolean) => {
    const t0 = performance.now();
    let count = 0;
    let nextSample = 0;
    for (;;) {
      const t = performance.now() - t0;
      if (t >= ms) break;
      const due = Math.floor((t / 1000) * o.rate);
      while (count < due) {
        count++;
        sendOne(measured ? t : undefined);
      }
      if (measured && t >= nextSample) {
        const rss = api.rss();
        if (rss !== undefined) rssSamples.push({ t: t / 1000, rss });
        nextSample += 1000;
      }
      await sleep(2);
    }
    while (count < Math.round((ms / 1000) * o.rate)) {
      count++;
      sendOne(measured ? ms - 1 : undefined);
    }
  };
  /** Lets every order in flight answer (bounded); true when they all did. */
  const drain = async () => {
    const until = Date.now() + 60_000;
    while (inFlight > 0 && Date.now() < until) await sleep(20);
    return inFlight === 0;
  };

  const rssStart = api.rss() ?? NaN;
  const atStart = await gauges(api.metricsUrl);
  await phase(o.warmup * 1000, false);
  if (!(await drain())) countError('warm-up: orders still unanswered 60 s after it');
  const atWarm = await gauges(api.metricsUrl);
  // RSS before the full GC below: that GC hands memory back to the system, which V8 takes again
  // within seconds, so RSS measured after it would show that regrowth as growth of the run.
  const rssWarm = api.rss() ?? NaN;
  const liveWarmBytes = measureLive ? await liveHeap(inspectPort) : NaN;
  o.log(`Warm-up done (${o.warmup} s, ${warmupErrors} errors); measuring ${o.seconds} s …`);

  const endAt = o.seconds * 1000;
  await phase(endAt, true);
  if (!(await drain())) {
    errors += inFlight;
    countError('no answer 60 s after the end');
  }
  // Windows by send time, computed once every order has answered.
  for (let from = 0; from < endAt; from += o.window * 1000) windows.push(windowOf(from, Math.min(endAt, from + o.window * 1000)));
  const rssEnd = api.rss() ?? NaN;
  const atEnd = await gauges(api.metricsUrl);
  const liveEndBytes = measureLive ? await liveHeap(inspectPort) : NaN;

  function windowOf(from: number, to: number): SoakWindow {
    const inWin = lat.filter((l) => l.at >= from && l.at < to).map((l) => l.ms);
    const rss = rssSamples.filter((s) => s.t * 1000 >= from && s.t * 1000 < to).map((s) => s.rss);
    return {
      fromS: from / 1000,
      toS: to / 1000,
      sent: sentAt.filter((s) => s >= from && s < to).length,
      ok: inWin.length,
      refused: refusedAt.filter((s) => s >= from && s < to).length,
      errors: errAt.filter((s) => s >= from && s < to).length,
      p50: round(percentile(inWin, 50)),
      p90: round(percentile(inWin, 90)),
      p99: round(percentile(inWin, 99)),
      max: round(maxOf(inWin)),
      rssMiB: round((rss.length ? median(rss) : NaN) / MiB),
    };
  }

  // ---- tear down ----
  closing = true;
  for (const c of clients) await c.dispose();
  if (orderAgent !== agent) orderAgent.destroy();
  await api.stop();

  let audit: SoakResult['audit'];
  if (o.audit !== false) {
    o.log('Auditing the database (compiled audit CLI) …');
    audit = await new Promise((resolve) => {
      const child = spawn(process.execPath, [build.auditCli, '--db', db.url, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => {
        const lines = out.trim().split('\n');
        for (const l of lines.filter((x) => x.startsWith('Audited') || x.startsWith('Replay') || x.includes(':'))) if (code !== 0) o.log(`  ${l}`);
        let violations: number | undefined;
        try {
          violations = (JSON.parse(lines[lines.length - 1]!) as { violations: number }).violations;
        } catch {
          violations = undefined;
        }
        resolve({ ok: code === 0, violations });
      });
    });
  }
  await db.drop();

  // ---- verdicts ----
  // The slope leaves out the first window: V8 takes back there what the forced GC after the
  // warm-up returned to the system.
  const after = measureLive ? rssSamples.filter((x) => x.t >= o.window) : rssSamples;
  const lastWin = rssSamples.filter((s) => s.t >= o.seconds - o.window).map((s) => s.rss);
  const growth = (median(lastWin) - rssWarm) / MiB;
  const allowed = Math.max(0.1 * (rssWarm / MiB), 32);
  const liveGrowth = (liveEndBytes - liveWarmBytes) / MiB;
  const liveAllowed = Math.max(0.1 * (liveWarmBytes / MiB), 8);
  const slope = (() => {
    if (after.length < 3) return NaN;
    const n = after.length;
    const mx = after.reduce((a, s) => a + s.t, 0) / n;
    const my = after.reduce((a, s) => a + s.rss, 0) / n;
    const cov = after.reduce((a, s) => a + (s.t - mx) * (s.rss - my), 0);
    const vx = after.reduce((a, s) => a + (s.t - mx) ** 2, 0);
    return ((cov / vx) * 60) / MiB;
  })();
  const all = lat.map((l) => l.ms);
  const verdicts = {
    noErrors: errors === 0 && warmupErrors === 0 && sub.errors === 0,
    rateHeld: sent >= Math.floor(o.rate * o.seconds * 0.98) && (answered + refused) / o.seconds >= o.rate * 0.95,
    // RSS within its allowance after warm-up, and the live heap (when measured) too.
    memoryFlat: Number.isFinite(growth) && growth <= allowed && (!measureLive || (Number.isFinite(liveGrowth) && liveGrowth <= liveAllowed)),
    auditClean: audit ? audit.ok : true,
    ...(o.overload && o.capacity ? { acceptedAtCapacity: answered / o.seconds >= 0.9 * o.capacity } : {}),
  };
  return {
    ok: Object.values(verdicts).every(Boolean),
    errors: errors + warmupErrors + sub.errors,
    errorKinds,
    sent,
    answered,
    achievedRate: round(answered / o.seconds),
    refused,
    refusedKinds,
    refusedRate: round(refused / o.seconds),
    maxRetryAfterMs,
    windows,
    latencyMs: { p50: round(percentile(all, 50)), p90: round(percentile(all, 90)), p99: round(percentile(all, 99)), max: round(maxOf(all)) },
    rssMiB: { start: round(rssStart / MiB), afterWarmup: round(rssWarm / MiB), end: round(rssEnd / MiB), growthAfterWarmup: round(growth), allowedGrowth: round(allowed), slopeMiBPerMin: round(slope, 2) },
    restingOrders: { start: atStart.resting, afterWarmup: atWarm.resting, end: atEnd.resting },
    heapUsedMiB: { start: round(atStart.heapUsed / MiB), afterWarmup: round(atWarm.heapUsed / MiB), end: round(atEnd.heapUsed / MiB) },
    heapTotalMiB: { start: round(atStart.heapTotal / MiB), afterWarmup: round(atWarm.heapTotal / MiB), end: round(atEnd.heapTotal / MiB) },
    externalMiB: { start: round(atStart.external / MiB), afterWarmup: round(atWarm.external / MiB), end: round(atEnd.external / MiB) },
    liveHeapMiB: { afterWarmup: round(liveWarmBytes / MiB), end: round(liveEndBytes / MiB), growth: round(liveGrowth), allowedGrowth: round(liveAllowed) },
    subscribers: { clients: clients.length, subscriptions: sub.subscriptions, messages: sub.messages, errors: sub.errors },
    audit,
    verdicts,
  };
}
