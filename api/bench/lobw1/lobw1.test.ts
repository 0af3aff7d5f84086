import { describe, expect, it } from 'vitest';
import { engineAdapter } from './adapters.js';
import { generateLobw1, OP_CANCEL, OP_LIMIT, OP_MARKET } from './generate.js';
import { checkResults } from './measure.js';
import { LOBW1_SEED, mulberry32 } from './prng.js';

describe('LOBW1 benchmark workload', () => {
  it('uses mulberry32 with the published first outputs for seed 42', () => {
    const rng = mulberry32(LOBW1_SEED);
    expect([rng(), rng(), rng()].map((x) => x * 2 ** 32)).toEqual([2581720956, 1925393290, 3661312704]);
  });

  it.each(['uniform', 'deep'] as const)('generates a %s stream whose shorter versions are prefixes of longer ones', (profile) => {
    const short = generateLobw1(3_000, profile);
    const long = generateLobw1(6_000, profile);
    expect(long.type.subarray(0, 3_000)).toEqual(short.type);
    expect(long.id.subarray(0, 3_000)).toEqual(short.id);
    expect(long.price.subarray(0, 3_000)).toEqual(short.price);
    const counts = [OP_LIMIT, OP_CANCEL, OP_MARKET].map((t) => long.type.filter((x) => x === t).length);
    expect(counts[0]! + counts[1]! + counts[2]!).toBe(6_000);
    expect(counts[2]! / 6_000).toBeGreaterThan(0.07);
    expect(counts[2]! / 6_000).toBeLessThan(0.13);
  });

  it.each(['uniform', 'deep'] as const)('has the engine agree with the reference model on a %s stream', (profile) => {
    const stream = generateLobw1(30_000, profile);
    const a = engineAdapter(stream);
    for (let i = 0; i < stream.length; i++) a.apply(i);
    expect(checkResults(a, stream.expected)).toEqual({ ok: true, problems: [] });
    expect(a.restingCount()).toBe(stream.expected.restingCount);
    expect(stream.expected.tradedQty).toBeGreaterThan(0);
    expect(stream.expected.cancels).toBeGreaterThan(0);
  });

  it('reports a mismatch when results differ from the model', () => {
    const stream = generateLobw1(2_000, 'deep');
    const a = engineAdapter(stream);
    for (let i = 0; i < stream.length; i++) a.apply(i);
    const wrong = { ...stream.expected, tradedQty: stream.expected.tradedQty + 1, bids: stream.expected.bids.slice(1) };
    const c = checkResults(a, wrong);
    expect(c.ok).toBe(false);
    expect(c.problems).toHaveLength(2);
  });
});
