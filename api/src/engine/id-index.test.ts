import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdIndex } from './id-index.js';
import { NIL } from './order-store.js';

describe('IdIndex', () => {
  it('behaves like a Map from id to slot under random inserts and deletes', () => {
    const id = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constantFrom(2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 4096, 8192));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), id), { maxLength: 3000, size: 'max' }), (ops) => {
        const keys = new Float64Array(4096);
        const index = new IdIndex();
        const model = new Map<number, number>();
        const free: number[] = Array.from({ length: 4096 }, (_, i) => 4095 - i);
        for (const [insert, key] of ops) {
          if (insert && !model.has(key)) {
            const slot = free.pop()!;
            keys[slot] = key;
            index.add(slot, keys);
            model.set(key, slot);
          } else if (!insert) {
            const slot = index.delete(key, keys);
            if (slot !== (model.get(key) ?? NIL)) expect(slot).toBe(model.get(key) ?? NIL);
            if (model.delete(key)) free.push(slot);
          }
          if (index.size !== model.size) expect(index.size).toBe(model.size);
        }
        for (const [key, slot] of model) expect(index.get(key, keys)).toBe(slot);
        expect(index.get(999_999, keys)).toBe(NIL);
        const slots: number[] = [];
        index.forEachSlot((s) => slots.push(s));
        expect(slots.sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      }),
      { numRuns: 40 },
    );
  });
});
