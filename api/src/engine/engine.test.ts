import { afterEach, describe, expect, it } from 'vitest';
import { assertBookInvariants, MatchingEngine } from './index.js';
import { ask, bid } from '../../test/support/engine/commands.js';

let engine = new MatchingEngine();
afterEach(() => {
  for (const s of engine.symbols()) assertBookInvariants(engine.book(s));
  engine = new MatchingEngine();
});

describe('MatchingEngine', () => {
  it('keeps one independent book per symbol, created on first use', () => {
    expect(engine.has('AAA')).toBe(false);
    expect(engine.execute('AAA', bid(1, 100, 5)).code).toBe('OK');
    expect(engine.execute('BBB', ask(1, 90, 5)).events.map((e) => e.type)).toEqual(['accepted']);
    expect(engine.book('AAA').bestBid()).toBe(100);
    expect(engine.book('BBB').bestAsk()).toBe(90);
    expect(engine.book('AAA')).toBe(engine.book('AAA'));
    expect(engine.symbols()).toEqual(['AAA', 'BBB']);
  });

  it('applies its options to every book', () => {
    engine = new MatchingEngine({ stp: 'CANCEL_INCOMING' });
    engine.execute('X', ask(1, 100, 5, { account: 3 }));
    const r = engine.execute('X', bid(2, 100, 5, { account: 3 }));
    expect(r.events.map((e) => (e.type === 'canceled' ? e.reason : e.type))).toEqual(['accepted', 'SELF_TRADE']);
  });

  it('replaces a book on restore', () => {
    engine.execute('X', bid(1, 100, 5));
    const restored = engine.restore('X', [{ orderId: 7, account: 1, side: 'SELL', tif: 'GTC', price: 105, qty: 3, cumQty: 1, cumNotional: 104 }], 40);
    expect(engine.book('X')).toBe(restored);
    expect(restored.seq).toBe(40);
    expect(restored.bestBid()).toBeUndefined();
    expect(restored.getOrder(7)).toMatchObject({ leavesQty: 2, status: 'PARTIALLY_FILLED' });
  });

  it('forgets a dropped book so the next use starts empty', () => {
    engine.execute('X', bid(1, 100, 5));
    expect(engine.drop('X')).toBe(true);
    expect(engine.has('X')).toBe(false);
    expect(engine.drop('X')).toBe(false);
    expect(engine.book('X').seq).toBe(0);
  });

  it('keeps the old book when restore input is corrupt', () => {
    const before = engine.book('X');
    expect(() => engine.restore('X', [], -5)).toThrow(RangeError);
    expect(engine.book('X')).toBe(before);
  });
});
