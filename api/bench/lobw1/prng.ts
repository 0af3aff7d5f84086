/**
 * mulberry32: the 32-bit PRNG that LOBW1 specifies (see /work/shared/bench/LOBW1.md).
 *
 * Returns a function yielding floats in [0, 1): uint32 / 2^32. For seed 42 the first three
 * outputs, as uint32, are 2581720956, 1925393290, 3661312704.
 */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return function next(): number {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The default LOBW1 seed. */
export const LOBW1_SEED = 42;
