/**
 * Proof cases of issue #14, class 5: login and sign-up abuse. Each case fails on the code
 * before the fix (budgets checked before and counted after the hash, separate FIX budget, one
 * counter per replica, lock-out of the owner, unlimited sign-ups, an unbounded hashing pool,
 * X-Forwarded-For believed from any private address, any password of 8 characters).
 *
 * The suites connect from 127.0.0.1, which TRUSTED_PROXIES trusts by default: a test plays a
 * client at another address by sending X-Forwarded-For.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startReplica, startTestApp, ADMIN_PASSWORD, type TestApp } from '../support/app.js';
import { LOGIN, SIGN_UP, passwordOf, trader } from '../support/gql.js';
import { REDIS_URL, redisReachable } from '../support/databases.js';
import { FixClient } from '../fix/support/fix-client.js';

interface Answer {
  readonly ok: boolean;
  readonly code?: string;
  readonly reason?: string;
  readonly field?: string;
}

/** One GraphQL request as a client at `from` (through the trusted loopback proxy) would send it. */
async function post(url: string, query: string, variables: Record<string, unknown>, from?: string): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string; reason?: string; field?: string } }[] };
  const e = body.errors?.[0]?.extensions;
  return e ? { ok: false, code: e.code, reason: e.reason, ...(e.field ? { field: e.field } : {}) } : { ok: true };
}

const login = (t: TestApp, u: string, p: string, from?: string) => post(t.url, LOGIN, { u, p }, from);
const signUp = (t: TestApp, u: string, p: string, from?: string) => post(t.url, SIGN_UP, { u, p }, from);
const reasons = (answers: readonly Answer[]) => answers.reduce<Record<string, number>>((m, a) => ((m[a.ok ? 'OK' : String(a.reason)] = (m[a.ok ? 'OK' : String(a.reason)] ?? 0) + 1), m), {});
/** Cases that hash many passwords (the code before the fix hashed them all): room on a loaded machine. */
const HEAVY = { timeout: 120_000 };
const RATE_LIMITED = { ok: false, code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' };

describe('login budgets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { LOGIN_MAX_ATTEMPTS: '10', LOGIN_ACCOUNT_MAX_ATTEMPTS: '30', LOGIN_ADDRESS_MAX_ATTEMPTS: '20' });
  });
  afterAll(async () => t?.dispose());

  it('100 concurrent wrong passwords get 10 password checks: the budget is reserved before hashing', HEAVY, async () => {
    await trader(t.url, 'burst');
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => login(t, 'burst', `wrong-guess-${i}`, '198.51.100.1')));
    expect(reasons(answers)).toEqual({ BAD_CREDENTIALS: 10, LOGIN_RATE_LIMITED: 90 });
  });

  it('a FIX Logon spends the same budget as the GraphQL login', async () => {
    await trader(t.url, 'twochannels');
    for (let i = 0; i < 10; i++) {
      const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'twochannels', password: `wrong-guess-${i}`, senderCompId: `TWOCH${i}` });
      await expect(ready).rejects.toThrow('Wrong username or password.');
    }
    // The FIX gateway sees 127.0.0.1; so does a GraphQL request without X-Forwarded-For.
    expect(await login(t, 'twochannels', passwordOf('twochannels'))).toEqual(RATE_LIMITED);
    const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'twochannels', password: passwordOf('twochannels'), senderCompId: 'TWOCH' });
    await expect(ready).rejects.toThrow(/Too many failed logins/);
  });

  it('no number of failures from elsewhere locks the owner out of their usual address, admin included', HEAVY, async () => {
    for (const [name, password] of [
      ['owner', passwordOf('owner')],
      ['admin', ADMIN_PASSWORD],
    ] as const) {
      if (name !== 'admin') await trader(t.url, name);
      expect(await login(t, name, password, '203.0.113.10')).toEqual({ ok: true });
      // Ten addresses try every guess their budgets allow, and more.
      const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => login(t, name, `wrong-guess-${i}`, `192.0.2.${i % 10}`)));
      expect(flood.filter((a) => a.reason === 'BAD_CREDENTIALS').length).toBeLessThanOrEqual(30);
      expect(flood.every((a) => a.reason === 'BAD_CREDENTIALS' || a.reason === 'LOGIN_RATE_LIMITED')).toBe(true);
      // A new address is held to the account's cap (for a window); the usual one is not.
      expect(await login(t, name, password, '192.0.2.200'), name).toEqual(RATE_LIMITED);
      expect(await login(t, name, password, '203.0.113.10'), name).toEqual({ ok: true });
    }
  });

  it('one address spraying one guess over many accounts is stopped by its own budget', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 25; i++) answers.push(await login(t, `sprayed-${i}`, 'Spring2026!', '198.51.100.77'));
    expect(reasons(answers)).toEqual({ BAD_CREDENTIALS: 20, LOGIN_RATE_LIMITED: 5 });
  });

  it('X-Forwarded-For is believed only from TRUSTED_PROXIES: a private hop named by the client is its address', async () => {
    // 127.0.0.1 is trusted, 10.9.9.9 is not: the client is 10.9.9.9, whatever it puts left of it.
    const answers: Answer[] = [];
    for (let i = 0; i < 25; i++) answers.push(await login(t, `proxied-${i}`, 'Spring2026!', `198.51.100.${100 + i}, 10.9.9.9`));
    expect(reasons(answers)).toEqual({ BAD_CREDENTIALS: 20, LOGIN_RATE_LIMITED: 5 });
  });

  it('a login over the WebSocket is budgeted at the address of the upgrade request', async () => {
    await trader(t.url, 'socketeer');
    const ClientAt = class extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers: { 'x-forwarded-for': '198.51.100.200' } });
      }
    };
    const client = createClient({ url: t.url.replace(/^http/, 'ws'), webSocketImpl: ClientAt, retryAttempts: 0, lazy: true });
    try {
      for (let i = 0; i < 10; i++) {
        const result = await client.iterate({ query: LOGIN, variables: { u: 'socketeer', p: `wrong-guess-${i}` } }).next();
        expect(JSON.stringify(result.value)).toContain('BAD_CREDENTIALS');
      }
    } finally {
      await client.dispose();
    }
    expect(await login(t, 'socketeer', passwordOf('socketeer'), '198.51.100.200')).toEqual(RATE_LIMITED);
    expect(await login(t, 'socketeer', passwordOf('socketeer'), '198.51.100.201')).toEqual({ ok: true });
  });
});

