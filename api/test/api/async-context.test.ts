/**
 * The server never enters an AsyncLocalStorage. On Node 20 the first `run()` or `enterWith()` of
 * any AsyncLocalStorage turns on promise hooks for the rest of the process, and every promise
 * afterwards pays for async-context tracking: about a tenth of the server's CPU under load,
 * plus the garbage. MikroORM's unit of work enters one on every `flush()`, so account writes
 * use single-row inserts and updates instead (account.service.ts). This test walks every kind of
 * write the server makes (start-up with its admin, sign-up, login, role, membership date,
 * disable, logout, products, orders) and fails if any of them enters one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { CREATE_PRODUCT, HALT, RESUME, adminClient, newTrader, ok, type TradingClient } from '../support/trading.js';
import { LOGIN, passwordOf } from '../support/gql.js';

for (const { dialect, skip } of await dialects())
  describe.skipIf(skip)(`async context on ${dialect}`, () => {
    const entered: string[] = [];
    let spies: { mockRestore(): void }[] = [];
    let t: TestApp;
    let admin: TradingClient;

    beforeAll(async () => {
      // Before the app starts: start-up writes (the admin account) count too.
      spies = [
        vi.spyOn(AsyncLocalStorage.prototype, 'run').mockImplementation((_store, callback, ...args) => {
          entered.push(new Error('run').stack ?? 'run');
          return (callback as (...a: unknown[]) => unknown)(...args);
        }),
        vi.spyOn(AsyncLocalStorage.prototype, 'enterWith').mockImplementation(() => {
          entered.push(new Error('enterWith').stack ?? 'enterWith');
        }),
      ];
      t = await startTestApp(dialect);
      admin = await adminClient(t.url);
    });
    afterAll(async () => {
      for (const s of spies) s.mockRestore();
      await t?.dispose();
    });

    it('no write of the server enters an AsyncLocalStorage', async () => {
      const alice = await newTrader(t.url, 'alice');
      const bob = await newTrader(t.url, 'bob');
      await ok(t.url, LOGIN, { u: 'alice', p: passwordOf('alice') });
      await ok(t.url, 'mutation($id: ID!, $r: Role!) { setUserRole(userId: $id, role: $r) { role } }', { id: bob.id, r: 'SUPPORT' }, admin.token);
      await ok(t.url, 'mutation($id: ID!) { setUserMemberSince(userId: $id, memberSince: "2020-01-02") { id } }', { id: bob.id }, admin.token);
      await ok(t.url, CREATE_PRODUCT, { i: { symbol: 'ALSX', name: 'Async Context Widget', type: 'STOCK', referencePrice: '10.00' } }, admin.token);
      await ok(t.url, HALT, { s: 'ALSX' }, admin.token);
      await ok(t.url, RESUME, { s: 'ALSX' }, admin.token);
      const resting = await alice.place({ symbol: 'ALSX', side: 'SELL', type: 'LIMIT', price: '10.00', quantity: 5 });
      const other = await newTrader(t.url, 'carol');
      await other.place({ symbol: 'ALSX', side: 'BUY', type: 'LIMIT', price: '10.00', quantity: 2 });
      await alice.amend(resting.id, 4);
      await alice.cancel(resting.id);
      await ok(t.url, 'mutation($id: ID!, $d: Boolean!) { setUserDisabled(userId: $id, disabled: $d) { disabled } }', { id: bob.id, d: true }, admin.token);
      await ok(t.url, 'mutation { logout }', {}, alice.token);
      expect(entered, entered.join('\n\n')).toEqual([]);
    });
  });
