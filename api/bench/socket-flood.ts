/**
 * bench:socket-flood — what a flood of sockets without a token costs the API under its default
 * budgets (config.ts: WS_MAX_*), against a real API process:
 * 1. idle: the server's RSS, and the round trip of crossing placeOrders on AAPL (p50/p99);
 * 2. flood: from --addresses loopback addresses (127.0.<n>.<m>; all of 127/8 is loopback on
 *    Linux), --sockets sockets each, every socket asking for --subs orderBook(AAPL) subscriptions
 *    with query texts of their own (about 900 characters each, ~100 aliased fields: the parsed
 *    document is what a distinct text costs); the flood runs in a child process;
 * 3. under the flood (every accepted subscription hears every AAPL book update): RSS again, and
 *    the same crossings.
 * Prints accepted and refused counts by reason, RSS growth and the latency ratio.
 * `--json`: last line is {"idleRssMiB","floodRssMiB","growthMiB","accepted","idleP50Ms","idleP99Ms","floodP50Ms","floodP99Ms"}.
 * Options: --addresses N (default 120), --sockets N per address (default 12), --subs N per socket
 * (default 20), --orders N crossings per phase (default 100), --shared-text (every subscription
 * sends the same text: the cost of subscribers alone, for comparison), --no-build.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { call, ensureBuilt, freshDatabaseUrl, percentile, startApi } from '../harness/api-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

interface FloodReport {
  readonly type: 'ready';
  readonly sockets: number;
  readonly closedAtOpen: Record<string, number>;
  readonly accepted: number;
  readonly refused: Record<string, number>;
}

/** The flood side (a child process): opens the sockets, subscribes, holds them until told to stop. */
async function flood(url: string, addresses: number, perAddress: number, subs: number, sharedText: boolean): Promise<void> {
  const aliases = Array.from({ length: 100 }, (_, i) => `f${i}: seq`).join(' ');
  const sockets: WebSocket[] = [];
  const closedAtOpen: Record<string, number> = {};
  const refused: Record<string, number> = {};
  let accepted = 0;
  let messages = 0;
  const opening: Promise<void>[] = [];
  for (let a = 0; a < addresses; a++) {
    const from = `127.0.${1 + Math.floor(a / 250)}.${1 + (a % 250)}`;
    for (let s = 0; s < perAddress; s++) {
      opening.push(
        new Promise<void>((resolve) => {
          const ws = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws', { localAddress: from });
          const answered = new Set<string>();
          let acked = false;
          ws.on('error', () => {});
          ws.on('close', (code) => {
            if (!acked) {
              closedAtOpen[code] = (closedAtOpen[code] ?? 0) + 1;
              resolve();
            }
          });
          ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init' })));
          ws.on('message', (data) => {
            messages++;
            const m = JSON.parse(data.toString()) as { type: string; id?: string; payload?: { extensions?: { code?: string; reason?: string } }[] };
            if (m.type === 'connection_ack') {
              acked = true;
              sockets.push(ws);
              for (let j = 0; j < subs; j++) {
                ws.send(JSON.stringify({ id: `s${j}`, type: 'subscribe', payload: { query: sharedText ? `subscription F { orderBook(symbol: "AAPL") { ${aliases} } }` : `subscription F${a}x${s}x${j} { orderBook(symbol: "AAPL") { ${aliases} } }` } }));
              }
              if (subs === 0) resolve();
              return;
            }
            if (!m.id || answered.has(m.id)) return;
            answered.add(m.id);
            if (m.type === 'next') accepted++;
            else if (m.type === 'error') {
              const e = m.payload?.[0]?.extensions;
              const key = `${e?.code}/${e?.reason}`;
              refused[key] = (refused[key] ?? 0) + 1;
            }
            if (answered.size === subs) resolve();
          });
        }),
      );
    }
  }
  await Promise.all(opening);
  process.send!({ type: 'ready', sockets: sockets.length, closedAtOpen, accepted, refused } satisfies FloodReport);
  process.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    for (const ws of sockets) ws.terminate();
    process.send!({ type: 'stopped', messages });
    process.exit(0);
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

if (process.argv[2] === '--child') {
  const o = JSON.parse(process.argv[3]!) as { url: string; addresses: number; perAddress: number; subs: number; sharedText: boolean };
  await flood(o.url, o.addresses, o.perAddress, o.subs, o.sharedText);
} else {
  const json = process.argv.includes('--json');
  const ADDRESSES = arg('addresses', 120);
  const PER_ADDRESS = arg('sockets', 12);
  const SUBS = arg('subs', 20);
  const ORDERS = arg('orders', 100);
  const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';
  ensureBuilt();
  const db = await freshDatabaseUrl('sqlite');
  // The configured defaults, not the benches' raised per-address limits (api-process.ts).
  const api = await startApi({ DATABASE_URL: db.url, WS_MAX_CONNECTIONS_PER_ADDRESS: '50', WS_MAX_SUBSCRIPTIONS_PER_ADDRESS: '500' });
  try {
    const signUp = async (u: string) => (await call<{ signUp: { token: string } }>(api.url, 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }', { u, p: `${u}-password` })).signUp.token;
    const maker = await signUp('flood-maker');
    const taker = await signUp('flood-taker');
    /** Crossing pairs on AAPL; the taker's round trips in ms. */
    const crossings = async (n: number): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const price = (100 + (i % 20)).toFixed(2);
        await call(api.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price, quantity: 1 } }, maker);
        const t0 = performance.now();
        await call(api.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price, quantity: 1 } }, taker);
        times.push(performance.now() - t0);
      }
      return times;
    };
    await crossings(20);
    const idle = await crossings(ORDERS);
    const idleRss = rssMiB(api.child.pid!);
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify({ url: api.url, addresses: ADDRESSES, perAddress: PER_ADDRESS, subs: SUBS, sharedText: process.argv.includes('--shared-text') })], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const report = await new Promise<FloodReport>((resolve, reject) => {
      child.once('message', (m: FloodReport) => resolve(m));
      child.once('exit', (code) => reject(new Error(`flood child exited with ${code}`)));
    });
    const floodRssBefore = rssMiB(api.child.pid!);
    const flooded = await crossings(ORDERS);
    const floodRss = Math.max(floodRssBefore, rssMiB(api.child.pid!));
    child.removeAllListeners('exit');
    const stopped = new Promise<{ messages: number }>((resolve) => child.once('message', resolve));
    child.send({ type: 'stop' });
    const { messages } = await stopped;
    const r = (x: number) => Math.round(x * 100) / 100;
    const figures = {
      idleRssMiB: idleRss,
      floodRssMiB: floodRss,
      growthMiB: floodRss - idleRss,
      accepted: report.accepted,
      idleP50Ms: r(percentile(idle, 50)),
      idleP99Ms: r(percentile(idle, 99)),
      floodP50Ms: r(percentile(flooded, 50)),
      floodP99Ms: r(percentile(flooded, 99)),
    };
    console.log(`flood: ${ADDRESSES} addresses × ${PER_ADDRESS} sockets × ${SUBS} distinct subscriptions (${ADDRESSES * PER_ADDRESS * SUBS} asked)`);
    console.log(`  sockets open ${report.sockets}, closed at open ${JSON.stringify(report.closedAtOpen)}`);
    console.log(`  subscriptions accepted ${report.accepted}, refused ${JSON.stringify(report.refused)}; messages heard ${messages}`);
    console.log(`RSS: idle ${idleRss} MiB, flooded ${floodRss} MiB (growth ${figures.growthMiB} MiB)`);
    console.log(`crossing placeOrder round trip: idle p50 ${figures.idleP50Ms} ms p99 ${figures.idleP99Ms} ms; flooded p50 ${figures.floodP50Ms} ms p99 ${figures.floodP99Ms} ms (p50 ×${r(figures.floodP50Ms / figures.idleP50Ms)})`);
    if (json) console.log(JSON.stringify(figures));
  } finally {
    await api.stop();
    await db.drop();
  }
}
