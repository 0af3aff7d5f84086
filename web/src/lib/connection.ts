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
  /** `intentional`: closed by the app itself (logout, token change). */
  | { readonly type: 'closed'; readonly code: number; readonly intentional: boolean };

export const initialConnection: ConnectionState = { status: 'idle', resumes: 0 };

/** WebSocket close code for a normal closure (graphql-ws closes idle lazy sockets with it). */
const NORMAL_CLOSURE = 1000;

export function nextConnection(state: ConnectionState, event: SocketEvent): ConnectionState {
  switch (event.type) {
    case 'connecting':
      return state.status === 'reconnecting' ? state : { ...state, status: 'connecting' };
    case 'connected':
      return { status: 'connected', resumes: state.status === 'reconnecting' ? state.resumes + 1 : state.resumes };
    case 'closed':
      if (event.intentional || event.code === NORMAL_CLOSURE) return { ...state, status: 'idle' };
      return { ...state, status: 'reconnecting' };
  }
}
