/**
 * Order lists kept live: folds an updated order (from `orderUpdates` or an execution report)
 * into the page of orders on screen, respecting the page's filters and sort. Pure.
 */
import type { OrdStatus, OrderSort } from '../graphql/generated/graphql';
import { isOpenStatus } from '@trading-app/api/vocabulary';

/** The fields the merge needs; the rest of the order is carried along untouched. */
export interface ListedOrder {
  readonly id: string;
  readonly symbol: string;
  readonly status: OrdStatus;
  readonly quantity: number;
  readonly createdAt: string;
}

/** What the page on screen shows. */
export interface OrderView {
  readonly symbol?: string | null;
  readonly statuses?: readonly OrdStatus[] | null;
  readonly sort: OrderSort;
  /** Page size: the list never grows past it. */
  readonly pageSize: number;
  /** Whether this is the first page: an order sorting before every listed one shows only there. */
  readonly firstPage: boolean;
  /** Whether more pages follow: an order sorting after every listed one shows only on the last page with room. */
  readonly hasNextPage: boolean;
}

/** Whether an order can still be canceled or amended: the API's rule. */
export function isOpen(status: OrdStatus): boolean {
  return isOpenStatus(status);
}

/** Whether an order belongs in a view by its filters. */
export function matchesView(order: ListedOrder, view: Pick<OrderView, 'symbol' | 'statuses'>): boolean {
  if (view.symbol && order.symbol !== view.symbol) return false;
  if (view.statuses && view.statuses.length > 0 && !view.statuses.includes(order.status)) return false;
  return true;
}

function compareIds(a: string, b: string): number {
  // OrderIDs are increasing integers; compare numerically when they are.
  const x = Number(a);
  const y = Number(b);
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The comparator of a sort: ties broken by OrderID in the sort's time direction. */
export function orderComparator(sort: OrderSort): (a: ListedOrder, b: ListedOrder) => number {
  const byTime = (a: ListedOrder, b: ListedOrder) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0) || compareIds(a.id, b.id);
  switch (sort) {
    case 'TIME_ASC':
      return byTime;
    case 'TIME_DESC':
      return (a, b) => byTime(b, a);
    case 'QUANTITY_ASC':
      return (a, b) => a.quantity - b.quantity || byTime(b, a);
    case 'QUANTITY_DESC':
      return (a, b) => b.quantity - a.quantity || byTime(b, a);
  }
}

/**
 * The page after an order changed:
 * - listed and still matching: replaced (and moved if its sort key changed);
 * - listed and no longer matching (e.g. filled while the view shows open orders): removed;
 * - not listed and matching: inserted where the sort puts it, unless that is before the page's
 *   first row on a later page, or after its last row when more pages follow or the page is full
 *   (it belongs to another page then); the page never grows past its size.
 */
export function mergeOrderUpdate<T extends ListedOrder>(page: readonly T[], order: T, view: OrderView): T[] {
  const matches = matchesView(order, view);
  const listed = page.some((o) => o.id === order.id);
  const rest = page.filter((o) => o.id !== order.id);
  if (!matches) return rest;
  const merged = [...rest, order].sort(orderComparator(view.sort));
  if (!listed && rest.length > 0) {
    const pos = merged.indexOf(order);
    if (pos === 0 && !view.firstPage) return rest;
    if (pos === merged.length - 1 && (view.hasNextPage || rest.length >= view.pageSize)) return rest;
  }
  return merged.slice(0, view.pageSize);
}
