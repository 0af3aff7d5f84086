/**
 * The public tape on the client: merging the initial page with live trades, and turning trades
 * into chart candles. Pure.
 */
import { compareDecimal } from '@trading-app/api/decimal';

/** A trade as the `trades` query and subscription return it. */
export interface TapeTrade {
  readonly tradeId: string;
  readonly symbol: string;
  readonly price: string;
  readonly quantity: number;
  readonly aggressorSide: 'BUY' | 'SELL';
  readonly time: string;
}

function byNewest(a: TapeTrade, b: TapeTrade): number {
  const x = Number(a.tradeId);
  const y = Number(b.tradeId);
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y) && x !== y) return y - x;
  return a.time < b.time ? 1 : a.time > b.time ? -1 : 0;
}

/**
 * The tape after new trades arrive (from the query or the subscription, in any order and
 * possibly overlapping): newest first, one entry per TradeID, at most `cap` entries.
 */
export function mergeTrades<T extends TapeTrade>(tape: readonly T[], incoming: readonly T[], cap = 200): T[] {
  const byId = new Map<string, T>();
  for (const t of tape) byId.set(t.tradeId, t);
  for (const t of incoming) byId.set(t.tradeId, t);
  return [...byId.values()].sort(byNewest).slice(0, cap);
}

/** One OHLC candle; time in UTC seconds at the start of its bucket (lightweight-charts' format). */
export interface Candle {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

/**
 * Candles of `bucketSeconds` from trades in any order: open = first trade of the bucket, close
 * = last, by TradeID. Prices become floats here only to be drawn.
 */
export function tradesToCandles(trades: readonly TapeTrade[], bucketSeconds = 60): Candle[] {
  const ordered = [...trades].sort((a, b) => byNewest(b, a));
  const candles = new Map<number, { open: string; high: string; low: string; close: string }>();
  for (const t of ordered) {
    const ms = Date.parse(t.time);
    if (Number.isNaN(ms)) continue;
    const bucket = Math.floor(ms / 1000 / bucketSeconds) * bucketSeconds;
    const c = candles.get(bucket);
    if (!c) candles.set(bucket, { open: t.price, high: t.price, low: t.price, close: t.price });
    else {
      if (compareDecimal(t.price, c.high) > 0) c.high = t.price;
      if (compareDecimal(t.price, c.low) < 0) c.low = t.price;
      c.close = t.price;
    }
  }
  return [...candles.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, c]) => ({ time, open: Number(c.open), high: Number(c.high), low: Number(c.low), close: Number(c.close) }));
}
