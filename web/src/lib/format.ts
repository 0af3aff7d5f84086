/**
 * Display formatting for the terminal, in the viewer's locale (Intl): digit grouping, decimal
 * separator and digits of numbers, 24-hour times and dates. Decimal strings stay exact: their
 * integer part is formatted as a BigInt and their fraction digit by digit, never through a
 * float. Quantities are grouped integers; missing values are an em dash. Values typed into
 * inputs are never formatted here (they stay plain "1234.50" as the API takes them).
 */
import { parseDecimal, formatFixed, roundDecimal, signOf } from '@trading-app/api/decimal';

/** What an absent value (no trade yet, no bid) shows as. */
export const MISSING = '—';

/** The locale numbers and times are shown in: the browser's, else en-US. */
let locale = typeof navigator !== 'undefined' && navigator.language ? navigator.language : 'en-US';

interface NumberSymbols {
  readonly integer: Intl.NumberFormat;
  readonly decimal: string;
  readonly minus: string;
  readonly digits: readonly string[];
}
let symbols: NumberSymbols | null = null;

function numberSymbols(): NumberSymbols {
  if (symbols) return symbols;
  let integer: Intl.NumberFormat;
  try {
    integer = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, useGrouping: true });
  } catch {
    integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0, useGrouping: true });
  }
  const parts = new Intl.NumberFormat(integer.resolvedOptions().locale).formatToParts(-1.5);
  const digits = Array.from({ length: 10 }, (_, d) => integer.format(d));
  symbols = {
    integer,
    decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    minus: parts.find((p) => p.type === 'minusSign')?.value ?? '-',
    digits,
  };
  return symbols;
}

/** Sets the display locale (a BCP 47 tag such as "de-DE"); an unknown one falls back to en-US. */
export function setDisplayLocale(tag: string): void {
  locale = tag;
  symbols = null;
  timeFormat = dateFormat = null;
}

/** A plain number string ("-1234567.50") in the display locale, exactly: "-1,234,567.50" (en-US), "-1.234.567,50" (de-DE). */
function group(text: string): string {
  const { integer, decimal, minus, digits } = numberSymbols();
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [int, frac] = body.split('.');
  const grouped = integer.format(BigInt(int || '0'));
  const fraction = frac !== undefined ? `${decimal}${[...frac].map((d) => digits[Number(d)] ?? d).join('')}` : '';
  return `${negative ? minus : ''}${grouped}${fraction}`;
}

/**
 * A price as sent by the server, optionally re-expressed with `decimals` places (e.g. the tick
 * size's), with thousands separators: "1234.5" → "1,234.50" (decimals 2).
 */
export function formatPrice(value: string | null | undefined, decimals?: number): string {
  if (value === null || value === undefined || value === '') return MISSING;
  const f = parseDecimal(value);
  if (!f) return MISSING;
  return group(decimals === undefined ? formatFixed(f) : roundDecimal(value, decimals));
}

/** A whole quantity with thousands separators: 1000000 → "1,000,000". */
export function formatQty(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return MISSING;
  return group(BigInt(Math.trunc(value)).toString());
}

/** A signed amount (change, P&L): "+1,234.50", "-0.20", "0.00". */
export function formatSigned(value: string | null | undefined, decimals?: number): string {
  const text = formatPrice(value, decimals);
  if (text === MISSING) return text;
  return signOf(value!) > 0 ? `+${text}` : text;
}

/** A signed percentage: "0.52" → "+0.52%". */
export function formatPercent(value: string | null | undefined): string {
  const text = formatSigned(value, 2);
  return text === MISSING ? text : `${text}%`;
}

/** A P&L amount with two decimals and a sign, for money columns. */
export function formatPnl(value: string | null | undefined): string {
  return formatSigned(value, 2);
}

/** CSS class for a signed value: 'up' (green), 'down' (red) or 'flat'. */
export function trend(value: string | null | undefined): 'up' | 'down' | 'flat' {
  if (value === null || value === undefined || !parseDecimal(value)) return 'flat';
  const s = signOf(value);
  return s > 0 ? 'up' : s < 0 ? 'down' : 'flat';
}

/** Decimals a tick size implies: "0.01" → 2, "0.5" → 1, "1" → 0. */
export function decimalsOfTick(tickSize: string): number {
  return parseDecimal(tickSize)?.scale ?? 2;
}

let timeFormat: Intl.DateTimeFormat | null = null;
let dateFormat: Intl.DateTimeFormat | null = null;

function formats(): { time: Intl.DateTimeFormat; date: Intl.DateTimeFormat } {
  const make = (options: Intl.DateTimeFormatOptions) => {
    try {
      return new Intl.DateTimeFormat(locale, options);
    } catch {
      return new Intl.DateTimeFormat('en-US', options);
    }
  };
  timeFormat ??= make({ hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  dateFormat ??= make({ year: 'numeric', month: 'short', day: 'numeric' });
  return { time: timeFormat, date: dateFormat };
}

function dateOf(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Time of day of an ISO timestamp in the viewer's zone and locale, 24-hour with seconds ("14:05:09"). */
export function formatTime(iso: string | null | undefined): string {
  const d = dateOf(iso);
  return d ? formats().time.format(d) : MISSING;
}

/** Date and time of an ISO timestamp in the viewer's zone and locale ("Dec 5, 2026 14:05:09"). */
export function formatDateTime(iso: string | null | undefined): string {
  const d = dateOf(iso);
  return d ? `${formats().date.format(d)} ${formats().time.format(d)}` : MISSING;
}

/**
 * When an order was placed, as an order list shows it: the time alone for a day order placed
 * today; with the date for a GTC order (it may rest for days) and for anything placed before
 * today (`now`: the viewer's clock, for tests).
 */
export function formatOrderTime(iso: string | null | undefined, timeInForce: string, now: Date = new Date()): string {
  const d = dateOf(iso);
  if (!d) return MISSING;
  const today = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return timeInForce === 'GTC' || !today ? formatDateTime(iso) : formatTime(iso);
}

/** Enum values whose letters are an acronym. */
const ACRONYMS: Readonly<Record<string, string>> = { ETF: 'ETF', IOC: 'IOC', FOK: 'FOK', GTC: 'GTC', DAY: 'Day' };

/** An enum value for people: PARTIALLY_FILLED → "Partially filled", ETF → "ETF". */
export function humanize(value: string): string {
  if (ACRONYMS[value]) return ACRONYMS[value];
  const s = value.replace(/_/g, ' ').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
