import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { DomainError } from '../../errors.js';

/** Options of {@link OrderRate}. */
export interface OrderRateOptions {
  /** Orders per account per second, sustained. */
  readonly perSecond: number;
  /** Orders per account allowed above the rate within any 10 seconds (0 = none). */
  readonly burst: number;
  /** Shared store: one budget per account for every replica. In-process when absent. */
  readonly redis?: Redis;
  /** Prefix of this deployment's Redis keys. */
  readonly keyPrefix?: string;
}

/** Seconds of the burst window. */
export const BURST_WINDOW_SECONDS = 10;

/**
 * The per-account order rate: every new order and amend of an account, from GraphQL or FIX, on
 * any replica (with Redis), takes one point before it is validated further. Beyond the rate and
 * the burst it is refused with TOO_MANY_REQUESTS / THROTTLED. Cancels are never throttled (a
 * trader must always be able to reduce risk). If Redis fails, each replica counts in-process
 * (rate-limiter-flexible's insurance limiter) rather than refusing every order.
 */
export class OrderRate {
  private readonly limiter: { consume(key: string): Promise<RateLimiterRes> };

  constructor(options: OrderRateOptions) {
    const make = (name: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
      if (!options.redis) return memory;
      return new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.keyPrefix ?? ''}limits:${name}`, points, duration, insuranceLimiter: memory });
    };
    const rate = make('order-rate', options.perSecond, 1);
    this.limiter = options.burst > 0 ? new BurstyRateLimiter(rate, make('order-burst', options.burst, BURST_WINDOW_SECONDS)) : rate;
  }

  /** Takes one order from `accountId`'s budget, or throws TOO_MANY_REQUESTS / THROTTLED. */
  async take(accountId: number): Promise<void> {
    try {
      await this.limiter.consume(String(accountId));
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      const ms = Math.max(1, Math.ceil(e.msBeforeNext));
      throw new DomainError('TOO_MANY_REQUESTS', 'THROTTLED', `Too many orders from this account; retry in ${ms} ms.`);
    }
  }
}
