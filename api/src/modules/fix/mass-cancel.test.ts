import { describe, expect, it } from 'vitest';
import { massCancelReport, massCancelScope, parseMassCancel, type MassCancelRequest } from './mass-cancel.js';
import type { FieldDictionary, FieldSource } from './order-mapping.js';

const source = (fields: Record<number, string | undefined>): FieldSource => ({ getString: (tag) => fields[tag] ?? null });
/** The FIX 4.4 values of 530 (1–7) and 54 (1–9 and A–G, as far as this test needs). */
const dict: FieldDictionary = {
  allows: (tag, value) => (tag === 530 ? /^[1-7]$/.test(value) : tag === 54 ? /^[1-9A-G]$/.test(value) : true),
};
const request = (r: Partial<MassCancelRequest>): MassCancelRequest => ({ clOrdId: 'mc', type: '7', symbol: null, side: null, ...r });

describe('parseMassCancel', () => {
  it('reads ClOrdID, 530, Symbol and Side', () => {
    expect(parseMassCancel(source({ 11: 'mc-1', 530: '1', 55: 'AAPL', 54: '2' }), dict)).toEqual({ clOrdId: 'mc-1', type: '1', symbol: 'AAPL', side: '2' });
  });

  it.each([
    { fields: { 530: '7' }, tag: 11, reason: 1 },
    { fields: { 11: 'x' }, tag: 530, reason: 1 },
    { fields: { 11: 'x', 530: '8' }, tag: 530, reason: 5 },
    { fields: { 11: 'x', 530: '7', 54: 'Z' }, tag: 54, reason: 5 },
  ])('refuses a malformed request with a session problem naming tag $tag', ({ fields, tag, reason }) => {
    expect(parseMassCancel(source(fields), dict)).toMatchObject({ kind: 'session', refTagId: tag, reason });
  });
});

describe('massCancelScope', () => {
  it.each([
    { r: request({ type: '7' }), want: { symbol: null, side: null } },
    { r: request({ type: '7', symbol: 'AAPL' }), want: { symbol: null, side: null } },
    { r: request({ type: '1', symbol: 'AAPL', side: '1' }), want: { symbol: 'AAPL', side: 'BUY' } },
    { r: request({ type: '7', side: '2' }), want: { symbol: null, side: 'SELL' } },
  ])('supports 530=$r.type with Symbol $r.symbol and Side $r.side', ({ r, want }) => {
    expect(massCancelScope(r)).toEqual(want);
  });

  it.each([
    { r: request({ type: '2' }), reason: '0' },
    { r: request({ type: '6' }), reason: '0' },
    { r: request({ type: '1' }), reason: '1' },
    { r: request({ type: '7', side: '5' }), reason: '99' },
  ])('refuses 530=$r.type (Side $r.side) with 532=$reason', ({ r, reason }) => {
    expect(massCancelScope(r)).toMatchObject({ kind: 'refused', rejectReason: reason });
  });
});

describe('massCancelReport', () => {
  const at = new Date(0);
  it('echoes 530 in 531 with the count when done', () => {
    const m = massCancelReport(request({ type: '1', symbol: 'AAPL' }), { kind: 'done', canceled: 3 }, at);
    expect(m.msgType).toBe('r');
    expect(m.body).toMatchObject({ ClOrdID: 'mc', MassCancelRequestType: '1', MassCancelResponse: '1', TotalAffectedOrders: 3, Instrument: { Symbol: 'AAPL' }, TransactTime: at });
    expect(m.body.MassCancelRejectReason).toBeUndefined();
  });

  it('answers 531=0 with 532 and Text when refused', () => {
    const m = massCancelReport(request({ type: '3' }), { kind: 'refused', rejectReason: '0', text: 'no' }, at);
    expect(m.body).toMatchObject({ MassCancelResponse: '0', MassCancelRejectReason: '0', TotalAffectedOrders: 0, Text: 'no' });
  });
});
