/**
 * Display formatting for the terminal: decimal strings stay strings (grouped, signed, padded),
 * quantities are grouped integers, missing values are an em dash.
 */
import { parseDecimal, formatFixed, roundDecimal, signOf } from '@trading-app/api/decimal';

/** What an absent value (no trade yet, no bid) shows as. */
export const MISSING = '—';

/** Groups the integer digits of a plain number string: "1234567.5" → "1,234,567.5". */
function group(text: string): string {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  const [int, frac] = body.split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${frac !== undefined ? `.${frac}` : ''}`;
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
  return group(String(Math.trunc(value)));
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

/** Time of day of an ISO timestamp in the viewer's zone, HH:MM:SS (24 h). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return MISSING;
  return d.toLocaleTimeString('en-GB', { hour12: false });
}

/** Date and time of an ISO timestamp, YYYY-MM-DD HH:MM:SS in the viewer's zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return MISSING;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(iso)}`;
}

/** Enum values whose letters are an acronym. */
const ACRONYMS: Readonly<Record<string, string>> = { ETF: 'ETF', IOC: 'IOC', FOK: 'FOK', GTC: 'GTC', DAY: 'Day' };

/** An enum value for people: PARTIALLY_FILLED → "Partially filled", ETF → "ETF". */
export function humanize(value: string): string {
  if (ACRONYMS[value]) return ACRONYMS[value];
  const s = value.replace(/_/g, ' ').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
