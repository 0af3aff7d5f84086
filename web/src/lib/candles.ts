/**
 * Server candles on the client: the frames the chart offers, and folding live trades from the
 * tape into the candles the `candles` query returned, so the last candle moves without a refetch.
 * Prices stay decimal strings (the OHLC readout shows them exactly); they become floats only to
 * be drawn. Pure.
 */
import { compareDecimal } from '@trading-app/api/decimal';
import type { TapeTrade } from './trades';

/** The frames the chart offers, as the API names them, with their length. */
export const FRAMES = [
  { frame: 'M1', label: '1m', seconds: 60 },
  { frame: 'M5', label: '5m', seconds: 300 },
  { frame: 'H1', label: '1h', seconds: 3600 },
  { frame: 'D1', label: '1d', seconds: 86_400 },
] as const;
export type Frame = (typeof FRAMES)[number]['frame'];

/** A candle as the `candles` query returns it. */
export interface ApiCandle {
  readonly time: string;
  readonly open: string;
  readonly high: string;
  readonly low: string;
  readonly close: string;
  readonly volume: number;
  readonly trades: number;
  /** TradeID of its last trade. */
  readonly lastTradeId: string;
}

/** A candle keyed by its bucket start in UTC seconds (lightweight-charts' time). */
export interface LiveCandle extends ApiCandle {
  readonly bucket: number;
}

export function fromApi(list: readonly ApiCandle[]): LiveCandle[] {
  return list.map((c) => ({ ...c, bucket: Math.floor(Date.parse(c.time) / 1000) }));
}

/** The newest TradeID the server's candles counted (0 when there are none: no trades yet). */
export function countedUpTo(list: readonly ApiCandle[]): number {
  return list.reduce((m, c) => Math.max(m, Number(c.lastTradeId)), 0);
}

/**
 * The candles after trades seen on the tape (any order, possibly already counted): a trade newer
 * than `since` (see {@link countedUpTo}) updates its bucket's high, low, close and
 * volume, or starts a new bucket. Older ones are already in the server's figures.
 */
export function foldTrades(candles: readonly LiveCandle[], trades: readonly TapeTrade[], seconds: number, since: number): LiveCandle[] {
  const fresh = trades.filter((t) => Number(t.tradeId) > since).sort((a, b) => Number(a.tradeId) - Number(b.tradeId));
  if (fresh.length === 0) return [...candles];
  const byBucket = new Map(candles.map((c) => [c.bucket, c]));
  for (const t of fresh) {
    const ms = Date.parse(t.time);
    if (Number.isNaN(ms)) continue;
    const bucket = Math.floor(ms / 1000 / seconds) * seconds;
    const c = byBucket.get(bucket);
    byBucket.set(
      bucket,
      c
        ? {
            ...c,
            high: compareDecimal(t.price, c.high) > 0 ? t.price : c.high,
            low: compareDecimal(t.price, c.low) < 0 ? t.price : c.low,
            close: t.price,
            volume: c.volume + t.quantity,
            trades: c.trades + 1,
            lastTradeId: t.tradeId,
          }
        : { bucket, time: new Date(bucket * 1000).toISOString(), open: t.price, high: t.price, low: t.price, close: t.price, volume: t.quantity, trades: 1, lastTradeId: t.tradeId },
    );
  }
  return [...byBucket.values()].sort((a, b) => a.bucket - b.bucket);
}
