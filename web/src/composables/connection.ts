/** The live connection's state for the UI (reconnect banner, refetch after a drop). */
import { inject, readonly, shallowRef, type InjectionKey, type Ref } from 'vue';
import { initialConnection, nextConnection, type ConnectionState, type SocketEvent } from '../lib/connection';

export interface Connection {
  readonly state: Readonly<Ref<ConnectionState>>;
  dispatch(event: SocketEvent): void;
}

export const ConnectionKey: InjectionKey<Connection> = Symbol('connection');

export function createConnection(): Connection {
  const state = shallowRef<ConnectionState>(initialConnection);
  return {
    state: readonly(state) as Readonly<Ref<ConnectionState>>,
    dispatch(event) {
      state.value = nextConnection(state.value, event);
    },
  };
}

export function useConnection(): Connection {
  const c = inject(ConnectionKey);
  if (!c) throw new Error('useConnection() outside the app');
  return c;
}
