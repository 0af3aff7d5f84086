import { describe, expect, it } from 'vitest';
import { addDecimal, addTicks, compareDecimal, divDecimal, isMultipleOf, mulDecimalInt, parseDecimal, roundDecimal, subDecimal } from './decimal';

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
    expect(isMultipleOf('140.05', '0.05')).toBe(true);
    expect(isMultipleOf('140.01', '0.05')).toBe(false);
    expect(isMultipleOf('140.010', '0.01')).toBe(true);
    expect(isMultipleOf('0.001', '0.01')).toBe(false);
  });

  it('moves a price by whole ticks', () => {
    expect(addTicks('140', '0.01', 1)).toBe('140.01');
    expect(addTicks('140.00', '0.05', -2)).toBe('139.90');
  });
});
