import { describe, expect, it } from 'vitest';
import { countedUpTo, foldTrades, fromApi } from './candles';

const trade = (id: number, time: string, price: string, quantity = 1) => ({ tradeId: String(id), symbol: 'X', price, quantity, aggressorSide: 'BUY' as const, time });

describe('foldTrades', () => {
  const base = fromApi([{ time: '2026-01-01T10:00:00.000Z', open: '10.00', high: '10.50', low: '9.90', close: '10.20', volume: 30, trades: 3, lastTradeId: '4' }]);

  it('moves the last candle with newer trades and opens the next bucket', () => {
    const out = foldTrades(base, [trade(5, '2026-01-01T10:00:40Z', '10.60', 2), trade(6, '2026-01-01T10:01:05Z', '10.10', 4), trade(3, '2026-01-01T10:00:10Z', '1.00')], 60, 4);
    expect(out).toEqual([
      { bucket: base[0]!.bucket, time: '2026-01-01T10:00:00.000Z', open: '10.00', high: '10.60', low: '9.90', close: '10.60', volume: 32, trades: 4, lastTradeId: '5' },
      { bucket: base[0]!.bucket + 60, time: '2026-01-01T10:01:00.000Z', open: '10.10', high: '10.10', low: '10.10', close: '10.10', volume: 4, trades: 1, lastTradeId: '6' },
    ]);
  });

  it('ignores trades the server already counted', () => {
    expect(foldTrades(base, [trade(4, '2026-01-01T10:00:40Z', '99.00')], 60, 4)).toEqual(base);
  });

  it('compares prices as decimals, not text', () => {
    const [c] = foldTrades(base, [trade(9, '2026-01-01T10:00:50Z', '9.5')], 60, 4);
    expect(c).toMatchObject({ low: '9.5', high: '10.50', close: '9.5' });
  });

  it('counts from the newest trade the server counted, or from nothing', () => {
    expect(countedUpTo(base)).toBe(4);
    expect(countedUpTo([])).toBe(0);
    // Before the server answers, nothing of the tape is taken as counted: the tape alone draws.
    expect(foldTrades([], [trade(1, '2026-01-01T10:00:40Z', '10.00', 3)], 60, countedUpTo([]))).toHaveLength(1);
  });
});
