/**
 * Market data privacy, one rule for every read of orders: the owner, support and admins see an
 * order whole; other traders see it as anonymous market data (price, quantity, side, status,
 * times) with no account, ClOrdID or reason — in `orders`, `order(id)` and `orderUpdates` alike.
 */
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';
import { adminClient, createProduct, newTrader, ok, type TradingClient } from '../support/trading.js';

const FIELDS = 'id accountId clOrdId symbol side price quantity status reason mine';
const ORDERS = `query($s: String) { orders(symbol: $s, first: 50) { nodes { ${FIELDS} } } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${FIELDS} } }`;
const UPDATES = `subscription($s: String) { orderUpdates(symbol: $s) { ${FIELDS} } }`;

interface Seen {
  id: string;
  accountId: string | null;
  clOrdId: string | null;
  price: string;
  quantity: number;
  side: string;
  status: string;
  reason: string | null;
  mine: boolean;
}

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`order privacy on ${dialect}`, () => {
  let t: TestApp;
  let owner: TradingClient;
  let other: TradingClient;
  let support: TradingClient;
  let admin: TradingClient;
  const sockets: Client[] = [];
  const viewers = () => ({ owner, other, support, admin });
  const whole = (v: string) => v !== 'other';

  beforeAll(async () => {
    t = await startTestApp(dialect);
    admin = await adminClient(t.url);
    [owner, other, support] = await Promise.all([newTrader(t.url, 'pv-owner'), newTrader(t.url, 'pv-other'), newTrader(t.url, 'pv-support')]);
    await ok(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }`, { id: support.id }, admin.token);
    await createProduct(t.url, admin.token, 'PRIV');
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await t?.dispose();
  });

  const expectView = (viewer: string, o: Seen | null | undefined, want: { id: string; clOrdId: string; reason: string | null; status: string }) => {
    expect(o).toMatchObject({ id: want.id, price: '95.00', quantity: 3, side: 'BUY', status: want.status, mine: viewer === 'owner' });
    if (whole(viewer)) expect(o).toMatchObject({ accountId: owner.id, clOrdId: want.clOrdId, reason: want.reason });
    else expect(o).toMatchObject({ accountId: null, clOrdId: null, reason: null });
  };

  it.each(['owner', 'other', 'support', 'admin'])('orders and order(id) show %s the same view', async (viewer) => {
    const o = await owner.place({ symbol: 'PRIV', side: 'BUY', price: '95.00', quantity: 3, clOrdId: `secret-strategy-${viewer}` });
    await ok(t.url, `mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: o.id }, owner.token);
    const c = viewers()[viewer as keyof ReturnType<typeof viewers>];
    const want = { id: o.id, clOrdId: `secret-strategy-${viewer}`, reason: 'USER', status: 'CANCELED' };
    const listed = (await ok<{ orders: { nodes: Seen[] } }>(t.url, ORDERS, { s: 'PRIV' }, c.token)).orders.nodes.find((n) => n.id === o.id);
    expectView(viewer, listed, want);
    const one = (await ok<{ order: Seen | null }>(t.url, ORDER, { id: o.id }, c.token)).order;
    expectView(viewer, one, want);
  });

  it.each(['owner', 'other', 'support', 'admin'])('orderUpdates shows %s the same view', async (viewer) => {
    const c = viewers()[viewer as keyof ReturnType<typeof viewers>];
    const ws = wsClient(t.url, c.token);
    sockets.push(ws);
    const before = (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'orderUpdates')?.value ?? 0;
    const sub = subscribe<Seen>(ws, UPDATES, { s: 'PRIV' });
    await serverSubscribed(async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'orderUpdates')?.value ?? 0, before + 1);
    const o = await owner.place({ symbol: 'PRIV', side: 'BUY', price: '95.00', quantity: 3, clOrdId: `live-${viewer}` });
    const seen = await sub.waitUntil((v) => v.id === o.id);
    expectView(viewer, seen, { id: o.id, clOrdId: `live-${viewer}`, reason: null, status: 'NEW' });
    sub.stop();
    await ok(t.url, `mutation($id: ID!) { cancelOrder(id: $id) { id } }`, { id: o.id }, owner.token);
  });

  it('takes the whole view away from a running orderUpdates subscription when support is demoted', async () => {
    const staff = await newTrader(t.url, 'pv-demoted');
    await ok(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }`, { id: staff.id }, admin.token);
    const ws = wsClient(t.url, staff.token);
    sockets.push(ws);
    const count = async () => (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === 'orderUpdates')?.value ?? 0;
    const before = await count();
    const sub = subscribe<Seen>(ws, UPDATES, { s: 'PRIV' });
    await serverSubscribed(count, before + 1);
    const first = await owner.place({ symbol: 'PRIV', side: 'BUY', price: '95.00', quantity: 3, clOrdId: 'before-demotion' });
    expect(await sub.waitUntil((v) => v.id === first.id)).toMatchObject({ clOrdId: 'before-demotion', accountId: owner.id });
    await ok(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: TRADER) { id } }`, { id: staff.id }, admin.token);
    // The role change reaches the socket asynchronously (over the bus): orders placed after it settles are anonymous.
    let seen: Seen | undefined;
    for (let i = 0; i < 50 && (seen === undefined || seen.clOrdId !== null); i++) {
      const o = await owner.place({ symbol: 'PRIV', side: 'BUY', price: '95.00', quantity: 3, clOrdId: `after-demotion-${i}` });
      seen = await sub.waitUntil((v) => v.id === o.id);
    }
    expect(seen).toMatchObject({ clOrdId: null, accountId: null });
    sub.stop();
    await ok(t.url, 'mutation { cancelAllOrders(symbol: "PRIV") }', {}, owner.token);
  });

  it('hides the reason a kill switch gives from other traders', async () => {
    const o = await owner.place({ symbol: 'PRIV', side: 'BUY', price: '95.00', quantity: 3 });
    await ok(t.url, `mutation($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }`, { id: owner.id }, admin.token);
    expect((await ok<{ order: Seen }>(t.url, ORDER, { id: o.id }, other.token)).order).toMatchObject({ status: 'CANCELED', reason: null, accountId: null });
    expect((await ok<{ order: Seen }>(t.url, ORDER, { id: o.id }, admin.token)).order).toMatchObject({ status: 'CANCELED', reason: 'ACCOUNT_DISABLED', accountId: owner.id });
  });
});
