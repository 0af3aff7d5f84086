/**
 * Live holdings: folds the caller's fills and last-price changes into the holdings list so the
 * Portfolio moves without a reload. Pure; decimals stay strings.
 *
 * It follows the server's definitions: quantity = bought − sold; avgPrice = average price of
 * the fills on the side of the position (4 more decimals than the price); marketValue =
 * quantity × lastPrice; unrealizedPnl = (lastPrice − avgPrice) × quantity (2 more decimals).
 * Adding to a position re-weights the average; reducing keeps it; flipping through zero starts
 * a new average at the fill price. The server averages over every fill on the side since the
 * first one, so after a reduce-then-add sequence its average can differ from this estimate in
 * the last decimals: the Portfolio refetches shortly after a fill to settle on its figures.
 */
import { addDecimal, divDecimal, mulDecimalInt, roundDecimal, scaleOf, subDecimal } from '@trading-app/api/decimal';

/** A holding as the `holdings` query returns it. */
export interface Holding {
  readonly symbol: string;
  readonly quantity: number;
  readonly avgPrice: string | null;
  readonly lastPrice: string | null;
  readonly marketValue: string | null;
  readonly unrealizedPnl: string | null;
}

/** One fill of the caller's: side, quantity and price (from an ExecutionReport of type TRADE). */
export interface Fill {
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly quantity: number;
  readonly price: string;
}

/** Recomputes market value and P&L of a holding from its quantity, average and last price. */
export function revalue(h: Omit<Holding, 'marketValue' | 'unrealizedPnl'>): Holding {
  if (h.lastPrice === null) return { ...h, marketValue: null, unrealizedPnl: null };
  const marketValue = mulDecimalInt(h.lastPrice, h.quantity);
  const unrealizedPnl =
    h.avgPrice === null ? null : roundDecimal(mulDecimalInt(subDecimal(h.lastPrice, h.avgPrice), h.quantity), scaleOf(h.lastPrice) + 2);
  return { ...h, marketValue, unrealizedPnl };
}

/** The holdings after one fill: the symbol's row changes (or appears, or goes when flat). */
export function applyFill(holdings: readonly Holding[], fill: Fill): Holding[] {
  if (!Number.isSafeInteger(fill.quantity) || fill.quantity <= 0) return [...holdings];
  const current = holdings.find((h) => h.symbol === fill.symbol);
  const before = current?.quantity ?? 0;
  const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
  const after = before + signed;
  const avgScale = scaleOf(fill.price) + 4;
  const others = holdings.filter((h) => h.symbol !== fill.symbol);
  if (after === 0) return others;

  let avgPrice: string | null;
  if (before === 0 || Math.sign(before) !== Math.sign(after)) {
    // A new position, or one that flipped side: its average is this fill's price.
    avgPrice = roundDecimal(fill.price, avgScale);
  } else if (Math.sign(signed) === Math.sign(before)) {
    // Adding on the same side: weighted average of the old position and the fill.
    const oldNotional = current?.avgPrice ? mulDecimalInt(current.avgPrice, Math.abs(before)) : mulDecimalInt(fill.price, Math.abs(before));
    const notional = addDecimal(oldNotional, mulDecimalInt(fill.price, fill.quantity));
    avgPrice = divDecimal(notional, String(Math.abs(after)), avgScale);
  } else {
    // Reducing: the average of the remaining position does not change.
    avgPrice = current?.avgPrice ?? null;
  }
  const row = revalue({ symbol: fill.symbol, quantity: after, avgPrice, lastPrice: fill.price });
  return [...others, row].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** The holdings after a new last price for a symbol (from a quote or a public trade). */
export function applyLastPrice(holdings: readonly Holding[], symbol: string, lastPrice: string | null): Holding[] {
  return holdings.map((h) => (h.symbol === symbol && lastPrice !== null && h.lastPrice !== lastPrice ? revalue({ ...h, lastPrice }) : h));
}
