import type { AuthChecker } from 'type-graphql';
import type { GqlContext } from './context.js';
import { forbidden, unauthenticated } from '../errors.js';

/**
 * `@Authorized()` requires a logged-in caller; `@Authorized('ADMIN', …)` one of those roles.
 * Throws coded errors (UNAUTHENTICATED vs FORBIDDEN) rather than returning false, so clients
 * can tell "log in" from "not allowed".
 *
 * A role-restricted operation asks the database for the session's current role, disable and
 * revocation rather than trusting the request's cached caller: those operations are rare, and a
 * demotion made on another replica then holds before its bus message arrives there.
 */
export const authChecker: AuthChecker<GqlContext> = ({ context }, roles) => {
  if (!context.user) throw unauthenticated();
  // Synchronous for the common case (any logged-in caller): no promise on every order.
  if (roles.length === 0) return true;
  if (!roles.includes(context.user.role)) throw forbidden();
  return currentRoleIn(context, context.user.sessionId, roles);
};

async function currentRoleIn(context: GqlContext, sessionId: number, roles: readonly string[]): Promise<boolean> {
  const now = await context.services.accounts.currentUser(sessionId);
  if (!now) throw unauthenticated('Your session has ended: log in again.');
  if (!roles.includes(now.role)) throw forbidden();
  return true;
}
