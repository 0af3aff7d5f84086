/**
 * Proof suite, issue "Security hardening", classes 1 and 3:
 * 1. an open WebSocket acts with the session as it is now (role, disable, expiry), on every replica;
 * 3. sockets are budgeted per remote address and per process, and sockets without a token carry
 *    public market data only.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Client, FormattedExecutionResult } from 'graphql-ws';
import { ADMIN_PASSWORD, startReplica, startTestApp, type TestApp } from '../support/app.js';
import { mysqlReachable, redisReachable, REDIS_URL } from '../support/databases.js';
import { errorOf, gql, LOGIN, ok, PLACE, trader } from '../support/gql.js';
import { serverSubscribed, subscribe, wsClient } from '../support/ws.js';
import { errorsOf } from './support/raw-ws.js';

const EXEC = 'subscription { executionReports { execId execType order { id status } } }';
const ME = '{ me { id role } }';
const SET_ROLE = 'mutation($u: ID!, $r: Role!) { setUserRole(userId: $u, role: $r) { id role } }';
const DISABLE = 'mutation($u: ID!) { setUserDisabled(userId: $u, disabled: true) { id disabled } }';

type Result = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** Runs a query or mutation over a graphql-ws client: its one result (data or errors). */
function over(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    let result: Result | undefined;
    client.subscribe<Record<string, unknown>>(
      { query, variables },
      {
        next: (r) => (result = r),
        error: (e) => (Array.isArray(e) ? resolve({ errors: e }) : reject(e instanceof Error ? e : new Error(JSON.stringify(e)))),
        complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
      },
    );
  });
}

const codeOf = (r: Result) => r.errors?.[0]?.extensions?.code;

/** A graphql-ws client that records how its socket closed. */
function watchedClient(url: string, token?: string): { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let onClosed: (c: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const client = wsClient(url, token, { on: { closed: (e) => onClosed({ code: (e as { code: number }).code, reason: String((e as { reason?: string }).reason ?? '') }) } });
  return { client, closed };
}

/**
 * A client that keeps one socket open for the whole test (not lazy: graphql-ws's lazy client
 * would open a new socket, and so authenticate again, for every operation), and counts the
 * sockets it opened.
 */
function persistentClient(url: string, token: string): { client: Client; sockets: () => number } {
  let opened = 0;
  const client = wsClient(url, token, { lazy: false, on: { connected: () => opened++ } });
  return { client, sockets: () => opened };
}

async function adminToken(url: string): Promise<string> {
  return (await ok<{ login: { token: string } }>(url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD })).login.token;
}

const subscriptionsOn = (t: TestApp, topic: string) => async () =>
  (await t.app.services.metrics.wsSubscriptions.get()).values.find((v) => v.labels.topic === topic)?.value ?? 0;

