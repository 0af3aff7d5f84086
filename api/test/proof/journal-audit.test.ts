/**
 * The exact replay of the audit: a random concurrent flow (amends, cancels, self-trades, FOK,
 * market orders) replays from the book journal to exactly the trades, order states, seqs and
 * books the database holds; a tampered journal entry or a tampered order row is caught; a
 * journal that no longer reaches back to seq 0 is counted as not replayable, not as a violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { auditDatabase } from '../../src/modules/audit/audit.js';
import { flowViolations, runFlow, seededCommands } from '../support/commands.js';
import { adminClient, createProduct, newTrader } from '../support/trading.js';
import type { Knex } from '../../src/db/knex.js';

describe('the exact journal replay of the audit', () => {
  let t: TestApp;
  const symbols: string[] = [];

  beforeAll(async () => {
    t = await startTestApp('sqlite', { JOURNAL_HASH_EVERY: '7' });
    const admin = await adminClient(t.url);
    const clients = await Promise.all(['jr-a', 'jr-b', 'jr-c', 'jr-d'].map((n) => newTrader(t.url, n)));
    symbols.push(await createProduct(t.url, admin.token, 'JRNA', '100.00'), await createProduct(t.url, admin.token, 'JRNB', '100.00'));
    const flow = await runFlow({ url: t.url, clients, symbols, known: [] }, seededCommands(77, 300, { accounts: clients.length, symbols: symbols.length }), 12);
    expect(flowViolations(flow)).toEqual([]);
  }, 120_000);
  afterAll(async () => t?.dispose());

  /** The audit's findings with `corrupt` applied, rolled back afterwards. */
  const auditCorrupted = async (corrupt: (trx: Knex.Transaction) => Promise<unknown>) => {
    let found: string[] = [];
    await t.app.services.knex
      .transaction(async (trx) => {
        await corrupt(trx);
        found = (await auditDatabase(trx)).violations;
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    return found;
  };

  it('replays every symbol from seq 0 to exactly the trades, orders and books of the database', async () => {
    const report = await auditDatabase(t.app.services.knex, { engine: t.app.services.engine });
    expect(report.violations).toEqual([]);
    const j = report.stats.journal;
    expect(j.symbolsNotReplayable).toEqual([]);
    expect(j.symbolsReplayed).toBeGreaterThanOrEqual(2);
    expect(j.trades).toBe(report.stats.trades);
    expect(j.commands).toBeGreaterThan(150);
    expect(j.hashesChecked).toBeGreaterThan(10);
  });

  it('catches a journal entry whose command was changed', async () => {
    const found = await auditCorrupted(async (trx) => {
      const row = await trx('book_journal').where({ symbol: symbols[0] }).orderBy('from_seq').offset(3).first('*');
      const commands = JSON.parse(String(row.commands)) as { type: string; qty?: number }[];
      const i = commands.findIndex((c) => c.type === 'new');
      commands[i]!.qty! += 1;
      await trx('book_journal').where({ symbol: symbols[0], from_seq: row.from_seq }).update({ commands: JSON.stringify(commands) });
    });
    expect(found.some((l) => l.startsWith('journal replay') && l.includes(symbols[0]!))).toBe(true);
  });

  it('catches an order row that disagrees with the replay even where the row rules cannot', async () => {
    const found = await auditCorrupted(async (trx) => {
      // A canceled unfilled order recorded as expired instead: the arithmetic holds either way.
      const o = await trx('orders').where({ symbol: symbols[1], status: 'CANCELED', cum_qty: 0 }).first('id');
      await trx('orders').where({ id: o.id }).update({ status: 'EXPIRED', reason: 'DAY_EXPIRED' });
    });
    expect(found.filter((l) => l.startsWith("journal replay gives every order's state"))).toHaveLength(1);
  });

  it('counts a symbol whose journal was pruned as not replayable, without a violation', async () => {
    let report: Awaited<ReturnType<typeof auditDatabase>> | undefined;
    await t.app.services.knex
      .transaction(async (trx) => {
        await trx('book_journal').where({ symbol: symbols[1] }).andWhere('from_seq', '<', 10).delete();
        report = await auditDatabase(trx);
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    expect(report!.violations).toEqual([]);
    expect(report!.stats.journal.symbolsNotReplayable).toEqual([symbols[1]]);
  });
});
