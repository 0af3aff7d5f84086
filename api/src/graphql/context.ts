import type { AuthUser } from '../modules/accounts/account.service.js';
import type { Services } from '../services.js';
import { Role } from '../modules/accounts/role.js';
import { unauthenticated } from '../errors.js';
import type { Actor } from '../modules/orders/order.service.js';

/** Per-request (or per-WebSocket-operation) context handed to every resolver. */
export interface GqlContext {
  readonly services: Services;
  /** The caller, when the request carried a valid token. */
  readonly user?: AuthUser;
  /** Request id for logs (x-request-id or generated). */
  readonly reqId: string;
  /** Caller's address, for login rate limits. */
  readonly address: string;
  /**
   * On a WebSocket, whether the socket's session still holds now (not expired, revoked or
   * disabled). User-scoped subscriptions ask it before delivering each event. Absent over HTTP,
   * where a request ends before its session can.
   */
  readonly sessionLive?: () => boolean;
  /**
   * On a WebSocket, the caller as of now: a role change (heard on the bus, on any replica)
   * applies to subscriptions already running. Absent over HTTP.
   */
  readonly currentUser?: () => AuthUser | undefined;
}

/** False when the request runs on a socket whose session has ended since it started. */
export function sessionHolds(ctx: GqlContext): boolean {
  return ctx.sessionLive === undefined || ctx.sessionLive();
}

/** The caller, or UNAUTHENTICATED. */
export function requireUser(ctx: GqlContext): AuthUser {
  if (!ctx.user) throw unauthenticated();
  return ctx.user;
}

/** The caller as the order services see them (admins may act on any account's orders). */
export function actorOf(ctx: GqlContext): Actor {
  const u = requireUser(ctx);
  return { id: u.id, admin: u.role === Role.ADMIN };
}

/** True when the caller may see every account (admin or support). */
export function canSeeAll(ctx: GqlContext): boolean {
  return ctx.user?.role === Role.ADMIN || ctx.user?.role === Role.SUPPORT;
}