describe('an open socket acts with its session as it is now (sqlite)', () => {
  let t: TestApp;
  let admin: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    admin = await adminToken(t.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await t?.dispose();
  });

  it('a demoted admin cannot re-promote itself over the socket it opened as an admin', async () => {
    const boss = await trader(t.url, 'boss');
    await ok(t.url, SET_ROLE, { u: boss.id, r: 'ADMIN' }, admin);
    const { client: c, sockets } = persistentClient(t.url, boss.token);
    clients.push(c);
    expect((await over(c, ME)).data).toEqual({ me: { id: boss.id, role: 'ADMIN' } });
    await ok(t.url, SET_ROLE, { u: boss.id, r: 'TRADER' }, admin);
    const again = await over(c, SET_ROLE, { u: boss.id, r: 'ADMIN' });
    expect(codeOf(again), JSON.stringify(again)).toBe('FORBIDDEN');
    expect((await over(c, ME)).data).toEqual({ me: { id: boss.id, role: 'TRADER' } });
    expect((await ok(t.url, ME, {}, boss.token)).me.role).toBe('TRADER');
    expect(sockets()).toBe(1);
  });

  it('a promotion applies to the next operation on an open socket', async () => {
    const riser = await trader(t.url, 'riser');
    const { client: c, sockets } = persistentClient(t.url, riser.token);
    clients.push(c);
    expect(codeOf(await over(c, SET_ROLE, { u: riser.id, r: 'SUPPORT' }))).toBe('FORBIDDEN');
    await ok(t.url, SET_ROLE, { u: riser.id, r: 'ADMIN' }, admin);
    expect((await over(c, SET_ROLE, { u: riser.id, r: 'ADMIN' })).data).toEqual({ setUserRole: { id: riser.id, role: 'ADMIN' } });
    expect(sockets()).toBe(1);
  });

  it('a disabled account loses its sockets (4401), its resting orders are canceled, and it hears no more execution reports', async () => {
    const gone = await trader(t.url, 'gone');
    const other = await trader(t.url, 'other');
    const { client, closed } = watchedClient(t.url, gone.token);
    clients.push(client);
    const reports = subscribe(client, EXEC);
    const before = await subscriptionsOn(t, 'executionReports')();
    await serverSubscribed(subscriptionsOn(t, 'executionReports'), before + 1);
    const rest = await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'SELL', type: 'LIMIT', price: '150.00', quantity: 5, timeInForce: 'GTC' } }, gone.token);
    await reports.waitUntil((r) => r.execType === 'NEW' && r.order.id === rest.placeOrder.id);
    await ok(t.url, DISABLE, { u: gone.id }, admin);
    // The close reason says why, so the user's screen can tell them.
    expect(await closed).toMatchObject({ code: 4401, reason: 'Account disabled' });
    // Its resting order is canceled by the exchange (a disabled account trades no more), and that
    // report is not delivered to the disabled account's closed socket.
    const ORDER_STATE = 'query($id: ID!) { order(id: $id) { status reason } }';
    await expect.poll(async () => (await ok(t.url, ORDER_STATE, { id: rest.placeOrder.id }, admin)).order, { timeout: 10_000 }).toEqual({ status: 'CANCELED', reason: 'ACCOUNT_DISABLED' });
    const take = await ok(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '150.00', quantity: 5 } }, other.token);
    expect(take.placeOrder.status).toBe('NEW');
    expect(reports.values.filter((r) => r.execType !== 'NEW')).toEqual([]);
    expect((await gql(t.url, ME, {}, gone.token)).data).toEqual({ me: null });
  });
});

describe('a socket is closed when its token expires (sqlite, 3 s tokens)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { TOKEN_TTL_SECONDS: '3' });
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('closes with 4401 at expiry; the token then opens no socket and places no order', async () => {
    const late = await trader(t.url, 'late');
    const { client, closed } = watchedClient(t.url, late.token);
    try {
      const reports = subscribe(client, EXEC);
      await serverSubscribed(subscriptionsOn(t, 'executionReports'), 1);
      expect((await over(client, ME)).data).toEqual({ me: { id: late.id, role: 'TRADER' } });
      const end = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(r, 15_000, undefined))]);
      expect(end, 'the socket outlived its token').toEqual({ code: 4401, reason: 'Session expired' });
      expect(reports.values).toEqual([]);
      const again = watchedClient(t.url, late.token);
      subscribe(again.client, EXEC);
      expect((await again.closed).code).toBe(4403);
      await again.client.dispose();
      expect((await gql(t.url, ME, {}, late.token)).data).toEqual({ me: null });
      const order = await errorOf(t.url, PLACE, { i: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '100.00', quantity: 1 } }, late.token);
      expect(order.code).toBe('UNAUTHENTICATED');
    } finally {
      await client.dispose();
    }
  });
});

const replicasReady = (await mysqlReachable()) && (await redisReachable());

