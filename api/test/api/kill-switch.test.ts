/**
 * Kill switches over GraphQL: cancelAllOrders (a trader's own orders, by symbol; an admin's on
 * any account), disabling an account, cancel-on-disconnect's setting; each cancel goes through
 * the order path (journaled with its reason, reported to the owner) and admin uses are audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, WIDE_BAND, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';
import { adminClient, bookOf, createProduct, errorOf, newTrader, ok, type TradingClient } from '../support/trading.js';
import type { Client } from 'graphql-ws';

const CANCEL_ALL = `mutation($s: String, $a: ID) { cancelAllOrders(symbol: $s, accountId: $a) }`;
const DISABLE = `mutation($id: ID!, $d: Boolean!) { setUserDisabled(userId: $id, disabled: $d) { id disabled } }`;
const AUDIT = `query($actions: [AuditAction!], $actor: String, $actorId: ID, $since: DateTimeISO, $until: DateTimeISO, $first: Int, $after: String) {
  auditLog(actions: $actions, actor: $actor, actorId: $actorId, since: $since, until: $until, first: $first, after: $after) {
    nodes { id at actorId actor address action target details outcome } pageInfo { endCursor hasNextPage } } }`;

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`kill switches on ${dialect}`, () => {
  let t: TestApp;
  let admin: TradingClient;
  let alice: TradingClient;
  let bob: TradingClient;
  const sockets: Client[] = [];
  const openOf = async (c: TradingClient) => (await c.myOrders({ statuses: ['NEW', 'PARTIALLY_FILLED'] })).nodes;
  const reasonsOf = async (ids: string[]) =>
    (await t.app.services.knex('orders').whereIn('id', ids.map(Number)).select('status', 'reason')).map((r) => `${r.status}:${r.reason}`);

  beforeAll(async () => {
    t = await startTestApp(dialect, { ...WIDE_BAND });
    admin = await adminClient(t.url);
    [alice, bob] = await Promise.all([newTrader(t.url, 'ks-alice'), newTrader(t.url, 'ks-bob')]);
    await Promise.all(['KSA', 'KSB', 'KSC', 'KSD'].map((s) => createProduct(t.url, admin.token, s)));
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t?.dispose();
  });

  it("cancels all of a trader's open orders and only theirs, through the order path, with reason MASS_CANCEL", async () => {
    const mine = [
      await alice.place({ symbol: 'KSA', side: 'BUY', price: '99.00', quantity: 10 }),
      await alice.place({ symbol: 'KSA', side: 'SELL', price: '101.00', quantity: 5 }),
      await alice.place({ symbol: 'KSB', side: 'BUY', price: '98.00', quantity: 7, timeInForce: 'GTC' }),
    ];
    const theirs = await bob.place({ symbol: 'KSA', side: 'BUY', price: '99.00', quantity: 3 });
    // A partly filled order is open too: its rest is canceled, its fill stays.
    const partial = await alice.place({ symbol: 'KSB', side: 'SELL', price: '102.00', quantity: 10 });
    await bob.place({ symbol: 'KSB', side: 'BUY', price: '102.00', quantity: 4 });

    const ws = wsClient(t.url, alice.token);
    sockets.push(ws);
    const reports = subscribe(ws, 'subscription { executionReports { execType reason order { id status } } }');
    await serverSubscribed(async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'executionReports')?.value ?? 0, 1);

    const n = (await ok(t.url, CANCEL_ALL, {}, alice.token)).cancelAllOrders;
    expect(n).toBe(4);
    expect(await openOf(alice)).toEqual([]);
    expect(await reasonsOf([...mine, partial].map((o) => o.id))).toEqual(Array(4).fill('CANCELED:MASS_CANCEL'));
    expect((await alice.order(partial.id))?.cumQty).toBe(4);
    expect((await bob.order(theirs.id))?.status).toBe('NEW');
    expect((await bookOf(t.url, 'KSA')).bids).toEqual([{ price: '99.00', quantity: 3, orderCount: 1 }]);
    // One CANCELED execution report per order, carrying the reason.
    const got = await reports.waitFor(4);
    expect(got.map((r) => `${r.execType}:${r.reason}`)).toEqual(Array(4).fill('CANCELED:MASS_CANCEL'));
    // Journaled as engine commands with their reason, so replicas replay the same cancels.
    const journal = await t.app.services.knex('book_journal').whereIn('symbol', ['KSA', 'KSB']).select('commands');
    const cancels = journal.flatMap((r) => JSON.parse(String(r.commands)) as { type: string; reason?: string }[]).filter((c) => c.type === 'cancel');
    expect(cancels.map((c) => c.reason)).toEqual(Array(4).fill('MASS_CANCEL'));
    // Nothing left: a second cancel-all is a no-op.
    expect((await ok(t.url, CANCEL_ALL, {}, alice.token)).cancelAllOrders).toBe(0);
  });

  it('cancels one symbol only when given one', async () => {
    const a = await alice.place({ symbol: 'KSC', side: 'BUY', price: '90.00', quantity: 1 });
    const b = await alice.place({ symbol: 'KSD', side: 'BUY', price: '90.00', quantity: 1 });
    expect((await ok(t.url, CANCEL_ALL, { s: 'KSC' }, alice.token)).cancelAllOrders).toBe(1);
    expect((await alice.order(a.id))?.status).toBe('CANCELED');
    expect((await alice.order(b.id))?.status).toBe('NEW');
    await ok(t.url, CANCEL_ALL, {}, alice.token);
  });

  it('refuses an unknown symbol and another account for a trader, with codes, canceling nothing', async () => {
    const o = await bob.place({ symbol: 'KSC', side: 'SELL', price: '110.00', quantity: 1 });
    expect(await errorOf(t.url, CANCEL_ALL, { s: 'NOPE' }, alice.token)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'UNKNOWN_SYMBOL' });
    expect(await errorOf(t.url, CANCEL_ALL, { a: bob.id }, alice.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await errorOf(t.url, CANCEL_ALL, {})).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await bob.order(o.id))?.status).toBe('NEW');
  });

  it("lets an admin cancel any account's orders, and records it in the audit trail", async () => {
    await bob.place({ symbol: 'KSD', side: 'SELL', price: '120.00', quantity: 2 });
    const before = await openOf(bob);
    expect(before.length).toBeGreaterThan(0);
    expect((await ok(t.url, CANCEL_ALL, { a: bob.id }, admin.token)).cancelAllOrders).toBe(before.length);
    expect(await openOf(bob)).toEqual([]);
    const entry = (await ok(t.url, AUDIT, { actions: ['CANCEL_ALL'] }, admin.token)).auditLog.nodes[0];
    expect(entry).toMatchObject({ actor: 'admin', actorId: admin.id, action: 'CANCEL_ALL', target: bob.id, outcome: 'OK', address: expect.any(String) });
    expect(JSON.parse(entry.details)).toMatchObject({ canceled: before.length, symbol: null });
  });

  it("disabling an account cancels its resting orders with reason ACCOUNT_DISABLED, audited with the disable", async () => {
    const carol = await newTrader(t.url, 'ks-carol');
    const orders = [
      await carol.place({ symbol: 'KSA', side: 'BUY', price: '97.00', quantity: 1 }),
      await carol.place({ symbol: 'KSB', side: 'SELL', price: '130.00', quantity: 2, timeInForce: 'GTC' }),
    ];
    await ok(t.url, DISABLE, { id: carol.id, d: true }, admin.token);
    expect(await reasonsOf(orders.map((o) => o.id))).toEqual(['CANCELED:ACCOUNT_DISABLED', 'CANCELED:ACCOUNT_DISABLED']);
    expect((await bookOf(t.url, 'KSB')).asks.find((l) => l.price === '130.00')).toBeUndefined();
    const entry = (await ok(t.url, AUDIT, { actions: ['DISABLE_ACCOUNT'] }, admin.token)).auditLog.nodes[0];
    expect(entry).toMatchObject({ actor: 'admin', action: 'DISABLE_ACCOUNT', target: carol.id, outcome: 'OK' });
  });
});
