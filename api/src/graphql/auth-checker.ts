import type { AuthChecker } from 'type-graphql';
import type { GqlContext } from './context.js';
import { forbidden, unauthenticated } from '../errors.js';

/**
 * `@Authorized()` requires a logged-in caller; `@Authorized('ADMIN', …)` one of those roles.
 * Throws coded errors (UNAUTHENTICATED vs FORBIDDEN) rather than returning false, so clients
 * can tell "log in" from "not allowed".
 */
export const authChecker: AuthChecker<GqlContext> = ({ context }, roles) => {
  if (!context.user) throw unauthenticated();
  if (roles.length > 0 && !roles.includes(context.user.role)) throw forbidden();
  return true;
};
