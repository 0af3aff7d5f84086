import { MemorySessionStore, SessionId } from 'jspurefix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { widenCatalogBands } from '../support/trading.js';
import { mysqlReachable } from '../support/databases.js';
import { ok, PLACE, trader, passwordOf } from '../support/gql.js';
import { FixClient } from './support/fix-client.js';
import { BUY, EXEC, report, sendCancel, sendOrder, sendReplace, STATUS, Tag, tags } from './support/orders.js';

const ready = await mysqlReachable();

describe.skipIf(!ready)('FIX gateway on MySQL', () => {
  let t: TestApp;
  let buyer: { token: string };
  const store = new MemorySessionStore(new SessionId('FIX.4.4', 'MYSQLFIX', 'TRADINGAPP'));
  const logon = () => FixClient.connect({ port: t.app.fixPort!, username: 'mysqlfix', password: passwordOf('mysqlfix'), senderCompId: 'MYSQLFIX', reset: false, store });

  beforeAll(async () => {
    t = await startTestApp('mysql');
    await widenCatalogBands(t.app);
    [buyer] = await Promise.all([trader(t.url, 'mysqlbuyer'), trader(t.url, 'mysqlfix')]);
  });
  afterAll(async () => t?.dispose());

  it('crosses a FIX order with a GraphQL order, replaces and cancels, across a reconnect', async () => {
    const c = await logon();
    sendOrder(c, 'm-1', { price: '140.00', qty: 100 });
    await report(c, 'm-1', EXEC.NEW);
    await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.00', quantity: 25 } }, buyer.token);
    const fill = await report(c, 'm-1', EXEC.TRADE);
    expect(tags(fill, Tag.OrdStatus, Tag.LastQty, Tag.LastPx, Tag.CumQty, Tag.LeavesQty)).toEqual({
      [Tag.OrdStatus]: STATUS.PARTIAL,
      [Tag.LastQty]: '25',
      [Tag.LastPx]: '140.00',
      [Tag.CumQty]: '25',
      [Tag.LeavesQty]: '75',
    });
    sendReplace(c, 'm-1-r', 'm-1', { qty: 60, price: '140.50' });
    expect((await report(c, 'm-1-r', EXEC.REPLACED)).get(Tag.LeavesQty)).toBe('35');
    await c.logout();

    // The same session again (sequence numbers from the database, lease taken over cleanly).
    const again = await logon();
    sendCancel(again, 'm-1-c', 'm-1-r');
    const canceled = await report(again, 'm-1-c', EXEC.CANCELED);
    expect(tags(canceled, Tag.OrigClOrdID, Tag.CumQty)).toEqual({ [Tag.OrigClOrdID]: 'm-1-r', [Tag.CumQty]: '25' });
    sendOrder(again, 'm-2', { side: BUY, price: '1.00', qty: 1 });
    await report(again, 'm-2', EXEC.NEW);
    await again.logout();
  });
});
