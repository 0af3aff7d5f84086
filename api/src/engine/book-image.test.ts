import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderBook } from './order-book.js';
import { IMAGE_FIELDS, ImageHasher, imageStateHash } from './book-image.js';
import { assertBookInvariants } from './invariants.js';
import type { Command } from './types.js';

/** Random limit orders, cancels and amends on one book (ids 1..40, a few accounts, prices around 100). */
const commands = fc.array(
  fc.oneof(
    fc.record({
      type: fc.constant('new' as const),
      orderId: fc.integer({ min: 1, max: 40 }),
      account: fc.integer({ min: 1, max: 3 }),
      side: fc.constantFrom('BUY' as const, 'SELL' as const),
      ordType: fc.constant('LIMIT' as const),
      tif: fc.constantFrom('GTC' as const, 'DAY' as const, 'IOC' as const),
      price: fc.integer({ min: 95, max: 105 }),
      qty: fc.integer({ min: 1, max: 20 }),
      timestamp: fc.integer({ min: 1, max: 1e12 }),
    }),
    fc.record({ type: fc.constant('cancel' as const), orderId: fc.integer({ min: 1, max: 40 }), timestamp: fc.integer({ min: 1, max: 1e12 }) }),
    fc.record({ type: fc.constant('amend' as const), orderId: fc.integer({ min: 1, max: 40 }), qty: fc.integer({ min: 1, max: 30 }), price: fc.integer({ min: 95, max: 105 }), timestamp: fc.integer({ min: 1, max: 1e12 }) }),
  ),
  { maxLength: 80 },
);

describe('book images', () => {
  it('hash like the book and restore to an identical book, whatever commands built it', () => {
    fc.assert(
      fc.property(commands, fc.integer({ min: 1, max: 7 }), (cmds, slice) => {
        const book = new OrderBook('IMG');
        for (const c of cmds) book.execute(c as Command);
        const image = book.image();
        expect(image.orders.length).toBe(book.restingCount * IMAGE_FIELDS);
        expect(imageStateHash(image)).toBe(book.stateHash());
        const hasher = new ImageHasher(image);
        while (!hasher.step(slice));
        expect(hasher.digest()).toBe(book.stateHash());
        const copy = OrderBook.restoreImage('IMG', image);
        assertBookInvariants(copy);
        expect(copy.stateHash()).toBe(book.stateHash());
        expect(copy.restingOrders()).toEqual(book.restingOrders());
        expect(copy.lastTrade()).toEqual(book.lastTrade());
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a corrupt image (bad flags, a truncated record, a duplicate id)', () => {
    const book = new OrderBook('IMG');
    book.execute({ type: 'new', orderId: 1, account: 1, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 100, qty: 5, timestamp: 1 });
    book.execute({ type: 'new', orderId: 2, account: 1, side: 'BUY', ordType: 'LIMIT', tif: 'GTC', price: 99, qty: 5, timestamp: 2 });
    const image = book.image();
    const flags = Float64Array.from(image.orders);
    flags[2] = 4;
    expect(() => OrderBook.restoreImage('IMG', { ...image, orders: flags })).toThrow(RangeError);
    expect(() => OrderBook.restoreImage('IMG', { ...image, orders: image.orders.subarray(0, 10) })).toThrow(RangeError);
    const dup = Float64Array.from(image.orders);
    dup[IMAGE_FIELDS] = dup[0]!;
    expect(() => OrderBook.restoreImage('IMG', { ...image, orders: dup })).toThrow(/duplicate/);
  });
});
