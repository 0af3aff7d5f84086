/**
 * The audit trail: admin actions and logins, each written in the transaction of its change (a
 * refused change leaves no row), read by admins through auditLog (paged, filtered by actor,
 * action and time) and by nobody else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, ADMIN_PASSWORD, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { LOGIN, passwordOf } from '../support/gql.js';
import { adminClient, countRows, createProduct, errorOf, gql, newTrader, ok, type TradingClient } from '../support/trading.js';

const AUDIT = `query($actions: [AuditAction!], $actor: String, $actorId: ID, $since: DateTimeISO, $until: DateTimeISO, $first: Int, $after: String) {
  auditLog(actions: $actions, actor: $actor, actorId: $actorId, since: $since, until: $until, first: $first, after: $after) {
    nodes { id at actorId actor address action target details outcome } pageInfo { endCursor hasNextPage } } }`;

interface Entry {
  id: string;
  at: string;
  actorId: string | null;
  actor: string;
  address: string | null;
  action: string;
  target: string | null;
  details: string | null;
  outcome: string;
}

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`audit trail on ${dialect}`, () => {
  let t: TestApp;
  let admin: TradingClient;
  let dave: TradingClient;
  const audit = async (vars: Record<string, unknown> = {}) =>
    (await ok<{ auditLog: { nodes: Entry[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(t.url, AUDIT, vars, admin.token)).auditLog;

  beforeAll(async () => {
    t = await startTestApp(dialect);
    admin = await adminClient(t.url);
    dave = await newTrader(t.url, 'au-dave');
    await createProduct(t.url, admin.token, 'AUDX');
  });
  afterAll(async () => t?.dispose());

  it.each([
    { action: 'SET_ROLE', target: () => dave.id, run: () => ok(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }`, { id: dave.id }, admin.token), details: { role: 'SUPPORT' } },
    { action: 'SET_MEMBER_SINCE', target: () => dave.id, run: () => ok(t.url, `mutation($id: ID!) { setUserMemberSince(userId: $id, memberSince: "2020-02-03") { id } }`, { id: dave.id }, admin.token), details: { memberSince: '2020-02-03' } },
    { action: 'HALT', target: () => 'AUDX', run: () => ok(t.url, `mutation { haltTrading(symbol: "AUDX") { status } }`, {}, admin.token), details: null },
    { action: 'RESUME', target: () => 'AUDX', run: () => ok(t.url, `mutation { resumeTrading(symbol: "AUDX") { status } }`, {}, admin.token), details: null },
    { action: 'UPDATE_PRODUCT', target: () => 'AUDX', run: () => ok(t.url, `mutation { updateProduct(symbol: "AUDX", input: { name: "Audited Widget" }) { symbol } }`, {}, admin.token), details: { name: 'Audited Widget' } },
    { action: 'CREATE_PRODUCT', target: () => 'AUDY', run: () => createProduct(t.url, admin.token, 'AUDY'), details: { name: 'Zeta Test Widget AUDY', refPrice: '100.00' } },
    { action: 'BIND_FIX_COMP_ID', target: () => 'AUDDESK', run: () => ok(t.url, `mutation($id: ID!) { bindFixCompId(compId: "AUDDESK", userId: $id) { compId } }`, { id: dave.id }, admin.token), details: {} },
    { action: 'RELEASE_FIX_COMP_ID', target: () => 'AUDDESK', run: () => ok(t.url, `mutation { releaseFixCompId(compId: "AUDDESK") { compId } }`, {}, admin.token), details: {} },
    { action: 'SET_CANCEL_ON_DISCONNECT', target: () => dave.id, run: () => ok(t.url, `mutation($id: ID!) { setCancelOnDisconnect(enabled: true, userId: $id) { cancelOnDisconnect } }`, { id: dave.id }, admin.token), details: { enabled: true } },
    { action: 'ENABLE_ACCOUNT', target: () => dave.id, run: () => ok(t.url, `mutation($id: ID!) { setUserDisabled(userId: $id, disabled: false) { id } }`, { id: dave.id }, admin.token), details: null },
  ])('records $action with who, from where, on what', async ({ action, target, run, details }) => {
    await run();
    const [entry] = (await audit({ actions: [action], first: 1 })).nodes;
    expect(entry).toMatchObject({ actor: 'admin', actorId: admin.id, action, target: target(), outcome: 'OK' });
    expect(entry!.address).toMatch(/127\.0\.0\.1/);
    if (details) expect(JSON.parse(entry!.details!)).toMatchObject(details);
  });

  it('writes nothing for a change that was refused (the row lives in the change’s transaction)', async () => {
    const rows = await countRows(t.app.services.knex, 'audit_log');
    expect(await errorOf(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: TRADER) { id } }`, { id: admin.id }, admin.token)).toMatchObject({ reason: 'CANNOT_DEMOTE_SELF' });
    expect(await errorOf(t.url, `mutation { setUserRole(userId: "999999", role: TRADER) { id } }`, {}, admin.token)).toMatchObject({ reason: 'USER_NOT_FOUND' });
    expect(await errorOf(t.url, `mutation { haltTrading(symbol: "NOSUCH") { status } }`, {}, admin.token)).toMatchObject({ reason: 'UNKNOWN_SYMBOL' });
    expect(await countRows(t.app.services.knex, 'audit_log')).toBe(rows);
  });

  it('rolls the audit row back with the change when the change fails after it was written', async () => {
    const knex = t.app.services.knex;
    const rows = await countRows(knex, 'audit_log');
    // A RELEASE whose delete finds nothing (a live lease) fails inside the transaction: no row.
    await ok(t.url, `mutation($id: ID!) { bindFixCompId(compId: "LEASED", userId: $id) { compId } }`, { id: dave.id }, admin.token);
    await knex('fix_sessions').where({ target_comp_id: 'LEASED' }).update({ owner: 'someone', lease_until: new Date(Date.now() + 60_000) });
    expect(await errorOf(t.url, `mutation { releaseFixCompId(compId: "LEASED") { compId } }`, {}, admin.token)).toMatchObject({ reason: 'FIX_SESSION_ACTIVE' });
    expect(await countRows(knex, 'audit_log')).toBe(rows + 1); // the bind only
  });

  it('records logins: success, wrong password and disabled account, with username, address and outcome', async () => {
    await ok(t.url, LOGIN, { u: 'au-dave', p: passwordOf('au-dave') });
    expect((await gql(t.url, LOGIN, { u: 'au-dave', p: 'wrong-password-1' })).errors?.[0]?.extensions?.reason).toBe('BAD_CREDENTIALS');
    expect((await gql(t.url, LOGIN, { u: 'nobody-here', p: 'wrong-password-2' })).errors?.[0]?.extensions?.reason).toBe('BAD_CREDENTIALS');
    const eve = await newTrader(t.url, 'au-eve');
    await ok(t.url, `mutation($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }`, { id: eve.id }, admin.token);
    expect((await gql(t.url, LOGIN, { u: 'au-eve', p: passwordOf('au-eve') })).errors?.[0]?.extensions?.reason).toBe('ACCOUNT_DISABLED');
    const logins = (await audit({ actions: ['LOGIN'], first: 4 })).nodes;
    expect(logins.map((e) => [e.actor, e.actorId, e.outcome])).toEqual([
      ['au-eve', eve.id, 'ACCOUNT_DISABLED'],
      ['nobody-here', null, 'BAD_CREDENTIALS'],
      ['au-dave', dave.id, 'BAD_CREDENTIALS'],
      ['au-dave', dave.id, 'OK'],
    ]);
    expect(logins.every((e) => /127\.0\.0\.1/.test(e.address ?? '') && JSON.parse(e.details!).channel === 'graphql')).toBe(true);
  });

  it('filters by actor, account and time, and pages newest first without gaps or repeats', async () => {
    const all = (await audit({ first: 200 })).nodes;
    expect(all.map((e) => Number(e.id))).toEqual([...all.map((e) => Number(e.id))].sort((a, b) => b - a));
    const pages: Entry[] = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof audit>> = await audit({ first: 3, after });
      pages.push(...page.nodes);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(pages.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const byName = (await audit({ actor: 'AU-DAVE', first: 200 })).nodes;
    expect(byName.length).toBeGreaterThan(0);
    expect(byName.every((e) => e.actor === 'au-dave')).toBe(true);
    expect((await audit({ actorId: admin.id, first: 200 })).nodes.every((e) => e.actorId === admin.id)).toBe(true);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await audit({ since: future })).nodes).toEqual([]);
    expect((await audit({ until: future, first: 200 })).nodes.length).toBe(all.length);
    expect((await audit({ until: new Date(0).toISOString() })).nodes).toEqual([]);
    expect(await errorOf(t.url, AUDIT, { after: 'not-a-cursor' }, admin.token)).toMatchObject({ reason: 'INVALID_CURSOR' });
  });

  it('is for admins only', async () => {
    const sue = await newTrader(t.url, 'au-sue');
    await ok(t.url, `mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }`, { id: sue.id }, admin.token);
    expect(await errorOf(t.url, AUDIT, {}, sue.token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await errorOf(t.url, AUDIT, {}, (await newTrader(t.url, 'au-tom')).token)).toMatchObject({ code: 'FORBIDDEN' });
    expect(await errorOf(t.url, AUDIT, {})).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(ADMIN_PASSWORD).toBeTruthy();
  });
});
