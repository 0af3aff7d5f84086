import { describe, expect, it } from 'vitest';
import { patchQuery, queryEnum, queryInt, queryList, queryString } from './url-state';

describe('URL state', () => {
  it('reads strings, lists, allowed numbers and enums, falling back on anything else', () => {
    expect(queryString(['a', 'b'])).toBe('a');
    expect(queryString('')).toBeNull();
    expect(queryString(undefined)).toBeNull();
    expect(queryList(['A', null, '', 'B'])).toEqual(['A', 'B']);
    expect(queryList('A')).toEqual(['A']);
    expect(queryInt('50', [10, 25, 50], 25)).toBe(50);
    expect(queryInt('51', [10, 25, 50], 25)).toBe(25);
    expect(queryInt('1e1', [10, 25, 50], 25)).toBe(10);
    expect(queryEnum('ETF', ['ETF', 'STOCK'] as const, 'STOCK')).toBe('ETF');
    expect(queryEnum('DROP TABLE', ['ETF', 'STOCK'] as const, 'STOCK')).toBe('STOCK');
  });

  it('patches a query, dropping empty values and keeping the others', () => {
    expect(patchQuery({ q: 'apple', symbol: 'AAPL', after: ['X'] }, { q: '', after: [], type: 'ETF', only: true, rows: 50 })).toEqual({
      symbol: 'AAPL',
      type: 'ETF',
      only: 'true',
      rows: '50',
    });
    expect(patchQuery({}, { after: ['A', 'B'] })).toEqual({ after: ['A', 'B'] });
  });
});
