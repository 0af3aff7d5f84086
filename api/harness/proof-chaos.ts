/**
 * Chaos: the compiled API on a fresh MySQL database, many accounts trading concurrently over
 * GraphQL, and the API process killed with SIGKILL at random moments, then restarted on the same
 * port and database. Clients retry after connection errors with the same ClOrdID (and the same
 * cancel or amend), as a real program would.
 *
 * After every restart, before trading resumes, each symbol's book as the API serves it must
 * equal the book the database holds (levels, quantities, order counts, seq). At the end: every
 * order a client saw acknowledged exists in a state at least as advanced as acknowledged, no
 * (account, ClOrdID) has two orders, every trade has exactly two executions, and the audit CLI
 * (which replays the books) is clean. Everything is bounded: a fixed number of kills, a time
 * budget, and a hard deadline.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort, freshDatabaseUrl, repoRoot } from './api-process.js';
import { ensureProofBuild } from './proof-build.js';
import { startProofApi, type ProofApi } from './proof-api.js';
import { codeOf, decimalToTicks, post, prng, round, sleep, ticksToDecimal, type GqlAnswer } from './proof-gql.js';
import { FIX_ORD_STATUS, FixDisconnected, ProofFixClient, type FixFields } from './proof-fix.js';

export interface ChaosOptions {
  /** SIGKILLs (default 10). */
  readonly kills: number;
  /** Trading time to spread the kills over, in seconds (default 60); restarts come on top. */
  readonly seconds: number;
  /** Trading accounts, one concurrent client each (default 16). */
  readonly accounts: number;
  /** Further accounts trading through FIX 4.4 sessions (default 2; 0 turns the gateway off). */
  readonly fixAccounts: number;
  /** Symbols traded (default AAPL, MSFT, SPY, TSLA from the small catalog). */
  readonly symbols: readonly string[];
  readonly seed: number;
  /** Reuse an existing private build instead of checking it is up to date. */
  readonly reuseBuild?: boolean;
  /** Keep the database at the end (it is kept anyway when a check fails). */
  readonly keepDatabase?: boolean;
  /** MySQL server (a fresh database is created on it and dropped). */
  readonly mysqlUrl?: string;
  /**
   * API processes on the one database (default 1). With 2, both trade the same symbols over one
   * Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/15, channels under a fresh prefix):
   * each request goes to either at random, a request cut by a kill is retried on the other, and
   * the kills alternate between them while the other keeps trading. FIX sessions go to the first.
   */
  readonly replicas?: number;
  readonly log: (line: string) => void;
}

export const CHAOS_DEFAULTS = { kills: 10, seconds: 60, accounts: 16, fixAccounts: 2, symbols: ['AAPL', 'MSFT', 'SPY', 'TSLA'], seed: 1 } as const;

/** An order as acknowledged by the API. */
interface Ack {
  readonly id: string;
  readonly clOrdId: string;
  readonly status: string;
  readonly cumQty: number;
  readonly leavesQty: number;
  readonly quantity: number;
  readonly createdAt: string;
}

const ORDER = 'id clOrdId status cumQty leavesQty quantity createdAt';
const PLACE = `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { ${ORDER} } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { ${ORDER} } }`;
const AMEND = `mutation($id: ID!, $q: Int!, $p: Decimal) { amendOrder(id: $id, quantity: $q, price: $p) { ${ORDER} } }`;
const BOOK = `query($s: String!) { orderBook(symbol: $s, depth: 100) { seq bids { price quantity orderCount } asks { price quantity orderCount } } }`;
const SIGN_UP = `mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token user { id } } }`;

/** How far an order's state has gone: a later state never has a smaller rank. */
const RANK: Record<string, number> = { PENDING_NEW: 0, NEW: 1, PARTIALLY_FILLED: 2, FILLED: 3, CANCELED: 3, EXPIRED: 3, REJECTED: 3 };
const TERMINAL = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED']);
/** Refusals a random flow legitimately meets (an order filled or canceled just before its cancel or amend…). */
const EXPECTED_REFUSALS = new Set(['CONFLICT', 'NOT_FOUND', 'BAD_USER_INPUT']);

