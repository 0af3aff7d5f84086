/**
 * Soak, small: a few thousand orders at a fixed rate against the compiled API with subscribers
 * attached; no request fails, every order answers, subscribers stay connected and hear updates,
 * and the audit of the resulting database is clean. `npm run soak` is the full version
 * (1,000 orders/s for 60 s, 100 subscribers, memory verdict).
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../harness/proof-soak.js';

describe('soak', () => {
  it('holds 100 orders/s for 20 s with 10 subscribers: no error, every order answered, audit clean', async () => {
    const log: string[] = [];
    const r = await runSoak({
      rate: 100,
      seconds: 20,
      warmup: 5,
      window: 5,
      subscribers: 10,
      accounts: 10,
      symbols: ['AAPL', 'MSFT'],
      database: 'sqlite',
      maxInFlight: 5000,
      seed: 3,
      liveHeap: false,
      log: (l) => log.push(l),
    });
    expect({ errors: r.errors, kinds: r.errorKinds }, log.join('\n')).toEqual({ errors: 0, kinds: {} });
    expect(r.sent).toBe(2000);
    expect(r.answered).toBe(r.sent);
    expect(r.subscribers.errors).toBe(0);
    expect(r.subscribers.messages).toBeGreaterThan(100);
    expect(r.windows).toHaveLength(4);
    expect(r.audit).toMatchObject({ ok: true, violations: 0 });
  }, 15 * 60_000);
});
