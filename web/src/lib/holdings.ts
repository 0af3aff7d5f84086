/**
 * Live holdings: folds the caller's fills and last-price changes into the holdings list so the
 * Portfolio moves without a reload. Pure; decimals stay strings.
 *
 * It follows the server's definitions: quantity = bought − sold; avgPrice = average price of
 * the fills on the side of the position (4 more decimals than the price); marketValue =
 * quantity × lastPrice; unrealizedPnl = (lastPrice − avgPrice) × quantity (2 more decimals).
 * Average-cost method, as the server: adding to a position re-weights the average; reducing
 * keeps it and realises (price − average) × quantity closed (reversed for a short); flipping
 * through zero closes the position and starts a new average at the fill price. The server keeps
 * its cost exact where this rounds each step, so the Portfolio refetches shortly after a fill to
 * settle on its figures.
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
  /** Product currency (the query always sends it; absent only in rows built here from nothing). */
  readonly currency?: string;
  /** Realised P&L so far (2 more decimals than the price). */
  readonly realizedPnl?: string;
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
export function applyFill<H extends Holding>(holdings: readonly H[], fill: Fill): H[] {
  if (!Number.isSafeInteger(fill.quantity) || fill.quantity <= 0) return [...holdings];
  const current = holdings.find((h) => h.symbol === fill.symbol);
  const before = current?.quantity ?? 0;
  const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
  const after = before + signed;
  const avgScale = scaleOf(fill.price) + 4;
  const others = holdings.filter((h) => h.symbol !== fill.symbol);
  if (after === 0) return others;
  // Realised by the part of the fill that closes the position (at its old average).
  let realizedPnl = current?.realizedPnl;
  const closing = before !== 0 && Math.sign(signed) !== Math.sign(before) ? Math.min(Math.abs(before), fill.quantity) : 0;
  if (closing > 0 && realizedPnl !== undefined && current?.avgPrice) {
    const gain = mulDecimalInt(subDecimal(fill.price, current.avgPrice), before > 0 ? closing : -closing);
    realizedPnl = roundDecimal(addDecimal(realizedPnl, gain), Math.max(scaleOf(realizedPnl), scaleOf(fill.price) + 2));
  }

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
  const row = { ...current, ...revalue({ symbol: fill.symbol, quantity: after, avgPrice, lastPrice: fill.price }), ...(realizedPnl === undefined ? {} : { realizedPnl }) } as H;
  return [...others, row].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** The holdings after a new last price for a symbol (from a quote or a public trade). */
export function applyLastPrice<H extends Holding>(holdings: readonly H[], symbol: string, lastPrice: string | null): H[] {
  return holdings.map((h) => (h.symbol === symbol && lastPrice !== null && h.lastPrice !== lastPrice ? { ...h, ...revalue({ ...h, lastPrice }) } : h));
}
