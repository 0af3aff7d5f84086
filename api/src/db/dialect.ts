/**
 * The databases the platform runs on, and what differs in the values they hand back. Shared by
 * the ORM set-up, the migrations and every module that writes its own SQL.
 */

/** Which database a URL selects: the embedded default or the production one. */
export type Dialect = 'sqlite' | 'mysql';

/** A date column as either dialect returns it: a Date (MySQL), epoch milliseconds or ISO-like text (SQLite). */
export function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) return new Date(Number(v));
  return new Date(String(v).includes('T') || String(v).endsWith('Z') ? String(v) : `${String(v).replace(' ', 'T')}Z`);
}
