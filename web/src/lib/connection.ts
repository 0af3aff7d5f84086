/**
 * The live connection's state as the UI shows it (the reconnect banner), driven by the
 * graphql-ws client's events. Pure reducer.
 */

export type ConnectionStatus =
  /** No socket and none needed (not yet opened, or closed normally when idle). */
  | 'idle'
  /** Opening for the first time. */
  | 'connecting'
  | 'connected'
  /** The socket dropped (or could not open) and the client is retrying: live data may be stale. */
  | 'reconnecting';

export interface ConnectionState {
  readonly status: ConnectionStatus;
  /**
   * Incremented on every connection that follows a drop: live views watch it to refetch what
   * they may have missed (subscriptions restart on their own, with a fresh snapshot).
   */
  readonly resumes: number;
}

export type SocketEvent =
  | { readonly type: 'connecting' }
  | { readonly type: 'connected' }
  /**
   * `intentional`: closed by the app itself (logout, token change). `reason`: the close frame's
   * text, e.g. the server's "Account disabled".
   */
  | { readonly type: 'closed'; readonly code: number; readonly intentional: boolean; readonly reason?: string };

export const initialConnection: ConnectionState = { status: 'idle', resumes: 0 };

/** WebSocket close code for a normal closure (graphql-ws closes idle lazy sockets with it). */
const NORMAL_CLOSURE = 1000;

/**
 * Close codes by which the server ends the session (4401: revoked, expired, account disabled;
 * 4403: token refused). The client does not retry them, and the app goes to Login: the
 * connection is not "reconnecting", so no banner stays up.
 */
export const SESSION_ENDED_CODES: ReadonlySet<number> = new Set([4401, 4403]);

export function nextConnection(state: ConnectionState, event: SocketEvent): ConnectionState {
  switch (event.type) {
    case 'connecting':
      return state.status === 'reconnecting' ? state : { ...state, status: 'connecting' };
    case 'connected':
      return { status: 'connected', resumes: state.status === 'reconnecting' ? state.resumes + 1 : state.resumes };
    case 'closed':
      if (event.intentional || event.code === NORMAL_CLOSURE || SESSION_ENDED_CODES.has(event.code)) return { ...state, status: 'idle' };
      return { ...state, status: 'reconnecting' };
  }
}

/**
 * What the user is told when the server ends their session, from the WebSocket close reason
 * when the server gave one: "Account disabled" says an administrator disabled the account.
 */
export function sessionEndedMessage(reason?: string): string {
  if (reason && /disabled/i.test(reason)) return 'Your session has ended: an administrator disabled this account.';
  if (reason && /expired/i.test(reason)) return 'Your session has ended: it expired. Log in again.';
  return 'Your session has ended. Log in again.';
}
