/**
 * Trading sessions end to end, on a clock the test moves (TRADING_HOURS=enforce): DAY orders
 * expire at the close with reports on GraphQL and FIX, GTC orders stay; outside hours new orders
 * are refused (MARKET_CLOSED) and cancels still work; two replicas on one MySQL expire each
 * close exactly once; a replica that was down at the close expires on start-up.
 */
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, startTestApp, WIDE_BAND, type TestApp } from '../support/app.js';
import { dialects, IN_CI, mysqlReachable } from '../support/databases.js';
import { errorOf, ok, passwordOf } from '../support/gql.js';
import { adminClient, newTrader, type TradingClient } from '../support/trading.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';
import { FixClient } from '../fix/support/fix-client.js';
import { BUY, DAY, EXEC, report, sendOrder, SELL, Tag, tags } from '../fix/support/orders.js';
import type { Clock } from '../../src/modules/products/trading-sessions.js';
import { auditDatabase } from '../../src/modules/audit/audit.js';

/** A clock the test sets. */
class TestClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

const MON_1000_NY = Date.parse('2026-03-02T15:00:00Z');
const MON_CLOSE_NY = Date.parse('2026-03-02T21:00:00Z');
const TUE_OPEN_NY = Date.parse('2026-03-03T14:30:00Z');
const ENFORCE = { ...WIDE_BAND, TRADING_HOURS: 'enforce', SESSION_CHECK_SECONDS: '3600' };
const SESSION = `query($s: String!) { product(symbol: $s) { symbol session { open enforced timeZone opens closes days custom nextOpen nextClose } } }`;
const SET_HOURS = `mutation($s: String!, $h: TradingHoursInput) { setTradingHours(symbol: $s, hours: $h) { symbol session { open timeZone opens closes days custom } } }`;
const EXEC_SUB = `subscription { executionReports { execType reason order { id status timeInForce leavesQty } } }`;