describe('trusted proxies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { TRUSTED_PROXIES: '', LOGIN_ADDRESS_MAX_ATTEMPTS: '5' });
  });
  afterAll(async () => t?.dispose());

  it('with none configured, X-Forwarded-For is ignored even from loopback', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push(await login(t, `untrusted-${i}`, 'Spring2026!', `198.51.100.${i}`));
    expect(reasons(answers)).toEqual({ BAD_CREDENTIALS: 5, LOGIN_RATE_LIMITED: 3 });
  });
});

describe('sign-up', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { SIGNUP_MAX_PER_ADDRESS: '3', PASSWORD_HASH_QUEUE: '4' });
  });
  afterAll(async () => t?.dispose());

  it('is limited per address', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 5; i++) answers.push(await signUp(t, `farm-${i}`, passwordOf(`farm-${i}`), '198.51.100.50'));
    expect(reasons(answers)).toEqual({ OK: 3, SIGN_UP_RATE_LIMITED: 2 });
    expect(await signUp(t, 'farm-elsewhere', passwordOf('farm-elsewhere'), '198.51.100.51')).toEqual({ ok: true });
  });

  it('a flood of sign-ups from many addresses gets coded refusals beyond the hashing queue, and a login still gets in', HEAVY, async () => {
    await signUp(t, 'steady', passwordOf('steady'), '203.0.113.1');
    const flood = Array.from({ length: 150 }, (_, i) => signUp(t, `flood-${i}`, passwordOf(`flood-${i}`), `100.64.${i >> 8}.${i & 255}`));
    const during = login(t, 'steady', passwordOf('steady'), '203.0.113.1');
    const answers = await Promise.all(flood);
    expect(await during).toEqual({ ok: true });
    const counts = reasons(answers);
    expect(Object.keys(counts).sort()).toEqual(['AUTH_BUSY', 'OK']);
    expect(counts.AUTH_BUSY).toBeGreaterThan(0);
    for (const a of answers.filter((x) => !x.ok)) expect(a).toEqual({ ok: false, code: 'TOO_MANY_REQUESTS', reason: 'AUTH_BUSY' });
  });

  it.each([
    ['a common password', 'fresh-a', 'password123'],
    ['a common password in capitals', 'fresh-b', 'QWERTYUIOP'],
    ['a keyboard walk', 'fresh-c', '1q2w3e4r5t'],
    ['one character repeated', 'fresh-d', 'zzzzzzzzzzzz'],
    ['the username', 'fresh-e-user', 'fresh-e-user'],
    ['the username inside', 'fresh-f', 'my-FRESH-F-pass'],
  ])('refuses %s (WEAK_PASSWORD on the password field)', async (_name, u, p) => {
    expect(await signUp(t, u, p, '198.51.100.98')).toEqual({ ok: false, code: 'BAD_USER_INPUT', reason: 'WEAK_PASSWORD', field: 'password' });
  });

  it('accepts a long passphrase of ordinary words', async () => {
    expect(await signUp(t, 'phraser', 'correct horse battery staple', '198.51.100.99')).toEqual({ ok: true });
  });
});

const redisOk = await redisReachable();

describe.skipIf(!redisOk)('login budgets across replicas (Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { REDIS_URL, REDIS_CHANNEL_PREFIX: `test-${randomBytes(4).toString('hex')}:`, LOGIN_MAX_ATTEMPTS: '10' };
    a = await startTestApp('sqlite', env);
    b = await startReplica(a, env);
  });
  afterAll(async () => {
    await b?.stop();
    await a?.dispose();
  });

  it('failures on one replica count on the other', async () => {
    await trader(a.url, 'roamer');
    const answers = await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => login(a, 'roamer', `wrong-guess-${i}`, '198.51.100.9')),
      ...Array.from({ length: 30 }, (_, i) => login(b, 'roamer', `wrong-guess-b${i}`, '198.51.100.9')),
    ]);
    expect(reasons(answers)).toEqual({ BAD_CREDENTIALS: 10, LOGIN_RATE_LIMITED: 50 });
    expect(await login(b, 'roamer', passwordOf('roamer'), '198.51.100.9')).toEqual(RATE_LIMITED);
  });
});
