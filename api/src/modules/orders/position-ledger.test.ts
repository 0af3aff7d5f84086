import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyLedgerFill, COST_SCALE, FLAT, foldLedger, type LedgerFill } from './position-ledger.js';

/** An exact fraction n/d (d > 0), for the reference model. */
interface Frac {
  readonly n: bigint;
  readonly d: bigint;
}
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));
const frac = (n: bigint, d = 1n): Frac => {
  const g = gcd(n, d) || 1n;
  return d < 0n ? { n: -n / g, d: -d / g } : { n: n / g, d: d / g };
};
const add = (a: Frac, b: Frac) => frac(a.n * b.d + b.n * a.d, a.d * b.d);
const sub = (a: Frac, b: Frac) => add(a, { n: -b.n, d: b.d });
const mul = (a: Frac, b: Frac) => frac(a.n * b.n, a.d * b.d);
const div = (a: Frac, b: Frac) => frac(a.n * b.d, a.d * b.n);

/**
 * The textbook average-cost model in exact fractions, one share at a time: a fill is split into
 * single lots, each either adds at its price (re-weighting the average) or closes one lot at the
 * average cost.
 */
function model(fills: readonly LedgerFill[]) {
  let qty = 0n;
  let avg = frac(0n);
  let realized = frac(0n);
  for (const f of fills) {
    const price = frac(BigInt(f.priceTicks));
    const step = f.side === 'BUY' ? 1n : -1n;
    for (let i = 0n; i < BigInt(f.qty); i++) {
      if (qty === 0n || qty > 0n === step > 0n) {
        avg = div(add(mul(avg, frac(qty < 0n ? -qty : qty)), price), frac((qty < 0n ? -qty : qty) + 1n));
      } else {
        realized = add(realized, qty > 0n ? sub(price, avg) : sub(avg, price));
      }
      qty += step;
      if (qty === 0n) avg = frac(0n);
    }
  }
  return { qty, avg, realized };
}

const fillArb = fc.record({
  side: fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
  qty: fc.integer({ min: 1, max: 40 }),
  priceTicks: fc.integer({ min: 1, max: 5000 }),
});

/** |x| ≤ bound, for BigInt. */
const within = (x: bigint, bound: bigint) => (x < 0n ? -x : x) * 2n <= bound * 2n;

describe('position ledger (average cost)', () => {
  it('matches the exact model: same quantity, basis and realised P&L within half a unit per partial reduction, exact when flat', () => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 40 }), (fills) => {
        const p = foldLedger(fills);
        const m = model(fills);
        expect(p.qty).toBe(m.qty);
        const scaled = (f: Frac) => frac(f.n * COST_SCALE, f.d);
        const realizedErr = sub(frac(p.realized), scaled(m.realized));
        const basisErr = sub(frac(p.basis), scaled(mul(m.avg, frac(m.qty < 0n ? -m.qty : m.qty))));
        // Each partial reduction rounds by at most half a unit.
        const bound = BigInt(fills.length);
        expect(within(realizedErr.n, (bound * realizedErr.d) / 2n + 1n)).toBe(true);
        expect(within(basisErr.n, (bound * basisErr.d) / 2n + 1n)).toBe(true);
        if (p.qty === 0n) {
          expect(p.basis).toBe(0n);
          expect(realizedErr.n).toBe(0n);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('realises exactly the cash flow over a round trip (flat again), through any number of flips', () => {
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 5000 }), (fills, closePx) => {
        const open = foldLedger(fills);
        const closing: LedgerFill[] = open.qty === 0n ? [] : [{ side: open.qty > 0n ? 'SELL' : 'BUY', qty: open.qty < 0n ? -open.qty : open.qty, priceTicks: closePx }];
        const all = [...fills, ...closing];
        const p = foldLedger(all);
        const cash = all.reduce((s, f) => s + (f.side === 'SELL' ? 1n : -1n) * BigInt(f.qty) * BigInt(f.priceTicks), 0n);
        expect(p).toEqual({ qty: 0n, basis: 0n, realized: cash * COST_SCALE });
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a long reduced keeps its average', [['BUY', 100, 1000], ['BUY', 50, 1030], ['SELL', 60, 1050]], 90n, 2400n * COST_SCALE, 90n * 1010n * COST_SCALE],
    ['a short covered', [['SELL', 10, 500], ['BUY', 4, 450]], -6n, 200n * COST_SCALE, 3000n * COST_SCALE],
    ['a flip through zero opens at the fill price', [['BUY', 10, 100], ['SELL', 15, 120]], -5n, 200n * COST_SCALE, 600n * COST_SCALE],
    ['a third taken out rounds half a unit at most', [['BUY', 3, 1], ['SELL', 1, 1]], 2n, 0n, 2n * COST_SCALE],
  ] as const)('%s', (_name, fills, qty, realized, basis) => {
    const p = foldLedger(fills.map(([side, q, px]) => ({ side, qty: q, priceTicks: px })));
    expect(p).toEqual({ qty, realized, basis });
  });

  it('ignores non-positive quantities', () => {
    expect(applyLedgerFill(FLAT, { side: 'BUY', qty: 0, priceTicks: 10 })).toBe(FLAT);
  });

  it('stays exact past 2^63 ticks × lots', () => {
    const px = BigInt(Number.MAX_SAFE_INTEGER);
    const fills = Array.from({ length: 1100 }, () => ({ side: 'BUY' as const, qty: 1, priceTicks: px }));
    const p = foldLedger([...fills, { side: 'SELL', qty: 1100, priceTicks: px + 1n }]);
    expect(p).toEqual({ qty: 0n, basis: 0n, realized: 1100n * COST_SCALE });
  });
});
