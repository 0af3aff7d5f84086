/**
 * Routes and guards. Only Home and Login are open before login; Manage Accounts is for admins.
 * Every screen but Home is loaded on demand, so the first screen stays small.
 */
import { createRouter, createWebHistory, type Router, type RouteRecordRaw } from 'vue-router';
import type { Role } from './graphql/generated/graphql';
import type { Session } from './composables/session';
import type { Toasts } from './composables/toasts';
import HomePage from './pages/HomePage.vue';
import { safeRedirect } from './lib/redirect';

declare module 'vue-router' {
  interface RouteMeta {
    /** Shown in the tab title and the nav. */
    title: string;
    /** Reachable without logging in. */
    public?: boolean;
    /** Roles allowed; any logged-in role when absent. */
    roles?: readonly Role[];
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: HomePage, meta: { title: 'Home', public: true } },
  { path: '/login', name: 'login', component: () => import('./pages/LoginPage.vue'), meta: { title: 'Log in', public: true } },
  { path: '/quotes', name: 'quotes', component: () => import('./pages/QuotesPage.vue'), meta: { title: 'Quotes' } },
  { path: '/portfolio', name: 'portfolio', component: () => import('./pages/PortfolioPage.vue'), meta: { title: 'Portfolio' } },
  { path: '/orderbook', name: 'orderbook', component: () => import('./pages/OrderbookPage.vue'), meta: { title: 'Orderbook' } },
  {
    path: '/accounts',
    name: 'accounts',
    component: () => import('./pages/AccountsPage.vue'),
    meta: { title: 'Manage Accounts', roles: ['ADMIN'] },
  },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/NotFoundPage.vue'), meta: { title: 'Not found', public: true } },
];

export interface RouterDeps {
  readonly session: Session;
  readonly toasts: Toasts;
  /** Re-reads the account from the server (role changes, revoked sessions). */
  refresh(): Promise<void>;
}

export function createAppRouter({ session, toasts, refresh }: RouterDeps): Router {
  const router = createRouter({ history: createWebHistory(), routes });

  router.beforeEach(async (to, from) => {
    // A change of the same screen's query (filters, pages) needs no new look at the account.
    if (session.state.token && (to.path !== from.path || !from.matched.length)) {
      try {
        await refresh();
      } catch {
        // Offline: keep the session; the server still checks every request.
      }
    }
    if (!to.meta.public && !session.isLoggedIn.value) {
      return { name: 'login', query: { redirect: to.fullPath } };
    }
    if (to.meta.roles && !to.meta.roles.includes(session.role.value ?? 'TRADER')) {
      toasts.push({ kind: 'error', title: `${to.meta.title} is for administrators.` });
      return { name: 'home' };
    }
    if (to.name === 'login' && session.isLoggedIn.value) {
      return safeRedirect(to.query.redirect) ?? { name: 'portfolio' };
    }
    return true;
  });

  router.afterEach((to) => {
    document.title = `${to.meta.title} · Trading App`;
  });

  return router;
}
