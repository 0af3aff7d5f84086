import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors.js';
import { bandLimit, checkBand, checkOrderNotional, checkOrderQty, checkPosition, inBand, maxNotionalTicks, priceBand, type Exposure } from './risk-rules.js';

const reasonOf = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    if (e instanceof DomainError) return e.reason;
    throw e;
  }
};
const show = (t: number) => String(t);

describe('price band', () => {
  it('is ±10% of a 150.00 reference: 135.00 to 165.00, both included', () => {
    const band = priceBand(15_000, 1_000)!;
    expect(band).toEqual({ low: 13_500, high: 16_500 });
    expect(reasonOf(() => checkBand(13_500, band, show))).toBeUndefined();
    expect(reasonOf(() => checkBand(16_500, band, show))).toBeUndefined();
    expect(reasonOf(() => checkBand(13_499, band, show))).toBe('PRICE_OUT_OF_BAND');
    expect(reasonOf(() => checkBand(16_501, band, show))).toBe('PRICE_OUT_OF_BAND');
  });

  it('refuses the bid at 99,999,999.00 on a stock last traded at 150.00', () => {
    expect(reasonOf(() => checkBand(9_999_999_900, priceBand(15_000, 1_000), show))).toBe('PRICE_OUT_OF_BAND');
  });

  it('rounds inwards on prices that do not divide: never a price beyond ±bps', () => {
    // 10% of 1.05 (105 ticks) is 10.5 ticks: the band is 95 (94.5 rounded up) to 115 (115.5 rounded down).
    expect(priceBand(105, 1_000)).toEqual({ low: 95, high: 115 });
  });

  it('never goes below one tick', () => {
    expect(priceBand(3, 9_000)).toEqual({ low: 1, high: 5 });
    expect(priceBand(1, 10_000)).toEqual({ low: 1, high: 2 });
  });

  it('is absent without a reference (the first-trade rule applies)', () => {
    expect(priceBand(null, 1_000)).toBeNull();
    expect(reasonOf(() => checkBand(1, null, show))).toBeUndefined();
  });

  it('gives a buy its high and a sell its low as the engine band price', () => {
    const band = priceBand(10_000, 500)!;
    expect(bandLimit(band, 'BUY')).toBe(10_500);
    expect(bandLimit(band, 'SELL')).toBe(9_500);
  });

  it('agrees with the plain definition p × 10000 within ref × (10000 ± bps) for any reference, band and price', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 2 }), (ref, bps, delta, which) => {
        const band = priceBand(ref, bps)!;
        // Prices around the edges and the reference, where off-by-ones live.
        const base = [band.low, band.high, ref][which]!;
        const p = Math.max(1, base + delta);
        const model = BigInt(p) * 10_000n >= BigInt(ref) * BigInt(10_000 - bps) && BigInt(p) * 10_000n <= BigInt(ref) * BigInt(10_000 + bps);
        expect(inBand(p, band)).toBe(model);
        expect(inBand(ref, band)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('order size', () => {
  const limits = { maxOrderQty: 1_000, maxNotionalTicks: maxNotionalTicks('1000000', '0.01') };

  it('converts a notional limit in currency to ticks × lots exactly', () => {
    expect(maxNotionalTicks('1000000', '0.01')).toBe(100_000_000n);
    expect(maxNotionalTicks('10.5', '0.25')).toBe(42n);
    expect(maxNotionalTicks('10.4', '0.25')).toBe(41n);
  });

  it('accepts the largest quantity and refuses one more', () => {
    expect(reasonOf(() => checkOrderQty(1_000, limits))).toBeUndefined();
    expect(reasonOf(() => checkOrderQty(1_001, limits))).toBe('QUANTITY_TOO_LARGE');
  });

  it('accepts the largest notional and refuses one tick more', () => {
    // 1,000 lots × 1,000.00 = 1,000,000.00 exactly.
    expect(reasonOf(() => checkOrderNotional(100_000, 1_000, limits, '1000000'))).toBeUndefined();
    expect(reasonOf(() => checkOrderNotional(100_001, 1_000, limits, '1000000'))).toBe('ORDER_NOTIONAL_TOO_LARGE');
  });
});

describe('position limits counting open orders', () => {
  const limits = { maxLong: 100, maxShort: 50 };
  const flat: Exposure = { net: 0n, openBuy: 0n, openSell: 0n };

  it('lets a buy reach the long limit exactly, not one lot past it', () => {
    expect(reasonOf(() => checkPosition('BUY', 100, flat, limits, 'ALLOWED'))).toBeUndefined();
    expect(reasonOf(() => checkPosition('BUY', 101, flat, limits, 'ALLOWED'))).toBe('POSITION_LIMIT');
  });

  it('counts the filled position and the open buys', () => {
    const e: Exposure = { net: 40n, openBuy: 30n, openSell: 0n };
    expect(reasonOf(() => checkPosition('BUY', 30, e, limits, 'ALLOWED'))).toBeUndefined();
    expect(reasonOf(() => checkPosition('BUY', 31, e, limits, 'ALLOWED'))).toBe('POSITION_LIMIT');
  });

  it('lets a sell reach the short limit exactly, counting open sells and what is held', () => {
    const e: Exposure = { net: 20n, openBuy: 0n, openSell: 10n };
    // Held 20, 10 already offered: 10 more close the position, 50 more reach the short limit.
    expect(reasonOf(() => checkPosition('SELL', 60, e, limits, 'ALLOWED'))).toBeUndefined();
    expect(reasonOf(() => checkPosition('SELL', 61, e, limits, 'ALLOWED'))).toBe('POSITION_LIMIT');
  });

  it('sells only what is held and not yet offered when shorting is off', () => {
    const e: Exposure = { net: 20n, openBuy: 0n, openSell: 5n };
    expect(reasonOf(() => checkPosition('SELL', 15, e, limits, 'COVERED_ONLY'))).toBeUndefined();
    expect(reasonOf(() => checkPosition('SELL', 16, e, limits, 'COVERED_ONLY'))).toBe('SHORT_SALE_NOT_ALLOWED');
    expect(reasonOf(() => checkPosition('SELL', 1, flat, limits, 'COVERED_ONLY'))).toBe('SHORT_SALE_NOT_ALLOWED');
  });

  it('does not let open sells offset a buy (an open order may be canceled)', () => {
    const e: Exposure = { net: 0n, openBuy: 0n, openSell: 1_000n };
    expect(reasonOf(() => checkPosition('BUY', 101, e, limits, 'ALLOWED'))).toBe('POSITION_LIMIT');
  });
});
