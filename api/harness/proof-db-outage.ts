/**
 * Database outage: the compiled API on a private MariaDB (its own datadir in a temp directory,
 * its own port; never the shared server) while eight accounts trade over GraphQL and one over
 * FIX; the database is killed with SIGKILL, stays away for `outageMs`, and is started again on
 * the same datadir. Recorded: every answer (acknowledged, refused with its code and reason, or
 * no answer), /readyz during and after the outage, the refusal metric, and at the end whether
 * every acknowledged order is in the database and the audit is clean.
 *
 * What must hold: no acknowledged order is lost; every refusal is coded (SERVICE_UNAVAILABLE /
 * DATABASE_UNAVAILABLE with retryAfterMs over GraphQL, an ExecutionReport Rejected with
 * readable text over FIX), never INTERNAL_SERVER_ERROR; /readyz answers 503 with the reason
 * while the database is away and 200 once it is back; trading resumes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from './api-process.js';
import { ensureProofBuild } from './proof-build.js';
import { startProofApi } from './proof-api.js';
import { ProofFixClient } from './proof-fix.js';
import { post, sleep, round } from './proof-gql.js';

export interface OutageOptions {
  /** GraphQL trading clients (default 8). */
  readonly clients?: number;
  /** How long the database stays away, ms (default 6000). */
  readonly outageMs?: number;
  /** Trading before the kill and after the restart, ms (default 2000 each). */
  readonly steadyMs?: number;
  readonly log: (line: string) => void;
}

export interface OutageResult {
  readonly acknowledged: number;
  /** Acknowledged orders (GraphQL and FIX) not found in the database afterwards. */
  readonly lost: number;
  /** Refusals by `code/reason`. */
  readonly refusals: Record<string, number>;
  /** Refusals without retryAfterMs (SERVICE_UNAVAILABLE ones only). */
  readonly refusalsWithoutHint: number;
  /** Requests that got no answer at all (connection error, timeout). */
  readonly unanswered: number;
  /** Longest time to any answer during the outage, ms (no hang). */
  readonly maxAnswerMsDuringOutage: number;
  /** From the database accepting connections again to the first acknowledged order, ms. */
  readonly tradingBackAfterMs: number;
  /** /readyz while the database was away: statuses seen and the reasons given. */
  readonly readyDuring: { statuses: number[]; reasons: string[] };
  /** /readyz status once the database was back. */
  readonly readyAfter: number;
  /** trading_service_unavailable_total{reason="DATABASE_UNAVAILABLE"} at the end. */
  readonly metricDatabaseUnavailable: number;
  readonly fix: { acknowledged: number; rejected: number; rejectTexts: string[]; disconnects: number };
  readonly audit: { ok: boolean; output: string };
}

const PLACE = 'mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id clOrdId status } }';
const SIGN_UP = 'mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token user { id } } }';

/** A private MariaDB server: a fresh datadir, one port, no grant tables (loopback only). */
class PrivateMariaDb {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'trading-outage-db-'));
  private constructor(readonly port: number) {}

  static async create(): Promise<PrivateMariaDb> {
    const db = new PrivateMariaDb(await freePort());
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${db.dir}/data`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'], join(db.dir, 'install.log'));
    await db.start();
    return db;
  }

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}`;
  }

  /** Starts mariadbd on the datadir and waits until it accepts connections. */
  async start(): Promise<void> {
    const log = openSync(join(this.dir, 'server.log'), 'a');
    this.child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${this.dir}/data`,
        `--port=${this.port}`,
        `--socket=${this.dir}/mysqld.sock`,
        `--pid-file=${this.dir}/mysqld.pid`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-grant-tables',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        // Durable commits: an order acknowledged before the kill must be there after it.
        '--innodb-flush-log-at-trx-commit=1',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const mysql = (await import('mysql2/promise')).default;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const c = await mysql.createConnection(`${this.url}/`);
        await c.end();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`private MariaDB did not start: ${(e as Error).message} (see ${this.dir}/server.log)`);
        await sleep(100);
      }
    }
  }

  /** SIGKILL: the server dies mid-whatever, as on a crash. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async query(sql: string, params: unknown[] = [], database = ''): Promise<unknown[]> {
    const mysql = (await import('mysql2/promise')).default;
    const c = await mysql.createConnection(`${this.url}/${database}`);
    try {
      return (await c.query(sql, params))[0] as unknown[];
    } finally {
      await c.end();
    }
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], logFile: string): Promise<void> {
  const log = openSync(logFile, 'a');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  closeSync(log);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code} (see ${logFile})`))));
  });
}

