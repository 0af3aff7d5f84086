/**
 * The subscribers of bench:realtime, in a child process of their own so that reading thousands
 * of sockets does not delay the process that times the orders. Started by bench/realtime.ts with
 * one JSON argument; talks to it over IPC. Times are absolute (performance.timeOrigin + now), so
 * they compare across the two processes.
 *
 * - mode "fills": for each token, `perAccount` sockets, each subscribed to executionReports and
 *   to the book of `symbol`; every TRADE report is sent to the parent as {type: 'fill', orderId, at}.
 *   After {type: 'settle', seq}, answers {type: 'settled'} once every socket has the book at or
 *   after that seq (at once if they all have it already).
 * - mode "idle": `clients` anonymous sockets, each with one orderBook subscription, opened 100 at
 *   a time (each waits for its snapshot); then {type: 'ready', connected, refused}. After
 *   {type: 'target', seq}, reports {type: 'fanout', count, lastAt} once every connected client
 *   has a delta at or after that seq.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

interface Options {
  url: string;
  mode: 'fills' | 'idle';
  symbol: string;
  depth: number;
  tokens?: string[];
  perAccount?: number;
  clients?: number;
}

const options = JSON.parse(process.argv[2]!) as Options;
const now = () => performance.timeOrigin + performance.now();
const send = (m: Record<string, unknown>) => process.send!(m);
const BOOK = 'subscription($s: String!, $d: Int) { orderBook(symbol: $s, depth: $d) { kind seq } }';
const EXEC = 'subscription { executionReports { execType order { id } } }';
const clients: Client[] = [];
let refused = 0;

function client(token?: string): Client {
  const c = createClient({
    url: options.url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => void refused++,
  });
  clients.push(c);
  return c;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- payloads are read loosely here
function sub(c: Client, query: string, variables: Record<string, unknown>, onValue: (v: any) => void, onError: () => void = () => {}): void {
  c.subscribe({ query, variables }, { next: (v) => onValue(v.data), error: onError, complete: () => {} });
}

process.on('message', (m: { type: string; seq?: number }) => {
  if (m.type === 'stop') void Promise.all(clients.map((c) => c.dispose())).then(() => process.exit(0));
  if (m.type === 'target') target = m.seq!;
  if (m.type === 'settle') settle(m.seq!);
});
let target = Number.POSITIVE_INFINITY;
let settle: (seq: number) => void = () => {};

if (options.mode === 'fills') {
  /** The book seq each socket has, and how many sockets have reached `settleAt`. */
  const bookSeq: number[] = [];
  let settleAt = Number.POSITIVE_INFINITY;
  let reached = 0;
  const settledCheck = () => {
    if (reached === bookSeq.length) {
      settleAt = Number.POSITIVE_INFINITY;
      send({ type: 'settled' });
    }
  };
  settle = (seq) => {
    settleAt = seq;
    reached = bookSeq.filter((s) => s >= seq).length;
    settledCheck();
  };
  for (const token of options.tokens ?? []) {
    for (let s = 0; s < (options.perAccount ?? 1); s++) {
      const c = client(token);
      sub(c, EXEC, {}, (d) => {
        const r = d?.executionReports;
        if (r?.execType === 'TRADE') send({ type: 'fill', orderId: r.order.id, at: now() });
      });
      const i = bookSeq.push(-1) - 1;
      sub(c, BOOK, { s: options.symbol, d: options.depth }, (d) => {
        const seq = d?.orderBook?.seq as number | undefined;
        if (seq === undefined) return;
        const before = bookSeq[i]!;
        bookSeq[i] = seq;
        if (before < settleAt && seq >= settleAt) {
          reached++;
          settledCheck();
        }
      });
    }
  }
  send({ type: 'started' });
} else {
  const total = options.clients ?? 10_000;
  const snapshots = new Set<number>();
  const seen = new Set<number>();
  let failed = 0;
  let lastAt = 0;
  let reported = false;
  const check = () => {
    if (!reported && seen.size > 0 && seen.size >= snapshots.size) {
      reported = true;
      send({ type: 'fanout', count: seen.size, lastAt });
    }
  };
  for (let i = 0; i < total; i++) {
    const c = client();
    sub(
      c,
      BOOK,
      { s: options.symbol, d: options.depth },
      (d) => {
        const u = d?.orderBook;
        if (u?.kind === 'SNAPSHOT') snapshots.add(i);
        else if (u?.kind === 'DELTA' && u.seq >= target && !seen.has(i)) {
          seen.add(i);
          lastAt = now();
          check();
        }
      },
      () => void failed++,
    );
    // Ramp up in groups: a burst of thousands of handshakes would time out connection_init.
    if (i % 100 === 99 || i === total - 1) {
      const deadline = Date.now() + 30_000;
      while (snapshots.size + failed + refused < i + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    }
  }
  send({ type: 'ready', connected: snapshots.size, refused: refused + failed });
}
