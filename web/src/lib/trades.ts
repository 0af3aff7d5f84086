/**
 * The public tape on the client: merging the initial page with live trades. Pure. (Candles come
 * from the server: lib/candles.ts.)
 */

/** A trade as the `trades` query and subscription return it. */
export interface TapeTrade {
  readonly tradeId: string;
  readonly symbol: string;
  readonly price: string;
  readonly quantity: number;
  readonly aggressorSide: 'BUY' | 'SELL';
  readonly time: string;
}

function byNewest(a: TapeTrade, b: TapeTrade): number {
  const x = Number(a.tradeId);
  const y = Number(b.tradeId);
  if (Number.isSafeInteger(x) && Number.isSafeInteger(y) && x !== y) return y - x;
  return a.time < b.time ? 1 : a.time > b.time ? -1 : 0;
}

/**
 * The tape after new trades arrive (from the query or the subscription, in any order and
 * possibly overlapping): newest first, one entry per TradeID, at most `cap` entries.
 */
export function mergeTrades<T extends TapeTrade>(tape: readonly T[], incoming: readonly T[], cap = 200): T[] {
  const byId = new Map<string, T>();
  for (const t of tape) byId.set(t.tradeId, t);
  for (const t of incoming) byId.set(t.tradeId, t);
  return [...byId.values()].sort(byNewest).slice(0, cap);
}