export async function runDbOutage(o: OutageOptions): Promise<OutageResult> {
  const clients = o.clients ?? 8;
  const outageMs = o.outageMs ?? 6000;
  const steadyMs = o.steadyMs ?? 2000;
  const build = await ensureProofBuild({ log: o.log });
  const db = await PrivateMariaDb.create();
  const api = { current: undefined as Awaited<ReturnType<typeof startProofApi>> | undefined };
  try {
    await db.query('CREATE DATABASE trading_outage CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    const databaseUrl = `${db.url}/trading_outage`;
    const fixPort = await freePort();
    const logFile = join(repoRoot, `test-output/proof-logs/db-outage-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
    api.current = await startProofApi({ main: build.main, databaseUrl, port: await freePort(), logFile, env: { FIX_ENABLED: 'true', FIX_PORT: String(fixPort) } });
    const { url, metricsUrl } = api.current;
    o.log(`Database outage: private MariaDB on port ${db.port} (${db.dir}), API log ${logFile}`);

    const tag = Date.now().toString(36);
    const tokens = await Promise.all(
      Array.from({ length: clients + 1 }, async (_, i) => {
        const a = await post<{ signUp: { token: string } }>(url, SIGN_UP, { u: `outage${i}-${tag}`, p: `outage-password-${i}` });
        if (a.kind !== 'data') throw new Error(`sign-up failed: ${JSON.stringify(a)}`);
        return a.data.signUp.token;
      }),
    );
    const fix = new ProofFixClient(fixPort, `outage${clients}-${tag}`, `outage-password-${clients}`, `OUTAGE${tag.toUpperCase()}`);
    const refusedLogon = await fix.logon();
    if (refusedLogon !== undefined) throw new Error(`FIX logon refused: ${refusedLogon}`);

    // ---- the load ----
    const acked = new Map<string, string>(); // clOrdId → order id
    const refusals: Record<string, number> = {};
    let refusalsWithoutHint = 0;
    let unanswered = 0;
    let maxAnswerMsDuringOutage = 0;
    const outage: { from?: number; to?: number } = {};
    let firstAckAfterRestart: number | undefined;
    let stopping = false;
    const fixFigures = { acknowledged: 0, rejected: 0, rejectTexts: [] as string[], disconnects: 0 };
    const fixAcked = new Set<string>();

    const worker = async (k: number) => {
      let n = 0;
      let clOrdId: string | undefined;
      while (!stopping) {
        // A refused order is sent again with the same ClOrdID: a retry never makes a second order.
        clOrdId ??= `o${k}-${n++}`;
        const buy = n % 2 === 0;
        const input = { symbol: 'AAPL', side: buy ? 'BUY' : 'SELL', type: 'LIMIT', timeInForce: 'GTC', price: (buy ? 99 + (n % 3) : 100 + (n % 3)).toFixed(2), quantity: 1 + (n % 5), clOrdId };
        const started = Date.now();
        const a = await post<{ placeOrder: { id: string; clOrdId: string } }>(url, PLACE, { i: input }, tokens[k], 30_000);
        const during = outage.from !== undefined && outage.to === undefined;
        if (during) maxAnswerMsDuringOutage = Math.max(maxAnswerMsDuringOutage, Date.now() - started);
        if (a.kind === 'data') {
          acked.set(a.data.placeOrder.clOrdId, a.data.placeOrder.id);
          if (outage.to !== undefined && firstAckAfterRestart === undefined) firstAckAfterRestart = Date.now();
          clOrdId = undefined;
        } else if (a.kind === 'errors') {
          const e = a.errors[0]!;
          const key = `${e.extensions?.code ?? 'UNCODED'}/${e.extensions?.reason ?? '-'}`;
          refusals[key] = (refusals[key] ?? 0) + 1;
          if (e.extensions?.code === 'SERVICE_UNAVAILABLE' && typeof (e.extensions as { retryAfterMs?: unknown }).retryAfterMs !== 'number') refusalsWithoutHint++;
          if (e.extensions?.code !== 'SERVICE_UNAVAILABLE') clOrdId = undefined;
          await sleep(5);
        } else {
          unanswered++;
          await sleep(5);
        }
      }
    };
    const fixWorker = async () => {
      let n = 0;
      while (!stopping) {
        if (!fix.connected) {
          fixFigures.disconnects++;
          if ((await fix.logon().catch((e: Error) => e.message)) !== undefined) {
            await sleep(200);
            continue;
          }
        }
        const clOrdId = `f-${n++}`;
        try {
          const r = await fix.newOrder({ clOrdId, symbol: 'AAPL', side: n % 2 ? 'BUY' : 'SELL', price: '90.00', qty: 1, tif: 'GTC' }, 30_000);
          if (r.get(39) === '8') {
            fixFigures.rejected++;
            const text = r.get(58) ?? '';
            if (!fixFigures.rejectTexts.includes(text)) fixFigures.rejectTexts.push(text);
          } else {
            fixFigures.acknowledged++;
            fixAcked.add(clOrdId);
          }
        } catch {
          // disconnected: log on again
        }
        await sleep(20);
      }
    };
    const readyz = async () => {
      try {
        const r = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
        return { status: r.status, body: (await r.json()) as { reason?: string } };
      } catch {
        return { status: 0, body: {} };
      }
    };

    const workers = [...Array.from({ length: clients }, (_, k) => worker(k)), fixWorker()];
    await sleep(steadyMs);
    const ackedBefore = acked.size;
    o.log(`Steady: ${ackedBefore} orders acknowledged; killing the database (SIGKILL) for ${outageMs} ms …`);
    await db.kill();
    const from = Date.now();
    outage.from = from;
    const readyDuring = { statuses: [] as number[], reasons: [] as string[] };
    while (Date.now() - from < outageMs) {
      const r = await readyz();
      readyDuring.statuses.push(r.status);
      if (r.body.reason && !readyDuring.reasons.includes(r.body.reason)) readyDuring.reasons.push(r.body.reason);
      await sleep(250);
    }
    await db.start();
    const to = Date.now();
    outage.to = to;
    o.log(`Database back after ${to - from} ms; trading on for ${steadyMs} ms …`);
    let readyAfter = 0;
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(100)) {
      readyAfter = (await readyz()).status;
      if (readyAfter === 200) break;
    }
    const ackedAtRestart = acked.size;
    for (const until = Date.now() + 30_000; Date.now() < until && acked.size < ackedAtRestart + 20; ) await sleep(50);
    await sleep(steadyMs);
    stopping = true;
    await Promise.all(workers);
    fix.close();

    // ---- checks ----
    const metricsText = await (await fetch(metricsUrl)).text();
    const metricDatabaseUnavailable = Number(/^trading_service_unavailable_total\{reason="DATABASE_UNAVAILABLE"\} (\d+)/m.exec(metricsText)?.[1] ?? 0);
    await api.current.stop();
    const rows = (await db.query('SELECT id, cl_ord_id FROM orders', [], 'trading_outage')) as { id: number; cl_ord_id: string }[];
    const stored = new Map(rows.map((r) => [String(r.cl_ord_id), String(r.id)]));
    let lost = 0;
    for (const [clOrdId, id] of acked) if (stored.get(clOrdId) !== id) lost++;
    for (const clOrdId of fixAcked) if (!stored.has(clOrdId)) lost++;
    const audit = await new Promise<{ ok: boolean; output: string }>((resolve) => {
      const child = spawn(process.execPath, [build.auditCli, '--db', databaseUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolve({ ok: code === 0, output: out.trim().split('\n').slice(-5).join('\n') }));
    });
    return {
      acknowledged: acked.size + fixAcked.size,
      lost,
      refusals,
      refusalsWithoutHint,
      unanswered,
      maxAnswerMsDuringOutage: round(maxAnswerMsDuringOutage),
      tradingBackAfterMs: firstAckAfterRestart !== undefined ? firstAckAfterRestart - to : NaN,
      readyDuring,
      readyAfter,
      metricDatabaseUnavailable,
      fix: fixFigures,
      audit,
    };
  } finally {
    await api.current?.stop().catch(() => undefined);
    await db.dispose();
  }
}
