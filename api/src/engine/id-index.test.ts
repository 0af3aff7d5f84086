import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashId, IdIndex, type KeySource } from './id-index.js';

/** Keys held outside the index, as the order store and price levels hold them. */
class Keys implements KeySource {
  readonly keys = new Float64Array(8192);
  keyAt(value: number): number {
    return this.keys[value]!;
  }
}

describe('IdIndex', () => {
  it('behaves like a Map from key to value under random inserts and deletes', () => {
    const key = fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.constantFrom(2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 4096, 8192));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), key), { maxLength: 3000, size: 'max' }), (ops) => {
        const source = new Keys();
        const index = new IdIndex(source);
        const model = new Map<number, number>();
        const free: number[] = Array.from({ length: 8192 }, (_, i) => 8191 - i);
        for (const [insert, k] of ops) {
          if (insert && !model.has(k)) {
            const value = free.pop()!;
            source.keys[value] = k;
            index.add(k, value);
            model.set(k, value);
          } else if (!insert) {
            const value = index.delete(k);
            if (value !== (model.get(k) ?? -1)) expect(value).toBe(model.get(k) ?? -1);
            if (model.delete(k)) free.push(value);
          }
          if (index.size !== model.size) expect(index.size).toBe(model.size);
        }
        for (const [k, value] of model) expect(index.get(k)).toBe(value);
        expect(index.get(999_999)).toBe(-1);
        const values: number[] = [];
        index.forEachValue((v) => values.push(v));
        expect(values.sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b));
      }),
      { numRuns: 40 },
    );
  });

  it('tells apart keys whose 32-bit hashes collide', () => {
    // below 2^32 the hash is a bijection; above, lo ^ imul(hi, 0x9e3779b1) can coincide
    const a = 12_345;
    const b = 2 ** 32 + ((12_345 ^ 0x9e3779b1) >>> 0);
    expect(hashId(a)).toBe(hashId(b));
    const source = new Keys();
    const index = new IdIndex(source);
    source.keys[1] = a;
    source.keys[2] = b;
    index.add(a, 1);
    expect(index.get(b)).toBe(-1);
    index.add(b, 2);
    expect([index.get(a), index.get(b)]).toEqual([1, 2]);
    expect(index.delete(a)).toBe(1);
    expect(index.get(b)).toBe(2);
    expect(index.get(a)).toBe(-1);
  });

  it('shrinks after mass deletion and still finds every remaining key', () => {
    const source = new Keys();
    const index = new IdIndex(source);
    for (let k = 1; k <= 5_000; k++) {
      source.keys[k] = k * 7919;
      index.add(k * 7919, k);
    }
    const grown = index.bytes;
    for (let k = 1; k <= 4_950; k++) expect(index.delete(k * 7919)).toBe(k);
    expect(index.bytes).toBeLessThan(grown);
    expect(index.size).toBe(50);
    for (let k = 4_951; k <= 5_000; k++) expect(index.get(k * 7919)).toBe(k);
    expect(index.get(7919)).toBe(-1);
  });
});
