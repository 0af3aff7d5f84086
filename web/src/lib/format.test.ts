import { describe, expect, it } from 'vitest';
import { decimalsOfTick, formatPercent, formatPnl, formatPrice, formatQty, formatSigned, humanize, MISSING, trend } from './format';

describe('formatting', () => {
  it('keeps decimal strings exact and groups thousands', () => {
    expect(formatPrice('1234567.5')).toBe('1,234,567.5');
    expect(formatPrice('1234567.5', 2)).toBe('1,234,567.50');
    expect(formatPrice('0.10000000000000001', 2)).toBe('0.10');
    expect(formatPrice('-1234.5', 2)).toBe('-1,234.50');
  });

  it('shows missing values as a dash', () => {
    expect(formatPrice(null)).toBe(MISSING);
    expect(formatPrice(undefined)).toBe(MISSING);
    expect(formatPrice('not a number')).toBe(MISSING);
    expect(formatQty(null)).toBe(MISSING);
    expect(formatPercent(null)).toBe(MISSING);
  });

  it('signs changes and P&L', () => {
    expect(formatSigned('1.5', 2)).toBe('+1.50');
    expect(formatSigned('-0.2', 2)).toBe('-0.20');
    expect(formatSigned('0', 2)).toBe('0.00');
    expect(formatPnl('12345.678')).toBe('+12,345.68');
    expect(formatPnl('-0.004')).toBe('0.00');
    expect(formatPercent('0.52')).toBe('+0.52%');
    expect(formatPercent('-3.1')).toBe('-3.10%');
  });

  it('colours by sign', () => {
    expect(trend('0.01')).toBe('up');
    expect(trend('-0.01')).toBe('down');
    expect(trend('0.00')).toBe('flat');
    expect(trend(null)).toBe('flat');
  });

  it('groups quantities', () => {
    expect(formatQty(1_000_000_000)).toBe('1,000,000,000');
    expect(formatQty(-40)).toBe('-40');
  });

  it('derives decimals from the tick size', () => {
    expect(decimalsOfTick('0.01')).toBe(2);
    expect(decimalsOfTick('0.5')).toBe(1);
    expect(decimalsOfTick('1')).toBe(0);
  });

  it('humanizes enum values', () => {
    expect(humanize('PARTIALLY_FILLED')).toBe('Partially filled');
    expect(humanize('ETF')).toBe('ETF');
  });
});
