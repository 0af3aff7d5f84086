import { MsgTag } from 'jspurefix';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixDefinitions } from '../../src/modules/fix/fix-gateway.js';
import { parseCancel, parseNewOrder, parseOrderId, parseReplace, type FieldDictionary, type FieldSource } from '../../src/modules/fix/order-mapping.js';

const NEW_ORDER: Record<number, string> = {
  [MsgTag.ClOrdID]: 'c1',
  [MsgTag.Symbol]: 'AAPL',
  [MsgTag.Side]: '1',
  [MsgTag.OrdType]: '2',
  [MsgTag.OrderQty]: '100',
  [MsgTag.Price]: '140.25',
};

function message(fields: Record<number, string | undefined>): FieldSource {
  return { getString: (tag) => fields[tag] ?? null };
}

let dict: FieldDictionary;
beforeAll(async () => {
  const defs = await fixDefinitions();
  dict = { allows: (tag, value) => !defs.tagToSimple[tag]?.isEnum() || defs.tagToSimple[tag]!.containsEnum(value) };
});

describe('parseNewOrder', () => {
  it('maps a limit order to the order service input', () => {
    expect(parseNewOrder(message({ ...NEW_ORDER, [MsgTag.TimeInForce]: '1', [MsgTag.ExecInst]: '6' }), dict)).toMatchObject({
      kind: 'ok',
      value: { clOrdId: 'c1', symbol: 'AAPL', side: 'BUY', type: 'LIMIT', price: '140.25', quantity: 100, timeInForce: 'GTC', postOnly: true, account: null },
    });
  });

  it('leaves the time in force to the platform default when absent and keeps prices as text', () => {
    const parsed = parseNewOrder(message({ ...NEW_ORDER, [MsgTag.Price]: '0.10' }), dict);
    expect(parsed).toMatchObject({ kind: 'ok', value: { price: '0.10', timeInForce: null, postOnly: false } });
  });

  it.each([
    { what: 'OrderQty missing', fields: { [MsgTag.OrderQty]: undefined }, tag: MsgTag.OrderQty, reason: 1 },
    { what: 'Symbol empty', fields: { [MsgTag.Symbol]: '' }, tag: MsgTag.Symbol, reason: 4 },
    { what: 'Side outside FIX', fields: { [MsgTag.Side]: 'Q' }, tag: MsgTag.Side, reason: 5 },
    { what: 'TimeInForce outside FIX', fields: { [MsgTag.TimeInForce]: '9' }, tag: MsgTag.TimeInForce, reason: 5 },
    { what: 'ExecInst with a value outside FIX', fields: { [MsgTag.ExecInst]: '6 ?' }, tag: MsgTag.ExecInst, reason: 5 },
    { what: 'OrderQty not a number', fields: { [MsgTag.OrderQty]: '1e3' }, tag: MsgTag.OrderQty, reason: 6 },
    { what: 'Price not a number', fields: { [MsgTag.Price]: '12,5' }, tag: MsgTag.Price, reason: 6 },
  ])('is a session problem when $what', ({ fields, tag, reason }) => {
    expect(parseNewOrder(message({ ...NEW_ORDER, ...fields }), dict)).toMatchObject({ kind: 'session', refTagId: tag, reason });
  });

  it.each([
    { what: 'a stop order', fields: { [MsgTag.OrdType]: '3' } },
    { what: 'a short sale', fields: { [MsgTag.Side]: '5' } },
    { what: 'good till date', fields: { [MsgTag.TimeInForce]: '6' } },
    { what: 'all or none', fields: { [MsgTag.ExecInst]: 'G' } },
  ])('refuses $what as an unsupported order characteristic', ({ fields }) => {
    const parsed = parseNewOrder(message({ ...NEW_ORDER, ...fields }), dict);
    expect(parsed).toMatchObject({ kind: 'business', echo: { clOrdId: 'c1', symbol: 'AAPL' } });
    expect(parsed.kind === 'business' && parsed.error.reason).toBe('UNSUPPORTED_ORDER');
  });

  it.each([
    ['100', 100],
    ['100.000', 100],
    ['1.5', Number.NaN],
  ])('reads OrderQty %s as %s lots (a fraction is left for the order service to refuse)', (qty, lots) => {
    expect(parseNewOrder(message({ ...NEW_ORDER, [MsgTag.OrderQty]: qty }), dict)).toMatchObject({ kind: 'ok', value: { quantity: lots } });
  });
});

describe('parseCancel and parseReplace', () => {
  it('reads OrigClOrdID and OrderID of a cancel', () => {
    expect(parseCancel(message({ ...NEW_ORDER, [MsgTag.OrigClOrdID]: 'c0', [MsgTag.OrderID]: '42' }), dict)).toMatchObject({
      kind: 'ok',
      value: { clOrdId: 'c1', origClOrdId: 'c0', orderId: '42' },
    });
  });

  it('needs OrigClOrdID', () => {
    expect(parseCancel(message(NEW_ORDER), dict)).toMatchObject({ kind: 'session', refTagId: MsgTag.OrigClOrdID, reason: 1 });
  });

  it('reads the new quantity and price of a replace, and whether post-only is restated', () => {
    expect(parseReplace(message({ ...NEW_ORDER, [MsgTag.OrigClOrdID]: 'c0', [MsgTag.OrderQty]: '60' }), dict)).toMatchObject({
      kind: 'ok',
      value: { origClOrdId: 'c0', quantity: 60, price: '140.25', type: 'LIMIT', postOnly: null },
    });
  });
});

describe('parseOrderId', () => {
  it.each([
    ['42', 42],
    ['NONE', undefined],
    [null, undefined],
    ['-1', undefined],
  ])('reads %s as %s', (text, id) => {
    expect(parseOrderId(text)).toBe(id);
  });
});
