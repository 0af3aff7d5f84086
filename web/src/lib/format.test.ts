import { describe, expect, it } from 'vitest';
import { afterEach, beforeEach } from 'vitest';
import { decimalsOfTick, formatDateTime, formatOrderTime, formatPercent, formatPnl, formatPrice, formatQty, formatSigned, formatTime, humanize, MISSING, setDisplayLocale, trend } from './format';

describe('formatting', () => {
  beforeEach(() => setDisplayLocale('en-US'));
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

describe('formatting in other locales (Intl)', () => {
  afterEach(() => setDisplayLocale('en-US'));

  it('uses the locale’s grouping, decimal separator and digits, exactly for decimal strings', () => {
    setDisplayLocale('de-DE');
    expect(formatPrice('1234567.5', 2)).toBe('1.234.567,50');
    expect(formatQty(1_000_000)).toBe('1.000.000');
    // More digits than a double holds: no float on the way.
    expect(formatPrice('123456789012345678.123456789')).toBe('123.456.789.012.345.678,123456789');
    setDisplayLocale('en-IN');
    expect(formatPrice('12345678.25')).toBe('1,23,45,678.25');
    setDisplayLocale('fr-FR');
    expect(formatPrice('-1234.5', 2)).toMatch(/^-1\s234,50$/u);
    setDisplayLocale('ar-EG');
    expect(formatPrice('12.5')).toBe('١٢٫٥');
    setDisplayLocale('not a locale!');
    expect(formatPrice('1234.5')).toBe('1,234.5');
  });

  it('shows 24-hour times, and dates on GTC orders and on orders of earlier days', () => {
    setDisplayLocale('en-US');
    const now = new Date(2026, 11, 5, 15, 0, 0);
    const today = new Date(2026, 11, 5, 9, 5, 7).toISOString();
    const earlier = new Date(2026, 11, 1, 16, 30, 0).toISOString();
    expect(formatTime(today)).toBe('09:05:07');
    expect(formatOrderTime(today, 'DAY', now)).toBe('09:05:07');
    expect(formatOrderTime(today, 'GTC', now)).toBe('Dec 5, 2026 09:05:07');
    expect(formatOrderTime(earlier, 'DAY', now)).toBe('Dec 1, 2026 16:30:00');
    expect(formatDateTime('nonsense')).toBe(MISSING);
    setDisplayLocale('de-DE');
    expect(formatOrderTime(today, 'GTC', now)).toBe('5. Dez. 2026 09:05:07');
  });
});
