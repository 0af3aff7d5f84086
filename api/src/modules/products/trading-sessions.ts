import { conflict, type DomainError } from '../../errors.js';
import { formatTime, sessionAt, type SessionState, type TradingHours } from './trading-schedule.js';

/** `enforce`: products trade in their hours only; `always-open`: no hours (config TRADING_HOURS). */
export type TradingHoursMode = 'enforce' | 'always-open';

/** The wall clock of the session checks and the expiry scheduler; tests inject their own. */
export interface Clock {
  /** Ms since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

const key = (h: TradingHours) => `${h.timeZone}|${h.open}|${h.close}|${h.days.join('')}`;

/**
 * Session state of products at the clock's now, under the configured mode. States are cached
 * per distinct schedule until its next open or close, so the check on every order is a map
 * lookup. The engine never sees any of this: it stays pure.
 */
export class TradingSessions {
  private readonly cache = new Map<string, { from: number; state: SessionState }>();

  constructor(
    readonly mode: TradingHoursMode,
    readonly clock: Clock = systemClock,
  ) {}

  /** True when products have hours (mode `enforce`). */
  get enforced(): boolean {
    return this.mode === 'enforce';
  }

  /** Where `hours` stands now; undefined in `always-open` mode. */
  state(hours: TradingHours, now = this.clock.now()): SessionState | undefined {
    if (!this.enforced) return undefined;
    const k = key(hours);
    const cached = this.cache.get(k);
    // Nothing changes from the instant a state was computed until its next open or close.
    if (cached && now >= cached.from && now < Math.min(cached.state.nextOpen, cached.state.nextClose)) return cached.state;
    const state = sessionAt(hours, now);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(k, { from: now, state });
    return state;
  }

  /** True when a product with these hours takes orders now (always in `always-open` mode). */
  isOpen(hours: TradingHours): boolean {
    return this.state(hours)?.open ?? true;
  }

  /** Throws CONFLICT / MARKET_CLOSED when `symbol` is outside its hours. */
  assertOpen(symbol: string, hours: TradingHours): void {
    const s = this.state(hours);
    if (s && !s.open) throw marketClosed(symbol, hours, s);
  }
}

/** The refusal of a new order or amend outside `symbol`'s hours: CONFLICT / MARKET_CLOSED, saying when it opens. */
export function marketClosed(symbol: string, hours: TradingHours, state: SessionState): DomainError {
  return conflict(
    'MARKET_CLOSED',
    `${symbol} trades ${formatTime(hours.open)}–${formatTime(hours.close)} ${hours.timeZone}; the market is closed until ${new Date(state.nextOpen).toISOString()}.`,
  );
}
