import { describe, expect, it } from 'vitest';
import { safeRedirect } from './redirect';

describe('safeRedirect', () => {
  it('keeps paths of the app, with their query', () => {
    expect(safeRedirect('/portfolio')).toBe('/portfolio');
    expect(safeRedirect('/orderbook?symbol=AAPL')).toBe('/orderbook?symbol=AAPL');
    expect(safeRedirect(['/quotes', '/x'])).toBe('/quotes');
  });

  it.each(['https://evil.example/', '//evil.example/', '/\\evil.example', 'portfolio', '', '/login?redirect=/x', undefined, null, 42])(
    'refuses %j',
    (value) => {
      expect(safeRedirect(value)).toBeUndefined();
    },
  );
});
