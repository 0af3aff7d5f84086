import { describe, expect, it } from 'vitest';
import { currencyTotals } from './currency-totals';
import { revalue } from './holdings';

const h = (symbol: string, currency: string, quantity: number, avg: string, last: string | null) => ({ ...revalue({ symbol, quantity, avgPrice: avg, lastPrice: last }), currency });

describe('currencyTotals', () => {
  it('sums within each currency and never across, with realised P&L from the server', () => {
    const rows = [h('AAPL', 'USD', 10, '100.000000', '110.00'), h('MSFT', 'USD', -5, '50.000000', '40.00'), h('0700.HK', 'HKD', 100, '247.200000', '250.00'), h('VOD.L', 'GBX', 3, '72.500000', null)];
    expect(currencyTotals(rows, [{ currency: 'USD', realizedPnl: '12.0000' }, { currency: 'EUR', realizedPnl: '-3.0000' }])).toEqual([
      { currency: 'EUR', positions: 0, unpriced: 0, marketValue: '0', unrealizedPnl: '0', realizedPnl: '-3.0000' },
      { currency: 'GBX', positions: 1, unpriced: 1, marketValue: '0', unrealizedPnl: '0', realizedPnl: null },
      { currency: 'HKD', positions: 1, unpriced: 0, marketValue: '25000.00', unrealizedPnl: '280.0000', realizedPnl: null },
      { currency: 'USD', positions: 2, unpriced: 0, marketValue: '900.00', unrealizedPnl: '150.0000', realizedPnl: '12.0000' },
    ]);
  });
});
