/**
 * bench:realtime — the real-time path against a real API process:
 * 1. fill latency: with 1,000 connected subscribers (100 accounts × 10 sockets, each socket
 *    subscribed to its account's executionReports and to the book of the traded symbol), a
 *    taker sends a crossing placeOrder; we time from the send to the maker's socket receiving
 *    the TRADE report (p50/p99 over --fills crossings, after 20 untimed ones). Each crossing is
 *    sent once the resting order's book update has reached every subscriber (the figure held to
 *    the target); then --fills more are sent back to back, the taker right after the resting
 *    order's acknowledgement, while that order's book update is still being written to the
 *    1,000 sockets and read by the one subscriber process (printed beside it);
 * 2. idle capacity: a fresh API process; 10,000 graphql-ws clients, each with one orderBook
 *    subscription, held open; the server's RSS is read from /proc;
 * 3. fan-out: one order on that book; time from the send until all 10,000 clients have the delta.
 * The subscribers live in a child process (harness/subscribers.ts), so reading their
 * sockets does not delay the process that times the orders.
 * `--json`: last line is {"fillP50Ms","fillP99Ms","subscribers","clients","rssMiB","fanoutMs"}.
 * Options: --fills N (default 300), --clients N (default 10000), --book SYMBOL (the book the
 * 1,000 subscribers watch; default AAPL, the traded one), --no-build.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { call, ensureBuilt, freshDatabaseUrl, percentile, startApi, type ApiProcess } from '../harness/api-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const json = process.argv.includes('--json');
const FILLS = arg('fills', 300);
const WARMUP_FILLS = 20;
const CLIENTS = arg('clients', 10_000);
/** The book the 1,000 subscribers watch: by default the traded one (every fill is also a 1,000-socket book update). */
const BOOK_SYMBOL = process.argv.includes('--book') ? process.argv[process.argv.indexOf('--book') + 1]! : 'AAPL';
const ACCOUNTS = 100;
const SOCKETS_PER_ACCOUNT = 10;
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';
const now = () => performance.timeOrigin + performance.now();

type Msg = { type: string; [k: string]: unknown };

