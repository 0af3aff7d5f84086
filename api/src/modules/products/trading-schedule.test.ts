import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_HOURS, defaultHours, formatTime, listingSuffix, parseTime, sessionAt, validHours, zonedTime, type TradingHours } from './trading-schedule.js';

const at = (iso: string) => Date.parse(iso);
const NY = DEFAULT_HOURS['']!;
const LONDON = DEFAULT_HOURS.L!;

/** Wall time and ISO weekday of an instant in a zone. */
function local(t: number, tz: string): { hhmm: string; weekday: number } {
  const f = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' });
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  return { hhmm: `${parts.hour}:${parts.minute}`, weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1 };
}

describe('default hours', () => {
  it.each([
    ['AAPL', '', 'America/New_York', '09:30', '16:00'],
    ['VOD.L', 'L', 'Europe/London', '08:00', '16:30'],
    ['7203.T', 'T', 'Asia/Tokyo', '09:00', '15:30'],
    ['0005.HK', 'HK', 'Asia/Hong_Kong', '09:30', '16:00'],
    ['RELIANCE.NS', 'NS', 'Asia/Kolkata', '09:15', '15:30'],
    ['SAP.DE', 'DE', 'Europe/Berlin', '09:00', '17:30'],
    ['AIR.PA', 'PA', 'Europe/Paris', '09:00', '17:30'],
    ['XYZ.ZZ', 'ZZ', 'America/New_York', '09:30', '16:00'],
  ])('%s (suffix %j) trades %s %s–%s', (symbol, suffix, tz, open, close) => {
    expect(listingSuffix(symbol)).toBe(suffix);
    const h = defaultHours(symbol);
    expect([h.timeZone, formatTime(h.open), formatTime(h.close)]).toEqual([tz, open, close]);
  });

  it('are all valid', () => {
    for (const [suffix, h] of Object.entries(DEFAULT_HOURS)) expect(validHours(h), suffix).toBe(true);
  });
});

describe('sessionAt', () => {
  it('is open on a Monday morning in New York and names the close and the last Friday close', () => {
    const s = sessionAt(NY, at('2026-03-02T15:00:00Z')); // Mon 10:00 EST
    expect(s.open).toBe(true);
    expect(s.nextClose).toBe(at('2026-03-02T21:00:00Z'));
    expect(s.nextOpen).toBe(at('2026-03-03T14:30:00Z'));
    expect(s.lastClose).toBe(at('2026-02-27T21:00:00Z'));
  });

  it('is closed over the weekend and opens on Monday at the new DST offset', () => {
    // US clocks spring forward on Sunday 2026-03-08: Friday closes at 21:00Z, Monday opens at 13:30Z.
    const s = sessionAt(NY, at('2026-03-07T12:00:00Z'));
    expect(s.open).toBe(false);
    expect(s.lastClose).toBe(at('2026-03-06T21:00:00Z'));
    expect(s.nextOpen).toBe(at('2026-03-09T13:30:00Z'));
    expect(s.nextClose).toBe(at('2026-03-09T20:00:00Z'));
  });

  it('follows London across its own DST change, three weeks after New York', () => {
    expect(sessionAt(LONDON, at('2026-03-27T08:00:00Z')).open).toBe(true); // GMT
    expect(sessionAt(LONDON, at('2026-03-30T07:00:00Z')).open).toBe(true); // BST
    expect(sessionAt(LONDON, at('2026-03-30T06:59:59.999Z')).open).toBe(false);
    // Autumn: BST ends Sunday 2026-10-25.
    expect(sessionAt(LONDON, at('2026-10-23T15:29:59Z')).nextClose).toBe(at('2026-10-23T15:30:00Z'));
    expect(sessionAt(LONDON, at('2026-10-26T16:29:59Z')).nextClose).toBe(at('2026-10-26T16:30:00Z'));
  });

  it('opens inclusive and closes exclusive', () => {
    expect(sessionAt(NY, at('2026-03-02T14:30:00Z')).open).toBe(true);
    expect(sessionAt(NY, at('2026-03-02T14:29:59.999Z')).open).toBe(false);
    const atClose = sessionAt(NY, at('2026-03-02T21:00:00Z'));
    expect(atClose.open).toBe(false);
    expect(atClose.lastClose).toBe(at('2026-03-02T21:00:00Z'));
  });

  it('handles a zone without DST and a Sunday–Thursday week', () => {
    expect(sessionAt(DEFAULT_HOURS.T!, at('2026-07-01T00:00:00Z')).open).toBe(true); // Wed 09:00 JST
    const riyadh = DEFAULT_HOURS.SR!;
    expect(sessionAt(riyadh, at('2026-03-08T08:00:00Z')).open).toBe(true); // Sunday 11:00
    expect(sessionAt(riyadh, at('2026-03-06T08:00:00Z')).open).toBe(false); // Friday
  });

  it('maps a wall time skipped by DST to the instant after the jump', () => {
    expect(zonedTime(at('2026-03-08T00:00:00Z'), 150, 'America/New_York')).toBe(at('2026-03-08T07:30:00Z'));
  });

  const hoursArb: fc.Arbitrary<TradingHours> = fc.oneof(
    fc.constantFrom(...Object.values(DEFAULT_HOURS)),
    fc
      .record({
        timeZone: fc.constantFrom('America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Tokyo', 'America/Santiago', 'UTC'),
        open: fc.integer({ min: 4 * 60, max: 12 * 60 }),
        len: fc.integer({ min: 1, max: 10 * 60 }),
        days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }).map((d) => d.sort()),
      })
      .map(({ timeZone, open, len, days }) => ({ timeZone, open, close: open + len, days })),
  );
  const instantArb = fc.integer({ min: at('2024-01-01T00:00:00Z'), max: at('2030-12-31T00:00:00Z') });

  it('brackets now with the last close and the next open and close, each on a session day at its wall time', () => {
    fc.assert(
      fc.property(hoursArb, instantArb, (h, t) => {
        const s = sessionAt(h, t);
        expect(s.lastClose).toBeLessThanOrEqual(t);
        expect(s.nextClose).toBeGreaterThan(t);
        expect(s.nextOpen).toBeGreaterThan(t);
        // Open exactly when the next close comes before the next open.
        expect(s.open).toBe(s.nextClose < s.nextOpen);
        expect(sessionAt(h, s.nextOpen).open).toBe(true);
        expect(sessionAt(h, s.nextOpen - 1).open).toBe(false);
        expect(sessionAt(h, s.lastClose).open).toBe(false);
        expect(sessionAt(h, s.lastClose - 1).open).toBe(true);
        const o = local(s.nextOpen, h.timeZone);
        const c = local(s.lastClose, h.timeZone);
        expect(o.hhmm).toBe(formatTime(h.open));
        expect(c.hhmm).toBe(formatTime(h.close));
        expect(h.days).toContain(o.weekday);
        expect(h.days).toContain(c.weekday);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseTime and validHours', () => {
  it.each(['9:30', '24:00', '12:60', '', '12:3', 'ab:cd'])('refuses %j', (s) => expect(parseTime(s)).toBeUndefined());
  it('reads HH:MM', () => expect(parseTime('16:30')).toBe(990));
  it.each<[string, TradingHours]>([
    ['an unknown zone', { ...NY, timeZone: 'Mars/Olympus' }],
    ['close before open', { ...NY, open: 600, close: 540 }],
    ['no days', { ...NY, days: [] }],
    ['a repeated day', { ...NY, days: [1, 1] }],
    ['day 8', { ...NY, days: [8] }],
  ])('refuses %s', (_name, h) => expect(validHours(h)).toBe(false));
});
