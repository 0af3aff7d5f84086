import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDecimal, addTicks, averagePrice, compareDecimal, divDecimal, fromTicks, isDecimal, isOnTick, mulDecimalInt, parseDecimal, roundDecimal, subDecimal, toTicks } from './decimal.js';

describe('decimal strings', () => {
  it.each([
    ['140.00', { units: 14000n, scale: 2 }],
    ['-0.05', { units: -5n, scale: 2 }],
    ['7', { units: 7n, scale: 0 }],
  ])('parses %s', (text, fixed) => {
    expect(parseDecimal(text)).toEqual(fixed);
  });

  it.each(['', '1e3', '1.', '.5', 'abc', '1.2.3', '--1'])('rejects %j', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });

  it('adds and subtracts without float error', () => {
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(subDecimal('140.00', '140.01')).toBe('-0.01');
    expect(subDecimal('0.30', '0.1')).toBe('0.20');
  });

  it('multiplies a price by a quantity exactly', () => {
    expect(mulDecimalInt('140.01', 1_000_000_000)).toBe('140010000000.00');
    expect(mulDecimalInt('19.99', -3)).toBe('-59.97');
  });

  it('divides rounding half away from zero', () => {
    expect(divDecimal('10', '3', 4)).toBe('3.3333');
    expect(divDecimal('2', '3', 2)).toBe('0.67');
    expect(divDecimal('-2', '3', 2)).toBe('-0.67');
    expect(divDecimal('0.125', '1', 2)).toBe('0.13');
  });

  it('rounds and pads to a scale', () => {
    expect(roundDecimal('1.005', 2)).toBe('1.01');
    expect(roundDecimal('-1.005', 2)).toBe('-1.01');
    expect(roundDecimal('1.5', 3)).toBe('1.500');
  });

  it('compares numerically, not lexically', () => {
    expect(compareDecimal('9.5', '10.00')).toBe(-1);
    expect(compareDecimal('140.0', '140.00')).toBe(0);
    expect(compareDecimal('-1', '-2')).toBe(1);
  });

  it('checks multiples of the tick size', () => {
    expect(isOnTick('140.05', '0.05')).toBe(true);
    expect(isOnTick('140.01', '0.05')).toBe(false);
    expect(isOnTick('140.010', '0.01')).toBe(true);
    expect(isOnTick('0.001', '0.01')).toBe(false);
  });

  it('moves a price by whole ticks', () => {
    expect(addTicks('140', '0.01', 1)).toBe('140.01');
    expect(addTicks('140.00', '0.05', -2)).toBe('139.90');
  });
});

describe('ticks', () => {
  const tick = fc.constantFrom('0.01', '0.05', '0.0001', '1', '0.5', '0.000000000001');

  it('fromTicks and toTicks are inverse for every safe tick count', () => {
    fc.assert(
      fc.property(tick, fc.integer({ min: 0, max: 10 ** 12 }), (t, n) => {
        const text = fromTicks(n, t);
        expect(isDecimal(text)).toBe(true);
        expect(toTicks(text, t)).toBe(n);
        expect(isOnTick(text, t)).toBe(true);
        expect(compareDecimal(text, mulDecimalInt(t, n))).toBe(0);
      }),
    );
  });

  it('refuses as input what the server refuses: signs, exponents, blanks, too many digits', () => {
    for (const text of ['-1', '+1', '1e3', ' 1', '1.', '.5', '1234567890123456789', '1.1234567890123', '']) {
      expect(isDecimal(text), text).toBe(false);
      expect(toTicks(text, '0.01'), text).toBeUndefined();
      expect(isOnTick(text, '0.01'), text).toBe(false);
    }
    expect(toTicks('0.001', '0.01')).toBeUndefined();
    expect(toTicks('90071992547409.92', '0.01')).toBeUndefined(); // 2^53 ticks: not safe
  });

  it('averages a notional exactly, rounding half away from zero', () => {
    expect(averagePrice(1001, 2, '0.01')).toBe('5.005000');
    expect(averagePrice(1, 3, '0.01', 2)).toBe('0.0033');
    expect(averagePrice(2, 3, '0.01', 2)).toBe('0.0067');
    expect(averagePrice(-2, 3, '0.01', 2)).toBe('-0.0067');
    expect(averagePrice(5, 0, '0.01')).toBeNull();
  });
});
