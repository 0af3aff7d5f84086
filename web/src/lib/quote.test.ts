import { describe, expect, it } from 'vitest';
import { lastShown } from './quote';

describe('lastShown', () => {
  it('shows the last trade, else the reference price marked as such, else nothing', () => {
    expect(lastShown({ last: '150.00', reference: '149.00' })).toEqual({ price: '150.00', reference: false });
    expect(lastShown({ last: null, reference: '149.00' })).toEqual({ price: '149.00', reference: true });
    expect(lastShown({ last: null, reference: null })).toEqual({ price: null, reference: false });
  });
});