describe.skipIf(!replicasReady)('sessions on sockets across two replicas (MySQL + Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: string;
  const clients: Client[] = [];
  beforeAll(async () => {
    const env = { REDIS_URL, REDIS_CHANNEL_PREFIX: `test-${randomBytes(4).toString('hex')}:` };
    a = await startTestApp('mysql', env);
    b = await startReplica(a, env);
    admin = await adminToken(a.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await b?.stop();
    await a?.dispose();
  });

  it('a demotion on one replica holds for the next operation on a socket of the other', async () => {
    const boss = await trader(a.url, 'rboss');
    await ok(a.url, SET_ROLE, { u: boss.id, r: 'ADMIN' }, admin);
    const { client: c, sockets } = persistentClient(b.url, boss.token);
    clients.push(c);
    expect((await over(c, ME)).data).toEqual({ me: { id: boss.id, role: 'ADMIN' } });
    await ok(a.url, SET_ROLE, { u: boss.id, r: 'TRADER' }, admin);
    const again = await over(c, SET_ROLE, { u: boss.id, r: 'ADMIN' });
    expect(codeOf(again), JSON.stringify(again)).toBe('FORBIDDEN');
    expect((await ok(a.url, ME, {}, boss.token)).me.role).toBe('TRADER');
    expect(sockets()).toBe(1);
  });

  it('disabling on one replica closes the account’s sockets on the other', async () => {
    const gone = await trader(b.url, 'rgone');
    const { client, closed } = watchedClient(b.url, gone.token);
    clients.push(client);
    subscribe(client, EXEC);
    await serverSubscribed(subscriptionsOn(b, 'executionReports'), 1);
    await ok(a.url, DISABLE, { u: gone.id }, admin);
    expect((await closed).code).toBe(4401);
    expect((await gql(b.url, ME, {}, gone.token)).data).toEqual({ me: null });
  });
});

/** A raw graphql-transport-ws socket from a chosen loopback address (127.0.0.0/8 is all loopback on Linux). */
interface Flooder {
  readonly ws: WebSocket;
  /** The local (client) address it connected from. */
  readonly from: string;
  readonly messages: Record<string, unknown>[];
  readonly closed: Promise<number>;
  /** Sends a subscribe and resolves with its first answer: `next` (accepted) or the error's extensions. */
  start(id: string, query: string): Promise<{ accepted: true } | { accepted: false; code?: string; reason?: string }>;
}

function flooder(url: string, from: string): Promise<Flooder> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { localAddress: from });
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  ws.on('error', () => {});
  ws.on('message', (d) => {
    messages.push(JSON.parse(d.toString()) as Record<string, unknown>);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<number>((r) =>
    ws.on('close', (code) => {
      r(code);
      for (const w of [...waiters]) w();
    }),
  );
  const until = (pred: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pred()) {
          waiters.delete(check);
          resolve();
        } else if (ws.readyState === WebSocket.CLOSED) {
          waiters.delete(check);
          reject(new Error('socket closed'));
        }
      };
      waiters.add(check);
      check();
    });
  const self: Flooder = {
    ws,
    from,
    messages,
    closed,
    start: async (id, query) => {
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
      await until(() => messages.some((m) => m.id === id && (m.type === 'next' || m.type === 'error')));
      const errors = errorsOf(messages, id);
      return errors.length === 0 ? { accepted: true } : { accepted: false, code: errors[0]!.extensions?.code, reason: errors[0]!.extensions?.reason };
    },
  };
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'connection_init' }));
      void until(() => messages.some((m) => m.type === 'connection_ack')).then(
        () => resolve(self),
        () => resolve(self),
      );
    });
    ws.once('close', () => resolve(self));
  });
}

