import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertBookInvariants, OrderBook, REQUESTED_CANCEL_REASONS, type Command, type SelfTradePrevention } from './index.js';
import { ReferenceBook } from '../../test/support/engine/reference-book.js';

/** Values that are not valid ids, quantities or prices. */
const badNumber = fc.constantFrom(0, -1, 1.5, NaN, Infinity, 2 ** 53);
const orderId = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 24 }) }, { weight: 1, arbitrary: badNumber });
const price = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 95, max: 105 }) }, { weight: 1, arbitrary: badNumber });
const qty = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 12 }) }, { weight: 1, arbitrary: badNumber });
const account = fc.integer({ min: 1, max: 4 });
const timestamp = fc.nat({ max: 1_000_000 });
const stp = fc.constantFrom<SelfTradePrevention>('CANCEL_RESTING', 'CANCEL_INCOMING');

const newLimit = fc
  .record({
    orderId,
    account,
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    tif: fc.constantFrom('GTC', 'GTC', 'DAY', 'IOC', 'FOK', 'GTX' as never),
    price,
    qty,
    postOnly: fc.option(fc.boolean(), { nil: undefined }),
    stp: fc.option(stp, { nil: undefined }),
    bandPrice: fc.option(price, { nil: undefined, freq: 2 }),
    timestamp,
  })
  .map((r): Command => ({ type: 'new', ordType: 'LIMIT', ...r }));

const newMarket = fc
  .record({
    orderId,
    account,
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    tif: fc.constantFrom('IOC', 'IOC', 'FOK', 'GTC' as const),
    price: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(0, 100) }),
    qty,
    postOnly: fc.option(fc.constant(true), { nil: undefined, freq: 20 }),
    stp: fc.option(stp, { nil: undefined }),
    bandPrice: fc.option(price, { nil: undefined, freq: 2 }),
    timestamp,
  })
  .map((r): Command => ({ type: 'new', ordType: 'MARKET', ...r }));

const cancelCmd = fc
  .record({ orderId, account: fc.option(account, { nil: undefined }), reason: fc.option(fc.constantFrom(...REQUESTED_CANCEL_REASONS), { nil: undefined }), timestamp })
  .map((r): Command => ({ type: 'cancel', ...r }));

const amendCmd = fc
  .record({ orderId, account: fc.option(account, { nil: undefined }), qty: fc.oneof(qty, fc.integer({ min: 1, max: 4 })), price: fc.option(price, { nil: undefined }), timestamp })
  .map((r): Command => ({ type: 'amend', ...r }));

const expireDay = timestamp.map((t): Command => ({ type: 'expireDay', timestamp: t }));

const command = fc.oneof(
  { weight: 12, arbitrary: newLimit },
  { weight: 3, arbitrary: newMarket },
  { weight: 4, arbitrary: cancelCmd },
  { weight: 4, arbitrary: amendCmd },
  { weight: 1, arbitrary: expireDay },
);
const commands = fc.array(command, { minLength: 1, maxLength: 150, size: 'max' });

describe('order book against the reference matcher', () => {
  it('produces the same events, results and final book for random command streams', () => {
    fc.assert(
      fc.property(stp, commands, (mode, cmds) => {
        const book = new OrderBook('P', { stp: mode });
        const ref = new ReferenceBook(mode);
        for (const cmd of cmds) {
          const got = book.execute(cmd);
          expect(got).toEqual(ref.execute(cmd));
          assertBookInvariants(book);
        }
        expect(book.restingOrders()).toEqual(ref.restingOrders());
        expect(book.seq).toBe(ref.seq);
        expect(book.lastTrade()).toEqual(ref.last);
      }),
      { numRuns: 1000 },
    );
  });

  it('exercises every kind of outcome (the generator is not degenerate)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(stp, commands, (mode, cmds) => {
        const book = new OrderBook('P', { stp: mode });
        for (const cmd of cmds) {
          const r = book.execute(cmd);
          seen.add(r.code);
          for (const e of r.events) seen.add(e.type === 'canceled' ? `canceled:${e.reason}` : e.type);
        }
      }),
      { numRuns: 300, seed: 7 },
    );
    for (const want of [
      'OK',
      'INVALID_QUANTITY',
      'INVALID_PRICE',
      'INVALID_ORDER_ID',
      'INVALID_TIME_IN_FORCE',
      'DUPLICATE_ORDER_ID',
      'UNKNOWN_ORDER',
      'AMEND_BELOW_FILLED',
      'POST_ONLY_WOULD_TAKE',
      'NOT_OWNER',
      'INVALID_COMMAND',
      'trade',
      'amended',
      'expired',
      'canceled:USER',
      'canceled:MASS_CANCEL',
      'canceled:ACCOUNT_DISABLED',
      'canceled:DISCONNECT',
      'canceled:IOC_REMAINDER',
      'canceled:MARKET_REMAINDER',
      'canceled:SELF_TRADE',
      'canceled:FOK_UNFILLABLE',
    ]) {
      expect(seen, want).toContain(want);
    }
  });
});

describe('determinism and recovery', () => {
  it('gives the same events and state hash when the same commands are replayed', () => {
    fc.assert(
      fc.property(commands, (cmds) => {
        const a = new OrderBook('D');
        const b = new OrderBook('D');
        for (const cmd of cmds) expect(b.execute(cmd)).toEqual(a.execute(cmd));
        expect(b.stateHash()).toBe(a.stateHash());
      }),
      { numRuns: 150 },
    );
  });

  it('restores from resting orders and seq to the same hash and the same behaviour afterwards', () => {
    fc.assert(
      fc.property(stp, commands, commands, (mode, before, after) => {
        const live = new OrderBook('R', { stp: mode });
        for (const cmd of before) live.execute(cmd);
        const restored = OrderBook.restore('R', live.restingOrders(), live.seq, { stp: mode }, live.lastTrade());
        assertBookInvariants(restored);
        expect(restored.stateHash()).toBe(live.stateHash());
        for (const cmd of after) {
          expect(restored.execute(cmd)).toEqual(live.execute(cmd));
          assertBookInvariants(restored);
        }
        expect(restored.stateHash()).toBe(live.stateHash());
      }),
      { numRuns: 150 },
    );
  });
});
