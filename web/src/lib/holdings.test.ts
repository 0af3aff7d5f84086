import { describe, expect, it } from 'vitest';
import { applyFill, applyLastPrice, revalue, type Holding } from './holdings';

const aapl = (quantity: number, avgPrice: string, lastPrice: string): Holding => revalue({ symbol: 'AAPL', quantity, avgPrice, lastPrice });

describe('applyFill', () => {
  it('opens a position at the fill price, valued at that price', () => {
    expect(applyFill([], { symbol: 'AAPL', side: 'BUY', quantity: 40, price: '150.00' })).toEqual([
      { symbol: 'AAPL', quantity: 40, avgPrice: '150.000000', lastPrice: '150.00', marketValue: '6000.00', unrealizedPnl: '0.0000' },
    ]);
  });

  it('opens a short position on a sell from flat', () => {
    const [h] = applyFill([], { symbol: 'AAPL', side: 'SELL', quantity: 40, price: '150.00' });
    expect(h).toMatchObject({ quantity: -40, avgPrice: '150.000000', marketValue: '-6000.00', unrealizedPnl: '0.0000' });
  });

  it('re-weights the average when adding on the same side', () => {
    const [h] = applyFill([aapl(100, '140.000000', '140.00')], { symbol: 'AAPL', side: 'BUY', quantity: 50, price: '143.00' });
    // (100 × 140 + 50 × 143) / 150 = 141; P&L at last 143: (143 − 141) × 150 = 300.
    expect(h).toMatchObject({ quantity: 150, avgPrice: '141.000000', lastPrice: '143.00', marketValue: '21450.00', unrealizedPnl: '300.0000' });
  });

  it('stays exact for a position above 2^31 whose value passes 2^53 cents (the API sends SafeInt and Decimal)', () => {
    const [h] = applyFill([aapl(2147483647, '41943.030000', '41943.03')], { symbol: 'AAPL', side: 'BUY', quantity: 2147483646, price: '41943.03' });
    // 4,294,967,293 × 4,194,303 cents = 18,014,394,201,931,779 cents: odd, beyond 2^53, lost by a float.
    expect(h).toMatchObject({ quantity: 4294967293, avgPrice: '41943.030000', marketValue: '180143942019317.79', unrealizedPnl: '0.0000' });
  });

  it('keeps the average when reducing, and the P&L follows the new last price', () => {
    const [h] = applyFill([aapl(100, '140.000000', '140.00')], { symbol: 'AAPL', side: 'SELL', quantity: 30, price: '145.50' });
    expect(h).toMatchObject({ quantity: 70, avgPrice: '140.000000', lastPrice: '145.50', marketValue: '10185.00', unrealizedPnl: '385.0000' });
  });

  it('drops the row when the position closes', () => {
    const other = aapl(5, '1.000000', '1.00');
    const msft = { ...other, symbol: 'MSFT' };
    expect(applyFill([aapl(100, '140.000000', '140.00'), msft], { symbol: 'AAPL', side: 'SELL', quantity: 100, price: '141.00' })).toEqual([msft]);
  });

  it('starts a new average at the fill price when the position flips side', () => {
    const [h] = applyFill([aapl(10, '140.000000', '140.00')], { symbol: 'AAPL', side: 'SELL', quantity: 25, price: '150.00' });
    expect(h).toMatchObject({ quantity: -15, avgPrice: '150.000000', unrealizedPnl: '0.0000' });
  });

  it('shows a loss on a short when the price rises', () => {
    const [h] = applyFill([aapl(-40, '150.000000', '150.00')], { symbol: 'AAPL', side: 'SELL', quantity: 10, price: '151.00' });
    // avg (40 × 150 + 10 × 151) / 50 = 150.2; P&L (151 − 150.2) × −50 = −40.
    expect(h).toMatchObject({ quantity: -50, avgPrice: '150.200000', unrealizedPnl: '-40.0000' });
  });

  it('keeps rows sorted by symbol and leaves other symbols alone', () => {
    const tsla = revalue({ symbol: 'TSLA', quantity: 1, avgPrice: '200.000000', lastPrice: '200.00' });
    const out = applyFill([tsla], { symbol: 'AAPL', side: 'BUY', quantity: 1, price: '1.00' });
    expect(out.map((h) => h.symbol)).toEqual(['AAPL', 'TSLA']);
    expect(out[1]).toBe(tsla);
  });

  it('ignores a fill without a positive whole quantity', () => {
    const list = [aapl(1, '1.000000', '1.00')];
    expect(applyFill(list, { symbol: 'AAPL', side: 'BUY', quantity: 0, price: '1.00' })).toEqual(list);
  });
});

describe('applyLastPrice', () => {
  it('revalues the symbol at the new last price', () => {
    const [h] = applyLastPrice([aapl(-40, '150.000000', '150.00')], 'AAPL', '149.25');
    expect(h).toMatchObject({ marketValue: '-5970.00', unrealizedPnl: '30.0000' });
  });

  it('returns the same row objects when nothing changes', () => {
    const list = [aapl(1, '1.000000', '1.00')];
    expect(applyLastPrice(list, 'AAPL', '1.00')[0]).toBe(list[0]);
    expect(applyLastPrice(list, 'MSFT', '9.00')[0]).toBe(list[0]);
    expect(applyLastPrice(list, 'AAPL', null)[0]).toBe(list[0]);
  });

  it('realises P&L on a reduction at the old average, and on a flip closes all of it', () => {
    const start = { ...aapl(100, '10.100000', '10.30'), currency: 'USD', realizedPnl: '0.0000' };
    const [reduced] = applyFill([start], { symbol: 'AAPL', side: 'SELL', quantity: 60, price: '10.50' });
    expect(reduced).toMatchObject({ quantity: 40, avgPrice: '10.100000', realizedPnl: '24.0000', currency: 'USD' });
    const [flipped] = applyFill([reduced!], { symbol: 'AAPL', side: 'SELL', quantity: 50, price: '10.00' });
    // Closes 40 at 10.00 (−4.00), opens a short of 10 at 10.00.
    expect(flipped).toMatchObject({ quantity: -10, avgPrice: '10.000000', realizedPnl: '20.0000', currency: 'USD' });
    const [covered] = applyFill([flipped!], { symbol: 'AAPL', side: 'BUY', quantity: 4, price: '9.50' });
    expect(covered).toMatchObject({ quantity: -6, realizedPnl: '22.0000' });
  });
});
