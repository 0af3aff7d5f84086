/** Logging in, signing up and out: the session, the cache and the WebSocket change together. */
import { inject, type InjectionKey } from 'vue';
import type { Router } from 'vue-router';
import { LoginDocument, LogoutDocument, SignUpDocument } from '../graphql/generated/graphql';
import type { ApolloSetup } from '../graphql/apollo-client';
import type { Session } from './session';

export interface Auth {
  /** Logs in (or signs up); throws the server's error for the form to show. */
  login(mode: 'login' | 'signUp', username: string, password: string): Promise<void>;
  /** Logs out on the server, then locally, and goes Home. */
  logout(): Promise<void>;
  /** Forgets a session the server no longer accepts and goes to Login, coming back here after. */
  expire(): Promise<void>;
}

export const AuthKey: InjectionKey<Auth> = Symbol('auth');

export function createAuth({ apollo, session, router }: { apollo: ApolloSetup; session: Session; router: Router }): Auth {
  const { client } = apollo;
  const forget = async () => {
    session.clear();
    apollo.reconnect();
    await client.clearStore();
  };
  return {
    async login(mode, username, password) {
      const variables = { username, password };
      const payload =
        mode === 'login'
          ? (await client.mutate({ mutation: LoginDocument, variables })).data?.login
          : (await client.mutate({ mutation: SignUpDocument, variables })).data?.signUp;
      if (!payload) throw new Error('The server did not answer.');
      await client.clearStore();
      session.start(payload);
      apollo.reconnect();
    },
    async logout() {
      try {
        await client.mutate({ mutation: LogoutDocument });
      } catch {
        // Already gone on the server (or offline): forget it here anyway.
      }
      await forget();
      await router.push({ name: 'home' });
    },
    async expire() {
      const here = router.currentRoute.value;
      await forget();
      if (!here.meta.public) await router.push({ name: 'login', query: { redirect: here.fullPath } });
    },
  };
}

export function useAuth(): Auth {
  const a = inject(AuthKey);
  if (!a) throw new Error('useAuth() outside the app');
  return a;
}
