/** The web client's entry: one Apollo client, the session, the router, the live feeds. */
import { createApp } from 'vue';
import { DefaultApolloClient } from '@vue/apollo-composable';
import App from './App.vue';
import { createApolloClient, sameOriginEndpoints } from './graphql/apollo-client';
import { createAppRouter } from './router';
import { createSession, refreshUser, SessionKey } from './composables/session';
import { createToasts, ToastsKey } from './composables/toasts';
import { ConnectionKey, createConnection } from './composables/connection';
import { createExecutionFeed, ExecutionFeedKey } from './composables/execution-feed';
import { AuthKey, createAuth } from './composables/auth';
import { sessionEndedMessage } from './lib/connection';
import './styles/main.css';

const session = createSession(window.localStorage);
const toasts = createToasts();
const connection = createConnection();

// Filled in below; the Apollo callbacks only run after start-up.
let onUnauthenticated = (_reason?: string) => {};
let onForbidden = () => {};

const apollo = createApolloClient({
  ...sameOriginEndpoints(window.location),
  getToken: () => session.token(),
  onUnauthenticated: (reason) => onUnauthenticated(reason),
  onForbidden: () => onForbidden(),
  onSocketEvent: (e) => connection.dispatch(e),
});

const refresh = () => refreshUser(apollo.client, session);
const router = createAppRouter({ session, toasts, refresh });
const auth = createAuth({ apollo, session, router });

onUnauthenticated = (reason) => {
  if (!session.state.token) return;
  void auth.expire();
  toasts.push({ kind: 'error', title: sessionEndedMessage(reason) });
};
onForbidden = () => {
  // The role may have changed: re-read it; the guard sends the user away from what is no longer allowed.
  void refresh()
    .then(() => {
      const roles = router.currentRoute.value.meta.roles;
      if (roles && !roles.includes(session.role.value ?? 'TRADER')) void router.replace({ name: 'home' });
    })
    .catch(() => {});
};

const feed = createExecutionFeed(apollo.client, session, toasts);

createApp(App)
  .provide(DefaultApolloClient, apollo.client)
  .provide(SessionKey, session)
  .provide(ToastsKey, toasts)
  .provide(ConnectionKey, connection)
  .provide(ExecutionFeedKey, feed)
  .provide(AuthKey, auth)
  .use(router)
  .mount('#app');
