import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import { DomainError } from '../../errors.js';
import { addressBucket } from '../../graphql/client-address.js';

/** Budgets of password checks and sign-ups (see docs/API.md, "Limits"). */
export interface LoginLimitsOptions {
  /** Failed logins per (account, address) per window: the budget that is never shared. */
  readonly pairPoints: number;
  /** Failed logins per account from addresses it has not logged in from before, per window. */
  readonly accountPoints: number;
  /** Failed logins per address across all accounts, per window. */
  readonly addressPoints: number;
  readonly windowSeconds: number;
  /** Sign-ups per address per sign-up window. */
  readonly signUpPoints: number;
  readonly signUpWindowSeconds: number;
  /** Shared store: one budget for every replica. In-process when absent. */
  readonly redis?: Redis;
  /** Prefix of this deployment's Redis keys. */
  readonly keyPrefix?: string;
}

/**
 * How long a successful login makes its address "usual" for that account. At most 24 days:
 * the in-process store expires keys with setTimeout, which fires at once beyond 2^31 - 1 ms.
 */
const KNOWN_ADDRESS_SECONDS = 14 * 24 * 3600;

/** One reserved password check: settle it with the outcome (left unsettled, it counts as a failure). */
export interface LoginReservation {
  /** The password was right: the attempt is refunded and the address becomes usual for the account. */
  succeeded(): Promise<void>;
  /** The password was never checked (server busy, database error): the attempt is refunded. */
  cancelled(): Promise<void>;
}

const refused = (res: RateLimiterRes, what: string) =>
  new DomainError('TOO_MANY_REQUESTS', 'LOGIN_RATE_LIMITED', `Too many failed logins ${what}; try again in ${Math.max(1, Math.ceil(res.msBeforeNext / 1000))} s.`);

/**
 * Budgets of the expensive half of authentication, reserved atomically *before* a password is
 * hashed and refunded after a success, shared by every channel (GraphQL login, FIX Logon) and,
 * with Redis, by every replica. An attempt must fit in three budgets:
 * - per (account, address): the consecutive failures of one place against one account;
 * - per account, from addresses the account has not logged in from in the last 14 days: bounds
 *   a guesser spread over many addresses, while the owner's usual address is not held to it
 *   (so no one can lock the owner out from elsewhere — at worst a new address waits a window);
 * - per address across accounts (password spraying), likewise waived at the usual address.
 * Sign-ups are budgeted per address. Addresses are bucketed (IPv6 by /64).
 *
 * If Redis fails, each replica falls back to in-process counters of the same size
 * (rate-limiter-flexible's insurance limiter) rather than refusing every login.
 */
export class LoginLimits {
  private readonly pair: RateLimiterAbstract;
  private readonly account: RateLimiterAbstract;
  private readonly address: RateLimiterAbstract;
  private readonly known: RateLimiterAbstract;
  private readonly signUps: RateLimiterAbstract;

  constructor(options: LoginLimitsOptions) {
    const make = (name: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix: name, points, duration });
      if (!options.redis) return memory;
      return new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.keyPrefix ?? ''}limits:${name}`, points, duration, insuranceLimiter: memory });
    };
    this.pair = make('login-pair', options.pairPoints, options.windowSeconds);
    this.account = make('login-account', options.accountPoints, options.windowSeconds);
    this.address = make('login-address', options.addressPoints, options.windowSeconds);
    this.known = make('login-known', 1, KNOWN_ADDRESS_SECONDS);
    this.signUps = make('sign-up', options.signUpPoints, options.signUpWindowSeconds);
  }

  /**
   * Reserves one password check of `username` (any case) from `address`, or throws
   * TOO_MANY_REQUESTS / LOGIN_RATE_LIMITED. A reservation that is not settled as a success
   * counts as a failure.
   */
  async reserve(username: string, address: string): Promise<LoginReservation> {
    const account = username.toLowerCase();
    const bucket = addressBucket(address);
    const pairKey = `${account}\n${bucket}`;
    const taken: [RateLimiterAbstract, string][] = [];
    const take = async (limiter: RateLimiterAbstract, key: string, what: string) => {
      try {
        await limiter.consume(key);
        taken.push([limiter, key]);
      } catch (e) {
        await Promise.all(taken.map(([l, k]) => l.reward(k)));
        throw e instanceof RateLimiterRes ? refused(e, what) : e;
      }
    };
    await take(this.pair, pairKey, 'for this account from this address');
    const usual = (await this.known.get(pairKey)) !== null;
    if (!usual) {
      await take(this.account, account, 'for this account');
      await take(this.address, bucket, 'from this address');
    }
    return {
      succeeded: async () => {
        await Promise.all([...taken.map(([l, k]) => (l === this.pair ? l.delete(k) : l.reward(k))), this.known.set(pairKey, 1, KNOWN_ADDRESS_SECONDS)]);
      },
      cancelled: async () => {
        await Promise.all(taken.map(([l, k]) => l.reward(k)));
      },
    };
  }

  /**
   * Reserves one sign-up from `address`, or throws TOO_MANY_REQUESTS / SIGN_UP_RATE_LIMITED.
   * Resolves with the refund, for a sign-up the server could not carry out (busy).
   */
  async reserveSignUp(address: string): Promise<() => Promise<void>> {
    const key = addressBucket(address);
    try {
      await this.signUps.consume(key);
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) throw e;
      throw new DomainError('TOO_MANY_REQUESTS', 'SIGN_UP_RATE_LIMITED', `Too many sign-ups from this address; try again in ${Math.max(1, Math.ceil(e.msBeforeNext / 1000))} s.`);
    }
    return async () => {
      await this.signUps.reward(key);
    };
  }
}
