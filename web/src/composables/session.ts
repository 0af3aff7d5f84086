/**
 * The login session: token, expiry and the account, kept in localStorage so a reload stays
 * logged in. Created once in main.ts and provided to the app; `useSession()` reads it.
 */
import { computed, inject, reactive, type ComputedRef, type InjectionKey } from 'vue';
import type { ApolloClient, NormalizedCacheObject } from '@apollo/client/core';
import { MeDocument, type Role, type SessionUserFragment } from '../graphql/generated/graphql';

export interface SessionState {
  token: string | null;
  expiresAt: string | null;
  user: SessionUserFragment | null;
}

export interface Session {
  readonly state: Readonly<SessionState>;
  readonly isLoggedIn: ComputedRef<boolean>;
  readonly role: ComputedRef<Role | null>;
  readonly isAdmin: ComputedRef<boolean>;
  /** The token if it has not expired. */
  token(): string | null;
  /** Stores a new session (after login or sign-up). */
  start(payload: { token: string; expiresAt: string; user: SessionUserFragment }): void;
  /** Replaces the account (e.g. after its role changed). */
  setUser(user: SessionUserFragment): void;
  /** Forgets the session. */
  clear(): void;
}

const STORAGE_KEY = 'trading-app.session';

export const SessionKey: InjectionKey<Session> = Symbol('session');

function load(storage: Storage | null): SessionState {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (raw) {
      const parsed = JSON.parse(raw) as Partial<SessionState>;
      if (typeof parsed.token === 'string' && parsed.user && typeof parsed.user.id === 'string') {
        return { token: parsed.token, expiresAt: parsed.expiresAt ?? null, user: parsed.user };
      }
    }
  } catch {
    // A corrupt entry is the same as none.
  }
  return { token: null, expiresAt: null, user: null };
}

/** @param now clock in ms, for tests. */
export function createSession(storage: Storage | null, now: () => number = Date.now): Session {
  const state = reactive<SessionState>(load(storage));
  const save = () => {
    if (!storage) return;
    if (state.token) storage.setItem(STORAGE_KEY, JSON.stringify(state));
    else storage.removeItem(STORAGE_KEY);
  };
  const expired = () => state.expiresAt !== null && Date.parse(state.expiresAt) <= now();
  const token = () => (state.token && !expired() ? state.token : null);
  const isLoggedIn = computed(() => state.token !== null && state.user !== null);
  const role = computed(() => state.user?.role ?? null);
  return {
    state,
    isLoggedIn,
    role,
    isAdmin: computed(() => role.value === 'ADMIN'),
    token,
    start({ token: t, expiresAt, user }) {
      state.token = t;
      state.expiresAt = expiresAt;
      state.user = user;
      save();
    },
    setUser(user) {
      state.user = user;
      save();
    },
    clear() {
      state.token = null;
      state.expiresAt = null;
      state.user = null;
      save();
    },
  };
}

export function useSession(): Session {
  const s = inject(SessionKey);
  if (!s) throw new Error('useSession() outside the app: createSession() was not provided');
  return s;
}

/**
 * Asks the server who the token belongs to, so a role change or a revoked session shows on the
 * very next navigation. Clears the session when the server no longer knows the token.
 * Network failures leave the session as it is.
 */
export async function refreshUser(client: ApolloClient<NormalizedCacheObject>, session: Session): Promise<void> {
  if (!session.token()) {
    if (session.state.token) session.clear();
    return;
  }
  const { data } = await client.query({ query: MeDocument, fetchPolicy: 'network-only' });
  if (data.me) session.setUser(data.me);
  else session.clear();
}
