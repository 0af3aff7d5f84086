import { describe, expect, it } from 'vitest';
import { confirmationNeeded, riskErrors, type TicketLimits } from './risk';

const limits: TicketLimits = {
  bandLow: '135.00',
  bandHigh: '165.00',
  maxOrderQuantity: 1_000,
  maxOrderNotional: '150000',
  maxLongPosition: 500,
  maxShortPosition: 200,
  position: 100,
  openBuyQuantity: 50,
  openSellQuantity: 20,
  confirmPercent: '5.00',
  confirmNotional: '100000',
};
const reasons = (e: ReturnType<typeof riskErrors>) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, v.reason]));
const buy = (price: string, quantity = 1) => ({ side: 'BUY' as const, type: 'LIMIT' as const, price, quantity });

describe('riskErrors (the server limits, mirrored)', () => {
  it.each([
    ['135.00', {}],
    ['165.00', {}],
    ['134.99', { price: 'PRICE_OUT_OF_BAND' }],
    ['165.01', { price: 'PRICE_OUT_OF_BAND' }],
  ])('a price of %s gives %j', (price, expected) => {
    expect(reasons(riskErrors(buy(price), limits))).toEqual(expected);
  });

  it('has no band without a reference (first-trade rule)', () => {
    expect(reasons(riskErrors(buy('99999999.00'), { ...limits, bandLow: null, bandHigh: null, maxOrderNotional: '1000000000000' }))).toEqual({});
  });

  it('takes the largest quantity and refuses one more', () => {
    expect(reasons(riskErrors({ side: 'SELL', type: 'LIMIT', price: '140.00', quantity: 1_000 }, { ...limits, maxShortPosition: 10_000, maxOrderNotional: '1000000' }))).toEqual({});
    expect(reasons(riskErrors({ side: 'SELL', type: 'LIMIT', price: '140.00', quantity: 1_001 }, limits))).toEqual({ quantity: 'QUANTITY_TOO_LARGE' });
  });

  it('takes the largest notional and refuses one more; a market order counts at its band edge', () => {
    expect(reasons(riskErrors(buy('150.00', 1_000), { ...limits, maxLongPosition: 10_000 }))).toEqual({});
    expect(reasons(riskErrors(buy('150.01', 1_000), { ...limits, maxLongPosition: 10_000 }))).toEqual({ quantity: 'ORDER_NOTIONAL_TOO_LARGE' });
    // 909 × 165.00 = 149,985 fits; 910 × 165.00 = 150,150 does not.
    expect(reasons(riskErrors({ side: 'BUY', type: 'MARKET', quantity: 909 }, { ...limits, maxLongPosition: 10_000 }))).toEqual({});
    expect(reasons(riskErrors({ side: 'BUY', type: 'MARKET', quantity: 910 }, { ...limits, maxLongPosition: 10_000 }))).toEqual({ quantity: 'ORDER_NOTIONAL_TOO_LARGE' });
  });

  it('counts the position and open orders against the limits', () => {
    // Long 100 + 50 open: 350 more reach 500.
    expect(reasons(riskErrors(buy('150.00', 350), limits))).toEqual({});
    expect(reasons(riskErrors(buy('150.00', 351), limits))).toEqual({ quantity: 'POSITION_LIMIT' });
    // Long 100, 20 offered: 280 more sells reach a short of 200.
    expect(reasons(riskErrors({ side: 'SELL', type: 'LIMIT', price: '150.00', quantity: 280 }, limits))).toEqual({});
    expect(reasons(riskErrors({ side: 'SELL', type: 'LIMIT', price: '150.00', quantity: 281 }, limits))).toEqual({ quantity: 'POSITION_LIMIT' });
  });
});

describe('confirmationNeeded', () => {
  it('asks for a price 5% or more from the last trade, not for one just inside', () => {
    expect(confirmationNeeded(buy('157.50'), '150.00', limits)).toContain('5.00% above the last trade');
    expect(confirmationNeeded(buy('157.49'), '150.00', limits)).toBeNull();
    expect(confirmationNeeded(buy('142.50'), '150.00', limits)).toContain('below');
  });

  it('does not ask about the price before the first trade', () => {
    expect(confirmationNeeded(buy('157.50'), null, limits)).toBeNull();
  });

  it('asks for a notional at the threshold, a market order at its band edge', () => {
    expect(confirmationNeeded(buy('100.00', 1_000), '100.00', limits)).toContain('worth 100,000.00');
    expect(confirmationNeeded(buy('100.00', 999), '100.00', limits)).toBeNull();
    expect(confirmationNeeded({ side: 'BUY', type: 'MARKET', quantity: 700 }, '150.00', limits)).toContain('up to 115,500.00');
  });
});
