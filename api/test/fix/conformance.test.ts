/**
 * The FIX session layer against what an independent engine (QuickFIX/C++) and raw frames found:
 * refused logons, garbled and out-of-order messages, sequence-number edge cases, malformed
 * session messages, hardening of unauthenticated connections.
 */
import { MemorySessionStore, SessionId } from 'jspurefix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { widenCatalogBands } from '../support/trading.js';
import { trader, passwordOf } from '../support/gql.js';
import { FixClient, type ClientOptions } from './support/fix-client.js';
import { EXEC, MsgType, Tag } from './support/orders.js';
import { RawFixClient, type Field, type RawMessage } from './support/raw-fix.js';

const ORDER = (clOrdId: string, qty: number | string = 1): Field[] => [
  [Tag.ClOrdID, clOrdId],
  [Tag.Symbol, 'AAPL'],
  [Tag.Side, '1'],
  [Tag.TransactTime, '20260101-00:00:00.000'],
  [Tag.OrderQty, qty],
  [Tag.OrdType, '2'],
  [Tag.Price, '100.00'],
];

const reportsOf = (c: RawFixClient, clOrdId: string) => c.received.filter((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === clOrdId);
const ofType = (c: RawFixClient, type: string) => c.received.filter((m) => m.type === type);

describe('FIX session conformance (sqlite)', () => {
  let t: TestApp;
  const port = () => t.app.fixPort!;

  /** Logs a raw client on as `name` (an account of that name, CompID in upper case). */
  async function loggedOn(name: string): Promise<RawFixClient> {
    const c = await RawFixClient.connect(port(), name.toUpperCase());
    const answer = await c.logon(name, passwordOf(name));
    expect(answer.type).toBe(MsgType.Logon);
    return c;
  }

  beforeAll(async () => {
    t = await startTestApp('sqlite', { FIX_LOGON_TIMEOUT_SECONDS: '2', FIX_MAX_MESSAGE_BYTES: '2048' });
    await widenCatalogBands(t.app);
    await Promise.all(
      ['owner', 'intruder', 'lockedout', 'garble', 'order', 'lowseq', 'dup', 'resets', 'tags', 'version', 'big', 'textlogon', 'canceltext'].map((n) => trader(t.url, n)),
    );
  });
  afterAll(async () => t?.dispose());

  describe('a refused logon changes nothing about any session', () => {
    const ownerStore = new MemorySessionStore(new SessionId('FIX.4.4', 'OWNERDESK', 'TRADINGAPP'));
    const owner = (): ClientOptions => ({ port: port(), username: 'owner', password: passwordOf('owner'), senderCompId: 'OWNERDESK', reset: false, store: ownerStore });
    const row = () => t.app.services.knex('fix_sessions').where({ target_comp_id: 'OWNERDESK' }).first();
    const released = async () => {
      while ((await row())?.owner !== null) await new Promise((r) => setTimeout(r, 20));
    };
    let before: Record<string, unknown>;

    beforeAll(async () => {
      const c = await FixClient.connect(owner());
      await c.logout();
      await released();
      before = await row();
      expect(Number(before.next_target_seq)).toBeGreaterThan(1);
    });

    it.each([
      { what: 'no credentials and a MsgSeqNum far ahead', username: null, password: null, seq: 5000, text: 'Username (553) and Password (554) are required.' },
      { what: 'a wrong password and a MsgSeqNum far ahead', username: 'owner', password: 'guess', seq: 5000, text: 'Wrong username or password.' },
      { what: 'a wrong password and a MsgSeqNum too low', username: 'owner', password: 'guess', seq: 1, text: 'Wrong username or password.' },
      { what: 'another account and a MsgSeqNum too low', username: 'intruder', password: passwordOf('intruder'), seq: 1, text: 'This SenderCompID belongs to another account.' },
      { what: 'another account and a MsgSeqNum far ahead', username: 'intruder', password: passwordOf('intruder'), seq: 5000, text: 'This SenderCompID belongs to another account.' },
    ])('with $what: a Logout saying why, numbered 1, and the stored session untouched', async ({ username, password, seq, text }) => {
      const c = await RawFixClient.connect(port(), 'OWNERDESK');
      const answer = await c.logon(username, password, 30, { reset: false, seq });
      expect({ type: answer.type, text: answer.get(Tag.Text), seq: answer.get(Tag.MsgSeqNum) }).toEqual({ type: MsgType.Logout, text, seq: '1' });
      await c.closed;
      expect(ofType(c, MsgType.ResendRequest)).toEqual([]);
      expect(await row()).toEqual(before);
    });

    it('does not lock the owner out after a stranger\'s failed passwords', async () => {
      // LOGIN_MAX_ATTEMPTS is 5 in tests; the stranger calls from another loopback address.
      for (let i = 0; i < 6; i++) {
        const c = await RawFixClient.connect(port(), 'LOCKDESK', 'TRADINGAPP', { localAddress: '127.0.0.2' });
        await c.logon('lockedout', 'guess');
        await c.closed;
      }
      const owner = await RawFixClient.connect(port(), 'LOCKDESK');
      expect((await owner.logon('lockedout', passwordOf('lockedout'))).type).toBe(MsgType.Logon);
      owner.close();
    });

    it('lets the owner log on afterwards with the numbers it kept', async () => {
      const c = await FixClient.connect(owner());
      expect(c.all((m) => m.msgType === MsgType.Logout || m.msgType === MsgType.ResendRequest)).toEqual([]);
      await c.logout();
      await released();
    });
  });

  describe('garbled messages are ignored', () => {
    let c: RawFixClient;
    beforeAll(async () => {
      c = await loggedOn('garble');
    });
    afterAll(() => c?.close());

    it('ignores a bad CheckSum, a bad BodyLength and junk bytes, and processes the correct message with that number', async () => {
      const seq = c.nextSeq;
      c.send(MsgType.NewOrderSingle, ORDER('garbled-1'), { seq, checkSumDelta: 1 });
      c.send(MsgType.NewOrderSingle, ORDER('garbled-2'), { seq, bodyLengthDelta: -3 });
      c.write('\x01junk 8=FI 10=000\x01');
      c.send(MsgType.NewOrderSingle, ORDER('garbled-3'), { seq });
      await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'garbled-3');
      c.nextSeq = seq + 1;
      c.send(MsgType.NewOrderSingle, ORDER('garbled-4'));
      await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'garbled-4');
      expect(reportsOf(c, 'garbled-1')).toEqual([]);
      expect(reportsOf(c, 'garbled-2')).toEqual([]);
      expect(ofType(c, MsgType.Reject)).toEqual([]);
      expect(ofType(c, MsgType.Logout)).toEqual([]);
    });
  });

  describe('out-of-order messages', () => {
    let c: RawFixClient;
    beforeAll(async () => {
      c = await loggedOn('order');
    });
    afterAll(() => c?.close());

    it('holds a message ahead of the gap, asks for a resend, and processes each message once and in order', async () => {
      const first = c.nextSeq;
      c.send(MsgType.NewOrderSingle, ORDER('ooo-2'), { seq: first + 1 });
      const resend = await c.next((m) => m.type === MsgType.ResendRequest);
      expect({ begin: resend.get(Tag.BeginSeqNo), end: resend.get(Tag.EndSeqNo) }).toEqual({ begin: String(first), end: '0' });
      // The counterparty answers the ResendRequest with both messages again.
      c.send(MsgType.NewOrderSingle, ORDER('ooo-1'), { seq: first, possDup: true });
      c.send(MsgType.NewOrderSingle, ORDER('ooo-2'), { seq: first + 1, possDup: true });
      c.nextSeq = first + 2;
      c.send(MsgType.TestRequest, [[Tag.TestReqID, 'after-gap']]);
      await c.next((m) => m.type === MsgType.Heartbeat && m.get(Tag.TestReqID) === 'after-gap');
      const reports = c.received.filter((m) => m.type === MsgType.ExecutionReport).map((m) => `${m.get(Tag.ClOrdID)} ${m.get(Tag.ExecType)}`);
      expect(reports).toEqual([`ooo-1 ${EXEC.NEW}`, `ooo-2 ${EXEC.NEW}`]);
      expect(ofType(c, MsgType.ResendRequest)).toHaveLength(1);
    });
  });

  describe('sequence numbers mid-session', () => {
    it('answers a MsgSeqNum too low without PossDupFlag with a Logout that says so, then disconnects', async () => {
      const c = await loggedOn('lowseq');
      c.send(MsgType.TestRequest, [[Tag.TestReqID, 'one']]);
      await c.next((m) => m.type === MsgType.Heartbeat);
      c.send(MsgType.TestRequest, [[Tag.TestReqID, 'again']], { seq: 2 });
      const logout = await c.next((m) => m.type === MsgType.Logout);
      expect(logout.get(Tag.Text)).toBe('MsgSeqNum too low, expecting 3 but received 2.');
      await c.closed;
    });

    it('ignores a possible duplicate of a message already processed', async () => {
      const c = await loggedOn('dup');
      const seq = c.send(MsgType.NewOrderSingle, ORDER('dup-1'));
      await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'dup-1');
      c.send(MsgType.NewOrderSingle, ORDER('dup-2'), { seq, possDup: true });
      c.send(MsgType.NewOrderSingle, ORDER('dup-3'));
      await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'dup-3');
      expect(reportsOf(c, 'dup-2')).toEqual([]);
      expect(ofType(c, MsgType.Logout)).toEqual([]);
      c.close();
    });

    it('rejects a SequenceReset-Reset below the expected number (373=5, 371=36) and keeps the expected number', async () => {
      const c = await loggedOn('resets');
      c.send(MsgType.TestRequest, [[Tag.TestReqID, 'a']]);
      c.send(MsgType.TestRequest, [[Tag.TestReqID, 'b']]);
      const reset = c.send(MsgType.SequenceReset, [[Tag.NewSeqNo, 2]]);
      const reject = await c.next((m) => m.type === MsgType.Reject);
      expect({ ref: reject.get(Tag.RefSeqNum), reason: reject.get(Tag.SessionRejectReason), tag: reject.get(Tag.RefTagID) }).toEqual({
        ref: String(reset),
        reason: '5',
        tag: '36',
      });
      // The Reset's own MsgSeqNum does not count (Reset mode ignores it): the next one is still expected.
      c.nextSeq = reset;
      c.send(MsgType.TestRequest, [[Tag.TestReqID, 'c']]);
      await c.next((m) => m.type === MsgType.Heartbeat && m.get(Tag.TestReqID) === 'c');
      expect(ofType(c, MsgType.Logout)).toEqual([]);
      c.close();
    });
  });

  describe('malformed session messages', () => {
    it('names the missing tag in RefTagID (371)', async () => {
      const c = await loggedOn('tags');
      const seq = c.send(MsgType.TestRequest, []);
      const reject = await c.next((m) => m.type === MsgType.Reject);
      expect({ ref: reject.get(Tag.RefSeqNum), reason: reject.get(Tag.SessionRejectReason), tag: reject.get(Tag.RefTagID) }).toEqual({
        ref: String(seq),
        reason: '1',
        tag: String(Tag.TestReqID),
      });
      c.close();
    });

    it('accepts Text (58) on a Logon', async () => {
      const c = await RawFixClient.connect(port(), 'TEXTLOGON');
      const answer = await c.logon('textlogon', passwordOf('textlogon'), 30, { extra: [[Tag.Text, 'hello from the desk']] });
      expect(answer.type).toBe(MsgType.Logon);
      expect(ofType(c, MsgType.Reject)).toEqual([]);
      c.close();
    });

    it('ends a session whose counterparty switches FIX version', async () => {
      const c = await loggedOn('version');
      c.send(MsgType.NewOrderSingle, ORDER('v42-1'), { beginString: 'FIX.4.2' });
      const logout = await c.next((m) => m.type === MsgType.Logout);
      expect(logout.get(Tag.Text)).toBe('BeginString must be FIX.4.4.');
      await c.closed;
      expect(reportsOf(c, 'v42-1')).toEqual([]);
    });

    it('refuses a Logon in another FIX version', async () => {
      const c = await RawFixClient.connect(port(), 'OLDVERSION');
      const answer = await c.logon('textlogon', passwordOf('textlogon'), 30, { beginString: 'FIX.4.2' });
      expect({ type: answer.type, text: answer.get(Tag.Text) }).toEqual({ type: MsgType.Logout, text: 'BeginString must be FIX.4.4.' });
      await c.closed;
    });
  });

  describe('unauthenticated and oversized traffic', () => {
    it('closes a connection that does not log on in time', async () => {
      const c = await RawFixClient.connect(port(), 'SILENT');
      await c.closed;
      expect(c.received).toEqual([]);
    });

    it('closes a connection whose Logon is invalid, with a Logout saying why and no Reject', async () => {
      const c = await RawFixClient.connect(port(), 'NOHEARTBEAT');
      c.send(MsgType.Logon, [
        [98, 0],
        [553, 'textlogon'],
        [554, passwordOf('textlogon')],
      ]);
      await c.closed;
      expect(c.received.map((m: RawMessage) => [m.type, m.get(Tag.Text)])).toEqual([[MsgType.Logout, 'Invalid Logon: Required tag missing: HeartBtInt (108).']]);
    });

    it('refuses a message above the size limit with a Logout, then disconnects', async () => {
      const c = await loggedOn('big');
      c.send(MsgType.NewOrderSingle, [...ORDER('big-1'), [Tag.Text, 'x'.repeat(3000)]]);
      const logout = await c.next((m) => m.type === MsgType.Logout);
      expect(logout.get(Tag.Text)).toMatch(/exceeds the limit of 2048/);
      await c.closed;
      expect(reportsOf(c, 'big-1')).toEqual([]);
    });
  });

  describe('execution reports', () => {
    it('explain a cancellation in words', async () => {
      const c = await loggedOn('canceltext');
      c.send(MsgType.NewOrderSingle, [...ORDER('ioc-1'), [Tag.TimeInForce, '3']]);
      const canceled = await c.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'ioc-1' && m.get(Tag.ExecType) === EXEC.CANCELED);
      expect(canceled.get(Tag.Text)).toBe('Immediate-or-cancel: the unfilled quantity was canceled.');
      c.close();
    });
  });
});
