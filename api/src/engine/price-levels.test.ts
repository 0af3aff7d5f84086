import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PriceLevels } from './price-levels.js';
import { NIL } from './order-store.js';

describe('PriceLevels', () => {
  it.each([true, false])('keeps the best level and best-first order like a sorted list (bid side: %s)', (isBid) => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 300 })), { maxLength: 800, size: 'max' }), fc.nat({ max: 20 }), (ops, k) => {
        const levels = new PriceLevels(isBid);
        const live = new Set<number>();
        for (const [add, price] of ops) {
          if (add) {
            levels.levelAt(price);
            live.add(price);
          } else if (live.has(price)) {
            levels.removeLevel(levels.byPrice.get(price));
            live.delete(price);
          }
          const want = live.size === 0 ? undefined : isBid ? Math.max(...live) : Math.min(...live);
          const best = levels.best();
          const got = best === NIL ? undefined : levels.price[best];
          if (got !== want) expect(got).toBe(want);
        }
        const sorted = [...live].sort((a, b) => (isBid ? b - a : a - b));
        expect(levels.topLevels(k).map((l) => levels.price[l])).toEqual(sorted.slice(0, k));
        expect(levels.allLevels().map((l) => levels.price[l])).toEqual(sorted);
      }),
      { numRuns: 100 },
    );
  });
});
