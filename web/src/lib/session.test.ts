import { describe, expect, it } from 'vitest';
import { inWords, sessionView, type SessionInfo } from './session';

const ny: SessionInfo = {
  open: true,
  enforced: true,
  timeZone: 'America/New_York',
  opens: '09:30',
  closes: '16:00',
  nextOpen: '2026-03-03T14:30:00.000Z',
  nextClose: '2026-03-02T21:00:00.000Z',
};

describe('sessionView', () => {
  it('shows an open session with its close in the listing’s time', () => {
    expect(sessionView(ny, Date.parse('2026-03-02T18:55:00Z'))).toEqual({ state: 'open', label: 'Open', detail: 'closes Mon 16:00 America/New_York (in 2h 05m)' });
  });

  it('moves on to closed at the close it knows, and names the next open', () => {
    expect(sessionView(ny, Date.parse('2026-03-02T21:00:00Z'))).toEqual({ state: 'closed', label: 'Closed', detail: 'opens Tue 09:30 America/New_York (in 17h 30m)' });
  });

  it('moves a closed session to open at its next open', () => {
    const closed = { ...ny, open: false, nextOpen: '2026-03-02T14:30:00.000Z', nextClose: '2026-03-02T21:00:00.000Z' };
    expect(sessionView(closed, Date.parse('2026-03-02T12:00:00Z')).state).toBe('closed');
    expect(sessionView(closed, Date.parse('2026-03-02T14:30:00Z')).state).toBe('open');
  });

  it('says when the server enforces no hours', () => {
    expect(sessionView({ ...ny, enforced: false, nextOpen: null, nextClose: null }, 0)).toMatchObject({ state: 'always', label: 'Open 24/7' });
  });
});

describe('inWords', () => {
  it.each([
    [45_000, 'in 45s'],
    [5 * 60_000, 'in 5m'],
    [(2 * 60 + 5) * 60_000, 'in 2h 05m'],
    [(3 * 24 + 4) * 3_600_000, 'in 3d 4h'],
    [-5, 'in 0s'],
  ])('%i ms → %s', (ms, text) => expect(inWords(ms)).toBe(text));
});
