/**
 * The currency a product's prices are in, derived from its listing suffix (the catalog uses
 * Yahoo-style symbols: `VOD.L`, `0700.HK`, `7203.T`). A symbol without a suffix is a US listing
 * (USD). Three exchanges quote in the minor unit, and so do their prices here: London `.L` in
 * pence (GBX, 1/100 GBP), Johannesburg `.JO` in cents (ZAC, 1/100 ZAR), Tel Aviv `.TA` in
 * agorot (ILA, 1/100 ILS). A suffix missing from the table is `XXX` (ISO 4217: no currency
 * stated): its values are never added to any other currency's. docs/API.md prints this table.
 */

/** Listing suffix (without the dot) → ISO 4217 code (or the minor-unit codes GBX, ZAC, ILA). */
export const CURRENCY_BY_SUFFIX: Readonly<Record<string, string>> = {
  // Americas
  TO: 'CAD', V: 'CAD', CN: 'CAD', NE: 'CAD',
  SA: 'BRL', MX: 'MXN', SN: 'CLP', BA: 'ARS',
  // Europe
  L: 'GBX', IL: 'USD', IR: 'EUR',
  DE: 'EUR', F: 'EUR', BE: 'EUR', DU: 'EUR', HM: 'EUR', MU: 'EUR', SG: 'EUR',
  PA: 'EUR', AS: 'EUR', BR: 'EUR', LS: 'EUR', MI: 'EUR', MC: 'EUR', VI: 'EUR',
  HE: 'EUR', AT: 'EUR', TL: 'EUR',
  SW: 'CHF', ST: 'SEK', OL: 'NOK', CO: 'DKK', IC: 'ISK',
  WA: 'PLN', PR: 'CZK', BD: 'HUF', IS: 'TRY', ME: 'RUB',
  // Middle East and Africa
  TA: 'ILA', SR: 'SAR', QA: 'QAR', AE: 'AED', JO: 'ZAC',
  // Asia and Pacific
  HK: 'HKD', T: 'JPY', SS: 'CNY', SZ: 'CNY', TW: 'TWD', TWO: 'TWD',
  KS: 'KRW', KQ: 'KRW', NS: 'INR', BO: 'INR', JK: 'IDR', BK: 'THB',
  SI: 'SGD', KL: 'MYR', NZ: 'NZD', AX: 'AUD',
};

/** The currency of symbols without a listing suffix (US listings). */
export const HOME_CURRENCY = 'USD';

/** The code of a suffix the table does not know. */
export const UNKNOWN_CURRENCY = 'XXX';

/** The currency of a symbol's prices: by its suffix after the last dot, USD without one. */
export function currencyOf(symbol: string): string {
  const dot = symbol.lastIndexOf('.');
  if (dot < 0) return HOME_CURRENCY;
  return CURRENCY_BY_SUFFIX[symbol.slice(dot + 1).toUpperCase()] ?? UNKNOWN_CURRENCY;
}
