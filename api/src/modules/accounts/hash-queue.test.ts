import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HashQueue, type HashLane } from './hash-queue.js';

/** A task that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const done = new Promise<void>((resolve) => (open = resolve));
  return { done, open };
}

describe('HashQueue', () => {
  it('runs at most `concurrency` tasks and refuses beyond the queue with AUTH_BUSY', async () => {
    const q = new HashQueue(2, 1);
    const gates = [gate(), gate(), gate()];
    const runs = gates.map((g) => q.run('signUp', () => g.done));
    expect(q.stats()).toMatchObject({ running: 2, waiting: { signUp: 1, login: 0 } });
    await expect(q.run('signUp', async () => 'never')).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'AUTH_BUSY' });
    expect(q.stats().refused).toEqual({ signUp: 1, login: 0 });
    for (const g of gates) g.open();
    await Promise.all(runs);
    expect(q.stats()).toMatchObject({ running: 0, waiting: { signUp: 0, login: 0 } });
  });

  it('gives a freed slot to a waiting login before any sign-up', async () => {
    const q = new HashQueue(1, 10);
    const order: string[] = [];
    const first = gate();
    const running = q.run('signUp', () => first.done);
    const waiting = [
      q.run('signUp', async () => order.push('signUp-1')),
      q.run('signUp', async () => order.push('signUp-2')),
      q.run('login', async () => order.push('login')),
    ];
    first.open();
    await Promise.all([running, ...waiting]);
    expect(order).toEqual(['login', 'signUp-1', 'signUp-2']);
  });

  it('a lane has its own queue: a full sign-up queue does not refuse logins', async () => {
    const q = new HashQueue(1, 1);
    const g = gate();
    const running = q.run('signUp', () => g.done);
    const queued = q.run('signUp', async () => 0);
    await expect(q.run('signUp', async () => 0)).rejects.toMatchObject({ reason: 'AUTH_BUSY' });
    const login = q.run('login', async () => 'in');
    g.open();
    await expect(login).resolves.toBe('in');
    await Promise.all([running, queued]);
  });

  it('releases the slot of a task that fails', async () => {
    const q = new HashQueue(1, 0);
    await expect(q.run('login', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(q.run('login', async () => 'next')).resolves.toBe('next');
  });

  it('never runs more than `concurrency` at once, and every accepted task runs (against a counting model)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }), fc.array(fc.constantFrom<HashLane>('login', 'signUp'), { maxLength: 30 }), async (concurrency, maxQueued, lanes) => {
        const q = new HashQueue(concurrency, maxQueued);
        let now = 0;
        let peak = 0;
        const gates = lanes.map(() => gate());
        const results = lanes.map((lane, i) =>
          q
            .run(lane, async () => {
              peak = Math.max(peak, ++now);
              await gates[i]!.done;
              now--;
              return 'ran' as const;
            })
            .catch(() => 'refused' as const),
        );
        // Model: the first `concurrency` run; then each lane queues up to maxQueued; the rest are refused.
        const queued = { login: 0, signUp: 0 };
        const expected = lanes.map((lane, i) => (i < concurrency ? 'ran' : queued[lane]++ < maxQueued ? 'ran' : 'refused'));
        for (const g of gates) g.open();
        expect(await Promise.all(results)).toEqual(expected);
        expect(peak).toBeLessThanOrEqual(concurrency);
        expect(q.stats().running).toBe(0);
      }),
    );
  });
});