export interface ChaosResult {
  readonly ok: boolean;
  readonly failures: string[];
  /** Findings outside what chaos proves (e.g. the exit code of the final graceful stop). */
  readonly warnings: string[];
  readonly figures: Record<string, unknown>;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const hardDeadline = started + (o.seconds + o.kills * 45 + 300) * 1000;
  const failures: string[] = [];
  const warnings: string[] = [];
  const fail = (line: string) => {
    if (failures.length < 200) failures.push(line);
    o.log(`FAIL ${line}`);
  };
  const rnd = prng(o.seed);
  const build = await ensureProofBuild({ reuse: o.reuseBuild, log: o.log });
  if (build.typeErrors) o.log('note: the API compiles with type errors (emitted anyway); see tsc output with npm run typecheck');
  const db = await freshDatabaseUrl('mysql', o.mysqlUrl);
  const logFile = join(repoRoot, `test-output/proof-logs/chaos-${new Date(started).toISOString().replace(/[:.]/g, '-')}.log`);
  const replicas = o.replicas ?? 1;
  const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
  const fixPort = await freePort();
  const shared: Record<string, string> =
    replicas > 1 ? { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15', REDIS_CHANNEL_PREFIX: `chaos-${started.toString(36)}-${Math.floor(rnd() * 1e9).toString(36)}:` } : {};
  /** Replica i's environment: FIX on the first only. */
  const envOf = (i: number): Record<string, string> => ({ ...shared, ...(o.fixAccounts > 0 && i === 0 ? { FIX_ENABLED: 'true', FIX_PORT: String(fixPort) } : {}) });
  const sql = mysql.createPool({ uri: db.url, connectionLimit: 2 });
  o.log(`Chaos: ${o.kills} kills over ~${o.seconds} s of trading, ${replicas} API process(es), ${o.accounts} GraphQL and ${o.fixAccounts} FIX accounts, ${o.symbols.join(' ')}; database ${db.url}; server log ${logFile}`);

  const start = (i: number) => startProofApi({ main: build.main, databaseUrl: db.url, port: ports[i]!, logFile, env: envOf(i) });
  // The first start migrates and loads the catalog; the others start once it has.
  const apis: ProofApi[] = [await start(0)];
  for (let i = 1; i < replicas; i++) apis.push(await start(i));
  const urls = apis.map((a) => a.url);
  const url = urls[0]!;

  // ---- accounts and symbols ----
  const tag = Math.floor(rnd() * 1e9).toString(36);
  const accounts = await Promise.all(
    Array.from({ length: o.accounts }, async (_, i) => {
      const a = await post<{ signUp: { token: string; user: { id: string } } }>(url, SIGN_UP, { u: `chaos${i}-${tag}`, p: `chaos-password-${i}` });
      if (a.kind !== 'data') throw new Error(`sign-up failed: ${JSON.stringify(a)}`);
      return { index: i, token: a.data.signUp.token, id: a.data.signUp.user.id };
    }),
  );
  const fixAccounts = await Promise.all(
    Array.from({ length: o.fixAccounts }, async (_, k) => {
      const username = `chaosfix${k}-${tag}`;
      const password = `chaos-fix-password-${k}`;
      const a = await post<{ signUp: { token: string; user: { id: string } } }>(url, SIGN_UP, { u: username, p: password });
      if (a.kind !== 'data') throw new Error(`sign-up failed: ${JSON.stringify(a)}`);
      return { index: o.accounts + k, id: a.data.signUp.user.id, username, password, compId: `CHAOS${k}${tag.toUpperCase()}` };
    }),
  );
  const [productRows] = (await sql.query('SELECT symbol, tick_size, ref_price_ticks FROM products WHERE symbol IN (?)', [o.symbols])) as unknown as [{ symbol: string; tick_size: string; ref_price_ticks: number | null }[]];
  const products = new Map(productRows.map((p) => [p.symbol, { tick: String(p.tick_size), mid: Number(p.ref_price_ticks ?? 10_000) }]));
  for (const s of o.symbols) if (!products.has(s)) throw new Error(`unknown symbol ${s}`);

  // ---- figures ----
  const f = {
    requests: { place: 0, cancel: 0, amend: 0 },
    answered: { place: 0, cancel: 0, amend: 0 },
    refusals: {} as Record<string, number>,
    connectionErrors: 0,
    retries: 0,
    retriedPlaces: 0,
    retriedPlacesAlreadyCommitted: 0,
    duplicateSends: 0,
    inFlightAtKills: 0,
    restartMs: [] as number[],
    bookComparisons: 0,
    acksPerPhase: [] as number[],
    fix: { sent: 0, acknowledged: 0, resent: 0, resentAlreadyCommitted: 0, logons: 0, logonsRefused: 0, refused: 0 },
  };
  const acks = new Map<string, Ack & { account: number }>();
  const fixClients: { account: number; client: ProofFixClient }[] = [];
  const placed = new Map<string, string>(); // `${account}/${clOrdId}` -> order id
  let inFlight = 0;
  let acksThisPhase = 0;

  // ---- the gate: closed while the server restarts and books are compared ----
  let gate: Promise<void> | undefined;
  let openGate: () => void = () => {};
  const closeGate = () => {
    gate ??= new Promise<void>((r) => (openGate = () => {
      gate = undefined;
      r();
    }));
  };
  let stopping = false;

  /** Sends one operation until it gets an answer (retrying after connection errors), or the run stops. */
  const send = async <T>(query: string, variables: Record<string, unknown>, token: string): Promise<{ answer?: GqlAnswer<T>; firstErrorAt?: number }> => {
    let firstErrorAt: number | undefined;
    // A load balancer's choice; a retry goes to the next replica (the one that failed may be down).
    const first = Math.floor(Math.random() * urls.length);
    for (let attempt = 0; ; attempt++) {
      if (gate) await gate;
      if (Date.now() > hardDeadline) return { firstErrorAt };
      if (attempt > 0) f.retries++;
      inFlight++;
      const a = await post<T>(urls[(first + attempt) % urls.length]!, query, variables, token, 20_000);
      inFlight--;
      if (a.kind === 'network' || (a.kind === 'errors' && a.errors[0]?.extensions?.code === 'SERVICE_UNAVAILABLE')) {
        f.connectionErrors++;
        firstErrorAt ??= Date.now();
        await sleep(50 + Math.floor(Math.random() * 200));
        continue;
      }
      return { answer: a, firstErrorAt };
    }
  };

  const record = (account: number, order: Ack) => {
    const prev = acks.get(order.id);
    acks.set(order.id, { ...order, account });
    acksThisPhase++;
    if (prev && RANK[order.status]! < RANK[prev.status]!) fail(`order ${order.id} went back from ${prev.status} to ${order.status} between two answers`);
  };
  const refused = (what: string, a: GqlAnswer<unknown>) => {
    if (a.kind !== 'errors') return;
    const code = codeOf(a.errors);
    f.refusals[`${what} ${code}`] = (f.refusals[`${what} ${code}`] ?? 0) + 1;
    if (!EXPECTED_REFUSALS.has(a.errors[0]?.extensions?.code ?? '')) fail(`${what} answered ${code}: ${a.errors[0]?.message}`);
  };

  const worker = async (acct: (typeof accounts)[number]) => {
    const r = prng(o.seed * 7919 + acct.index);
    const open: string[] = [];
    let n = 0;
    while (!stopping && Date.now() < hardDeadline) {
      const x = r();
      if (x < 0.12 && open.length > 0) {
        const id = open.splice(Math.floor(r() * open.length), 1)[0]!;
        f.requests.cancel++;
        const { answer } = await send<{ cancelOrder: Ack }>(CANCEL, { id }, acct.token);
        if (answer?.kind === 'data') {
          f.answered.cancel++;
          record(acct.index, answer.data.cancelOrder);
        } else if (answer) refused('cancelOrder', answer);
        continue;
      }
      if (x < 0.22 && open.length > 0) {
        const id = open[Math.floor(r() * open.length)]!;
        const known = acks.get(id);
        const symbol = o.symbols[Math.floor(r() * o.symbols.length)]!;
        const { tick, mid } = products.get(symbol)!;
        f.requests.amend++;
        const qty = (known?.cumQty ?? 0) + 1 + Math.floor(r() * 20);
        const price = r() < 0.5 ? null : ticksToDecimal(mid - 3 + Math.floor(r() * 7), tick);
        const { answer } = await send<{ amendOrder: Ack }>(AMEND, { id, q: qty, p: price }, acct.token);
        if (answer?.kind === 'data') {
          f.answered.amend++;
          record(acct.index, answer.data.amendOrder);
        } else if (answer) refused('amendOrder', answer);
        continue;
      }
      const symbol = o.symbols[Math.floor(r() * o.symbols.length)]!;
      const { tick, mid } = products.get(symbol)!;
      const side = r() < 0.5 ? 'BUY' : 'SELL';
      const market = r() < 0.08;
      const tifs = ['DAY', 'DAY', 'GTC', 'GTC', 'GTC', 'IOC', 'FOK'] as const;
      const tif = market ? (r() < 0.8 ? 'IOC' : 'FOK') : tifs[Math.floor(r() * tifs.length)]!;
      const offset = side === 'BUY' ? -4 + Math.floor(r() * 7) : -2 + Math.floor(r() * 7);
      const input = {
        clOrdId: `k${acct.index}-${n++}`,
        symbol,
        side,
        type: market ? 'MARKET' : 'LIMIT',
        timeInForce: tif,
        price: market ? null : ticksToDecimal(mid + offset, tick),
        quantity: 1 + Math.floor(r() * 20),
        postOnly: !market && (tif === 'DAY' || tif === 'GTC') && r() < 0.05,
      };
      f.requests.place++;
      // Now and then the same order twice at once: both answers must be the same order.
      const twice = r() < 0.03;
      if (twice) f.duplicateSends++;
      const sendTime = Date.now();
      const sends = await Promise.all((twice ? [0, 1] : [0]).map(() => send<{ placeOrder: Ack }>(PLACE, { i: input }, acct.token)));
      const ids = new Set<string>();
      // Two sends at once may be answered by different replicas, each with the order as it stood
      // when it answered: neither came after the other, so they are recorded least advanced first.
      const rank = (x: (typeof sends)[number]) => (x.answer?.kind === 'data' ? RANK[x.answer.data.placeOrder.status]! : -1);
      sends.sort((x, y) => rank(x) - rank(y));
      for (const { answer, firstErrorAt } of sends) {
        if (answer?.kind !== 'data') {
          if (answer) refused('placeOrder', answer);
          continue;
        }
        const order = answer.data.placeOrder;
        ids.add(order.id);
        f.answered.place++;
        record(acct.index, order);
        const key = `${acct.index}/${input.clOrdId}`;
        const before = placed.get(key);
        if (before !== undefined && before !== order.id) fail(`ClOrdID ${input.clOrdId} of account ${acct.index} answered with two orders ${before} and ${order.id}`);
        placed.set(key, order.id);
        if (firstErrorAt !== undefined) {
          f.retriedPlaces++;
          // Committed before the connection broke: the retry found the existing order.
          if (Date.parse(order.createdAt) < firstErrorAt && Date.parse(order.createdAt) >= sendTime - 1000) f.retriedPlacesAlreadyCommitted++;
        }
        if ((order.status === 'NEW' || order.status === 'PARTIALLY_FILLED') && !open.includes(order.id)) open.push(order.id);
      }
      if (ids.size > 1) fail(`the same placeOrder sent twice at once made orders ${[...ids].join(' and ')}`);
      if (open.length > 30) open.splice(0, open.length - 30);
    }
  };

  /** A FIX session's account: new limit orders one at a time, resent with the same ClOrdID after a disconnection. */
  const fixWorker = async (acct: (typeof fixAccounts)[number]) => {
    const r = prng(o.seed * 104729 + acct.index);
    const client = new ProofFixClient(fixPort, acct.username, acct.password, acct.compId);
    fixClients.push({ account: acct.index, client });
    let pending: Parameters<ProofFixClient['newOrder']>[0] | undefined;
    let n = 0;
    while (!stopping && Date.now() < hardDeadline) {
      if (gate) await gate;
      if (!client.connected) {
        let refused: string | undefined;
        try {
          refused = await client.logon();
        } catch (e) {
          refused = (e as Error).message;
        }
        if (refused !== undefined) {
          // After a crash the dead process's session lease must expire first.
          f.fix.logonsRefused++;
          await sleep(500);
          continue;
        }
        f.fix.logons++;
      }
      const resend = pending !== undefined;
      if (!pending) {
        const symbol = o.symbols[Math.floor(r() * o.symbols.length)]!;
        const { tick, mid } = products.get(symbol)!;
        const side = r() < 0.5 ? 'BUY' : 'SELL';
        const offset = side === 'BUY' ? -4 + Math.floor(r() * 7) : -2 + Math.floor(r() * 7);
        pending = { clOrdId: `f${acct.index}-${n++}`, symbol, side, price: ticksToDecimal(mid + offset, tick), qty: 1 + Math.floor(r() * 20), tif: (['DAY', 'GTC', 'IOC'] as const)[Math.floor(r() * 3)]! };
        f.fix.sent++;
      } else f.fix.resent++;
      const order = pending;
      let report: FixFields;
      try {
        inFlight++;
        report = await client.newOrder(order);
      } catch (e) {
        if (!(e instanceof FixDisconnected)) throw e;
        f.connectionErrors++;
        client.close();
        continue;
      } finally {
        inFlight--;
      }
      pending = undefined;
      const id = report.get(37);
      if (report.get(39) === '8' && (!id || id === 'NONE')) {
        f.fix.refused++;
        fail(`FIX NewOrderSingle ${order.clOrdId} refused: ${report.get(58)}`);
        continue;
      }
      f.fix.acknowledged++;
      // ExecType I: the gateway's answer to a ClOrdID it already has (the order was committed before the crash).
      if (resend && report.get(150) === 'I') f.fix.resentAlreadyCommitted++;
      const key = `${acct.index}/${order.clOrdId}`;
      const before = placed.get(key);
      if (before !== undefined && before !== id) fail(`FIX ClOrdID ${order.clOrdId} answered with two orders ${before} and ${id}`);
      placed.set(key, id!);
      record(acct.index, fixAck(report, order.clOrdId));
    }
    client.close();
  };
  const fixAck = (m: FixFields, clOrdId: string): Ack => ({
    id: m.get(37)!,
    clOrdId,
    status: FIX_ORD_STATUS[m.get(39) ?? ''] ?? `FIX 39=${m.get(39)}`,
    cumQty: Number(m.get(14)),
    leavesQty: Number(m.get(151)),
    quantity: Number(m.get(38)),
    createdAt: '',
  });

  // ---- book comparison: the API's books against the database's, with trading paused ----
  const compareBooks = async (label: string) => {
    for (const [r, url] of urls.entries()) await compareBooksOf(urls.length > 1 ? `${label}, replica ${r + 1}` : label, url);
  };
  const compareBooksOf = async (label: string, url: string) => {
    for (const symbol of o.symbols) {
      const { tick } = products.get(symbol)!;
      const a = await post<{ orderBook: { seq: number; bids: { price: string; quantity: number; orderCount: number }[]; asks: { price: string; quantity: number; orderCount: number }[] } }>(url, BOOK, { s: symbol });
      if (a.kind !== 'data') {
        fail(`${label}: orderBook(${symbol}) failed: ${JSON.stringify(a)}`);
        continue;
      }
      const [rows] = (await sql.query(
        `SELECT side, price_ticks AS price, SUM(leaves_qty) AS qty, COUNT(*) AS n FROM orders
         WHERE symbol = ? AND ord_type = 'LIMIT' AND status IN ('NEW', 'PARTIALLY_FILLED') AND leaves_qty > 0
         GROUP BY side, price_ticks`,
        [symbol],
      )) as unknown as [{ side: string; price: number; qty: string; n: number }[]];
      const [[p]] = (await sql.query('SELECT book_seq FROM products WHERE symbol = ?', [symbol])) as unknown as [[{ book_seq: number }]];
      const level = (price: number, qty: number, n: number) => `${price}:${qty}/${n}`;
      const fromDb = (side: string) =>
        rows
          .filter((r) => r.side === side)
          .map((r) => ({ price: Number(r.price), qty: Number(r.qty), n: Number(r.n) }))
          .sort((x, y) => (side === 'BUY' ? y.price - x.price : x.price - y.price))
          .map((r) => level(r.price, r.qty, r.n));
      const fromApi = (levels: { price: string; quantity: number; orderCount: number }[]) => levels.map((l) => level(decimalToTicks(l.price, tick) ?? NaN, l.quantity, l.orderCount));
      const book = a.data.orderBook;
      const want = { seq: Number(p.book_seq), bids: fromDb('BUY'), asks: fromDb('SELL') };
      const got = { seq: book.seq, bids: fromApi(book.bids), asks: fromApi(book.asks) };
      f.bookComparisons++;
      if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${label}: ${symbol} book served ${JSON.stringify(got)} but the database holds ${JSON.stringify(want)}`);
    }
  };

  // ---- the run ----
  const workers = [...accounts.map((a) => worker(a)), ...fixAccounts.map((a) => fixWorker(a))];
  const gapMs = () => Math.round((o.seconds * 1000) / (o.kills + 1) * (0.5 + rnd()));
  let kills = 0;
  try {
    for (; kills < o.kills && Date.now() < hardDeadline; kills++) {
      await sleep(gapMs());
      f.acksPerPhase.push(acksThisPhase);
      if (acksThisPhase === 0) fail(`no order was acknowledged between restart ${kills} and kill ${kills + 1}`);
      acksThisPhase = 0;
      f.inFlightAtKills += inFlight;
      const killedAt = Date.now();
      const victim = kills % apis.length;
      await apis[victim]!.kill();
      // Requests in flight (and any sent meanwhile) have failed; with one process their retries
      // wait until the new server is up and its books have been compared with the database; with
      // several they go to another, which trades on while this one restarts.
      if (apis.length === 1) closeGate();
      apis[victim] = await start(victim);
      f.restartMs.push(Date.now() - killedAt);
      if (apis.length > 1) {
        // Trading paused while every replica's books are compared: what is in flight finishes first.
        closeGate();
        while (inFlight > 0) await sleep(10);
      }
      await compareBooks(`after restart ${kills + 1}`);
      o.log(`kill ${kills + 1}/${o.kills}: ${f.inFlightAtKills} requests in flight so far; back in ${f.restartMs[f.restartMs.length - 1]} ms; books equal the database: ${failures.length === 0}`);
      openGate();
    }
    await sleep(gapMs());
    f.acksPerPhase.push(acksThisPhase);
  } finally {
    stopping = true;
    openGate();
    await Promise.all(workers);
  }
  if (kills < o.kills) fail(`only ${kills} of ${o.kills} kills before the deadline`);
  // Later reports of FIX orders (fills, cancels) are acknowledgements too: the last one counts.
  for (const { account, client } of fixClients) {
    for (const [clOrdId, reports] of client.reports) {
      const last = reports[reports.length - 1]!;
      if (last.get(37) && last.get(37) !== 'NONE' && acks.has(last.get(37)!)) record(account, fixAck(last, clOrdId));
    }
  }

  // ---- final checks ----
  await compareBooks('at the end');
  // Graceful stop is not what this run proves (SIGKILL is); a non-zero exit is reported as a warning.
  const stopStarted = Date.now();
  const exitCodes = await Promise.all(apis.map((a) => a.stop()));
  const exitCode = exitCodes.find((c) => c !== 0) ?? 0;
  if (exitCode !== 0) warnings.push(`SIGTERM: the API exited with ${exitCode} after ${Date.now() - stopStarted} ms (expected 0 after draining)`);

  const [orderRows] = (await sql.query('SELECT id, account_id, cl_ord_id, status, cum_qty, leaves_qty, qty FROM orders')) as unknown as [
    { id: number; account_id: number; cl_ord_id: string; status: string; cum_qty: number; leaves_qty: number; qty: number }[],
  ];
  const byId = new Map(orderRows.map((r) => [String(r.id), r]));
  const accountIds = new Map([...accounts, ...fixAccounts].map((a) => [a.index, Number(a.id)]));
  let missing = 0;
  let regressed = 0;
  for (const ack of acks.values()) {
    const row = byId.get(ack.id);
    if (!row) {
      missing++;
      fail(`acknowledged order ${ack.id} (${ack.clOrdId}, ${ack.status}) is not in the database`);
      continue;
    }
    const behind =
      row.account_id !== accountIds.get(ack.account) ||
      row.cl_ord_id !== ack.clOrdId ||
      RANK[row.status]! < RANK[ack.status]! ||
      Number(row.cum_qty) < ack.cumQty ||
      (TERMINAL.has(ack.status) && (row.status !== ack.status || Number(row.cum_qty) !== ack.cumQty));
    if (behind) {
      regressed++;
      fail(`order ${ack.id} was acknowledged ${ack.status} ${ack.cumQty}/${ack.quantity} but the database has ${row.status} ${row.cum_qty}/${row.qty} (account ${row.account_id}, ${row.cl_ord_id})`);
    }
  }
  const [dupClOrdIds] = (await sql.query('SELECT account_id, cl_ord_id, COUNT(*) AS n FROM orders GROUP BY account_id, cl_ord_id HAVING COUNT(*) > 1')) as unknown as [unknown[]];
  for (const d of dupClOrdIds) fail(`two orders for one (account, ClOrdID): ${JSON.stringify(d)}`);
  const [badTrades] = (await sql.query('SELECT symbol, trade_id, COUNT(*) AS n FROM executions GROUP BY symbol, trade_id HAVING COUNT(*) <> 2')) as unknown as [unknown[]];
  for (const t of badTrades.slice(0, 20)) fail(`a trade without exactly two executions (duplicated or lost fill): ${JSON.stringify(t)}`);
  const [[counts]] = (await sql.query('SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM executions) AS executions')) as unknown as [[{ orders: number; executions: number }]];
  await sql.end();

  o.log('Auditing the database (compiled audit CLI) …');
  const audit = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [build.auditCli, '--db', db.url, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
  const auditLines = audit.out.trim().split('\n');
  let auditJson: { ok?: boolean; violations?: number; stats?: Record<string, unknown> } = {};
  try {
    auditJson = JSON.parse(auditLines[auditLines.length - 1]!);
  } catch {
    // reported below
  }
  if (audit.code !== 0 || auditJson.ok !== true) {
    fail(`the audit is not clean (exit ${audit.code}): ${auditLines.slice(0, 20).join(' | ')}`);
  } else {
    for (const l of auditLines.filter((l) => l.startsWith('Audited') || l.startsWith('Replay') || l.startsWith('Journal'))) o.log(`  ${l}`);
    // The books served (compared with the database above) are the journal's too: every traded symbol replays exactly from seq 0.
    const journal = auditJson.stats?.journal as { symbolsReplayed?: number; symbolsNotReplayable?: string[] } | undefined;
    if ((journal?.symbolsReplayed ?? 0) < o.symbols.length || (journal?.symbolsNotReplayable?.length ?? 0) > 0) {
      fail(`the journal did not replay every symbol exactly from seq 0: ${JSON.stringify(journal)}`);
    }
  }

  const ok = failures.length === 0;
  if (ok && !o.keepDatabase) await db.drop();
  else o.log(`Database kept: ${db.url}`);
  const figures = {
    seconds: round((Date.now() - started) / 1000),
    replicas,
    kills,
    restartMs: { mean: Math.round(f.restartMs.reduce((a, b) => a + b, 0) / Math.max(1, f.restartMs.length)), max: Math.max(0, ...f.restartMs) },
    accounts: o.accounts,
    fixAccounts: o.fixAccounts,
    fix: f.fix,
    symbols: o.symbols,
    requests: f.requests,
    answered: f.answered,
    refusals: f.refusals,
    connectionErrors: f.connectionErrors,
    retries: f.retries,
    inFlightAtKills: f.inFlightAtKills,
    retriedPlaces: f.retriedPlaces,
    retriedPlacesAlreadyCommitted: f.retriedPlacesAlreadyCommitted,
    duplicateSends: f.duplicateSends,
    acksPerPhase: f.acksPerPhase,
    acknowledgedOrders: acks.size,
    missing,
    regressed,
    duplicateClOrdIds: dupClOrdIds.length,
    tradesWithoutTwoExecutions: badTrades.length,
    bookComparisons: f.bookComparisons,
    database: { orders: Number(counts.orders), executions: Number(counts.executions) },
    audit: { ok: auditJson.ok === true, violations: auditJson.violations, stats: auditJson.stats },
    failures: failures.length,
    gracefulStopExit: exitCode,
  };
  for (const w of warnings) o.log(`WARNING ${w}`);
  return { ok, failures, warnings, figures };
}