function subscribers(options: Record<string, unknown>): { child: ChildProcess; next(type: string, ms: number): Promise<Msg>; on(type: string, f: (m: Msg) => void): void; stop(): Promise<void> } {
  const child = fork(fileURLToPath(new URL('../harness/subscribers.ts', import.meta.url)), [JSON.stringify(options)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handlers = new Map<string, (m: Msg) => void>();
  child.on('message', (m: Msg) => handlers.get(m.type)?.(m));
  return {
    child,
    on: (type, f) => handlers.set(type, f),
    next: (type, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${type} from the subscribers`)), ms);
        handlers.set(type, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ type: 'stop' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      child.kill('SIGKILL');
    },
  };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function subscriptionsOnServer(metricsUrl: string, topic: string): Promise<number> {
  const text = await fetch(metricsUrl).then((r) => r.text());
  const m = new RegExp(`^trading_ws_subscriptions\\{topic="${topic}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function withApi<T>(f: (api: ApiProcess) => Promise<T>): Promise<T> {
  const db = await freshDatabaseUrl('sqlite');
  const api = await startApi({ DATABASE_URL: db.url, WS_MAX_CONNECTIONS_PER_USER: '50' });
  try {
    return await f(api);
  } finally {
    await api.stop();
    await db.drop();
  }
}

ensureBuilt();

// 1. Fill latency with 1,000 subscribers.
const subscribersCount = ACCOUNTS * SOCKETS_PER_ACCOUNT;
const fills = await withApi(async (api) => {
  const tokens: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    const d = await call<{ signUp: { token: string } }>(api.url, 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }', { u: `rt${i}`, p: `rt-password-${i}` });
    tokens.push(d.signUp.token);
  }
  const taker = await call<{ signUp: { token: string } }>(api.url, 'mutation { signUp(username: "rt-taker", password: "passphrase-of-the-taker") { token } }');
  const subs = subscribers({ url: api.url, mode: 'fills', symbol: BOOK_SYMBOL, depth: 5, tokens, perAccount: SOCKETS_PER_ACCOUNT });
  try {
    const pending = new Map<string, (at: number) => void>();
    subs.on('fill', (m) => pending.get(m.orderId as string)?.(m.at as number));
    await subs.next('started', 120_000);
    const deadline = Date.now() + 120_000;
    while ((await subscriptionsOnServer(api.metricsUrl, 'executionReports')) < subscribersCount || (await subscriptionsOnServer(api.metricsUrl, 'orderBook')) < subscribersCount) {
      if (Date.now() > deadline) throw new Error('the 1,000 subscribers did not all subscribe in 120 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    /**
     * One crossing: a resting sell from one of the subscribed accounts, then the taker's buy.
     * `fillMs`: from the buy's send to the maker's first socket receiving the TRADE report;
     * `answerMs`: the buy's own round trip (send → HTTP answer), for comparison (the maker usually
     * hears of the fill before the taker has its answer). `settled`: the buy is sent once every
     * subscriber has the book update of the resting order, so the crossing is timed on a quiet
     * exchange; otherwise at once (the resting order's 1,000-socket book update is then still
     * being written by the server and read by the subscriber process).
     */
    const cross = async (i: number, settled: boolean): Promise<{ fillMs: number; answerMs: number }> => {
      const price = (100 + (i % 20)).toFixed(2);
      const rest = await call<{ placeOrder: { id: string } }>(api.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price, quantity: 1 } }, tokens[i % ACCOUNTS]);
      if (settled) {
        const { orderBook } = await call<{ orderBook: { seq: number } }>(api.url, 'query($s: String!) { orderBook(symbol: $s) { seq } }', { s: BOOK_SYMBOL });
        const done = subs.next('settled', 30_000);
        subs.child.send({ type: 'settle', seq: orderBook.seq });
        await done;
      }
      const received = new Promise<number>((resolve) => pending.set(rest.placeOrder.id, resolve));
      const sent = now();
      await call(api.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price, quantity: 1 } }, taker.signUp.token);
      const answerMs = now() - sent;
      const fillMs = (await received) - sent;
      pending.delete(rest.placeOrder.id);
      return { fillMs, answerMs };
    };
    const summary = (xs: number[]) => ({ p50: Math.round(percentile(xs, 50) * 100) / 100, p99: Math.round(percentile(xs, 99) * 100) / 100 });
    // Warm-up, not timed: the first crossings of a fresh process run cold code (their latency is the JIT's).
    for (let i = 0; i < WARMUP_FILLS; i++) await cross(i, true);
    const settled: { fillMs: number; answerMs: number }[] = [];
    for (let i = 0; i < FILLS; i++) settled.push(await cross(i, true));
    const backToBack: number[] = [];
    for (let i = 0; i < FILLS; i++) backToBack.push((await cross(i, false)).fillMs);
    return { ...summary(settled.map((c) => c.fillMs)), taker: summary(settled.map((c) => c.answerMs)), backToBack: summary(backToBack), rss: rssMiB(api.child.pid!) };
  } finally {
    await subs.stop();
  }
});
console.log(
  `fill latency with ${subscribersCount} subscribers: p50 ${fills.p50} ms, p99 ${fills.p99} ms (${FILLS} crossings, each sent once the previous book update reached every subscriber; subscribers on the ${BOOK_SYMBOL} book; target p99 ≤ 10 ms: ${fills.p99 <= 10 ? 'PASS' : 'FAIL'}); server RSS after ${fills.rss} MiB`,
);
console.log(`  for comparison, the crossing order's own round trip (send → its HTTP answer), same crossings: p50 ${fills.taker.p50} ms, p99 ${fills.taker.p99} ms`);
console.log(
  `fill latency back to back (taker sent as soon as the resting order is acknowledged, while its book update is still going out to the ${subscribersCount} subscribers): p50 ${fills.backToBack.p50} ms, p99 ${fills.backToBack.p99} ms`,
);

// 2 and 3. A fresh process: 10,000 idle clients, then one book update fanned out to all of them.
const idle = await withApi(async (api) => {
  const maker = await call<{ signUp: { token: string } }>(api.url, 'mutation { signUp(username: "rt-fanout", password: "passphrase-of-the-fanout") { token } }');
  const subs = subscribers({ url: api.url, mode: 'idle', symbol: 'MSFT', depth: 5, clients: CLIENTS });
  try {
    const ready = await subs.next('ready', 600_000);
    const connected = ready.connected as number;
    if (connected < CLIENTS) console.log(`only ${connected} of ${CLIENTS} clients subscribed (${ready.refused as number} refused)`);
    await new Promise((r) => setTimeout(r, 1000));
    const rss = rssMiB(api.child.pid!);
    const book = await call<{ orderBook: { seq: number } }>(api.url, '{ orderBook(symbol: "MSFT") { seq } }');
    subs.child.send({ type: 'target', seq: book.orderBook.seq + 1 });
    const fanout = subs.next('fanout', 120_000);
    const sent = now();
    await call(api.url, PLACE, { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '99.00', quantity: 1 } }, maker.signUp.token);
    const done = await fanout;
    return { connected, rss, fanoutMs: Math.round((done.lastAt as number) - sent), reached: done.count as number };
  } finally {
    await subs.stop();
  }
});
console.log(`${idle.connected} idle graphql-ws clients with one subscription each: server RSS ${idle.rss} MiB (target ≤ 1024 MiB: ${idle.rss <= 1024 && idle.connected >= CLIENTS ? 'PASS' : 'FAIL'})`);
console.log(`fan-out of one book update to ${idle.reached} clients: ${idle.fanoutMs} ms (send → last client)`);
if (json) console.log(JSON.stringify({ fillP50Ms: fills.p50, fillP99Ms: fills.p99, subscribers: subscribersCount, clients: idle.connected, rssMiB: idle.rss, fanoutMs: idle.fanoutMs }));
