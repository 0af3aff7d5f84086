/**
 * User-chosen identifiers meet SQL as bound parameters and compare the way the application does,
 * on both databases: any username string gets a normal coded login failure (a NUL byte ended
 * the inlined SQL on SQLite; MySQL's collation ignored it and logged "name\0" in as "name").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { LOGIN } from '../support/gql.js';
import { errorOf, newTrader } from '../support/trading.js';

for (const { dialect, skip } of await dialects())
  describe.skipIf(skip)(`identifiers on ${dialect}`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(dialect, { LOGIN_MAX_ATTEMPTS: '1000' });
      await newTrader(t.url, 'ident-trader');
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
      expect(await errorOf(t.url, LOGIN, { u: username, p: 'ident-trader-password' })).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'BAD_CREDENTIALS', status: 200 });
    });

    it('login with a username of 1,000 characters is refused at the edge', async () => {
      expect(await errorOf(t.url, LOGIN, { u: 'x'.repeat(1000), p: 'ident-trader-password' })).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CREDENTIALS_FORMAT', status: 200 });
    });

    it('the FIX Logon check (verify) refuses a NUL username without an error', async () => {
      await expect(t.app.services.accounts.verify('ident-trader\u0000', 'ident-trader-password')).resolves.toBeUndefined();
      await expect(t.app.services.accounts.verify('IDENT-TRADER', 'ident-trader-password')).resolves.toMatchObject({ username: 'ident-trader' });
    });
  });
