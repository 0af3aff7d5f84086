import { describe, expect, it } from 'vitest';
import { mergeTrades, type TapeTrade } from './trades';

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
