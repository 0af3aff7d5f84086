import { SessionId } from 'jspurefix';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { OutboundJournal } from '../../src/modules/fix/outbound-journal.js';
import { DbSessionStore } from '../../src/modules/fix/seqnum-store.js';
import type { Knex } from '../../src/db/knex.js';

/** A store that is never claimed: it must not touch the database at all. */
function detachedStore(journal = new OutboundJournal(10)) {
  const noDatabase = new Proxy({}, { get: () => () => { throw new Error('a detached store wrote to the database'); } }) as unknown as Knex;
  return new DbSessionStore(new SessionId('FIX.4.4', 'US', 'THEM'), noDatabase, 'me', journal, pino({ level: 'silent' }), undefined);
}

describe('DbSessionStore', () => {
  it('never moves sequence numbers back, whatever jspurefix reports after a resend', async () => {
    const store = detachedStore();
    await store.setSenderSeqNum(10);
    await store.setSenderSeqNum(3);
    await store.setTargetSeqNum(7);
    await store.setTargetSeqNum(2);
    expect([store.senderSeqNum, store.targetSeqNum]).toEqual([10, 7]);
  });

  it('starts again at 1 on a reset, and forgets the journal only once the session is claimed', async () => {
    const journal = new OutboundJournal(10);
    journal.record(5, { msgType: '8', body: {}, sentAt: new Date() });
    const store = detachedStore(journal);
    await store.setSenderSeqNum(10);
    await store.reset();
    expect([store.senderSeqNum, store.targetSeqNum, journal.size]).toEqual([1, 1, 1]);
  });
});

describe('OutboundJournal', () => {
  it('keeps the most recent messages up to its capacity', () => {
    const journal = new OutboundJournal(3);
    for (let seq = 1; seq <= 5; seq++) journal.record(seq, { msgType: '8', body: { seq }, sentAt: new Date() });
    expect([1, 2, 3, 4, 5].map((seq) => journal.get(seq)?.body.seq)).toEqual([undefined, undefined, 3, 4, 5]);
  });
});
