/** SenderCompIDs bound to accounts by an admin, and released by an admin. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { errorOf, LOGIN, ok, trader, passwordOf } from '../support/gql.js';
import { FixClient } from './support/fix-client.js';

const BIND = `mutation($c: String!, $u: ID!) { bindFixCompId(compId: $c, userId: $u) { compId userId active } }`;
const RELEASE = `mutation($c: String!) { releaseFixCompId(compId: $c) { compId userId active } }`;

describe('FIX CompIDs bound by an admin', () => {
  let t: TestApp;
  let admin: string;
  let desk: { token: string; id: string };
  let other: { token: string; id: string };
  const logon = (username: string) => FixClient.open({ port: t.app.fixPort!, username, password: passwordOf(username), senderCompId: 'BOUNDDESK' }).ready;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    [desk, other] = await Promise.all([trader(t.url, 'deskowner'), trader(t.url, 'otherdesk')]);
    admin = (await ok<{ login: { token: string } }>(t.url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD })).login.token;
  });
  afterAll(async () => t?.dispose());

  it('binds a CompID to an account before its first logon, so no other account can take it', async () => {
    expect(await ok(t.url, BIND, { c: 'BOUNDDESK', u: desk.id }, admin)).toEqual({ bindFixCompId: { compId: 'BOUNDDESK', userId: desk.id, active: false } });
    await expect(logon('otherdesk')).rejects.toThrow('This SenderCompID belongs to another account.');
  });

  it('refuses to bind a CompID another account has, a malformed one, and to non-admins', async () => {
    expect(await errorOf(t.url, BIND, { c: 'BOUNDDESK', u: other.id }, admin)).toMatchObject({ code: 'CONFLICT', reason: 'COMP_ID_TAKEN' });
    expect(await errorOf(t.url, BIND, { c: 'HAS SPACE', u: other.id }, admin)).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_COMP_ID' });
    expect(await errorOf(t.url, BIND, { c: 'FREEDESK', u: '999999' }, admin)).toMatchObject({ code: 'NOT_FOUND', reason: 'USER_NOT_FOUND' });
    expect(await errorOf(t.url, BIND, { c: 'FREEDESK', u: other.id }, other.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await errorOf(t.url, RELEASE, { c: 'BOUNDDESK' }, desk.token)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('refuses to release a CompID while its session is logged on, and releases it afterwards for another account to use', async () => {
    const c = await FixClient.connect({ port: t.app.fixPort!, username: 'deskowner', password: passwordOf('deskowner'), senderCompId: 'BOUNDDESK' });
    expect(await errorOf(t.url, RELEASE, { c: 'BOUNDDESK' }, admin)).toMatchObject({ code: 'CONFLICT', reason: 'FIX_SESSION_ACTIVE' });
    await c.logout();
    for (;;) {
      const r = await t.app.services.knex('fix_sessions').where({ target_comp_id: 'BOUNDDESK' }).first('owner');
      if (r.owner === null) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await ok(t.url, RELEASE, { c: 'BOUNDDESK' }, admin)).toEqual({ releaseFixCompId: { compId: 'BOUNDDESK', userId: desk.id, active: false } });
    expect(await errorOf(t.url, RELEASE, { c: 'BOUNDDESK' }, admin)).toMatchObject({ code: 'NOT_FOUND', reason: 'COMP_ID_NOT_FOUND' });
    await logon('otherdesk');
  });
});
