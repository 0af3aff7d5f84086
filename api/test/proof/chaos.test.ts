/**
 * Chaos, small: the compiled API on MySQL killed with SIGKILL three times while eight accounts
 * trade over GraphQL and two over FIX; every acknowledged order survives, ClOrdID retries never make a second order, the
 * books served after each restart equal the database's, and the audit (with its replay) is
 * clean. `npm run chaos` runs the full version (10 kills by default).
 */
import { describe, expect, it } from 'vitest';
import { mysqlReachable } from '../support/databases.js';
import { runChaos } from '../../bench/support/proof-chaos.js';

const mysqlOk = await mysqlReachable();

describe.skipIf(!mysqlOk)('chaos on MySQL', () => {
  it('survives 3 SIGKILLs: acknowledged orders kept, retries idempotent, books equal the database, audit clean', async () => {
    const log: string[] = [];
    const r = await runChaos({ kills: 3, seconds: 8, accounts: 8, fixAccounts: 2, symbols: ['AAPL', 'MSFT', 'SPY'], seed: 7, log: (l) => log.push(l) });
    const fg = r.figures as { kills: number; answered: { place: number }; retries: number; bookComparisons: number; audit: { ok: boolean }; missing: number; duplicateClOrdIds: number; fix: { acknowledged: number } };
    expect(r.failures, log.join('\n')).toEqual([]);
    expect(fg).toMatchObject({ kills: 3, missing: 0, duplicateClOrdIds: 0, audit: { ok: true } });
    expect(fg.answered.place).toBeGreaterThan(20);
    // Two accounts traded over FIX sessions too (their acknowledged orders are checked like the others).
    expect(fg.fix.acknowledged).toBeGreaterThan(0);
    // Requests were cut by the kills and retried: idempotency was exercised, not assumed.
    expect(fg.retries).toBeGreaterThan(0);
    // Three symbols after each of 3 restarts, and at the end.
    expect(fg.bookComparisons).toBe(12);
  }, 20 * 60_000);
});
