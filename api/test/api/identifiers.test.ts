/**
 * User-chosen identifiers meet SQL as bound parameters and compare the way the application does,
 * on both databases: any username string gets a normal coded login failure (a NUL byte ended
 * the inlined SQL on SQLite), usernames are unique whatever their case even under concurrent
 * sign-ups (a database guarantee, not only signUp's check), and ClOrdIDs that differ only in
 * case are different orders (MySQL's default collation made them collide in the unique key).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { LOGIN, SIGN_UP, gql, passwordOf } from '../support/gql.js';
import { adminClient, createProduct, errorOf, newTrader, type TradingClient } from '../support/trading.js';

const SYMBOL = 'IDNT';

for (const { dialect, skip } of await dialects())
  describe.skipIf(skip)(`identifiers on ${dialect}`, () => {
    let t: TestApp;
    let trader: TradingClient;

    beforeAll(async () => {
      t = await startTestApp(dialect, { LOGIN_MAX_ATTEMPTS: '1000', LOGIN_ADDRESS_MAX_ATTEMPTS: '1000' });
      const admin = await adminClient(t.url);
      await createProduct(t.url, admin.token, SYMBOL, '100.00');
      trader = await newTrader(t.url, 'ident-trader');
    });
    afterAll(async () => t?.dispose());

    it.each([
      ['a NUL byte', 'ident-trader\u0000'],
      ['only NUL', '\u0000'],
      ['NUL in the middle', 'ident\u0000-trader'],
      ['a quote and a comment', "ident-trader' -- "],
      ['a question mark', 'ident-trader?'],
      ['a backslash at the end', 'ident-trader\\'],
      ['an empty string', ''],
    ])('login with %s as username is a normal wrong-credentials failure', async (_name, username) => {
      expect(await errorOf(t.url, LOGIN, { u: username, p: passwordOf('ident-trader') })).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'BAD_CREDENTIALS', status: 200 });
    });

    it('login with a username of 1,000 characters is refused at the edge', async () => {
      expect(await errorOf(t.url, LOGIN, { u: 'x'.repeat(1000), p: passwordOf('ident-trader') })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CREDENTIALS_FORMAT', status: 200 });
    });

    it('the FIX Logon check (checkPassword) refuses a NUL username as wrong credentials', async () => {
      await expect(t.app.services.accounts.checkPassword('ident-trader\u0000', passwordOf('ident-trader'), '192.0.2.1', 'fix')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', reason: 'BAD_CREDENTIALS' });
      await expect(t.app.services.accounts.checkPassword('IDENT-TRADER', passwordOf('ident-trader'), '192.0.2.1', 'fix')).resolves.toMatchObject({ username: 'ident-trader' });
    });

    it('the database refuses a second username that differs only in case', async () => {
      const row = await t.app.services.knex('users').where({ username: 'ident-trader' }).first();
      const copy = { ...row, id: undefined, username: 'IDENT-Trader' };
      await expect(t.app.services.knex('users').insert(copy)).rejects.toThrow(/unique|duplicate/i);
    });

    it('concurrent sign-ups of case variants of one name create one account', async () => {
      const names = ['Racer', 'racer', 'RACER', 'rAcEr', 'raceR', 'RAcer'];
      const answers = await Promise.all(names.map((u) => gql(t.url, SIGN_UP, { u, p: passwordOf('racer') })));
      expect(answers.filter((a) => a.data?.signUp).length).toBe(1);
      for (const a of answers.filter((x) => !x.data?.signUp)) expect(a.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'USERNAME_TAKEN' });
      const rows = await t.app.services.knex('users').whereRaw('lower(username) = ?', ['racer']).select('id');
      expect(rows).toHaveLength(1);
    });

    it('ClOrdIDs that differ only in case are different orders, and a retry of each finds its own', async () => {
      const place = (clOrdId: string, price: string) => trader.place({ clOrdId, symbol: SYMBOL, side: 'SELL', price, quantity: 1, timeInForce: 'GTC' });
      const upper = await place('CaseOnly', '100.00');
      const lower = await place('caseonly', '101.00');
      expect(lower.id).not.toBe(upper.id);
      expect([upper.clOrdId, upper.price, lower.clOrdId, lower.price]).toEqual(['CaseOnly', '100.00', 'caseonly', '101.00']);
      expect((await place('CaseOnly', '100.00')).id).toBe(upper.id);
      expect((await place('caseonly', '101.00')).id).toBe(lower.id);
    });

    it('FIX ClOrdIDs that differ only in case are distinct keys', async () => {
      const row = { account_id: Number(trader.id), order_id: 1, orig_cl_ord_id: 'Orig', kind: 'CANCEL', created_at: new Date() };
      await t.app.services.knex('fix_cl_ord_ids').insert([
        { ...row, cl_ord_id: 'FixCase' },
        { ...row, cl_ord_id: 'fixcase' },
      ]);
      const found = await t.app.services.knex('fix_cl_ord_ids').where({ account_id: Number(trader.id), cl_ord_id: 'fixcase' }).select('cl_ord_id', 'orig_cl_ord_id');
      expect(found).toEqual([{ cl_ord_id: 'fixcase', orig_cl_ord_id: 'Orig' }]);
      expect(await t.app.services.knex('fix_cl_ord_ids').where({ orig_cl_ord_id: 'orig' }).select('cl_ord_id')).toEqual([]);
      await t.app.services.knex('fix_cl_ord_ids').where({ account_id: Number(trader.id) }).delete();
    });
  });
