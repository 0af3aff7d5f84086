import { describe, expect, it } from 'vitest';
import { initialConnection, nextConnection, sessionEndedMessage, type SocketEvent } from './connection';

const run = (events: SocketEvent[]) => events.reduce(nextConnection, initialConnection);

describe('connection state', () => {
  it('connects without a banner', () => {
    expect(run([{ type: 'connecting' }, { type: 'connected' }])).toEqual({ status: 'connected', resumes: 0 });
  });

  it('shows reconnecting when the socket drops, and counts the resume when it is back', () => {
    const dropped = run([{ type: 'connecting' }, { type: 'connected' }, { type: 'closed', code: 1006, intentional: false }, { type: 'connecting' }]);
    expect(dropped.status).toBe('reconnecting');
    expect(nextConnection(dropped, { type: 'connected' })).toEqual({ status: 'connected', resumes: 1 });
  });

  it('stays quiet for a normal idle close and for closes the app asked for', () => {
    expect(run([{ type: 'connected' }, { type: 'closed', code: 1000, intentional: false }]).status).toBe('idle');
    expect(run([{ type: 'connected' }, { type: 'closed', code: 4499, intentional: true }, { type: 'connecting' }, { type: 'connected' }])).toEqual({
      status: 'connected',
      resumes: 0,
    });
  });

  it('shows reconnecting when the server cannot be reached at all', () => {
    expect(run([{ type: 'connecting' }, { type: 'closed', code: 1006, intentional: false }]).status).toBe('reconnecting');
  });

  it('shows no banner when the server ends the session (revoked, disabled, refused token): the app goes to Login', () => {
    for (const code of [4401, 4403]) {
      expect(run([{ type: 'connecting' }, { type: 'connected' }, { type: 'closed', code, intentional: false, reason: 'Account disabled' }]).status).toBe('idle');
    }
  });

  it('says why the session ended when the server said so', () => {
    expect(sessionEndedMessage('Account disabled')).toMatch(/^Your session has ended: an administrator disabled this account/);
    expect(sessionEndedMessage('Session expired')).toMatch(/expired/);
    expect(sessionEndedMessage(undefined)).toBe('Your session has ended. Log in again.');
  });
});
