import { describe, expect, it } from 'vitest';
import { Fnv1a64, fnv1a64 } from './state-hash.js';

const bytes = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

describe('fnv1a64', () => {
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('matches the published FNV-1a 64 test vector for %j', (input, hash) => {
    expect(fnv1a64(bytes(input))).toBe(hash);
  });

  it('distinguishes numbers that differ only in their fraction or sign', () => {
    const h = (n: number): string => new Fnv1a64().number(n).digest();
    expect(new Set([h(1), h(1.5), h(-1), h(0), h(NaN), h(2 ** 53)]).size).toBe(6);
  });
});
