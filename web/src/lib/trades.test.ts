import { describe, expect, it } from 'vitest';
import { mergeTrades, tradesToCandles, type TapeTrade } from './trades';

const trade = (id: number, price: string, time: string, quantity = 10): TapeTrade => ({ tradeId: String(id), symbol: 'AAPL', price, quantity, aggressorSide: 'BUY', time });

describe('mergeTrades', () => {
  it('keeps one entry per TradeID, newest first, whatever the arrival order', () => {
    const page = [trade(5, '1.00', '2030-01-01T00:00:05Z'), trade(4, '1.00', '2030-01-01T00:00:04Z')];
    const live = [trade(6, '1.10', '2030-01-01T00:00:06Z'), trade(5, '1.00', '2030-01-01T00:00:05Z')];
    expect(mergeTrades(page, live).map((t) => t.tradeId)).toEqual(['6', '5', '4']);
    expect(mergeTrades(live, page).map((t) => t.tradeId)).toEqual(['6', '5', '4']);
  });

  it('orders TradeIDs numerically and caps the tape', () => {
    const list = [trade(9, '1', '2030-01-01T00:00:09Z'), trade(10, '1', '2030-01-01T00:00:10Z'), trade(100, '1', '2030-01-01T00:01:40Z')];
    expect(mergeTrades([], list, 2).map((t) => t.tradeId)).toEqual(['100', '10']);
  });
});

describe('tradesToCandles', () => {
  it('buckets trades into minute candles in time order', () => {
    const trades = [
      trade(4, '99.50', '2030-01-01T00:01:10Z'),
      trade(3, '102.00', '2030-01-01T00:00:50Z'),
      trade(2, '98.00', '2030-01-01T00:00:20Z'),
      trade(1, '100.00', '2030-01-01T00:00:00Z'),
    ];
    const t0 = Date.parse('2030-01-01T00:00:00Z') / 1000;
    expect(tradesToCandles(trades)).toEqual([
      { time: t0, open: 100, high: 102, low: 98, close: 102 },
      { time: t0 + 60, open: 99.5, high: 99.5, low: 99.5, close: 99.5 },
    ]);
  });

  it('compares prices as decimals (9.5 < 10.00)', () => {
    const c = tradesToCandles([trade(1, '10.00', '2030-01-01T00:00:00Z'), trade(2, '9.5', '2030-01-01T00:00:01Z')]);
    expect(c[0]).toMatchObject({ high: 10, low: 9.5, close: 9.5 });
  });

  it('is empty without trades', () => {
    expect(tradesToCandles([])).toEqual([]);
  });
});
