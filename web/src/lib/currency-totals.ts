/**
 * Totals per currency for the Portfolio: market value and unrealised P&L summed from the live
 * holdings rows, realised P&L from the server's `portfolioTotals` (which counts closed positions
 * too). Amounts of different currencies are never added together. Pure; decimals stay strings.
 */
import { addDecimal } from '@trading-app/api/decimal';
import type { Holding } from './holdings';

/** One line of the totals. */
export interface CurrencyTotal {
  readonly currency: string;
  readonly positions: number;
  /** Open positions without a last price (not in the sums). */
  readonly unpriced: number;
  readonly marketValue: string;
  readonly unrealizedPnl: string;
  readonly realizedPnl: string | null;
}

/** The totals, by currency code. */
export function currencyTotals(holdings: readonly Holding[], server: readonly { currency: string; realizedPnl: string }[]): CurrencyTotal[] {
  const out = new Map<string, { positions: number; unpriced: number; marketValue: string; unrealizedPnl: string; realizedPnl: string | null }>();
  const line = (c: string) => {
    let t = out.get(c);
    if (!t) out.set(c, (t = { positions: 0, unpriced: 0, marketValue: '0', unrealizedPnl: '0', realizedPnl: null }));
    return t;
  };
  for (const h of holdings) {
    const t = line(h.currency ?? '?');
    t.positions++;
    if (h.marketValue === null || h.unrealizedPnl === null) t.unpriced++;
    else {
      t.marketValue = addDecimal(t.marketValue, h.marketValue);
      t.unrealizedPnl = addDecimal(t.unrealizedPnl, h.unrealizedPnl);
    }
  }
  for (const s of server) line(s.currency).realizedPnl = s.realizedPnl;
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([currency, t]) => ({ currency, ...t }));
}
