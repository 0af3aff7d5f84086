/**
 * Positions and realised P&L by the average-cost method, folded over an account's fills of one
 * product in execution order. Pure and exact: integers (BigInt) only.
 *
 * - Adding to a position (or opening one) adds price × qty to its cost basis: the average cost
 *   is basis ÷ |position|.
 * - Reducing a position by q takes q × average cost out of the basis and realises
 *   (price − average cost) × q for a long, (average cost − price) × q for a short. The average
 *   cost of what remains does not change.
 * - A fill larger than the position closes it (realising on all of it) and opens the other side
 *   with the rest at the fill's price.
 *
 * Units: prices in ticks, quantities in lots, money in ticks × lots × {@link COST_SCALE}.
 * Taking a part of the basis out divides it, so that share is rounded half away from zero to
 * the unit (10^-6 of a tick × lot): at most half a unit per partial reduction, and none once a
 * position is closed (a close takes out the whole basis, so realised P&L over a round trip is
 * exact).
 */

/** One fill of an account: its side, lots and price in ticks. */
export interface LedgerFill {
  readonly side: 'BUY' | 'SELL';
  readonly qty: number | bigint;
  readonly priceTicks: number | bigint;
}

/** A position after some fills. */
export interface LedgerPosition {
  /** Net lots: bought − sold (negative when short). */
  readonly qty: bigint;
  /** Cost basis of the open position, ≥ 0, in ticks × lots × COST_SCALE (0 when flat). */
  readonly basis: bigint;
  /** Realised P&L so far, in ticks × lots × COST_SCALE (negative for a loss). */
  readonly realized: bigint;
}

/** Money units per tick × lot: P&L is kept to 10^-6 of a tick. */
export const COST_SCALE = 1_000_000n;

export const FLAT: LedgerPosition = { qty: 0n, basis: 0n, realized: 0n };

const abs = (n: bigint) => (n < 0n ? -n : n);

/** a × b ÷ c rounded half away from zero (a, b, c ≥ 0, c > 0). */
function mulDivRound(a: bigint, b: bigint, c: bigint): bigint {
  return (2n * a * b + c) / (2n * c);
}

/** The position after one more fill. */
export function applyLedgerFill(p: LedgerPosition, fill: LedgerFill): LedgerPosition {
  const q = BigInt(fill.qty);
  const price = BigInt(fill.priceTicks);
  if (q <= 0n) return p;
  const signed = fill.side === 'BUY' ? q : -q;
  const long = p.qty > 0n;
  // Opening or adding on the same side.
  if (p.qty === 0n || (p.qty > 0n) === (signed > 0n)) {
    return { qty: p.qty + signed, basis: p.basis + price * q * COST_SCALE, realized: p.realized };
  }
  const open = abs(p.qty);
  const closing = q < open ? q : open;
  const removed = closing === open ? p.basis : mulDivRound(p.basis, closing, open);
  const proceeds = price * closing * COST_SCALE;
  const realized = p.realized + (long ? proceeds - removed : removed - proceeds);
  const rest = q - closing;
  if (rest === 0n) return { qty: p.qty + signed, basis: p.basis - removed, realized };
  // Through zero: the rest opens the other side at this price.
  return { qty: p.qty + signed, basis: price * rest * COST_SCALE, realized };
}

/** The position after fills in execution order, from flat. */
export function foldLedger(fills: Iterable<LedgerFill>, from: LedgerPosition = FLAT): LedgerPosition {
  let p = from;
  for (const f of fills) p = applyLedgerFill(p, f);
  return p;
}
