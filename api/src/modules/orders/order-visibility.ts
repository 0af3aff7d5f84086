import { Role } from '../accounts/role.js';

/** Who is looking at an order: the caller's account and role (undefined: not logged in). */
export interface OrderViewer {
  readonly id: number;
  readonly role: Role;
}

/**
 * The one market-data privacy rule, used by every read of orders (`orders`, `order(id)`,
 * `orderUpdates`, `executionReports`, `myOrders`): the owner, support and admins see an order
 * whole; anyone else sees it only as anonymous market data — price, quantity, side, status,
 * times — without the account, the ClOrdID or the reason it left the book (which can name the
 * account's circumstances: disabled, disconnected, self-trade).
 */
export function identifiesOwner(viewer: OrderViewer | undefined, ownerId: number): boolean {
  if (!viewer) return false;
  return viewer.id === ownerId || viewer.role === Role.ADMIN || viewer.role === Role.SUPPORT;
}
