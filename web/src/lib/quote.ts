/** Rules for showing a quote, the same on every screen. Pure. */

/**
 * What a Last column shows: the last trade's price; before the first trade, the reference
 * (previous close) price, flagged so it is marked as such; null when there is neither.
 */
export function lastShown(q: { readonly last?: string | null; readonly reference?: string | null }): { price: string | null; reference: boolean } {
  if (q.last) return { price: q.last, reference: false };
  if (q.reference) return { price: q.reference, reference: true };
  return { price: null, reference: false };
}
