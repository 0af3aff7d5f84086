/**
 * Trading hours and the session math: when a product's continuous session is open, when it next
 * opens and closes, and which close was the last one. Pure (time comes in as an argument); time
 * zones and daylight saving come from the runtime's IANA database (`Intl`).
 *
 * A session runs from `open` (inclusive) to `close` (exclusive), local wall time in `timeZone`,
 * on the listed weekdays. Lunch breaks and exchange holidays are not modelled: an admin halts a
 * product for a holiday, or edits its hours.
 */

/** A product's weekly schedule. */
export interface TradingHours {
  /** IANA time zone of the listing, e.g. `America/New_York`. */
  readonly timeZone: string;
  /** Opening time, minutes after local midnight (0–1439). */
  readonly open: number;
  /** Closing time, minutes after local midnight; after `open` (sessions do not span midnight). */
  readonly close: number;
  /** ISO weekdays the session runs (1 = Monday … 7 = Sunday), ascending. */
  readonly days: readonly number[];
}

/** Where a schedule stands at one instant. Times are ms since the epoch. */
export interface SessionState {
  /** True from an open (inclusive) to its close (exclusive). */
  readonly open: boolean;
  /** The next opening after now (when open: the next session's). */
  readonly nextOpen: number;
  /** The close of the current session when open, else of the next one. */
  readonly nextClose: number;
  /** The latest close at or before now: the DAY orders of sessions up to it have expired. */
  readonly lastClose: number;
}

const MON_FRI = [1, 2, 3, 4, 5] as const;
const SUN_THU = [1, 2, 3, 4, 7] as const;

const hm = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
const h = (timeZone: string, open: string, close: string, days: readonly number[] = MON_FRI): TradingHours => ({ timeZone, open: hm(open), close: hm(close), days });

/**
 * Default hours by listing suffix (the text after the symbol's last `.`; none = a US listing).
 * The continuous session of each market in its own time zone; a suffix not listed here trades
 * on US hours. Admins override any product's hours (`setTradingHours`). Kept in step with the
 * table in docs/RUNBOOK.md ("Trading sessions").
 */
export const DEFAULT_HOURS: Readonly<Record<string, TradingHours>> = {
  '': h('America/New_York', '09:30', '16:00'),
  L: h('Europe/London', '08:00', '16:30'),
  IL: h('Europe/London', '08:00', '16:30'),
  T: h('Asia/Tokyo', '09:00', '15:30'),
  HK: h('Asia/Hong_Kong', '09:30', '16:00'),
  NS: h('Asia/Kolkata', '09:15', '15:30'),
  SS: h('Asia/Shanghai', '09:30', '15:00'),
  SZ: h('Asia/Shanghai', '09:30', '15:00'),
  DE: h('Europe/Berlin', '09:00', '17:30'),
  F: h('Europe/Berlin', '09:00', '17:30'),
  MU: h('Europe/Berlin', '09:00', '17:30'),
  TO: h('America/Toronto', '09:30', '16:00'),
  V: h('America/Toronto', '09:30', '16:00'),
  CN: h('America/Toronto', '09:30', '16:00'),
  PA: h('Europe/Paris', '09:00', '17:30'),
  AS: h('Europe/Amsterdam', '09:00', '17:30'),
  BR: h('Europe/Brussels', '09:00', '17:30'),
  LS: h('Europe/Lisbon', '08:00', '16:30'),
  IR: h('Europe/Dublin', '08:00', '16:30'),
  MI: h('Europe/Rome', '09:00', '17:30'),
  MC: h('Europe/Madrid', '09:00', '17:30'),
  SW: h('Europe/Zurich', '09:00', '17:30'),
  VI: h('Europe/Vienna', '09:00', '17:30'),
  ST: h('Europe/Stockholm', '09:00', '17:30'),
  CO: h('Europe/Copenhagen', '09:00', '17:00'),
  HE: h('Europe/Helsinki', '10:00', '18:30'),
  OL: h('Europe/Oslo', '09:00', '16:20'),
  IC: h('Atlantic/Reykjavik', '09:30', '15:30'),
  WA: h('Europe/Warsaw', '09:00', '17:00'),
  PR: h('Europe/Prague', '09:00', '16:25'),
  AT: h('Europe/Athens', '10:00', '17:20'),
  IS: h('Europe/Istanbul', '10:00', '18:00'),
  ME: h('Europe/Moscow', '10:00', '18:40'),
  TA: h('Asia/Jerusalem', '10:00', '17:25'),
  JO: h('Africa/Johannesburg', '09:00', '17:00'),
  SR: h('Asia/Riyadh', '10:00', '15:00', SUN_THU),
  QA: h('Asia/Qatar', '09:30', '13:15', SUN_THU),
  AE: h('Asia/Dubai', '10:00', '15:00'),
  TW: h('Asia/Taipei', '09:00', '13:30'),
  TWO: h('Asia/Taipei', '09:00', '13:30'),
  KS: h('Asia/Seoul', '09:00', '15:30'),
  KQ: h('Asia/Seoul', '09:00', '15:30'),
  SI: h('Asia/Singapore', '09:00', '17:00'),
  KL: h('Asia/Kuala_Lumpur', '09:00', '17:00'),
  JK: h('Asia/Jakarta', '09:00', '16:00'),
  BK: h('Asia/Bangkok', '10:00', '16:30'),
  AX: h('Australia/Sydney', '10:00', '16:00'),
  NZ: h('Pacific/Auckland', '10:00', '16:45'),
  SA: h('America/Sao_Paulo', '10:00', '17:00'),
  MX: h('America/Mexico_City', '08:30', '15:00'),
  SN: h('America/Santiago', '09:30', '16:00'),
};

