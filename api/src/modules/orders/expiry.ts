import type { Knex } from '../../db/knex.js';
import { hoursFromRow } from '../products/trading-schedule.js';
import type { TradingSessions } from '../products/trading-sessions.js';
import type { ExpireOutcome } from './order-request.js';
import { OPEN_STATUSES } from '../../engine/index.js';

/** One expiry the scheduler asked for. */
export interface ExpiryRun {
  readonly symbol: string;
  /** The close expired (ms since the epoch). */
  readonly closeMs: number;
  /** False when another replica (or the order path inline) had already done it. */
  readonly performed: boolean;
  readonly expired: number;
}

export interface ExpirySchedulerOptions {
  readonly knex: Knex;
  /** The order path: expiries are sequenced with the symbol's orders and journaled. */
  readonly path: { expire(symbol: string, closeMs: number): Promise<ExpireOutcome> };
  /** Hours and the (injectable) clock. */
  readonly sessions: TradingSessions;
  /** Pause between passes, ms. */
  readonly intervalMs: number;
  /** Called with each pass's expiries (logs, metrics). */
  readonly onRun?: (runs: readonly ExpiryRun[]) => void;
  /** Called when a pass failed (database away); the next pass retries. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Expires DAY orders at each product's close, on every replica, exactly once: a pass finds the
 * symbols with open DAY orders whose last close is past their `day_expired_through` and sends
 * each an expire request through the order path. Under the product row lock the first replica
 * to get there performs it (journaled `expireDay`, execution reports EXPIRED) and moves the
 * mark; the others find it done, and replay the journal entry like any other. A replica that
 * was down at the close expires on its first pass at start-up. Passes run every `intervalMs`;
 * a pass that fails is retried by the next one.
 *
 * The engine never reads a clock: the pass takes the time from `sessions.clock`.
 */
export class ExpiryScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: ExpirySchedulerOptions) {}

  /** One pass: the expiries due at the clock's now, sent and committed. */
  async runOnce(): Promise<ExpiryRun[]> {
    const { knex, sessions, path } = this.options;
    if (!sessions.enforced) return [];
    const now = sessions.clock.now();
    const symbols = (await knex('orders').whereIn('status', OPEN_STATUSES).where('tif', 'DAY').distinct('symbol')).map((r: Record<string, unknown>) => String(r.symbol));
    const due: { symbol: string; closeMs: number }[] = [];
    for (let i = 0; i < symbols.length; i += 500) {
      const rows = await knex('products')
        .whereIn('symbol', symbols.slice(i, i + 500))
        .select('symbol', 'session_time_zone', 'session_open', 'session_close', 'session_days', 'day_expired_through');
      for (const r of rows) {
        const state = sessions.state(hoursFromRow(r).hours, now);
        if (state && state.lastClose > Number(r.day_expired_through ?? 0)) due.push({ symbol: String(r.symbol), closeMs: state.lastClose });
      }
    }
    const runs = await Promise.all(due.map(async ({ symbol, closeMs }) => ({ symbol, closeMs, ...(await path.expire(symbol, closeMs)) })));
    const out = runs.map(({ symbol, closeMs, performed, expired }) => ({ symbol, closeMs, performed, expired }));
    if (out.length > 0) this.options.onRun?.(out);
    return out;
  }

  /** Runs a pass now (awaited: start-up expires what a replica missed) and then every `intervalMs`. */
  async start(): Promise<void> {
    if (!this.options.sessions.enforced) return;
    await this.pass();
    this.schedule();
  }

  /** Stops the passes and waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.pass().then(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private pass(): Promise<unknown> {
    this.running = this.runOnce().catch((e: unknown) => this.options.onError?.(e));
    return this.running;
  }
}
