/**
 * A product's trading session as the client shows it: the server's state at query time, moved
 * on by the client's clock across the next open or close it already knows.
 */

/** The session fields the API returns (Product.session). */
export interface SessionInfo {
  readonly open: boolean;
  readonly enforced: boolean;
  readonly timeZone: string;
  readonly opens: string;
  readonly closes: string;
  readonly nextOpen?: string | null;
  readonly nextClose?: string | null;
}

export interface SessionView {
  /** `always`: the server enforces no hours. */
  readonly state: 'open' | 'closed' | 'always';
  /** Short label: "Open", "Closed", "Open 24/7". */
  readonly label: string;
  /** What comes next, e.g. "closes 16:00 America/New_York (in 2h 05m)". */
  readonly detail: string;
}

/** "in 2h 05m", "in 3d 4h", "in 45s". */
export function inWords(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `in ${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `in ${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `in ${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `in ${Math.floor(h / 24)}d ${h % 24}h`;
}

/** The weekday and HH:MM of an instant in a time zone, e.g. "Tue 09:30". */
function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso)).replace(',', '');
}

/**
 * The session at `now` (ms). The server said open until `nextClose` (then closed until
 * `nextOpen`), or closed until `nextOpen` (then open until `nextClose`); past both it is unknown
 * and the last known state is kept until the next fetch.
 */
export function sessionView(s: SessionInfo, now: number): SessionView {
  if (!s.enforced || !s.nextOpen || !s.nextClose) return { state: 'always', label: 'Open 24/7', detail: 'no trading hours on this server' };
  const nextOpen = Date.parse(s.nextOpen);
  const nextClose = Date.parse(s.nextClose);
  let open = s.open;
  if (open && now >= nextClose && now < nextOpen) open = false;
  else if (!open && now >= nextOpen && now < nextClose) open = true;
  const zone = s.timeZone;
  return open
    ? { state: 'open', label: 'Open', detail: `closes ${localTime(s.nextClose, zone)} ${zone} (${inWords(nextClose - now)})` }
    : { state: 'closed', label: 'Closed', detail: `opens ${localTime(s.nextOpen, zone)} ${zone} (${inWords(nextOpen - now)})` };
}