describe('budgets of sockets without a token (sqlite)', () => {
  const LIMITS = {
    WS_MAX_CONNECTIONS_PER_ADDRESS: '3',
    WS_MAX_CONNECTIONS: '8',
    WS_MAX_ANONYMOUS_SUBSCRIPTIONS: '4',
    WS_MAX_SUBSCRIPTIONS_PER_ADDRESS: '10',
    WS_MAX_SUBSCRIPTIONS_TOTAL: '20',
    WS_MAX_DOCUMENTS_PER_ADDRESS: '5',
    WS_MAX_DOCUMENTS: '12',
  };
  let t: TestApp;
  const sockets: Flooder[] = [];
  beforeAll(async () => {
    t = await startTestApp('sqlite', LIMITS);
  });
  afterAll(async () => {
    for (const s of sockets) s.ws.terminate();
    await t?.dispose();
  });

  it('a flood of sockets and distinct subscriptions from several addresses gets coded refusals beyond each budget', async () => {
    const addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const closes: number[] = [];
    for (const from of addresses) {
      for (let i = 0; i < 4; i++) {
        const s = await flooder(t.url, from);
        if (s.ws.readyState === WebSocket.OPEN) sockets.push(s);
        else closes.push(await s.closed);
      }
    }
    // 3 per address; 8 in the process: 3 + 3 + 2, then the process is full.
    expect(sockets.map((s) => s.from)).toEqual([
      ...Array<string>(3).fill('127.0.0.2'),
      ...Array<string>(3).fill('127.0.0.3'),
      ...Array<string>(2).fill('127.0.0.4'),
    ]);
    expect(closes.sort()).toEqual([1013, 1013, 1013, 1013, 1013, 1013, 4429, 4429]);

    // Every open socket asks for 6 subscriptions, each with a query text of its own.
    const outcomes: { from: string; accepted: boolean; code?: string; reason?: string; text: string }[] = [];
    for (const [n, s] of sockets.entries()) {
      const { from } = s;
      for (let j = 0; j < 6; j++) {
        const text = `subscription Flood${n}x${j} { orderBook(symbol: "AAPL", depth: ${1 + j}) { seq } }`;
        outcomes.push({ from, text, ...(await s.start(`s${j}`, text)) });
      }
    }
    const accepted = outcomes.filter((o) => o.accepted);
    const refused = outcomes.filter((o) => !o.accepted);
    const reasons = new Map<string, number>();
    for (const o of refused) reasons.set(`${o.code}/${o.reason}`, (reasons.get(`${o.code}/${o.reason}`) ?? 0) + 1);
    // Per socket 4 (the first socket of each of the first two addresses reaches it); per address
    // 5 distinct texts (4 + 1 accepted, the other 11 of its sockets refused); in the process 12
    // distinct texts (the third address gets the last 2, its other 10 are refused).
    expect(Object.fromEntries(reasons)).toEqual({
      'TOO_MANY_REQUESTS/TOO_MANY_SUBSCRIPTIONS': 2 + 2,
      'TOO_MANY_REQUESTS/TOO_MANY_DOCUMENTS_FROM_ADDRESS': 11 + 11,
      'SERVICE_UNAVAILABLE/DOCUMENT_CAPACITY': 10,
    });
    expect(accepted).toHaveLength(12);
    const counted = Object.fromEntries((await t.app.services.metrics.wsRefusals.get()).values.filter((v) => v.value > 0).map((v) => [v.labels.reason, v.value]));
    expect(counted).toEqual({
      TOO_MANY_CONNECTIONS_FROM_ADDRESS: 2,
      CONNECTION_CAPACITY: 6,
      TOO_MANY_SUBSCRIPTIONS: 4,
      TOO_MANY_DOCUMENTS_FROM_ADDRESS: 22,
      DOCUMENT_CAPACITY: 10,
    });
    for (const from of new Set(accepted.map((o) => o.from))) expect(accepted.filter((o) => o.from === from).length).toBeLessThanOrEqual(5);
    // The refused sockets stay open, and a text the process already holds still fits.
    const last = sockets[sockets.length - 1]!;
    expect(await last.start('again', outcomes.find((o) => o.accepted && o.from === '127.0.0.4')!.text)).toEqual({ accepted: true });
  });

  it('gives the budgets back when sockets close', async () => {
    for (const s of sockets.splice(0)) {
      s.ws.close();
      await s.closed;
    }
    const fresh = await flooder(t.url, '127.0.0.9');
    sockets.push(fresh);
    expect(fresh.ws.readyState).toBe(WebSocket.OPEN);
    expect(await fresh.start('a', 'subscription { orderBook(symbol: "AAPL") { seq } }')).toEqual({ accepted: true });
  });

  it.each([
    ['a query', '{ products(first: 1) { nodes { symbol } } }'],
    ['a mutation other than logging in', 'mutation { cancelOrder(id: "1") { id } }'],
    ['a login beside another mutation', 'mutation { login(username: "admin", password: "nope-nope") { token } cancelOrder(id: "1") { id } }'],
    ['the all-orders list', 'subscription { orderUpdates { id } }'],
    ['the caller’s account', '{ me { id } }'],
    ['a private field behind a fragment', 'subscription { ...F } fragment F on Subscription { executionReports { execId } }'],
  ])('a socket without a token is refused %s (UNAUTHENTICATED / LOGIN_REQUIRED)', async (_name, query) => {
    const s = await flooder(t.url, '127.0.0.10');
    sockets.push(s);
    expect(await s.start('x', query)).toMatchObject({ accepted: false, code: 'UNAUTHENTICATED' });
    expect(errorsOf(s.messages, 'x')[0]?.extensions?.reason).toBe('LOGIN_REQUIRED');
    s.ws.close();
  });
});
