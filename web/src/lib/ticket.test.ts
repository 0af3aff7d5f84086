import { describe, expect, it } from 'vitest';
import { prefillPrice, validateTicket, type TicketDraft, type TicketProduct } from './ticket';

const AAPL: TicketProduct = { symbol: 'AAPL', tickSize: '0.01', status: 'TRADING' };
const limit: TicketDraft = { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: '100', price: '140.00', timeInForce: 'DAY', postOnly: false };
const market: TicketDraft = { ...limit, type: 'MARKET', price: '', timeInForce: 'IOC' };

function reasons(draft: TicketDraft, product = AAPL) {
  const r = validateTicket(draft, product);
  return r.ok ? {} : Object.fromEntries(Object.entries(r.errors).map(([k, v]) => [k, v.reason]));
}

describe('validateTicket', () => {
  it('accepts a limit order and builds the mutation input', () => {
    expect(validateTicket(limit, AAPL, 'c-1')).toEqual({
      ok: true,
      input: { symbol: 'AAPL', side: 'BUY', type: 'LIMIT', quantity: 100, price: '140.00', timeInForce: 'DAY', clOrdId: 'c-1' },
    });
  });

  it('sends no price for a market order, even if one was typed', () => {
    const r = validateTicket({ ...market, price: '139.99' }, AAPL);
    expect(r.ok && r.input).toEqual({ symbol: 'AAPL', side: 'BUY', type: 'MARKET', quantity: 100, timeInForce: 'IOC' });
  });

  it.each([
    ['0', 'INVALID_QUANTITY'],
    ['-5', 'INVALID_QUANTITY'],
    ['1.5', 'INVALID_QUANTITY'],
    ['', 'INVALID_QUANTITY'],
    ['1e3', 'INVALID_QUANTITY'],
    ['abc', 'INVALID_QUANTITY'],
    ['2147483648', 'QUANTITY_TOO_LARGE'],
    ['99999999999999999999', 'QUANTITY_TOO_LARGE'],
  ])('refuses quantity %j with %s', (quantity, reason) => {
    expect(reasons({ ...limit, quantity })).toEqual({ quantity: reason });
  });

  it('accepts the largest quantity the API carries (the product limit is the API\'s: lib/risk.ts) and grouped digits', () => {
    expect(validateTicket({ ...limit, quantity: '2147483647' }, AAPL).ok).toBe(true);
    const r = validateTicket({ ...limit, quantity: '1,000' }, AAPL);
    expect(r.ok && r.input.quantity).toBe(1000);
  });

  it.each([
    ['', 'PRICE_REQUIRED'],
    ['0', 'INVALID_PRICE'],
    ['0.00', 'INVALID_PRICE'],
    ['-1.00', 'INVALID_PRICE'],
    ['+1.00', 'INVALID_PRICE'],
    ['1e2', 'INVALID_PRICE'],
    ['12,5', 'INVALID_PRICE'],
    ['140.001', 'PRICE_OFF_TICK'],
  ])('refuses limit price %j with %s', (price, reason) => {
    expect(reasons({ ...limit, price })).toEqual({ price: reason });
  });

  it('checks the price against the product tick size', () => {
    const coarse: TicketProduct = { ...AAPL, tickSize: '0.05' };
    expect(reasons({ ...limit, price: '140.03' }, coarse)).toEqual({ price: 'PRICE_OFF_TICK' });
    expect(validateTicket({ ...limit, price: '140.05' }, coarse).ok).toBe(true);
  });

  it.each(['DAY', 'GTC'] as const)('refuses a market order with time in force %s', (timeInForce) => {
    expect(reasons({ ...market, timeInForce })).toEqual({ timeInForce: 'INVALID_TIME_IN_FORCE' });
  });

  it('allows post-only on resting limit orders only', () => {
    expect(validateTicket({ ...limit, postOnly: true, timeInForce: 'GTC' }, AAPL).ok).toBe(true);
    expect(reasons({ ...limit, postOnly: true, timeInForce: 'IOC' })).toEqual({ postOnly: 'POST_ONLY_NOT_ALLOWED' });
    expect(reasons({ ...market, postOnly: true })).toEqual({ postOnly: 'POST_ONLY_NOT_ALLOWED' });
  });

  it('refuses a halted product and reports every field at once', () => {
    expect(reasons({ ...limit, quantity: '0', price: '' }, { ...AAPL, status: 'HALTED' })).toEqual({
      symbol: 'SYMBOL_HALTED',
      quantity: 'INVALID_QUANTITY',
      price: 'PRICE_REQUIRED',
    });
  });
});

describe('prefillPrice', () => {
  const quote = { bid: '139.90', ask: '140.10', last: '140.00', reference: '139.00' };
  it('uses the far touch: a buy at the ask, a sell at the bid', () => {
    expect(prefillPrice('BUY', quote)).toBe('140.10');
    expect(prefillPrice('SELL', quote)).toBe('139.90');
  });
  it('falls back to the last trade, then the reference price', () => {
    expect(prefillPrice('BUY', { ...quote, ask: null })).toBe('140.00');
    expect(prefillPrice('SELL', { bid: null, last: null, reference: '139.00' })).toBe('139.00');
    expect(prefillPrice('SELL', {})).toBe('');
  });
});
