/**
 * Database outage, on a private MariaDB (own datadir and port; the shared server is never
 * touched): killed with SIGKILL for 6 s while eight accounts trade over GraphQL and one over
 * FIX, then started again. Every refusal is coded SERVICE_UNAVAILABLE/DATABASE_UNAVAILABLE with
 * a retry hint (FIX: ExecutionReport Rejected with readable text), counted in
 * trading_service_unavailable_total; /readyz answers 503 with the reason while it lasts and 200
 * after; trading resumes; no acknowledged order is lost and the audit is clean.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IN_CI } from '../support/databases.js';
import { runDbOutage } from '../../harness/proof-db-outage.js';

const hasMariaDb = (() => {
  try {
    execFileSync('mariadbd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasMariaDb && IN_CI) throw new Error('mariadbd (MariaDB server binaries) is required for the outage proof when CI=true');

describe.skipIf(!hasMariaDb)('database outage', () => {
  it('answers SERVICE_UNAVAILABLE with a retry hint while the database is away, says so on /readyz, loses nothing', async () => {
    const log: string[] = [];
    const r = await runDbOutage({ clients: 8, outageMs: 6000, steadyMs: 2000, log: (l) => log.push(l) });
    const context = `${log.join('\n')}\n${JSON.stringify(r, null, 2)}`;
    console.log(`database outage: ${JSON.stringify({ ...r, audit: r.audit.ok })}`);
    expect(r.lost, context).toBe(0);
    expect(r.unanswered, context).toBe(0);
    // Only coded refusals, and the outage's are DATABASE_UNAVAILABLE with retryAfterMs.
    expect(Object.keys(r.refusals).filter((k) => !k.startsWith('SERVICE_UNAVAILABLE/')), context).toEqual([]);
    expect(r.refusals['SERVICE_UNAVAILABLE/DATABASE_UNAVAILABLE'] ?? 0, context).toBeGreaterThan(0);
    expect(r.refusalsWithoutHint, context).toBe(0);
    expect(r.metricDatabaseUnavailable, context).toBeGreaterThan(0);
    // /readyz: 503 with the reason during the outage, 200 after.
    expect(r.readyDuring.statuses, context).toContain(503);
    expect(r.readyDuring.reasons, context).toEqual(['DATABASE_UNAVAILABLE']);
    expect(r.readyAfter, context).toBe(200);
    // FIX: refusals are ExecutionReports Rejected with readable text, not an internal error.
    expect(r.fix.rejected, context).toBeGreaterThan(0);
    expect(r.fix.rejectTexts.every((t) => /database is unavailable/i.test(t) && /Retry in \d+ ms/.test(t)), context).toBe(true);
    // Trading resumed after the outage and the data is consistent.
    expect(Number.isFinite(r.tradingBackAfterMs), context).toBe(true);
    expect(r.acknowledged, context).toBeGreaterThan(20);
    expect(r.audit.ok, context).toBe(true);
  }, 10 * 60_000);
});
