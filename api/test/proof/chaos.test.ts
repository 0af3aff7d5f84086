/**
 * Chaos, small: the compiled API on MySQL killed with SIGKILL three times while eight accounts
 * trade over GraphQL and two over FIX; every acknowledged order survives, ClOrdID retries never make a second order, the
 * books served after each restart equal the database's, and the audit (with its replay) is
 * clean. `npm run chaos` runs the full version (10 kills by default).
 */
import { describe, expect, it } from 'vitest';
import { mysqlReachable, redisReachable } from '../support/databases.js';
import { runChaos } from '../../harness/proof-chaos.js';

const mysqlOk = await mysqlReachable();
const redisOk = await redisReachable();

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

  it.skipIf(!redisOk)('two replicas, each SIGKILLed in turn while the other trades the same symbols: nothing acknowledged lost or doubled, both books equal the database and the journal', async () => {
    const log: string[] = [];
    const r = await runChaos({ kills: 2, seconds: 8, accounts: 8, fixAccounts: 1, symbols: ['AAPL', 'MSFT', 'SPY'], seed: 11, replicas: 2, log: (l) => log.push(l) });
    const fg = r.figures as { replicas: number; kills: number; answered: { place: number }; retries: number; bookComparisons: number; audit: { ok: boolean }; missing: number; regressed: number; duplicateClOrdIds: number; tradesWithoutTwoExecutions: number };
    expect(r.failures, log.join('\n')).toEqual([]);
    expect(fg).toMatchObject({ replicas: 2, kills: 2, missing: 0, regressed: 0, duplicateClOrdIds: 0, tradesWithoutTwoExecutions: 0, audit: { ok: true } });
    expect(fg.answered.place).toBeGreaterThan(20);
    expect(fg.retries).toBeGreaterThan(0);
    // Three symbols on both replicas after each of 2 restarts, and at the end.
    expect(fg.bookComparisons).toBe(18);
  }, 20 * 60_000);
});
