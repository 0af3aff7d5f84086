import { describe, expect, it } from 'vitest';
import { toastFor, type ExecutionReport } from './execution-feed';

const order: ExecutionReport['order'] = {
  id: '7',
  clOrdId: 'c7',
  symbol: 'AAPL',
  side: 'SELL',
  type: 'LIMIT',
  price: '150.00',
  quantity: 100,
  cumQty: 40,
  leavesQty: 60,
  avgPx: '150.00',
  status: 'PARTIALLY_FILLED',
  timeInForce: 'GTC',
  postOnly: false,
  reason: null,
  mine: true,
  createdAt: '2030-01-01T00:00:00Z',
  updatedAt: '2030-01-01T00:00:01Z',
};
const report = (over: Partial<ExecutionReport>): ExecutionReport => ({
  execId: 'e1',
  execType: 'NEW',
  lastQty: null,
  lastPx: null,
  tradeId: null,
  reason: null,
  time: '2030-01-01T00:00:01Z',
  order,
  ...over,
});

describe('toastFor', () => {
  it('announces a fill with side, size, price and progress', () => {
    expect(toastFor(report({ execType: 'TRADE', lastQty: 40, lastPx: '150.00', tradeId: '3' }))).toEqual({
      kind: 'sell',
      title: 'Sold 40 AAPL @ 150.00',
      body: 'Sell 100 AAPL: partially filled, 40 of 100 filled',
    });
  });

  it('announces rejects with their reason', () => {
    expect(toastFor(report({ execType: 'REJECTED', reason: 'POST_ONLY_WOULD_TAKE', order: { ...order, status: 'REJECTED' } }))?.body).toBe(
      'Sell 100 AAPL: Post only would take',
    );
  });

  it('stays quiet for acknowledgements and the user’s own cancels', () => {
    expect(toastFor(report({ execType: 'NEW' }))).toBeNull();
    expect(toastFor(report({ execType: 'CANCELED', order: { ...order, status: 'CANCELED' } }))).toBeNull();
    expect(toastFor(report({ execType: 'REPLACED' }))).toBeNull();
  });

  it('announces a cancel the exchange made, with its reason', () => {
    expect(toastFor(report({ execType: 'CANCELED', reason: 'SELF_TRADE' }))?.title).toBe('Order canceled: AAPL');
  });
});
