import { describe, expect, it } from 'vitest';
import { isOpen, mergeOrderUpdate, type ListedOrder, type OrderView } from './orders';

const order = (id: number, over: Partial<ListedOrder> = {}): ListedOrder => ({
  id: String(id),
  symbol: 'AAPL',
  status: 'NEW',
  quantity: 100,
  createdAt: `2030-01-01T00:00:${String(id).padStart(2, '0')}.000Z`,
  ...over,
});
const view: OrderView = { sort: 'TIME_DESC', pageSize: 3, firstPage: true, hasNextPage: false };
const ids = (list: readonly ListedOrder[]) => list.map((o) => o.id);

describe('mergeOrderUpdate', () => {
  it('replaces a listed order in place', () => {
    const page = [order(3), order(2), order(1)];
    const out = mergeOrderUpdate(page, order(2, { status: 'PARTIALLY_FILLED' }), view);
    expect(ids(out)).toEqual(['3', '2', '1']);
    expect(out[1]!.status).toBe('PARTIALLY_FILLED');
  });

  it('puts a new order at the top of the first newest-first page and trims to the page size', () => {
    expect(ids(mergeOrderUpdate([order(3), order(2), order(1)], order(4), view))).toEqual(['4', '3', '2']);
  });

  it('leaves a new order out of a later page', () => {
    expect(ids(mergeOrderUpdate([order(3), order(2)], order(4), { ...view, firstPage: false }))).toEqual(['3', '2']);
  });

  it('appends a new order to the last page of an oldest-first view while there is room', () => {
    const asc: OrderView = { ...view, sort: 'TIME_ASC' };
    expect(ids(mergeOrderUpdate([order(1), order(2)], order(3), asc))).toEqual(['1', '2', '3']);
    expect(ids(mergeOrderUpdate([order(1), order(2), order(3)], order(4), asc))).toEqual(['1', '2', '3']);
    expect(ids(mergeOrderUpdate([order(1), order(2)], order(3), { ...asc, hasNextPage: true }))).toEqual(['1', '2']);
  });

  it('removes an order that no longer matches the status filter', () => {
    const open: OrderView = { ...view, statuses: ['NEW', 'PARTIALLY_FILLED'] };
    expect(ids(mergeOrderUpdate([order(2), order(1)], order(2, { status: 'FILLED' }), open))).toEqual(['1']);
  });

  it('ignores orders of another symbol or status', () => {
    const msftOnly: OrderView = { ...view, symbol: 'MSFT' };
    expect(ids(mergeOrderUpdate([], order(1), msftOnly))).toEqual([]);
    expect(ids(mergeOrderUpdate([], order(1, { status: 'CANCELED' }), { ...view, statuses: ['NEW'] }))).toEqual([]);
  });

  it('moves an order whose quantity changed in a quantity sort', () => {
    const bySize: OrderView = { ...view, sort: 'QUANTITY_DESC' };
    const page = [order(1, { quantity: 300 }), order(2, { quantity: 200 }), order(3, { quantity: 100 })];
    expect(ids(mergeOrderUpdate(page, order(1, { quantity: 150 }), bySize))).toEqual(['2', '1', '3']);
  });

  it('inserts a new order into an empty first page', () => {
    expect(ids(mergeOrderUpdate([], order(1), view))).toEqual(['1']);
  });
});

describe('isOpen', () => {
  it.each([
    ['NEW', true],
    ['PARTIALLY_FILLED', true],
    ['PENDING_NEW', false], // never committed; the API would refuse its cancel (ORDER_NOT_OPEN)
    ['FILLED', false],
    ['CANCELED', false],
    ['REJECTED', false],
    ['EXPIRED', false],
  ] as const)('%s → %s', (status, open) => {
    expect(isOpen(status)).toBe(open);
  });
});
