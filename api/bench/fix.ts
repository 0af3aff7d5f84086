/**
 * bench:fix — one FIX 4.4 session sending NewOrderSingles to the real API process (compiled
 * build, fresh SQLite database, 127.0.0.1 only), half resting limit orders and half IOC orders
 * that cross resting liquidity placed over GraphQL. Prints orders/s and the order-to-ack
 * latency (NewOrderSingle sent → first ExecutionReport for its ClOrdID) p50/p99.
 * `--json`: the last line is one JSON object {ordersPerSec, ackP50Ms, ackP99Ms, orders, errors}.
 * Options: --orders N (default 10000), --window N orders in flight (default 50),
 * --dialect sqlite|mysql (default sqlite), --no-build.
 */
import 'reflect-metadata';
import { MsgType } from 'jspurefix';
import { call, ensureBuilt, freePort, freshDatabaseUrl, percentile, startApi } from '../harness/api-process.js';
import { logOn } from './fix-initiator.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const json = process.argv.includes('--json');
const orders = Number(arg('orders', '10000'));
const window = Number(arg('window', '50'));
const dialect = arg('dialect', 'sqlite') as 'sqlite' | 'mysql';
/** The whole run stops by itself after this, counting unanswered orders as errors. */
const DEADLINE_MS = 180_000;
const SYMBOL = 'AAPL';
const COMP_ID = 'TRADINGAPP';
const SIGN_UP = 'mutation($u:String!,$p:String!){ signUp(username:$u, password:$p){ token } }';
const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }';
/** ExecType (150) of an ExecutionReport refusing the order. */
const REJECTED = '8';

const log = (line: string) => {
  if (!json) process.stdout.write(`${line}\n`);
};

interface Figures {
  ordersPerSec: number;
  ackP50Ms: number;
  ackP99Ms: number;
  orders: number;
  errors: number;
}

async function run(): Promise<Figures> {
  log('building the API ...');
  ensureBuilt();
  const db = await freshDatabaseUrl(dialect);
  const fixPort = await freePort();
  log(`starting the API on ${dialect} (FIX on 127.0.0.1:${fixPort}) ...`);
  const api = await startApi({ DATABASE_URL: db.url, FIX_PORT: String(fixPort), LOGIN_MAX_ATTEMPTS: '1000', LOGIN_ADDRESS_MAX_ATTEMPTS: '1000' });
  try {
    await call(api.url, SIGN_UP, { u: 'benchfix', p: 'bench-fix-passphrase' });
    const maker = await call<{ signUp: { token: string } }>(api.url, SIGN_UP, { u: 'benchmaker', p: 'bench-maker-passphrase' });
    // Liquidity for the crossing half: every IOC buy of 1 lot at 100.00 fills against it.
    await call(api.url, PLACE, { i: { symbol: SYMBOL, side: 'SELL', type: 'LIMIT', price: '100.00', quantity: orders, timeInForce: 'GTC' } }, maker.signUp.token);

    const sentAt = new Float64Array(orders);
    const latencies: number[] = [];
    const acked = new Uint8Array(orders);
    let errors = 0;
    let next = 0;
    let inFlight = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));

    const session = await logOn(
      { port: fixPort, senderCompId: 'BENCH', targetCompId: COMP_ID, username: 'benchfix', password: 'bench-fix-passphrase' },
      {
        report: (clOrdId, execType) => {
          const i = Number(clOrdId.slice(1));
          if (!(i >= 0 && i < orders) || acked[i]) return;
          acked[i] = 1;
          latencies.push(performance.now() - sentAt[i]!);
          if (execType === REJECTED) errors++;
          inFlight--;
          pump();
        },
        reject: () => {
          errors++;
        },
      },
    );
    log(`logged on; sending ${orders} orders, ${window} in flight ...`);

    const send = (i: number) => {
      const crossing = i % 2 === 1;
      sentAt[i] = performance.now();
      session.send(MsgType.NewOrderSingle, {
        ClOrdID: `b${i}`,
        Instrument: { Symbol: SYMBOL },
        Side: '1',
        TransactTime: new Date(),
        OrderQtyData: { OrderQty: 1 },
        OrdType: '2',
        // Resting buys spread below the offer; crossing buys take it.
        Price: crossing ? '100.00' : (90 + (i % 500) / 100).toFixed(2),
        TimeInForce: crossing ? '3' : '0',
      });
    };
    function pump(): void {
      while (inFlight < window && next < orders) {
        inFlight++;
        send(next++);
      }
      if (latencies.length === orders) done();
    }

    const started = performance.now();
    pump();
    const timer = setTimeout(done, DEADLINE_MS);
    await finished;
    clearTimeout(timer);
    const elapsedMs = performance.now() - started;
    await session.logout();
    const answered = latencies.length;
    return {
      ordersPerSec: Math.round((answered / elapsedMs) * 1000),
      ackP50Ms: round(percentile(latencies, 50)),
      ackP99Ms: round(percentile(latencies, 99)),
      orders: answered,
      errors: errors + (orders - answered),
    };
  } finally {
    await api.stop();
    await db.drop();
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

run().then(
  (f) => {
    log(`FIX order entry, one session on ${dialect}: ${f.orders} orders, ${f.ordersPerSec} orders/s, ack p50 ${f.ackP50Ms} ms, p99 ${f.ackP99Ms} ms, ${f.errors} errors`);
    if (json) process.stdout.write(`${JSON.stringify(f)}\n`);
    process.exit(f.errors > 0 ? 1 : 0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
