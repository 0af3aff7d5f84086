/**
 * Answers to a ResendRequest where the originals are gone: the gateway keeps the last
 * FIX_RESEND_JOURNAL_SIZE application messages of a session in memory, so a resend reaching
 * further back, or any resend after a restart, is answered with SequenceReset-GapFill for what it
 * no longer has (and the originals, PossDupFlag=Y, for what it still has). Either way the
 * session goes on and no message is numbered twice.
 */
import { MemorySessionStore, SessionId } from 'jspurefix';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { trader, passwordOf } from '../support/gql.js';
import { FixClient, type ClientOptions, type Received } from './support/fix-client.js';
import { EXEC, MsgType, report, sendOrder, Tag } from './support/orders.js';

const JOURNAL = 3;

describe('FIX resend beyond what the gateway still holds', () => {
  let t: TestApp;
  const store = new MemorySessionStore(new SessionId('FIX.4.4', 'RESENDER', 'TRADINGAPP'));
  const options = (): ClientOptions => ({ port: t.app.fixPort!, username: 'resender', password: passwordOf('resender'), senderCompId: 'RESENDER', reset: false, store });
  const owner = async () => (await t.app.services.knex('fix_sessions').where({ target_comp_id: 'RESENDER' }).first('owner'))?.owner;
  /** The gateway ends the session once the client has closed after the Logout exchange. */
  const released = () => expect.poll(owner, { timeout: 5000, interval: 10 }).toBeNull();
  const seqOf = (m: Received) => Number(m.get(Tag.MsgSeqNum));
  const resends = (c: FixClient) => c.all((m) => m.msgType === MsgType.ExecutionReport && m.get(Tag.PossDupFlag) === 'Y');
  const gapFills = (c: FixClient) => c.all((m) => m.msgType === MsgType.SequenceReset && m.get(Tag.GapFillFlag) === 'Y');

  beforeAll(async () => {
    t = await startTestApp('sqlite', { FIX_RESEND_JOURNAL_SIZE: String(JOURNAL) });
    await trader(t.url, 'resender');
  });
  afterAll(async () => t?.dispose());

  /** Five orders on a fresh connection; the MsgSeqNum of each NEW report. */
  async function fiveReports(tag: string): Promise<number[]> {
    const c = await FixClient.connect(options());
    const seqs: number[] = [];
    for (let i = 1; i <= 5; i++) {
      sendOrder(c, `${tag}-${i}`, { symbol: 'AAPL', price: '150.00', qty: i });
      seqs.push(seqOf(await report(c, `${tag}-${i}`, EXEC.NEW)));
    }
    await c.logout();
    await released();
    return seqs;
  }

  it('gap-fills what fell out of the journal and resends the rest as possible duplicates', async () => {
    const seqs = await fiveReports('jr');
    // The client lost everything from the first report on.
    store.targetSeqNum = seqs[0]!;
    const c = await FixClient.connect(options());
    const kept = seqs.slice(-JOURNAL);
    await c.next(() => resends(c).length === JOURNAL, 5000, `${JOURNAL} resent reports`);
    expect(resends(c).map(seqOf)).toEqual(kept);
    for (const r of resends(c)) expect(r.get(Tag.OrigSendingTime)).toBeDefined();
    const fill = gapFills(c).find((m) => seqOf(m) === seqs[0]);
    expect(fill, 'a gap fill from the first lost report').toBeDefined();
    expect(Number(fill!.get(Tag.NewSeqNo))).toBe(kept[0]);
    // The session goes on, numbered after everything it resent.
    sendOrder(c, 'jr-after', { symbol: 'AAPL', price: '150.00', qty: 1 });
    expect(seqOf(await report(c, 'jr-after', EXEC.NEW))).toBeGreaterThan(seqs.at(-1)!);
    await c.logout();
    await released();
  });

  it('gap-fills everything sent before a restart: the journal does not survive it', async () => {
    const seqs = await fiveReports('rs');
    t = await t.restart();
    store.targetSeqNum = seqs[0]!;
    const c = await FixClient.connect(options());
    const fill = await c.next((m) => m.msgType === MsgType.SequenceReset && m.get(Tag.GapFillFlag) === 'Y' && seqOf(m) === seqs[0]);
    expect(Number(fill.get(Tag.NewSeqNo))).toBeGreaterThan(seqs.at(-1)!);
    expect(resends(c)).toEqual([]);
    sendOrder(c, 'rs-after', { symbol: 'AAPL', price: '150.00', qty: 1 });
    await report(c, 'rs-after', EXEC.NEW);
    await c.logout();
    await released();
  });
});