for (const { dialect, skip } of await dialects()) {
  describe.skipIf(skip)(`trading sessions on ${dialect}`, () => {
    const clock = new TestClock(MON_1000_NY);
    let t: TestApp;
    let alice: TradingClient;
    let fix: FixClient;
    const ws: Client[] = [];

    beforeAll(async () => {
      t = await startTestApp(dialect, ENFORCE, { clock });
      alice = await newTrader(t.url, 'alice');
      await newTrader(t.url, 'fixbob');
      fix = await FixClient.connect({ port: t.app.fixPort!, username: 'fixbob', password: passwordOf('fixbob'), senderCompId: 'FIXBOB' });
    });
    afterAll(async () => {
      await Promise.all(ws.map((c) => c.dispose()));
      await fix?.logout();
      await t?.dispose();
    });

    it('shows the session of a US listing as open, with its close and the next open', async () => {
      const { product } = await ok(t.url, SESSION, { s: 'AAPL' });
      expect(product.session).toEqual({
        open: true,
        enforced: true,
        timeZone: 'America/New_York',
        opens: '09:30',
        closes: '16:00',
        days: [1, 2, 3, 4, 5],
        custom: false,
        nextOpen: new Date(TUE_OPEN_NY).toISOString(),
        nextClose: new Date(MON_CLOSE_NY).toISOString(),
      });
      expect((await ok(t.url, SESSION, { s: '0700.HK' })).product.session).toMatchObject({ open: false, timeZone: 'Asia/Hong_Kong' });
    });

    it('expires DAY orders at the close with EXPIRED reports on GraphQL and FIX, and leaves GTC orders', async () => {
      const client = wsClient(t.url, alice.token);
      ws.push(client);
      const reports = subscribe(client, EXEC_SUB);
      await serverSubscribed(async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'executionReports')?.value ?? 0, 1);
      const day = await alice.place({ symbol: 'AAPL', side: 'BUY', price: '100.00', quantity: 10, timeInForce: 'DAY' });
      const gtc = await alice.place({ symbol: 'AAPL', side: 'BUY', price: '99.00', quantity: 10, timeInForce: 'GTC' });
      sendOrder(fix, 'fix-day', { symbol: 'AAPL', side: SELL, price: '150.00', qty: 5, tif: DAY });
      await report(fix, 'fix-day', EXEC.NEW);

      // Before the close nothing is due.
      clock.t = MON_CLOSE_NY - 1;
      expect(await t.app.services.expiry.runOnce()).toEqual([]);
      clock.t = MON_CLOSE_NY;
      expect(await t.app.services.expiry.runOnce()).toEqual([{ symbol: 'AAPL', closeMs: MON_CLOSE_NY, performed: true, expired: 2 }]);

      const expired = await reports.waitUntil((r) => r.execType === 'EXPIRED');
      expect(expired).toMatchObject({ reason: 'DAY_EXPIRED', order: { id: day.id, status: 'EXPIRED', timeInForce: 'DAY', leavesQty: 0 } });
      const fixExpired = await report(fix, 'fix-day', 'C');
      expect(tags(fixExpired, Tag.OrdStatus, Tag.LeavesQty)).toEqual({ [Tag.OrdStatus]: 'C', [Tag.LeavesQty]: '0' });
      expect((await alice.order(day.id))?.status).toBe('EXPIRED');
      expect((await alice.order(gtc.id))?.status).toBe('NEW');
      expect(t.app.services.engine.book('AAPL').restingOrders().map((o) => o.orderId)).toEqual([Number(gtc.id)]);
      // Once per close.
      expect(await t.app.services.expiry.runOnce()).toEqual([]);
    });

    it('refuses new orders and amends outside hours with MARKET_CLOSED on GraphQL and FIX, and still cancels', async () => {
      clock.t = MON_CLOSE_NY + 3_600_000;
      const refused = await alice.placeError({ symbol: 'AAPL', side: 'BUY', price: '100.00', quantity: 1 });
      expect(refused).toMatchObject({ code: 'CONFLICT', reason: 'MARKET_CLOSED' });
      // With a ClOrdID of its own (a possible retry) the order path refuses it under the lock.
      expect(await alice.placeError({ symbol: 'AAPL', side: 'BUY', price: '100.00', quantity: 1, clOrdId: 'after-close' })).toMatchObject({ reason: 'MARKET_CLOSED' });
      const [gtc] = (await alice.myOrders({ statuses: ['NEW'] })).nodes;
      expect(await alice.amendError(gtc!.id, 5)).toMatchObject({ reason: 'MARKET_CLOSED' });
      sendOrder(fix, 'fix-late', { symbol: 'AAPL', side: BUY, price: '100.00', qty: 1 });
      const rejected = await report(fix, 'fix-late', EXEC.REJECTED);
      expect(tags(rejected, Tag.OrdRejReason)).toEqual({ [Tag.OrdRejReason]: '2' });
      expect((await alice.cancel(gtc!.id)).status).toBe('CANCELED');
      const { product } = await ok(t.url, SESSION, { s: 'AAPL' });
      expect(product.session).toMatchObject({ open: false, nextOpen: new Date(TUE_OPEN_NY).toISOString() });
      clock.t = TUE_OPEN_NY;
      expect((await alice.place({ symbol: 'AAPL', side: 'BUY', price: '100.00', quantity: 1 })).status).toBe('NEW');
    });

    it('lets an admin set a product’s hours and return it to its default, and refuses bad hours', async () => {
      const admin = await adminClient(t.url);
      clock.t = TUE_OPEN_NY; // 09:30 New York = 14:30 London
      const set = await ok(t.url, SET_HOURS, { s: 'MSFT', h: { timeZone: 'Europe/London', opens: '08:00', closes: '14:00' } }, admin.token);
      expect(set.setTradingHours.session).toEqual({ open: false, timeZone: 'Europe/London', opens: '08:00', closes: '14:00', days: [1, 2, 3, 4, 5], custom: true });
      expect(await alice.placeError({ symbol: 'MSFT', side: 'BUY', price: '100.00', quantity: 1 })).toMatchObject({ reason: 'MARKET_CLOSED' });
      const reset = await ok(t.url, SET_HOURS, { s: 'MSFT', h: null }, admin.token);
      expect(reset.setTradingHours.session).toMatchObject({ open: true, timeZone: 'America/New_York', custom: false });
      for (const h of [
        { timeZone: 'Mars/Base', opens: '08:00', closes: '14:00' },
        { timeZone: 'UTC', opens: '14:00', closes: '08:00' },
        { timeZone: 'UTC', opens: '8:00', closes: '14:00' },
        { timeZone: 'UTC', opens: '08:00', closes: '14:00', days: [0] },
      ]) {
        const e = await errorOf(t.url, SET_HOURS, { s: 'MSFT', h }, admin.token);
        expect(e, JSON.stringify(h)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_TRADING_HOURS' });
        const r = await t.app.services.knex('products').where({ symbol: 'MSFT' }).first('session_time_zone');
        expect(r?.session_time_zone ?? null).toBeNull();
      }
      const forbidden = await errorOf(t.url, SET_HOURS, { s: 'MSFT', h: null }, alice.token);
      expect(forbidden).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('expires on start-up what closed while the replica was down', async () => {
      clock.t = Date.parse('2026-03-03T15:00:00Z');
      const day = await alice.place({ symbol: 'TSLA', side: 'SELL', price: '300.00', quantity: 3, timeInForce: 'DAY' });
      await fix.logout();
      fix = undefined as unknown as FixClient;
      const old = t;
      clock.t = Date.parse('2026-03-04T12:00:00Z'); // Wednesday before the open: Tuesday's close passed while down
      t = await old.restart();
      alice = new (alice.constructor as typeof TradingClient)(t.url, alice.token, alice.id);
      const after = await t.app.services.knex('orders').where({ id: Number(day.id) }).first('status', 'reason');
      expect(after).toMatchObject({ status: 'EXPIRED', reason: 'DAY_EXPIRED' });
      expect(t.app.services.engine.book('TSLA').restingCount).toBe(0);
    });
  });
}

const mysqlOk = await mysqlReachable();
describe.skipIf(!mysqlOk && !IN_CI)('two replicas on one MySQL at the close', () => {
  const clock = new TestClock(MON_1000_NY);
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp('mysql', ENFORCE, { clock });
    b = await startReplica(a, ENFORCE, { clock });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.dispose();
  });

  it('expire each close exactly once, through the journal, and the other replica replays it', async () => {
    const ta = await newTrader(a.url, 'replica_a');
    const tb = await newTrader(b.url, 'replica_b');
    const symbols = ['AAPL', 'MSFT', 'TSLA', 'SPY', 'QQQ'];
    for (const s of symbols) {
      await ta.place({ symbol: s, side: 'BUY', price: '10.00', quantity: 1, timeInForce: 'DAY' });
      await tb.place({ symbol: s, side: 'BUY', price: '11.00', quantity: 2, timeInForce: 'DAY' });
      await tb.place({ symbol: s, side: 'BUY', price: '9.00', quantity: 2, timeInForce: 'GTC' });
    }
    clock.t = MON_CLOSE_NY;
    const [ra, rb] = await Promise.all([a.app.services.expiry.runOnce(), b.app.services.expiry.runOnce()]);
    for (const s of symbols) {
      const runs = [...ra, ...rb].filter((r) => r.symbol === s);
      expect(runs.filter((r) => r.performed), s).toHaveLength(1);
      expect(runs.reduce((n, r) => n + r.expired, 0), s).toBe(2);
    }
    const knex = a.app.services.knex;
    const entries = await knex('book_journal').select('symbol', 'commands');
    const expireCommands = entries.flatMap((e) => (JSON.parse(String(e.commands)) as { type: string }[]).filter((c) => c.type === 'expireDay').map(() => e.symbol));
    expect(expireCommands.sort()).toEqual([...symbols].sort());
    const statuses = (await knex('orders').select('tif', 'status').count({ n: '*' }).groupBy('tif', 'status')) as { tif: string; status: string; n: number }[];
    expect(statuses.map((r) => [r.tif, r.status, Number(r.n)]).sort()).toEqual([
      ['DAY', 'EXPIRED', 10],
      ['GTC', 'NEW', 5],
    ]);
    // Both replicas' books (the one that did not expire a symbol catches up from the journal) hold only the GTC orders.
    for (const app of [a, b]) {
      for (const s of symbols) {
        await app.app.services.path.syncBook(s);
        expect(app.app.services.engine.book(s).restingOrders().map((o) => o.tif)).toEqual(['GTC']);
      }
    }
    expect([...(await a.app.services.expiry.runOnce()), ...(await b.app.services.expiry.runOnce())]).toEqual([]);
    // The audit replays every symbol's journal from seq 0 (the expiries included) and finds the rows and books it gives.
    const report = await auditDatabase(knex, { engine: b.app.services.engine });
    expect(report.violations).toEqual([]);
    expect(report.stats.journal.symbolsReplayed).toBeGreaterThanOrEqual(symbols.length);
    expect(report.stats.byStatus.EXPIRED).toBe(10);
  });
});