/** The listing suffix of a symbol: after its last `.`, or '' (a US listing). */
export function listingSuffix(symbol: string): string {
  const i = symbol.lastIndexOf('.');
  return i > 0 ? symbol.slice(i + 1).toUpperCase() : '';
}

/** A symbol's default hours, from its listing suffix ({@link DEFAULT_HOURS}; unknown suffixes trade on US hours). */
export function defaultHours(symbol: string): TradingHours {
  return DEFAULT_HOURS[listingSuffix(symbol)] ?? DEFAULT_HOURS['']!;
}

/** `HH:MM` for minutes after midnight. */
export function formatTime(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Minutes after midnight of a strict `HH:MM` (00:00–23:59), or undefined. */
export function parseTime(s: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** True when the runtime knows this IANA time zone. */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's offset from UTC at instant `t`, in ms (local = UTC + offset). */
function offsetAt(t: number, tz: string): number {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - (t - (((t % 1000) + 1000) % 1000));
}

/**
 * The instant of local wall time `minutes` on the calendar day `dayUtc` (that date's UTC midnight)
 * in `tz`. A wall time skipped by a DST change maps to the instant the clock jumps over it, plus
 * its distance into the gap (02:30 on a spring-forward night = 03:30 new time).
 */
export function zonedTime(dayUtc: number, minutes: number, tz: string): number {
  const wall = dayUtc + minutes * 60_000;
  const a = wall - offsetAt(wall, tz);
  const offA = offsetAt(a, tz);
  if (a + offA === wall) return a;
  const b = wall - offA;
  const offB = offsetAt(b, tz);
  if (b + offB === wall) return b;
  // In a gap: no instant shows this wall time; take it by the offset before the jump.
  return wall - Math.min(offA, offB);
}

const DAY = 86_400_000;

/** The UTC midnight of the calendar day that instant `t` falls on in `tz`. */
function localDay(t: number, tz: string): number {
  const local = t + offsetAt(t, tz);
  return local - (((local % DAY) + DAY) % DAY);
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a UTC midnight. */
const isoWeekday = (dayUtc: number): number => ((new Date(dayUtc).getUTCDay() + 6) % 7) + 1;

/**
 * Where `hours` stands at instant `now`. Looks 8 days either way, so any schedule with at least
 * one session day a week has a previous close and a next open.
 */
export function sessionAt(hours: TradingHours, now: number): SessionState {
  const today = localDay(now, hours.timeZone);
  let open = false;
  let nextOpen = Infinity;
  let nextClose = Infinity;
  let lastClose = -Infinity;
  for (let k = -8; k <= 8; k++) {
    const day = today + k * DAY;
    if (!hours.days.includes(isoWeekday(day))) continue;
    const o = zonedTime(day, hours.open, hours.timeZone);
    const c = zonedTime(day, hours.close, hours.timeZone);
    if (o <= now && now < c) open = true;
    if (o > now && o < nextOpen) nextOpen = o;
    if (c > now && c < nextClose) nextClose = c;
    if (c <= now && c > lastClose) lastClose = c;
  }
  return { open, nextOpen, nextClose, lastClose };
}

/** Checks an hours value: known zone, `open` < `close` within one day, 1–7 distinct weekdays. */
export function validHours(hours: TradingHours): boolean {
  return (
    isTimeZone(hours.timeZone) &&
    Number.isInteger(hours.open) &&
    Number.isInteger(hours.close) &&
    hours.open >= 0 &&
    hours.open < hours.close &&
    hours.close <= 1439 &&
    hours.days.length > 0 &&
    hours.days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7) &&
    new Set(hours.days).size === hours.days.length
  );
}

/** A product row's hours: its own when set, else its listing suffix's default. */
export function hoursFromRow(r: Record<string, unknown>): { hours: TradingHours; customHours: boolean } {
  if (r.session_time_zone == null) return { hours: defaultHours(String(r.symbol)), customHours: false };
  const time = (v: unknown) => {
    const [hh, mm] = String(v).split(':');
    return Number(hh) * 60 + Number(mm);
  };
  return {
    hours: { timeZone: String(r.session_time_zone), open: time(r.session_open), close: time(r.session_close), days: [...String(r.session_days ?? '12345')].map(Number) },
    customHours: true,
  };
}
