/**
 * Who may do what: the authorization matrix of every root field (queries, mutations and
 * subscriptions) for an anonymous caller, the owning trader, another trader, support and admin,
 * checked against the schema the server serves so a new field cannot be left out. Then sessions:
 * logout, role changes, disabling, expiry, login rate limits, self-protection of admins, and
 * how passwords and tokens are stored.
 */
import { createHash, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'graphql-ws';
import { startTestApp, ADMIN_PASSWORD, type TestApp } from '../support/app.js';
import { dialects } from '../support/databases.js';
import { AMEND, CANCEL, LOGIN, PLACE, SIGN_UP, passwordOf } from '../support/gql.js';
import { wsClient } from '../support/ws.js';
import { CREATE_PRODUCT, HALT, ORDER, RESUME, adminClient, createProduct, errorOf, gql, newTrader, ok, type TradingClient, widenCatalogBands } from '../support/trading.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;

type Role = 'anonymous' | 'trader' | 'otherTrader' | 'support' | 'admin';
const ROLES: Role[] = ['anonymous', 'trader', 'otherTrader', 'support', 'admin'];

/** What a cell expects: data, a null answer, or an error code. */
type Outcome = 'ok' | 'null' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND';

const PUBLIC: Record<Role, Outcome> = { anonymous: 'ok', trader: 'ok', otherTrader: 'ok', support: 'ok', admin: 'ok' };
const LOGGED_IN: Record<Role, Outcome> = { ...PUBLIC, anonymous: 'UNAUTHENTICATED' };
const STAFF: Record<Role, Outcome> = { ...LOGGED_IN, trader: 'FORBIDDEN', otherTrader: 'FORBIDDEN' };
const ADMIN_ONLY: Record<Role, Outcome> = { ...STAFF, support: 'FORBIDDEN' };
/** Acting on the trader's own order: owner and admin may, anyone else is told it does not exist. */
const OWNER_OR_ADMIN: Record<Role, Outcome> = { anonymous: 'UNAUTHENTICATED', trader: 'ok', otherTrader: 'NOT_FOUND', support: 'NOT_FOUND', admin: 'ok' };
/** Reading the trader's order: every logged-in caller gets it (another trader as anonymous market data, see order-privacy.test.ts). */
const OWNER_OR_STAFF: Record<Role, Outcome> = LOGGED_IN;

interface Operation {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Token to use instead of the role's own (logout uses a fresh session of the role). */
  readonly token?: string | null;
}

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`authorization on ${dialect}`, () => {
  let t: TestApp;
  let admin: TradingClient;
  let alice: TradingClient;
  let bob: TradingClient;
  let sue: TradingClient;
  let targetUserId: string;
  let aliceOrderId: string;
  const clients: Client[] = [];
  const users: Record<Exclude<Role, 'anonymous'>, { name: string; password: string }> = {
    trader: { name: 'alice', password: passwordOf('alice') },
    otherTrader: { name: 'bob', password: passwordOf('bob') },
    support: { name: 'sue', password: passwordOf('sue') },
    admin: { name: 'admin', password: ADMIN_PASSWORD },
  };
  const client = (role: Role): TradingClient | undefined =>
    ({ anonymous: undefined, trader: alice, otherTrader: bob, support: sue, admin })[role];
  let n = 0;
  const unique = (prefix: string) => `${prefix}${++n}`;
  /** An open order of alice's (the trader) to act on. */
  const aliceOrder = async () => (await alice.place({ symbol: 'MSFT', side: 'SELL', price: '500.00', quantity: 10 })).id;
  const freshSession = async (role: Role) => {
    if (role === 'anonymous') return null;
    const u = users[role];
    return (await ok(t.url, LOGIN, { u: u.name, p: u.password })).login.token as string;
  };

  /** One row per root field: how to call it as a role, and what each role gets. */
  const MATRIX: Record<string, { expect: Record<Role, Outcome>; op: (role: Role) => Promise<Operation> }> = {
    'Query.me': { expect: { ...PUBLIC, anonymous: 'null' }, op: async () => ({ query: '{ me { id } }' }) },
    'Query.holdings': { expect: LOGGED_IN, op: async () => ({ query: '{ holdings { symbol } }' }) },
    'Query.myOrders': { expect: LOGGED_IN, op: async () => ({ query: '{ myOrders { nodes { id } } }' }) },
    'Query.orders': { expect: LOGGED_IN, op: async () => ({ query: '{ orders { nodes { id } } }' }) },
    'Query.order': { expect: OWNER_OR_STAFF, op: async () => ({ query: ORDER, variables: { id: aliceOrderId } }) },
    'Query.orderBook': { expect: PUBLIC, op: async () => ({ query: '{ orderBook(symbol: "MSFT") { seq } }' }) },
    'Query.product': { expect: PUBLIC, op: async () => ({ query: '{ product(symbol: "MSFT") { symbol } }' }) },
    'Query.riskLimits': { expect: PUBLIC, op: async () => ({ query: '{ riskLimits(symbol: "MSFT") { bandLow bandHigh } }' }) },
    'Query.products': { expect: PUBLIC, op: async () => ({ query: '{ products(first: 1) { nodes { symbol } } }' }) },
    'Query.trades': { expect: PUBLIC, op: async () => ({ query: '{ trades(symbol: "MSFT") { tradeId } }' }) },
    'Query.candles': { expect: PUBLIC, op: async () => ({ query: '{ candles(symbol: "MSFT", frame: M1) { time } }' }) },
    'Query.portfolioTotals': { expect: LOGGED_IN, op: async () => ({ query: '{ portfolioTotals { currency } }' }) },
    'Query.myFills': { expect: LOGGED_IN, op: async () => ({ query: '{ myFills { nodes { execId } } }' }) },
    'Query.users': { expect: STAFF, op: async () => ({ query: '{ users { nodes { id } } }' }) },
    'Query.auditLog': { expect: ADMIN_ONLY, op: async () => ({ query: '{ auditLog(first: 1) { nodes { id } } }' }) },
    'Mutation.signUp': { expect: PUBLIC, op: async () => ({ query: SIGN_UP, variables: { u: unique('newbie'), p: passwordOf('newbie') } }) },
    'Mutation.login': { expect: PUBLIC, op: async () => ({ query: LOGIN, variables: { u: 'alice', p: passwordOf('alice') } }) },
    'Mutation.logout': { expect: LOGGED_IN, op: async (role) => ({ query: 'mutation { logout }', token: await freshSession(role) }) },
    'Mutation.placeOrder': {
      expect: LOGGED_IN,
      op: async () => ({ query: PLACE, variables: { i: { symbol: 'MSFT', side: 'BUY', type: 'LIMIT', price: '100.00', quantity: 1 } } }),
    },
    'Mutation.cancelOrder': { expect: OWNER_OR_ADMIN, op: async () => ({ query: CANCEL, variables: { id: await aliceOrder() } }) },
    'Mutation.cancelAllOrders': { expect: LOGGED_IN, op: async () => ({ query: 'mutation { cancelAllOrders(symbol: "AZHALT") }' }) },
    'Mutation.setCancelOnDisconnect': { expect: LOGGED_IN, op: async () => ({ query: 'mutation { setCancelOnDisconnect(enabled: false) { id } }' }) },
    'Mutation.amendOrder': { expect: OWNER_OR_ADMIN, op: async () => ({ query: AMEND, variables: { id: await aliceOrder(), q: 5, p: null } }) },
    'Mutation.createProduct': {
      expect: ADMIN_ONLY,
      op: async () => ({ query: CREATE_PRODUCT, variables: { i: { symbol: unique('AZ'), name: 'Authz Test Product', type: 'STOCK' } } }),
    },
    'Mutation.updateProduct': {
      expect: ADMIN_ONLY,
      op: async () => ({ query: 'mutation { updateProduct(symbol: "AZHALT", input: { name: "Authz Halt Product" }) { symbol } }' }),
    },
    'Mutation.setProductRiskLimits': { expect: ADMIN_ONLY, op: async () => ({ query: 'mutation { setProductRiskLimits(symbol: "QQQ", input: { priceBandPercent: "1000" }) { symbol } }' }) },
    'Mutation.setTradingHours': { expect: ADMIN_ONLY, op: async () => ({ query: 'mutation { setTradingHours(symbol: "QQQ", hours: null) { symbol } }' }) },
    'Mutation.setAccountPositionLimits': { expect: ADMIN_ONLY, op: async () => ({ query: 'mutation($id: ID!) { setAccountPositionLimits(userId: $id, maxLongPosition: 1000000) }', variables: { id: targetUserId } }) },
    'Mutation.haltTrading': { expect: ADMIN_ONLY, op: async () => ({ query: HALT, variables: { s: 'AZHALT' } }) },
    'Mutation.resumeTrading': { expect: ADMIN_ONLY, op: async () => ({ query: RESUME, variables: { s: 'AZHALT' } }) },
    'Mutation.setUserRole': {
      expect: ADMIN_ONLY,
      op: async () => ({ query: 'mutation($id: ID!) { setUserRole(userId: $id, role: TRADER) { id } }', variables: { id: targetUserId } }),
    },
    'Mutation.setUserDisabled': {
      expect: ADMIN_ONLY,
      op: async () => ({ query: 'mutation($id: ID!) { setUserDisabled(userId: $id, disabled: false) { id } }', variables: { id: targetUserId } }),
    },
    'Mutation.setUserMemberSince': {
      expect: ADMIN_ONLY,
      op: async () => ({ query: 'mutation($id: ID!) { setUserMemberSince(userId: $id, memberSince: "2020-01-02") { id } }', variables: { id: targetUserId } }),
    },
    'Mutation.bindFixCompId': {
      expect: ADMIN_ONLY,
      op: async () => ({ query: 'mutation($c: String!, $id: ID!) { bindFixCompId(compId: $c, userId: $id) { compId } }', variables: { c: unique('AUTHZDESK'), id: targetUserId } }),
    },
    'Mutation.releaseFixCompId': {
      expect: ADMIN_ONLY,
      op: async () => {
        const c = unique('AUTHZFREE');
        await ok(t.url, 'mutation($c: String!, $id: ID!) { bindFixCompId(compId: $c, userId: $id) { compId } }', { c, id: targetUserId }, admin.token);
        return { query: 'mutation($c: String!) { releaseFixCompId(compId: $c) { compId } }', variables: { c } };
      },
    },
  };

  /** Subscriptions, tried over graphql-ws: allowed means a value arrives once something happens. */
  const SUBSCRIPTIONS: Record<string, { expect: Record<Role, Outcome>; query: string }> = {
    'Subscription.executionReports': { expect: LOGGED_IN, query: 'subscription { executionReports { execId } }' },
    'Subscription.orderUpdates': { expect: LOGGED_IN, query: 'subscription { orderUpdates(symbol: "TSLA") { id } }' },
    'Subscription.orderBook': { expect: PUBLIC, query: 'subscription { orderBook(symbol: "TSLA") { seq } }' },
    'Subscription.trades': { expect: PUBLIC, query: 'subscription { trades(symbol: "TSLA") { tradeId } }' },
    'Subscription.quotes': { expect: PUBLIC, query: 'subscription { quotes(symbols: ["TSLA"]) { symbol } }' },
  };

  beforeAll(async () => {
    t = await startTestApp(dialect);
    await widenCatalogBands(t.app); // prices here are far from the catalog references
    admin = await adminClient(t.url);
    [alice, bob, sue] = await Promise.all([newTrader(t.url, 'alice'), newTrader(t.url, 'bob'), newTrader(t.url, 'sue')]);
    await ok(t.url, 'mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }', { id: sue.id }, admin.token);
    targetUserId = (await newTrader(t.url, 'target')).id;
    await createProduct(t.url, admin.token, 'AZHALT');
    aliceOrderId = await aliceOrder();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.dispose();
  });

  it('the matrix covers every root field the server serves, and nothing else', () => {
    const schema = t.app.server.schema;
    const served = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) =>
      type ? Object.keys(type.getFields()).map((f) => `${type.name}.${f}`) : [],
    );
    expect([...Object.keys(MATRIX), ...Object.keys(SUBSCRIPTIONS)].sort()).toEqual(served.sort());
  });

  const cells = Object.keys(MATRIX).flatMap((field) => ROLES.map((role) => ({ field, role })));
  it.each(cells)('$field as $role', async ({ field, role }) => {
    const row = MATRIX[field]!;
    const op = await row.op(role);
    const token = op.token !== undefined ? op.token : client(role)?.token;
    const r = await gql(t.url, op.query, op.variables ?? {}, token ?? undefined);
    const name = field.split('.')[1]!;
    const got: Outcome | string = r.errors?.length ? String(r.errors[0]!.extensions?.code) : r.data?.[name] === null ? 'null' : 'ok';
    expect(got).toBe(row.expect[role]);
  });

  const subCells = Object.keys(SUBSCRIPTIONS).flatMap((field) => ROLES.map((role) => ({ field, role })));
  it.each(subCells)('$field as $role', async ({ field, role }) => {
    const row = SUBSCRIPTIONS[field]!;
    const c = wsClient(t.url, client(role)?.token);
    clients.push(c);
    const values: unknown[] = [];
    const errors: string[] = [];
    const stop = c.subscribe(
      { query: row.query },
      {
        next: (v) => (v.errors ? errors.push(...v.errors.map((e) => String(e.extensions?.code))) : values.push(v.data)),
        error: (e) => errors.push(Array.isArray(e) ? String(e[0]?.extensions?.code) : String(e)),
        complete: () => {},
      },
    );
    // Make something happen on TSLA (a trade involving the subscriber when it has an account)
    // until the subscription answers with a value or an error.
    const actor = client(role) ?? alice;
    const counterparty = actor === alice ? bob : alice;
    for (let i = 0; i < 100 && values.length === 0 && errors.length === 0; i++) {
      await actor.place({ symbol: 'TSLA', side: 'SELL', price: '200.00', quantity: 1 });
      await counterparty.place({ symbol: 'TSLA', side: 'BUY', price: '200.00', quantity: 1 });
      await new Promise((r) => setTimeout(r, 20));
    }
    stop();
    const got = errors.length > 0 ? errors[0] : values.length > 0 ? 'ok' : 'nothing';
    expect(got).toBe(row.expect[role]);
  });

  describe('sessions', () => {
    it('logout revokes that token at once, and only that one', async () => {
      const u = await newTrader(t.url, 'leaver');
      const second = (await ok(t.url, LOGIN, { u: 'leaver', p: passwordOf('leaver') })).login.token;
      expect((await ok(t.url, 'mutation { logout }', {}, u.token)).logout).toBe(true);
      expect(await errorOf(t.url, '{ myOrders { nodes { id } } }', {}, u.token)).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect((await ok(t.url, '{ me { id } }', {}, u.token)).me).toBeNull();
      expect((await ok(t.url, '{ me { id } }', {}, second)).me).toEqual({ id: u.id });
    });

    it('a role change applies to the account’s very next request, with the same token', async () => {
      const u = await newTrader(t.url, 'climber');
      const setRole = (role: string) => ok(t.url, 'mutation($id: ID!, $r: Role!) { setUserRole(userId: $id, role: $r) { role } }', { id: u.id, r: role }, admin.token);
      expect(await errorOf(t.url, '{ users { nodes { id } } }', {}, u.token)).toMatchObject({ code: 'FORBIDDEN' });
      await setRole('SUPPORT');
      expect((await ok(t.url, '{ users(first: 200) { nodes { id } } }', {}, u.token)).users.nodes).toContainEqual({ id: u.id });
      expect(await errorOf(t.url, HALT, { s: 'AZHALT' }, u.token)).toMatchObject({ code: 'FORBIDDEN' });
      await setRole('ADMIN');
      expect((await ok(t.url, '{ me { role } }', {}, u.token)).me.role).toBe('ADMIN');
      await setRole('TRADER');
      expect(await errorOf(t.url, '{ users { nodes { id } } }', {}, u.token)).toMatchObject({ code: 'FORBIDDEN' });
    });

    it('disabling an account revokes its sessions at once and blocks login (ACCOUNT_DISABLED) until re-enabled', async () => {
      const u = await newTrader(t.url, 'leaving');
      const setDisabled = (disabled: boolean) => ok(t.url, 'mutation($id: ID!, $d: Boolean!) { setUserDisabled(userId: $id, disabled: $d) { disabled } }', { id: u.id, d: disabled }, admin.token);
      expect((await setDisabled(true)).setUserDisabled.disabled).toBe(true);
      expect(await errorOf(t.url, '{ holdings { symbol } }', {}, u.token)).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(await errorOf(t.url, LOGIN, { u: 'leaving', p: passwordOf('leaving') })).toMatchObject({ code: 'FORBIDDEN', reason: 'ACCOUNT_DISABLED' });
      await setDisabled(false);
      const again = (await ok(t.url, LOGIN, { u: 'leaving', p: passwordOf('leaving') })).login.token;
      expect((await ok(t.url, '{ me { id } }', {}, again)).me).toEqual({ id: u.id });
      // Re-enabling does not bring the revoked sessions back.
      expect((await ok(t.url, '{ me { id } }', {}, u.token)).me).toBeNull();
    });

    it('login is rate-limited per username after LOGIN_MAX_ATTEMPTS failures, even with the right password', async () => {
      await newTrader(t.url, 'victim');
      for (let i = 0; i < 5; i++) {
        expect(await errorOf(t.url, LOGIN, { u: 'victim', p: `wrong-password-${i}` })).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'BAD_CREDENTIALS' });
      }
      expect(await errorOf(t.url, LOGIN, { u: 'victim', p: passwordOf('victim') })).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' });
      expect(await errorOf(t.url, LOGIN, { u: 'VICTIM', p: passwordOf('victim') })).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' });
      // Another account from the same address is not locked out.
      expect((await ok(t.url, LOGIN, { u: 'bob', p: passwordOf('bob') })).login.user.id).toBe(bob.id);
    });

    it('a username is one account whatever its case: sign-up refuses a case variant, login accepts any case', async () => {
      const u = await newTrader(t.url, 'Casey');
      expect(await errorOf(t.url, SIGN_UP, { u: 'casey', p: 'another-password' })).toMatchObject({ code: 'CONFLICT', reason: 'USERNAME_TAKEN' });
      expect((await ok(t.url, LOGIN, { u: 'CASEY', p: passwordOf('Casey') })).login.user).toMatchObject({ id: u.id, username: 'Casey' });
      const rows = await t.app.services.knex('users').whereRaw('lower(username) = ?', ['casey']).select('id');
      expect(rows.map((r) => String(r.id))).toEqual([u.id]);
    });

    it.each([
      { what: 'demote themselves to SUPPORT', query: 'mutation($id: ID!) { setUserRole(userId: $id, role: SUPPORT) { id } }', reason: 'CANNOT_DEMOTE_SELF' },
      { what: 'demote themselves to TRADER', query: 'mutation($id: ID!) { setUserRole(userId: $id, role: TRADER) { id } }', reason: 'CANNOT_DEMOTE_SELF' },
      { what: 'disable themselves', query: 'mutation($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }', reason: 'CANNOT_DISABLE_SELF' },
    ])('an admin cannot $what (CONFLICT $reason)', async ({ query, reason }) => {
      expect(await errorOf(t.url, query, { id: admin.id }, admin.token)).toMatchObject({ code: 'CONFLICT', reason });
      expect((await ok(t.url, '{ me { role disabled } }', {}, admin.token)).me).toEqual({ role: 'ADMIN', disabled: false });
    });
  });

  describe('secrets', () => {
    it('no type of the schema has a password, hash or token-hash field', () => {
      const fields = Object.values(t.app.server.schema.getTypeMap())
        .filter((type) => !type.name.startsWith('__') && 'getFields' in type)
        .flatMap((type) => Object.keys((type as { getFields(): Record<string, unknown> }).getFields()).map((f) => `${type.name}.${f}`));
      expect(fields.filter((f) => /pass|hash|secret|salt/i.test(f))).toEqual([]);
    });

    it('never returns a password or its hash, stores passwords as salted scrypt and tokens only as SHA-256', async () => {
      const password = 'correct horse battery';
      const signUp = await gql(t.url, 'mutation($u: String!, $p: String!) { signUp(username: $u, password: $p) { token expiresAt user { id username role memberSince disabled } } }', { u: 'secretive', p: password });
      const twin = await gql(t.url, SIGN_UP, { u: 'secretive2', p: password });
      const list = await gql(t.url, '{ users(first: 200) { nodes { id username role memberSince disabled } } }', {}, admin.token);
      const rows = await t.app.services.knex('users').whereIn('username', ['secretive', 'secretive2']).orderBy('username').select('password_hash');
      const hashes = rows.map((r) => String(r.password_hash));
      for (const body of [signUp, twin, list].map((r) => JSON.stringify(r))) {
        expect(body).not.toContain(password);
        for (const h of hashes) expect(body).not.toContain(h.split('$').at(-1));
      }

      // scrypt$N$r$p$salt$key, each with its own salt; recomputing the key from the password matches.
      expect(hashes[0]).not.toBe(hashes[1]);
      for (const h of hashes) {
        const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([\w-]{22})\$([\w-]{43})$/.exec(h);
        expect(m).not.toBeNull();
        const [, N, r, p, salt, key] = m!;
        expect(Number(N)).toBeGreaterThanOrEqual(2 ** 14);
        const derived = await scrypt(password.normalize('NFKC'), Buffer.from(salt!, 'base64url'), 32, { N: Number(N), r: Number(r), p: Number(p), maxmem: 64 * 1024 * 1024 });
        expect(derived.toString('base64url')).toBe(key);
      }

      const token = signUp.data!.signUp.token as string;
      const sessions = await t.app.services.knex('sessions').select('token_hash');
      expect(sessions.map((s) => s.token_hash)).toContain(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(sessions)).not.toContain(token);
    });
  });
});

for (const { dialect, skip } of await dialects())
describe.skipIf(skip)(`session expiry on ${dialect}`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { TOKEN_TTL_SECONDS: '1' });
    await widenCatalogBands(t.app); // prices here are far from the catalog references
  });
  afterAll(async () => t?.dispose());

  it('refuses a token once it has expired', async () => {
    const up = (await ok(t.url, `mutation { signUp(username: "brief", password: "${passwordOf('brief')}") { token expiresAt } }`)).signUp;
    const expiresAt = Date.parse(up.expiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 200));
    expect(await errorOf(t.url, '{ holdings { symbol } }', {}, up.token)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await ok(t.url, '{ me { id } }', {}, up.token)).me).toBeNull();
    // The account itself is fine: logging in again issues a new token.
    const again = (await ok(t.url, LOGIN, { u: 'brief', p: passwordOf('brief') })).login.token;
    expect(again).not.toBe(up.token);
  });
});
