import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ADMIN_PASSWORD, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { ok, LOGIN, PLACE, BOOK, trader } from '../support/gql.js';

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`smoke on ${dialect}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => t?.dispose());

  it('logs in, trades and shows the book', async () => {
    const admin = await ok(t.url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD });
    expect(admin.login.user.role).toBe('ADMIN');
    const a = await trader(t.url, 'alice');
    const b = await trader(t.url, 'bob');
    const sell = await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '140.00', quantity: 100 } }, a.token);
    expect(sell.placeOrder.status).toBe('NEW');
    const buy = await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '141.00', quantity: 40 } }, b.token);
    expect(buy.placeOrder).toMatchObject({ status: 'FILLED', cumQty: 40, avgPx: '140.000000' });
    const book = await ok(t.url, BOOK, { s: 'AAPL' });
    expect(book.orderBook.asks).toEqual([{ price: '140.00', quantity: 60, orderCount: 1 }]);
  });
});
