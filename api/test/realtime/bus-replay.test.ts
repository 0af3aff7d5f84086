/**
 * Execution reports and order changes through a Redis outage under two replicas: with the
 * test's own Redis SIGKILLed, both replicas keep trading the same symbols, and every subscriber
 * on either replica still gets every report of its orders (fills made on the other replica
 * included) from the journal, each once, in seq order, before Redis comes back; nothing is
 * delivered twice when it returns and the messages held meanwhile arrive.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startReplica, startTestApp, WIDE_BAND, type TestApp } from '../support/app.js';
import { mysqlReachable } from '../support/databases.js';
import { CANCEL, gql, ok, passwordOf, PLACE, trader } from '../support/gql.js';
import { freePort, hasRedisServer, killRedis, startRedis } from '../support/redis-server.js';
import { serverSubscribed, subscribe, wsClient, type Sub } from '../support/ws.js';
import { FixClient } from '../fix/support/fix-client.js';
import { EXEC as FIX_EXEC, report, sendOrder, STATUS, Tag, tags } from '../fix/support/orders.js';

const EXEC = `subscription { executionReports { execId execType order { id symbol status cumQty } } }`;
const UPDATES = `subscription { orderUpdates { id symbol status cumQty } }`;
const SYMBOLS = ['AAPL', 'MSFT'];
const ready = hasRedisServer && (await mysqlReachable());

interface Report {
  readonly execId: string;
  readonly execType: string;
  readonly order: { id: string; symbol: string; status: string; cumQty: number };
}
interface Update {
  readonly id: string;
  readonly symbol: string;
  readonly status: string;
  readonly cumQty: number;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(!ready)('execution reports across two replicas while Redis is down', () => {
  let redis: ChildProcess;
  let port: number;
  let a: TestApp;
  let b: TestApp;
  const clients: Client[] = [];
  const traders: { token: string; id: string }[] = [];
  /** Per trader: its report subscriptions on A and on B. */
  const reports: [Sub<Report>, Sub<Report>][] = [];
  let updates: [Sub<Update>, Sub<Update>];
  const random = rng(21);
  let clOrd = 0;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const env = { ...WIDE_BAND, REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_CHANNEL_PREFIX: `replay-${randomBytes(4).toString('hex')}:` };
    a = await startTestApp('mysql', env);
    b = await startReplica(a, env);
    for (let i = 0; i < 4; i++) traders.push(await trader(a.url, `replay${i}`));
    for (const t of traders) {
      const ca = wsClient(a.url, t.token);
      const cb = wsClient(b.url, t.token);
      clients.push(ca, cb);
      reports.push([subscribe<Report>(ca, EXEC), subscribe<Report>(cb, EXEC)]);
    }
    const ua = wsClient(a.url, traders[0]!.token);
    const ub = wsClient(b.url, traders[0]!.token);
    clients.push(ua, ub);
    updates = [subscribe<Update>(ua, UPDATES), subscribe<Update>(ub, UPDATES)];
    for (const t of [a, b]) {
      const count = (topic: string) => async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;
      await serverSubscribed(count('executionReports'), traders.length);
      await serverSubscribed(count('orderUpdates'), 1);
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await b?.stop();
    await a?.dispose();
    if (redis) await killRedis(redis);
  });

  /** `n` crossing limit orders on the shared symbols from random traders through random replicas, concurrently. */
  async function trade(n: number): Promise<void> {
    const results = await Promise.all(
      Array.from({ length: n }, () => {
        const who = traders[Math.floor(random() * traders.length)]!;
        const via = random() < 0.5 ? a : b;
        const input = {
          symbol: SYMBOLS[Math.floor(random() * SYMBOLS.length)]!,
          side: random() < 0.5 ? 'BUY' : 'SELL',
          type: 'LIMIT',
          price: (100 + Math.floor(random() * 3)).toFixed(2),
          quantity: 1 + Math.floor(random() * 10),
          timeInForce: 'GTC',
          clOrdId: `r${clOrd++}`,
        };
        return gql(via.url, PLACE, { i: input }, who.token);
      }),
    );
    for (const r of results) expect(r.errors).toBeUndefined();
  }

  /** Cancels up to `n` resting orders, each through the replica that did not take it (either may have). */
  async function cancelSome(n: number): Promise<void> {
    const { knex } = a.app.services;
    const open = await knex('orders').whereIn('status', ['NEW', 'PARTIALLY_FILLED']).orderBy('id').limit(n).select('id', 'account_id');
    for (const [i, o] of open.entries()) {
      const owner = traders.find((t) => t.id === String(o.account_id))!;
      await ok(i % 2 ? a.url : b.url, CANCEL, { id: String(o.id) }, owner.token);
    }
  }

  /** The reports each trader must have had by now, from the database: NEW per order, TRADE per fill, CANCELED per cancel. */
  async function expected(): Promise<Map<string, Set<string>>> {
    const { knex } = a.app.services;
    const out = new Map<string, Set<string>>();
    for (const t of traders) {
      const keys = new Set<string>();
      for (const o of await knex('orders').where({ account_id: t.id }).select('id', 'status')) {
        keys.add(`NEW:${o.id}`);
        if (o.status === 'CANCELED') keys.add(`CANCELED:${o.id}`);
      }
      for (const e of await knex('executions').where({ account_id: t.id }).select('exec_id')) keys.add(`TRADE:${e.exec_id}`);
      out.set(t.id, keys);
    }
    return out;
  }
  const keyOf = (r: Report) => (r.execType === 'TRADE' ? `TRADE:${r.execId}` : `${r.execType}:${r.order.id}`);

  /** Waits until every subscription has every expected report, then checks each has it once, in the same order per symbol on both replicas. */
  async function allDelivered(): Promise<void> {
    const want = await expected();
    await vi.waitFor(
      () => {
        for (const [i, t] of traders.entries()) {
          for (const sub of reports[i]!) expect(new Set(sub.values.map(keyOf))).toEqual(want.get(t.id));
        }
      },
      { timeout: 20_000, interval: 100 },
    );
    for (const [onA, onB] of reports) {
      for (const sub of [onA, onB]) {
        expect(sub.errors).toEqual([]);
        const ids = sub.values.map((r) => r.execId);
        expect(new Set(ids).size).toBe(ids.length);
        // Each order's reports in order: NEW first, the filled quantity never going back.
        const last = new Map<string, Report>();
        for (const r of sub.values) {
          const before = last.get(r.order.id);
          if (before) expect(r.order.cumQty).toBeGreaterThanOrEqual(before.order.cumQty);
          else expect(r.execType).toBe('NEW');
          last.set(r.order.id, r);
        }
      }
      for (const symbol of SYMBOLS) {
        const seen = (s: Sub<Report>) => s.values.filter((r) => r.order.symbol === symbol).map((r) => r.execId);
        expect(seen(onB)).toEqual(seen(onA));
      }
    }
    // Order changes: both replicas hear every change in the same order per symbol, ending at the database's state.
    const rows = await a.app.services.knex('orders').select('id', 'symbol', 'status', 'cum_qty');
    const final = new Map(rows.map((o) => [String(o.id), `${o.status}/${Number(o.cum_qty)}`]));
    await vi.waitFor(
      () => {
        for (const sub of updates) {
          const last = new Map(sub.values.map((u) => [u.id, `${u.status}/${u.cumQty}`]));
          expect(last).toEqual(final);
        }
      },
      { timeout: 20_000, interval: 100 },
    );
    for (const symbol of SYMBOLS) {
      const seen = (s: Sub<Update>) => s.values.filter((u) => u.symbol === symbol).map((u) => `${u.id}/${u.status}/${u.cumQty}`);
      expect(seen(updates[1])).toEqual(seen(updates[0]));
    }
  }

  it('delivers every report on both replicas while Redis is up', async () => {
    await trade(40);
    await allDelivered();
  });

  it('delivers every report of both replicas, once and in order, on both while Redis is down', async () => {
    const printed = vi.spyOn(console, 'error');
    await killRedis(redis);
    await vi.waitFor(() => expect(a.app.services.bus.connected() || b.app.services.bus.connected()).toBe(false), { timeout: 10_000, interval: 20 });
    await trade(60);
    await cancelSome(6);
    await trade(40);
    await allDelivered();
    // Still down: the reports came from the journal, not from Redis.
    expect(a.app.services.bus.connected() || b.app.services.bus.connected()).toBe(false);
    expect(Number((await a.app.services.metrics.reportsReplayed.get()).values[0]?.value) + Number((await b.app.services.metrics.reportsReplayed.get()).values[0]?.value)).toBeGreaterThan(0);
    // The bus's clients handle their errors: ioredis prints nothing of its own on each retry.
    expect(printed.mock.calls.filter((c) => String(c[0]).includes('[ioredis]'))).toEqual([]);
    printed.mockRestore();
  });

  it('sends a FIX session on one replica the fills of its order made on the other while Redis is down', async () => {
    expect(a.app.services.bus.connected() || b.app.services.bus.connected()).toBe(false);
    await trader(b.url, 'replayfix');
    const buyer = traders[0]!;
    const fix = await FixClient.connect({ port: b.app.fixPort!, username: 'replayfix', password: passwordOf('replayfix'), senderCompId: 'REPLAYFIX' });
    try {
      // A symbol nobody traded yet: no book on A until the cross.
      sendOrder(fix, 'rf-1', { symbol: 'TSLA', price: '90.00', qty: 7 });
      await report(fix, 'rf-1', FIX_EXEC.NEW);
      // The cross is committed by A: B's gateway hears of it from the journal.
      await ok(a.url, PLACE, { i: { symbol: 'TSLA', side: 'BUY', type: 'LIMIT', price: '90.00', quantity: 7, clOrdId: 'rf-buy' } }, buyer.token);
      const fill = await fix.next((m) => m.get(Tag.ClOrdID) === 'rf-1' && m.get(Tag.ExecType) === FIX_EXEC.TRADE, 20_000, 'the fill of rf-1');
      expect(tags(fill, Tag.OrdStatus, Tag.CumQty, Tag.LastQty)).toEqual({ [Tag.OrdStatus]: STATUS.FILLED, [Tag.CumQty]: '7', [Tag.LastQty]: '7' });
      expect(fix.received.filter((m) => m.get(Tag.ClOrdID) === 'rf-1' && m.get(Tag.ExecType) === FIX_EXEC.TRADE)).toHaveLength(1);
    } finally {
      await fix.logout();
    }
    await allDelivered();
  });

  it('delivers nothing twice once Redis is back and the held messages arrive', async () => {
    redis = await startRedis(port);
    await vi.waitFor(() => expect(a.app.services.bus.connected() && b.app.services.bus.connected()).toBe(true), { timeout: 20_000, interval: 50 });
    await trade(30);
    await allDelivered();
  });
});
