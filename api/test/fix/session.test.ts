import { MemorySessionStore, SessionId } from 'jspurefix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startTestApp, type TestApp } from '../support/app.js';
import { LOGIN, ok, trader, passwordOf } from '../support/gql.js';
import { FixClient, type ClientOptions } from './support/fix-client.js';
import { EXEC, message, MsgType, report, sendOrder, Tag } from './support/orders.js';
import { RawFixClient } from './support/raw-fix.js';
import { TAKEOVER_SENDER_SEQ_SKIP } from '../../src/modules/fix/fix-codes.js';

describe('FIX session layer (sqlite)', () => {
  let t: TestApp;
  /** The client's sequence numbers, kept between its connections as a real engine keeps them on disk. */
  const clientStore = new MemorySessionStore(new SessionId('FIX.4.4', 'SEQTRADER', 'TRADINGAPP'));
  const persistent = (): ClientOptions => ({
    port: t.app.fixPort!,
    username: 'seqtrader',
    password: passwordOf('seqtrader'),
    senderCompId: 'SEQTRADER',
    reset: false,
    store: clientStore,
  });
  /** Waits until the gateway has ended the session (it does once the client has closed after the Logout exchange). */
  const released = () => until(async () => (await row())?.owner === null);
  const row = async () => t.app.services.knex('fix_sessions').where({ target_comp_id: 'SEQTRADER' }).first('next_sender_seq', 'next_target_seq', 'owner');

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    await Promise.all([trader(t.url, 'seqtrader'), trader(t.url, 'rawtrader'), trader(t.url, 'othertrader'), trader(t.url, 'soontodisable')]);
  });
  afterAll(async () => t?.dispose());

  describe('sequence numbers', () => {
    let execId: string;

    it('persists both sides\' numbers in the database and frees the session at logout', async () => {
      const c = await FixClient.connect(persistent());
      sendOrder(c, 'seq-1', { symbol: 'AAPL', price: '150.00', qty: 3 });
      execId = (await report(c, 'seq-1', EXEC.NEW)).get(Tag.ExecID)!;
      await c.logout();
      await released();
      const stored = await row();
      expect({ sender: Number(stored.next_sender_seq), target: Number(stored.next_target_seq) }).toEqual({
        sender: clientStore.targetSeqNum,
        target: clientStore.senderSeqNum,
      });
    });

    it('resends missed execution reports as possible duplicates after a reconnect, and gap-fills the rest', async () => {
      // The client "lost" everything after our Logon (seq 1): on its next logon it asks for the rest.
      clientStore.targetSeqNum = 2;
      const c = await FixClient.connect(persistent());
      const again = await c.next((m) => m.msgType === MsgType.ExecutionReport && m.get(Tag.ExecID) === execId);
      expect(again.get(Tag.PossDupFlag)).toBe('Y');
      expect(again.get(Tag.OrigSendingTime)).toBeDefined();
      const gapFill = await c.next((m) => m.msgType === MsgType.SequenceReset);
      expect(gapFill.get(Tag.GapFillFlag)).toBe('Y');
      sendOrder(c, 'seq-2', { symbol: 'AAPL', price: '150.00', qty: 1 });
      await report(c, 'seq-2', EXEC.NEW);
      await c.logout();
    });

    it('asks for a resend when the client skips sequence numbers, and carries on after its gap fill', async () => {
      const expected = Number((await row()).next_target_seq);
      expect(expected).toBe(clientStore.senderSeqNum);
      clientStore.senderSeqNum += 5;
      const c = await FixClient.connect(persistent());
      const resend = await message(c, MsgType.ResendRequest, Tag.BeginSeqNo, String(expected));
      expect(resend.get(Tag.EndSeqNo)).toBe('0');
      sendOrder(c, 'seq-3', { symbol: 'AAPL', price: '150.00', qty: 1 });
      await report(c, 'seq-3', EXEC.NEW);
      await c.logout();
      await released();
      expect(Number((await row()).next_target_seq)).toBe(clientStore.senderSeqNum);
    });

    it('keeps the numbers across an API restart', async () => {
      const before = await row();
      t = await t.restart();
      const c = await FixClient.connect(persistent());
      const logon = c.received.find((m) => m.msgType === MsgType.Logon)!;
      expect(Number(logon.get(Tag.MsgSeqNum))).toBe(Number(before.next_sender_seq));
      expect(c.all((m) => m.msgType === MsgType.ResendRequest || m.msgType === MsgType.SequenceReset)).toEqual([]);
      c.send(MsgType.OrderStatusRequest, { ClOrdID: 'seq-1', Instrument: { Symbol: 'AAPL' }, Side: '2' });
      expect((await report(c, 'seq-1', EXEC.STATUS)).get(Tag.OrdStatus)).toBe('0');
      await c.logout();
      await released();
    });

    it('takes over a session a crashed process never released, skipping ahead so the client sees a gap it can fill', async () => {
      await released();
      const before = await row();
      await t.app.services.knex('fix_sessions').where({ target_comp_id: 'SEQTRADER' }).update({ owner: 'crashed-process', lease_until: new Date(Date.now() - 1000) });
      const c = await FixClient.connect(persistent());
      const logon = c.received.find((m) => m.msgType === MsgType.Logon)!;
      expect(Number(logon.get(Tag.MsgSeqNum))).toBe(Number(before.next_sender_seq) + TAKEOVER_SENDER_SEQ_SKIP);
      await c.next((m) => m.msgType === MsgType.SequenceReset && m.get(Tag.GapFillFlag) === 'Y');
      sendOrder(c, 'seq-4', { symbol: 'AAPL', price: '150.00', qty: 1 });
      await report(c, 'seq-4', EXEC.NEW);
      await c.logout();
      await released();
    });

    it('refuses a Logon below the expected MsgSeqNum with a Logout that says so', async () => {
      const expected = Number((await row()).next_target_seq);
      const { ready } = FixClient.open({ ...persistent(), store: new MemorySessionStore(new SessionId('FIX.4.4', 'SEQTRADER', 'TRADINGAPP')) });
      await expect(ready).rejects.toThrow(`MsgSeqNum too low, expecting ${expected} but received 1.`);
    });

    it('starts again at 1 when the client asks for a reset', async () => {
      const c = await FixClient.connect({ ...persistent(), reset: true, store: undefined });
      const logon = c.received.find((m) => m.msgType === MsgType.Logon)!;
      expect(tags(logon)).toEqual({ seq: '1', reset: 'Y' });
      await c.logout();
    });
  });

  describe('who may log on', () => {
    it('refuses a CompID that belongs to another account', async () => {
      const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'othertrader', password: passwordOf('othertrader'), senderCompId: 'SEQTRADER' });
      await expect(ready).rejects.toThrow('This SenderCompID belongs to another account.');
    });

    it('refuses a session that another process holds', async () => {
      await t.app.services.knex('fix_sessions').insert({
        sender_comp_id: 'TRADINGAPP',
        target_comp_id: 'HELD',
        account_id: Number((await t.app.services.knex('users').where({ username: 'othertrader' }).first('id')).id),
        next_sender_seq: 1,
        next_target_seq: 1,
        created_at: new Date(),
        owner: 'another-process',
        lease_until: new Date(Date.now() + 60_000),
        updated_at: new Date(),
      });
      const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'othertrader', password: passwordOf('othertrader'), senderCompId: 'HELD' });
      await expect(ready).rejects.toThrow('active on another connection');
    });
  });

  describe('disabling an account', () => {
    it('logs its FIX session out, and its next logon is refused', async () => {
      const c = await FixClient.connect({ port: t.app.fixPort!, username: 'soontodisable', password: passwordOf('soontodisable'), senderCompId: 'SOONDISABLED' });
      const admin = await ok<{ login: { token: string } }>(t.url, LOGIN, { u: 'admin', p: ADMIN_PASSWORD });
      const id = String((await t.app.services.knex('users').where({ username: 'soontodisable' }).first('id')).id);
      await ok(t.url, `mutation($id: ID!) { setUserDisabled(userId: $id, disabled: true) { id } }`, { id }, admin.login.token);
      const logout = await c.next((m) => m.msgType === MsgType.Logout);
      expect(logout.get(Tag.Text)).toBe('The account was disabled.');
      await c.ended;
      const { ready } = FixClient.open({ port: t.app.fixPort!, username: 'soontodisable', password: passwordOf('soontodisable'), senderCompId: 'SOONDISABLED' });
      await expect(ready).rejects.toThrow('This account is disabled.');
    });
  });

  describe('malformed messages and silence', () => {
    let raw: RawFixClient;
    beforeAll(async () => {
      raw = await RawFixClient.connect(t.app.fixPort!, 'RAWTRADER');
      expect((await raw.logon('rawtrader', passwordOf('rawtrader'), 1)).type).toBe(MsgType.Logon);
    });
    afterAll(() => raw?.close());

    it('rejects a tag the message does not have at session level', async () => {
      const seq = raw.send(MsgType.NewOrderSingle, [
        [Tag.ClOrdID, 'raw-1'],
        [Tag.Symbol, 'AAPL'],
        [Tag.Side, '1'],
        [Tag.TransactTime, '20260101-00:00:00.000'],
        [Tag.OrderQty, 1],
        [Tag.OrdType, '2'],
        [Tag.Price, '100.00'],
        [9999, 'x'],
      ]);
      const reject = await raw.next((m) => m.type === MsgType.Reject && m.get(Tag.RefSeqNum) === String(seq));
      expect(reject.get(Tag.SessionRejectReason)).toBe('0');
    });

    it('rejects an unknown MsgType at session level', async () => {
      const seq = raw.send('ZZ', [[Tag.Text, 'hello']]);
      const reject = await raw.next((m) => m.type === MsgType.Reject && m.get(Tag.RefSeqNum) === String(seq));
      expect(reject.get(Tag.SessionRejectReason)).toBe('11');
    });

    it('still takes orders on the same session', async () => {
      raw.send(MsgType.NewOrderSingle, [
        [Tag.ClOrdID, 'raw-2'],
        [Tag.Symbol, 'AAPL'],
        [Tag.Side, '1'],
        [Tag.TransactTime, '20260101-00:00:00.000'],
        [Tag.OrderQty, 1],
        [Tag.OrdType, '2'],
        [Tag.Price, '100.00'],
      ]);
      await raw.next((m) => m.type === MsgType.ExecutionReport && m.get(Tag.ClOrdID) === 'raw-2');
    });

    it('sends heartbeats and then a TestRequest to a silent client, and disconnects it when it never answers', async () => {
      await raw.next((m) => m.type === MsgType.Heartbeat);
      await raw.next((m) => m.type === MsgType.TestRequest);
      await raw.closed;
    });

    it('drops a connection whose first message is not a Logon', async () => {
      const stranger = await RawFixClient.connect(t.app.fixPort!, 'STRANGER');
      stranger.send(MsgType.NewOrderSingle, [[Tag.ClOrdID, 'x']]);
      await stranger.closed;
      expect(stranger.received.filter((m) => m.type === MsgType.ExecutionReport)).toEqual([]);
    });
  });
});

function tags(m: { get(tag: number): string | undefined }) {
  return { seq: m.get(Tag.MsgSeqNum), reset: m.get(Tag.ResetSeqNumFlag) };
}

async function until(cond: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
