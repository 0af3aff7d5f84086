/**
 * bench:realtime — the real-time path against a real API process:
 * 1. fill latency: with 1,000 connected subscribers (100 accounts × 10 sockets, each socket
 *    subscribed to its account's executionReports, and the book of the traded symbol), a taker
 *    sends a crossing placeOrder; we time from the send to the maker's socket receiving the
 *    TRADE report (p50/p99 over --fills crossings);
 * 2. idle capacity: 10,000 graphql-ws clients, each with one orderBook subscription, held
 *    open; the server's RSS is read from /proc;
 * 3. fan-out: one order on that book; time until all 10,000 clients have the delta.
 * `--json`: last line is {"fillP50Ms","fillP99Ms","subscribers","clients","rssMiB","fanoutMs"}.
 * Options: --fills N (default 300), --clients N (default 10000), --no-build.
 */
import { readFileSync } from 'node:fs';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { call, ensureBuilt, freshDatabaseUrl, percentile, startApi } from './support/api-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const json = process.argv.includes('--json');
const FILLS = arg('fills', 300);
const CLIENTS = arg('clients', 10_000);
const ACCOUNTS = 100;
const SOCKETS_PER_ACCOUNT = 10;

const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';
const EXEC = 'subscription { executionReports { execType order { id } } }';
const BOOK = 'subscription($s: String!) { orderBook(symbol: $s, depth: 5) { kind seq } }';

let refused = 0;

function client(url: string, token?: string): Client {
  return createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    // A client that cannot connect is counted, not fatal: the figures say how many made it.
    onNonLazyError: () => void refused++,
  });
}

/** Subscribes and resolves once the server has answered with its first value or is ready. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- subscription payloads are read loosely here
function sub(c: Client, query: string, variables: Record<string, unknown>, onValue: (v: any) => void): void {
  c.subscribe({ query, variables }, { next: (v) => onValue(v.data), error: (e) => console.error('subscription error', e), complete: () => {} });
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function subscriptionsOnServer(url: string, topic: string): Promise<number> {
  const text = await fetch(`${url}/metrics`).then((r) => r.text());
  const m = new RegExp(`^trading_ws_subscriptions\\{topic="${topic}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

ensureBuilt();
const db = await freshDatabaseUrl('sqlite');
const api = await startApi({ DATABASE_URL: db.url, WS_MAX_CONNECTIONS_PER_USER: '50' });
const clients: Client[] = [];
try {
  // 1. Fill latency with 1,000 subscribers.
  const tokens: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const d = await call<{ signUp: { token: string } }>(api.url, 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }', { u: `rt${i}`, p: `rt-password-${i}` });
    tokens.push(d.signUp.token);
  }
  const taker = await call<{ signUp: { token: string } }>(api.url, 'mutation { signUp(username: "rt-taker", password: "rt-taker-password") { token } }');
  const pendingFill = new Map<string, (t: number) => void>();
  for (let a = 0; a < ACCOUNTS; a++) {
    for (let s = 0; s < SOCKETS_PER_ACCOUNT; s++) {
      const c = client(api.url, tokens[a]);
      clients.push(c);
      sub(c, EXEC, {}, (d) => {
        const r = d?.executionReports;
        if (r?.execType === 'TRADE') pendingFill.get(r.order.id)?.(performance.now());
      });
      sub(c, BOOK, { s: 'AAPL' }, () => {});
    }
  }
  const subscribers = ACCOUNTS * SOCKETS_PER_ACCOUNT;
  await waitFor(() => true, 0, '');
  for (;;) {
    if ((await subscriptionsOnServer(api.url, 'executionReports')) >= subscribers) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const latencies: number[] = [];
  for (let i = 0; i < FILLS; i++) {
    const maker = tokens[i % ACCOUNTS]!;
    const price = (100 + (i % 20)).toFixed(2);
    const rest = await call<{ placeOrder: { id: string } }>(api.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price, quantity: 1 } }, maker);
    const received = new Promise<number>((resolve) => pendingFill.set(rest.placeOrder.id, resolve));
    const sent = performance.now();
    await call(api.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price, quantity: 1 } }, taker.signUp.token);
    latencies.push((await received) - sent);
    pendingFill.delete(rest.placeOrder.id);
  }
  const fillP50Ms = Math.round(percentile(latencies, 50) * 100) / 100;
  const fillP99Ms = Math.round(percentile(latencies, 99) * 100) / 100;
  console.log(`fill latency with ${subscribers} subscribers: p50 ${fillP50Ms} ms, p99 ${fillP99Ms} ms (${FILLS} crossings; target p99 ≤ 10 ms: ${fillP99Ms <= 10 ? 'PASS' : 'FAIL'})`);
  await Promise.all(clients.splice(0).map((c) => c.dispose()));

  // 2. 10,000 idle clients, one subscription each.
  const seen = new Set<number>();
  let target = -1;
  let lastAt = 0;
  for (let i = 0; i < CLIENTS; i++) {
    const c = client(api.url);
    clients.push(c);
    sub(c, BOOK, { s: 'MSFT' }, (d) => {
      if (d?.orderBook?.kind === 'DELTA' && d.orderBook.seq >= target && target > 0) {
        seen.add(i);
        lastAt = performance.now();
      }
    });
    // Ramp up gently: a burst of thousands of handshakes would time out connection_init.
    if (i % 100 === 99) {
      for (;;) {
        if ((await subscriptionsOnServer(api.url, 'orderBook')) + refused >= i + 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
  const connectedDeadline = Date.now() + 60_000;
  for (;;) {
    const n = await subscriptionsOnServer(api.url, 'orderBook');
    if (n + refused >= CLIENTS || Date.now() > connectedDeadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const connected = await subscriptionsOnServer(api.url, 'orderBook');
  if (connected < CLIENTS) console.log(`only ${connected} of ${CLIENTS} clients subscribed (${refused} refused)`);
  await new Promise((r) => setTimeout(r, 1000));
  const rss = rssMiB(api.child.pid!);
  console.log(`${CLIENTS} idle graphql-ws clients with one subscription each: server RSS ${rss} MiB (target ≤ 1024 MiB: ${rss <= 1024 ? 'PASS' : 'FAIL'})`);

  // 3. Fan-out of one book update to all of them.
  const book = await call<{ orderBook: { seq: number } }>(api.url, '{ orderBook(symbol: "MSFT") { seq } }');
  target = book.orderBook.seq + 1;
  const sent = performance.now();
  await call(api.url, PLACE, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '99.00', quantity: 1 } }, tokens[0]);
  await waitFor(() => seen.size >= connected, 60_000, 'fan-out to every client');
  const fanoutMs = Math.round(lastAt - sent);
  console.log(`fan-out of one book update to ${connected} clients: ${fanoutMs} ms (send → last client)`);
  if (json) console.log(JSON.stringify({ fillP50Ms, fillP99Ms, subscribers, clients: CLIENTS, rssMiB: rss, fanoutMs }));
} finally {
  await Promise.all(clients.map((c) => c.dispose()));
  await api.stop();
  await db.drop();
}
