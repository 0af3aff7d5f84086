import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LoginLimits, type LoginLimitsOptions } from './login-limits.js';

const limits = (o: Partial<LoginLimitsOptions> = {}) =>
  new LoginLimits({ pairPoints: 3, accountPoints: 5, addressPoints: 4, windowSeconds: 300, signUpPoints: 2, signUpWindowSeconds: 3600, ...o });

/** Tries `n` wrong passwords; returns how many were let through to the hash. */
async function fail(l: LoginLimits, user: string, address: string, n: number): Promise<number> {
  let checked = 0;
  for (let i = 0; i < n; i++) {
    try {
      await l.reserve(user, address);
      checked++;
    } catch (e) {
      expect(e).toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'LOGIN_RATE_LIMITED' });
    }
  }
  return checked;
}

describe('LoginLimits', () => {
  it('reserves atomically: concurrent reservations beyond the pair budget are refused', async () => {
    const l = limits();
    const all = await Promise.allSettled(Array.from({ length: 20 }, () => l.reserve('alice', '198.51.100.1')));
    expect(all.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
  });

  it('a success refunds the attempt and clears the pair’s failures', async () => {
    const l = limits();
    expect(await fail(l, 'alice', '198.51.100.1', 2)).toBe(2);
    await (await l.reserve('ALICE', '198.51.100.1')).succeeded();
    expect(await fail(l, 'alice', '198.51.100.1', 5)).toBe(3);
  });

  it('caps an account across unfamiliar addresses, but not at its usual address', async () => {
    const l = limits();
    await (await l.reserve('alice', '203.0.113.1')).succeeded();
    let through = 0;
    for (let a = 0; a < 4; a++) through += await fail(l, 'alice', `192.0.2.${a}`, 3);
    expect(through).toBe(5);
    await expect(l.reserve('alice', '192.0.2.99')).rejects.toMatchObject({ reason: 'LOGIN_RATE_LIMITED' });
    expect(await fail(l, 'alice', '203.0.113.1', 4)).toBe(3);
  });

  it('caps one address across accounts (spraying), and refunds the pair it had taken', async () => {
    const l = limits();
    let through = 0;
    for (let u = 0; u < 6; u++) through += await fail(l, `user${u}`, '198.51.100.2', 1);
    expect(through).toBe(4);
    // user5's pair was refunded when the address refused: from elsewhere it still has 3.
    expect(await fail(l, 'user5', '198.51.100.3', 3)).toBe(3);
  });

  it('budgets an IPv6 client by its /64', async () => {
    const l = limits();
    expect(await fail(l, 'bob', '2001:db8:1:2::1', 2)).toBe(2);
    expect(await fail(l, 'bob', '2001:db8:1:2:ffff::9', 2)).toBe(1);
  });

  it('a cancelled check is refunded everywhere', async () => {
    const l = limits({ pairPoints: 1 });
    await (await l.reserve('carol', '198.51.100.6')).cancelled();
    expect(await fail(l, 'carol', '198.51.100.6', 2)).toBe(1);
  });

  it('limits sign-ups per address, refunding one the server could not carry out', async () => {
    const l = limits();
    await l.reserveSignUp('198.51.100.4');
    const refund = await l.reserveSignUp('198.51.100.4');
    await refund();
    await l.reserveSignUp('198.51.100.4');
    await expect(l.reserveSignUp('198.51.100.4')).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS', reason: 'SIGN_UP_RATE_LIMITED' });
    await expect(l.reserveSignUp('198.51.100.5')).resolves.toEqual(expect.any(Function));
  });

  it('keeps counting in-process while Redis is unreachable', async () => {
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    try {
      const l = limits({ redis, keyPrefix: 'unreachable:' });
      expect(await fail(l, 'dave', '198.51.100.7', 5)).toBe(3);
    } finally {
      redis.disconnect();
    }
  });
});
